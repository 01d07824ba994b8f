package dev.gatewar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One scrape of the gateway's metrics endpoint over HTTP, parsed by the Prometheus Python client's
 * text-format parser ({@code containers/prometheus_samples.py}, Debian's python3-prometheus-client,
 * which the build installs when it is missing).
 */
final class PrometheusScrape {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PYTHON = "/usr/bin/python3";

    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;
    final String text;

    private PrometheusScrape(String text, List<Sample> samples) {
        this.text = text;
        this.samples = samples;
    }

    /** GETs {@code path} on the gateway and parses the body; fails unless the answer is a 200 in the text format. */
    static PrometheusScrape of(GatewayServer gateway, String path) throws Exception {
        RawHttp.Reply reply = RawHttp.exchange(gateway.port(), RawMessage.get(path).connectionClose());
        assertEquals(200, reply.status(), reply.head());
        assertTrue(reply.header("Content-Type").startsWith("text/plain; version=0.0.4"), reply.head());
        return parse(reply.bodyText());
    }

    /**
     * Scrapes until {@code ready} holds of a scrape, for at most {@code timeoutMs}, and returns the
     * last scrape: an exchange is recorded as it ends, just after its client has the response.
     */
    static PrometheusScrape awaitScrape(int port, String path, java.util.function.Predicate<PrometheusScrape> ready, long timeoutMs)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            RawHttp.Reply reply = RawHttp.exchange(port, RawMessage.get(path).connectionClose());
            assertEquals(200, reply.status(), reply.head());
            PrometheusScrape scrape = parse(reply.bodyText());
            if (ready.test(scrape) || System.nanoTime() > deadline) {
                return scrape;
            }
        }
    }

    static PrometheusScrape parse(String text) throws IOException, InterruptedException {
        Process parser = new ProcessBuilder(PYTHON, "containers/prometheus_samples.py").redirectErrorStream(false).start();
        try (OutputStream in = parser.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        byte[] out = parser.getInputStream().readAllBytes();
        String err = new String(parser.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(parser.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, parser.exitValue(), "the Prometheus parser refused the exposition: " + err);
        List<Sample> samples = new ArrayList<>();
        for (JsonNode sample : JSON.readTree(out)) {
            Map<String, String> labels = new TreeMap<>();
            sample.get("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            JsonNode value = sample.get("value");
            samples.add(new Sample(sample.get("name").asText(), labels, value.isNumber() ? value.asDouble() : Double.NaN));
        }
        return new PrometheusScrape(text, samples);
    }

    /** The samples named {@code name} whose labels include all of {@code labels} (pairs: key, value). */
    List<Sample> samples(String name, String... labels) {
        List<Sample> found = new ArrayList<>();
        for (Sample sample : samples) {
            if (sample.name().equals(name) && hasLabels(sample, labels)) {
                found.add(sample);
            }
        }
        return found;
    }

    /** The sum of the matching samples' values; 0 when none matches. */
    double sum(String name, String... labels) {
        return samples(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    /** The one matching sample's value; fails when there is not exactly one. */
    double value(String name, String... labels) {
        List<Sample> found = samples(name, labels);
        assertEquals(1, found.size(), () -> "samples " + name + " " + List.of(labels) + ": " + found);
        return found.get(0).value();
    }

    int size() {
        return samples.size();
    }

    private static boolean hasLabels(Sample sample, String[] labels) {
        for (int i = 0; i < labels.length; i += 2) {
            if (!labels[i + 1].equals(sample.labels().get(labels[i]))) {
                return false;
            }
        }
        return true;
    }
}
