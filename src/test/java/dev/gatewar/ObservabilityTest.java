package dev.gatewar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatewar.exchange.TraceParent;
import org.eclipse.jetty.http.UriCompliance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The access log, the metrics endpoint and trace context, seen from outside over real HTTP. */
class ObservabilityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FIELDS = List.of("time", "requestId", "route", "method", "path", "status", "received",
            "sent", "upstream", "tries", "upstreamMs", "totalMs", "outcome", "traceId");

    @RegisterExtension
    static final TestUpstream upstream = new TestUpstream();
    @RegisterExtension
    static final TestUpstream silent = new TestUpstream();

    private static int deadPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Routes svc (the test upstream), dead (nothing listens), slow (an upstream that never answers, 300 ms timeout). */
    private static GatewayServer.Builder gateway() throws Exception {
        return GatewayServer.builder()
                .filterParam("maxBodyBytes", "100")
                .route("svc", "/svc/*", Map.of("upstream", upstream.url()))
                .route("dead", "/dead/*", Map.of("upstream", "http://127.0.0.1:" + deadPort()))
                .route("slow", "/slow/*", Map.of("upstream", silent.url(), "responseTimeout", "300"))
                .servlet("metrics", MetricsServlet.class, "/metrics", Map.of());
    }

    private static RawHttp.Reply send(GatewayServer gateway, RawMessage message) throws Exception {
        return RawHttp.exchange(gateway.port(), message.connectionClose());
    }

    private static RawHttp.Reply get(GatewayServer gateway, String path, String requestId) throws Exception {
        return send(gateway, RawMessage.get(path).header("X-Request-Id", requestId));
    }

    /** Sends the mix both the metrics and the access-log tests count; returns the requests' ids in order. */
    private static List<String> sendTheMix(GatewayServer gateway) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            assertEquals(200, get(gateway, "/svc/ok?secret=" + i, "ok-" + i).status());
            assertEquals("GET", upstream.next().method());
            ids.add("ok-" + i);
        }
        for (int i = 1; i <= 2; i++) {
            assertEquals(500, get(gateway, "/svc/status/500", "e500-" + i).status());
            upstream.next();
            ids.add("e500-" + i);
        }
        for (int i = 1; i <= 2; i++) {
            assertEquals(503, get(gateway, "/dead/x", "refused-" + i).status());
            ids.add("refused-" + i);
        }
        silent.holdEveryRequest();
        assertEquals(503, get(gateway, "/slow/x", "timeout-1").status());
        silent.next();
        ids.add("timeout-1");
        for (int i = 1; i <= 2; i++) {
            assertEquals(404, get(gateway, "/nowhere/" + i, "noroute-" + i).status());
            ids.add("noroute-" + i);
        }
        String big = "{\"pad\": \"" + "x".repeat(200) + "\"}";
        assertEquals(413, send(gateway, RawMessage.post("/svc/big", "application/json", big).header("X-Request-Id", "big-1")).status());
        ids.add("big-1");
        return ids;
    }

    @Test
    void theMetricsCountExactlyWhatWasSent() throws Exception {
        try (LogCapture log = LogCapture.start(); GatewayServer gateway = gateway().start()) {
            List<String> ids = sendTheMix(gateway);
            assertTrue(log.awaitAccessLines(ids.size(), 5_000), log.text());
            PrometheusScrape m = PrometheusScrape.of(gateway, "/metrics");
            String duration = "http_server_request_duration_seconds_count";
            assertEquals(3, m.value(duration, "route", "svc", "http_request_method", "GET", "http_response_status_code", "200", "outcome", "ok"));
            assertEquals(2, m.value(duration, "route", "svc", "http_response_status_code", "500", "outcome", "ok"));
            assertEquals(2, m.value(duration, "route", "dead", "http_response_status_code", "503", "outcome", "upstream_error"));
            assertEquals(1, m.value(duration, "route", "slow", "http_response_status_code", "503", "outcome", "upstream_error"));
            assertEquals(2, m.value(duration, "route", "-", "http_response_status_code", "404", "outcome", "rejected"));
            assertEquals(1, m.value(duration, "route", "-", "http_request_method", "POST", "http_response_status_code", "413",
                    "outcome", "rejected"));
            assertEquals(ids.size(), m.sum(duration), "every request once, the scrape itself not yet: " + m.text);
            assertEquals(m.sum(duration), m.sum("http_server_request_duration_seconds_bucket", "le", "+Inf"));
            assertEquals(3, m.value("http_server_request_duration_seconds_bucket", "route", "svc", "http_response_status_code", "200",
                    "le", "10.0"));

            String tries = "http_client_request_duration_seconds_count";
            assertEquals(3, m.value(tries, "route", "svc", "upstream", "0", "http_response_status_code", "200", "error_type", ""));
            assertEquals(2, m.value(tries, "route", "svc", "upstream", "0", "http_response_status_code", "500", "error_type", "500"));
            assertEquals(2, m.value(tries, "route", "dead", "upstream", "0", "http_response_status_code", "", "error_type", "refused"));
            assertEquals(1, m.value(tries, "route", "slow", "upstream", "0", "error_type", "timeout"));
            assertEquals(2, m.value("gatewar_upstream_failures_total", "route", "dead", "upstream", "0", "error_type", "refused"));
            assertEquals(1, m.value("gatewar_upstream_failures_total", "route", "slow", "upstream", "0", "error_type", "timeout"));
            assertEquals(0, m.sum("gatewar_upstream_failures_total", "route", "svc"), "a 500 is the upstream's answer, not a failure");
            assertEquals(0, m.value("gatewar_upstream_retries_total", "route", "svc", "upstream", "0"));
            assertEquals(1, m.value("gatewar_json_bodies_total", "route", "-", "outcome", "too_large"));
            for (String route : List.of("svc", "dead", "slow")) {
                assertEquals(0, m.value("http_server_active_requests", "route", route));
            }
            assertEquals(3 * 2 + 2 * "upstream says 500".length(), m.value("gatewar_response_body_bytes_total", "route", "svc"));
            assertTrue(m.value("gatewar_upstream_connections", "route", "svc", "upstream", "0", "state", "idle") >= 0);
            assertFalse(m.samples("jvm_memory_used_bytes").isEmpty(), "JVM memory");
            assertFalse(m.samples("jvm_threads_live_threads").isEmpty(), "JVM threads");
            assertFalse(m.samples("jvm_gc_memory_allocated_bytes_total").isEmpty(), "GC");
        }
    }

    @Test
    void retriesEjectionsAndFilterOutcomesAreCounted() throws Exception {
        jakarta.servlet.Filter replacing = (request, response, chain) -> {
            if (((jakarta.servlet.http.HttpServletRequest) request).getRequestURI().endsWith("/replace")) {
                request.setAttribute(JsonBodyFilter.PARSED_BODY, JSON.readTree("{\"replaced\": true}"));
            }
            chain.doFilter(request, response);
        };
        try (LogCapture log = LogCapture.start(); GatewayServer gateway = GatewayServer.builder().laterFilter(replacing)
                .route("pool", "/pool/*", Map.of("upstream", "http://127.0.0.1:" + deadPort() + ", " + upstream.url()))
                .servlet("metrics", MetricsServlet.class, "/metrics", Map.of()).start()) {
            for (int i = 1; i <= 2; i++) {
                assertEquals(200, get(gateway, "/pool/x", "pool-" + i).status());
                upstream.next();
            }
            assertEquals(200, send(gateway, RawMessage.post("/pool/replace", "application/json", "{\"a\": 1}")).status());
            assertEquals("{\"replaced\":true}", upstream.next().bodyText());
            assertEquals(200, send(gateway, RawMessage.post("/pool/keep", "application/json", "{\"a\": 1}")).status());
            upstream.next();
            assertEquals(400, send(gateway, RawMessage.post("/pool/bad", "application/json", "{\"a\": ")).status());
            assertTrue(log.awaitAccessLines(5, 5_000));
            PrometheusScrape m = PrometheusScrape.of(gateway, "/metrics");
            // One of the two GETs met the dead upstream 0 first (round-robin), was retried on 1, and 0 was ejected.
            assertEquals(1, m.value("gatewar_upstream_failures_total", "route", "pool", "upstream", "0", "error_type", "refused"));
            assertEquals(1, m.value("gatewar_upstream_retries_total", "route", "pool", "upstream", "1"));
            assertEquals(0, m.value("gatewar_upstream_retries_total", "route", "pool", "upstream", "0"));
            assertEquals(1, m.value("gatewar_upstream_ejections_total", "route", "pool", "upstream", "0"));
            assertEquals(2, m.value("http_server_request_duration_seconds_count", "route", "pool", "http_request_method", "GET",
                    "outcome", "ok"));
            assertEquals(1, m.value("gatewar_json_bodies_total", "route", "pool", "outcome", "replaced"));
            assertEquals(1, m.value("gatewar_json_bodies_total", "route", "pool", "outcome", "accepted"));
            assertEquals(1, m.value("gatewar_json_bodies_total", "route", "-", "outcome", "malformed"));
            List<Map<String, String>> retried = log.accessLines().stream().map(ObservabilityTest::parse)
                    .filter(l -> l.get("tries").equals("2")).toList();
            assertEquals(1, retried.size(), log.accessLines()::toString);
            assertEquals("1", retried.get(0).get("upstream"));
        }
    }

    /** Clients that leave mid-exchange: each exchange still ends, and is counted, once. */
    @Test
    void clientsThatLeaveLeaveNoActiveRequestBehind() throws Exception {
        try (LogCapture log = LogCapture.start(); GatewayServer gateway = gateway().start()) {
            silent.holdEveryRequest();
            // Gone while the upstream has not answered yet: the exchange ends at the route's 300 ms timeout.
            try (RawHttp.Connection leaving = new RawHttp.Connection(gateway.port())) {
                leaving.send(RawMessage.get("/slow/left").header("X-Request-Id", "left-waiting"));
                silent.next();
            }
            // Gone in the middle of a JSON body the filter waits for.
            try (RawHttp.Connection leaving = new RawHttp.Connection(gateway.port())) {
                leaving.send(("POST /svc/half HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 50\r\n"
                        + "X-Request-Id: left-mid-body\r\n\r\n{\"a\":").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            }
            assertTrue(log.awaitAccessLines(2, 5_000), log.text());
            PrometheusScrape m = PrometheusScrape.awaitScrape(gateway.port(), "/metrics",
                    s -> s.sum("http_server_active_requests") == 0, 5_000);
            assertEquals(0, m.sum("http_server_active_requests"), m.text);
            assertEquals("client_abort", lineFor(log, "/svc/half").get("outcome"));
            assertEquals(1, m.value("http_server_request_duration_seconds_count", "route", "svc", "outcome", "client_abort"));
            assertEquals(1, m.value("http_server_request_duration_seconds_count", "route", "slow"));
        }
    }

    @Test
    void theAccessLogHasOneLinePerRequestFieldByField() throws Exception {
        try (LogCapture log = LogCapture.start(); GatewayServer gateway = gateway().start()) {
            List<String> ids = sendTheMix(gateway);
            assertTrue(log.awaitAccessLines(ids.size(), 5_000), log.text());
            Map<String, Map<String, String>> byId = new LinkedHashMap<>();
            for (String line : log.accessLines()) {
                Map<String, String> fields = parse(line);
                assertEquals(FIELDS, List.copyOf(fields.keySet()), line);
                assertTrue(fields.get("time").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), line);
                assertTrue(Long.parseLong(fields.get("totalMs")) >= 0, line);
                assertNull(byId.put(fields.get("requestId"), fields), "one line per request: " + line);
            }
            // Each line is written as its exchange ends, just after the client has the response: a
            // line may follow the next request's.
            assertEquals(new java.util.TreeSet<>(ids), new java.util.TreeSet<>(byId.keySet()));
            expect(byId.get("ok-1"), "svc", "GET", "/svc/ok", "200", "0", "2", "0", "1", "ok");
            assertTrue(log.accessLines().stream().noneMatch(l -> l.contains("secret")), "no query unless asked for");
            assertNotEquals("-", byId.get("ok-1").get("upstreamMs"));
            expect(byId.get("e500-2"), "svc", "GET", "/svc/status/500", "500", "0", "17", "0", "1", "ok");
            expect(byId.get("refused-1"), "dead", "GET", "/dead/x", "503", "0", null, "0", "1", "upstream_error");
            expect(byId.get("timeout-1"), "slow", "GET", "/slow/x", "503", "0", null, "0", "1", "upstream_error");
            expect(byId.get("noroute-2"), "-", "GET", "/nowhere/2", "404", "0", null, "-", "0", "rejected");
            assertEquals("-", byId.get("noroute-2").get("upstreamMs"));
            expect(byId.get("big-1"), "-", "POST", "/svc/big", "413", "0", null, "-", "0", "rejected");
            assertEquals("-", byId.get("ok-1").get("traceId"));
        }
    }

    /** The one access line for {@code path}. */
    private static Map<String, String> lineFor(LogCapture log, String path) {
        List<Map<String, String>> lines = log.accessLines().stream().map(ObservabilityTest::parse)
                .filter(l -> l.get("path").equals(path)).toList();
        assertEquals(1, lines.size(), log.accessLines()::toString);
        return lines.get(0);
    }

    /** received is what the gateway read of the body (0: a 413 reads none); sent null: any positive number. */
    private static void expect(Map<String, String> line, String route, String method, String path, String status, String received,
                               String sent, String upstreamIndex, String tries, String outcome) {
        assertNotNull(line);
        assertEquals(route, line.get("route"), line::toString);
        assertEquals(method, line.get("method"), line::toString);
        assertEquals(path, line.get("path"), line::toString);
        assertEquals(status, line.get("status"), line::toString);
        assertEquals(received, line.get("received"), line::toString);
        if (sent != null) {
            assertEquals(sent, line.get("sent"), line::toString);
        } else {
            assertTrue(Long.parseLong(line.get("sent")) > 0, line::toString);
        }
        assertEquals(upstreamIndex, line.get("upstream"), line::toString);
        assertEquals(tries, line.get("tries"), line::toString);
        assertEquals(outcome, line.get("outcome"), line::toString);
    }

    /** Parses {@code key=value} fields, a value bare or double-quoted with backslash escapes, as documented. */
    static Map<String, String> parse(String line) {
        Map<String, String> fields = new LinkedHashMap<>();
        int i = 0;
        while (i < line.length()) {
            int eq = line.indexOf('=', i);
            String key = line.substring(i, eq);
            StringBuilder value = new StringBuilder();
            int j = eq + 1;
            if (j < line.length() && line.charAt(j) == '"') {
                for (j++; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char next = line.charAt(++j);
                        if (next == 'x') {
                            value.append((char) Integer.parseInt(line.substring(j + 1, j + 3), 16));
                            j += 2;
                        } else {
                            value.append(next);
                        }
                    } else {
                        value.append(c);
                    }
                }
                j++;
            } else {
                for (; j < line.length() && line.charAt(j) != ' '; j++) {
                    value.append(line.charAt(j));
                }
            }
            assertTrue(j == line.length() || line.charAt(j) == ' ', () -> "fields are separated by one space: " + line);
            fields.put(key, value.toString());
            i = j + 1;
        }
        return fields;
    }

    @Test
    void aHostilePathStaysOneLineAndOneField() throws Exception {
        // A lenient connector, as an operator may configure: the raw quote and backslash reach the gateway.
        try (LogCapture log = LogCapture.start(); GatewayServer gateway = gateway().uriCompliance(UriCompliance.UNSAFE).start()) {
            String path = "/svc/a%0Ab%22c%20d%5C\"e=\\";
            // Sent raw: the quote and the space inside the target are the client's, not the test's framing.
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(), ("GET " + path + " HTTP/1.1\r\nHost: gw\r\nX-Request-Id: hostile\r\n"
                    + "Connection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            assertTrue(log.awaitAccessLines(1, 5_000), reply.head() + log.text());
            if (reply.status() == 200) {
                upstream.next();
            }
            List<String> lines = log.accessLines();
            assertEquals(1, lines.size(), lines::toString);
            Map<String, String> fields = parse(lines.get(0));
            assertEquals(FIELDS, List.copyOf(fields.keySet()), lines.get(0));
            assertEquals(Integer.toString(reply.status()), fields.get("status"));
            assertEquals(path, fields.get("path"), "escaped, and read back exactly");

            assertEquals(200, get(gateway, "/svc/%0d%0a%22x", "encoded").status());
            upstream.next();
            assertTrue(log.awaitAccessLines(2, 5_000));
            Map<String, String> encoded = parse(log.accessLines().get(1));
            assertEquals("/svc/%0d%0a%22x", encoded.get("path"));
        }
    }

    @Test
    void oneThousandDistinctPathsAddNoSeries() throws Exception {
        try (LogCapture log = LogCapture.start(); GatewayServer gateway = gateway().start()) {
            upstream.countOnly();
            HttpClient client = HttpClient.newHttpClient();
            for (int i = 0; i < 10; i++) {
                client.send(HttpRequest.newBuilder(URI.create(gateway.url("/svc/warm/" + i))).build(), HttpResponse.BodyHandlers.discarding());
            }
            int before = PrometheusScrape.of(gateway, "/metrics").samples("http_server_request_duration_seconds_count").size()
                    + PrometheusScrape.of(gateway, "/metrics").samples("http_client_request_duration_seconds_count").size();
            for (int i = 0; i < 1_000; i++) {
                HttpResponse<Void> response = client.send(HttpRequest.newBuilder(URI.create(gateway.url("/svc/p/" + i + "?q=" + i)))
                        .header("X-Request-Id", "distinct-" + i).build(), HttpResponse.BodyHandlers.discarding());
                assertEquals(200, response.statusCode());
            }
            assertEquals(1_010, upstream.count());
            PrometheusScrape after = PrometheusScrape.of(gateway, "/metrics");
            assertEquals(before, after.samples("http_server_request_duration_seconds_count").size()
                    + after.samples("http_client_request_duration_seconds_count").size(), after.text);
            assertTrue(after.text.lines().noneMatch(l -> l.contains("/p/") || l.contains("distinct-")), "no path or client value in a label");
        }
    }

    @Test
    void theEndpointAnswersOnlyAllowedAddressesWhateverTheHeadersSay() throws Exception {
        try (GatewayServer gateway = gateway().servlet("narrowMetrics", MetricsServlet.class, "/narrow-metrics",
                Map.of("allowFrom", "127.0.0.1")).start()) {
            InetAddress other = InetAddress.getByName("127.0.0.2");
            RawHttp.Reply plain = RawHttp.exchangeFrom(other, gateway.port(), RawMessage.get("/narrow-metrics").connectionClose());
            assertEquals(403, plain.status(), plain.head());
            assertTrue(plain.header("Content-Type").startsWith("application/json"));
            JsonNode body = JSON.readTree(plain.body());
            assertEquals("The metrics are not served to this address.", body.get("message").asText());
            RawHttp.Reply spoofed = RawHttp.exchangeFrom(other, gateway.port(), RawMessage.get("/narrow-metrics")
                    .header("X-Forwarded-For", "127.0.0.1").header("Forwarded", "for=127.0.0.1").header("X-Real-IP", "127.0.0.1")
                    .connectionClose());
            assertEquals(403, spoofed.status(), "a forwarded-for header does not open the endpoint");
            assertFalse(spoofed.bodyText().contains("jvm_"), spoofed.bodyText());
            RawHttp.Reply allowed = RawHttp.exchangeFrom(InetAddress.getByName("127.0.0.1"), gateway.port(),
                    RawMessage.get("/narrow-metrics").connectionClose());
            assertEquals(200, allowed.status());
            // The default list is loopback: 127.0.0.2 is in 127.0.0.0/8.
            assertEquals(200, RawHttp.exchangeFrom(other, gateway.port(), RawMessage.get("/metrics").connectionClose()).status());
            RawHttp.Reply post = send(gateway, RawMessage.post("/metrics", "text/plain", "x"));
            assertEquals(405, post.status());
            assertEquals("GET, HEAD", post.header("Allow"));
        }
    }

    @Test
    void traceContextIsForwardedUnchangedAndLogged() throws Exception {
        String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        try (LogCapture log = LogCapture.start(); GatewayServer gateway = gateway().start()) {
            assertEquals(200, send(gateway, RawMessage.get("/svc/t").header("traceparent", traceparent)
                    .header("tracestate", "vendor=opaque,other=x")).status());
            TestUpstream.Received received = upstream.next();
            assertEquals(traceparent, received.header("traceparent"));
            assertEquals("vendor=opaque,other=x", received.header("tracestate"));
            assertEquals(200, send(gateway, RawMessage.get("/svc/none")).status());
            assertNull(upstream.next().header("traceparent"), "no trace is started unless asked for");
            assertEquals(503, send(gateway, RawMessage.get("/dead/t").header("traceparent", traceparent).header("X-Request-Id", "dead-t"))
                    .status());
            assertTrue(log.awaitAccessLines(3, 5_000));
            assertEquals("0af7651916cd43dd8448eb211c80319c", lineFor(log, "/svc/t").get("traceId"));
            assertEquals("-", lineFor(log, "/svc/none").get("traceId"));
            assertTrue(log.lines().stream().anyMatch(l -> l.contains("upstream failure route=dead")
                    && l.endsWith("requestId=dead-t traceId=0af7651916cd43dd8448eb211c80319c")), log.text());
        }
    }

    @Test
    void aRouteMayStartTracesForRequestsWithoutAValidOne() throws Exception {
        try (LogCapture log = LogCapture.start(); GatewayServer gateway = GatewayServer.builder()
                .route("traced", "/traced/*", Map.of("upstream", upstream.url(), "startTrace", "true")).start()) {
            assertEquals(200, send(gateway, RawMessage.get("/traced/a").header("tracestate", "orphan=1")).status());
            TestUpstream.Received started = upstream.next();
            String traceId = TraceParent.traceId(started.header("traceparent"));
            assertNotNull(traceId, started.header("traceparent"));
            assertNull(started.header("tracestate"), "a tracestate without its traceparent belongs to no trace");
            assertEquals(200, send(gateway, RawMessage.get("/traced/b").header("traceparent", "00-zz-bad-01")).status());
            String replaced = upstream.next().header("traceparent");
            assertNotNull(TraceParent.traceId(replaced), replaced);
            String valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
            assertEquals(200, send(gateway, RawMessage.get("/traced/c").header("traceparent", valid)).status());
            assertEquals(valid, upstream.next().header("traceparent"), "a valid one is kept");
            assertTrue(log.awaitAccessLines(3, 5_000));
            assertEquals(traceId, lineFor(log, "/traced/a").get("traceId"));
        }
    }

    @Test
    void theAccessLogAndMetricsTurnOffPerRouteAndPerApplication() throws Exception {
        try (LogCapture log = LogCapture.start(); GatewayServer gateway = GatewayServer.builder()
                .contextParam("gatewar.accessLog", "false")
                .route("quiet", "/quiet/*", Map.of("upstream", upstream.url(), "metrics", "false"))
                .route("loud", "/loud/*", Map.of("upstream", upstream.url(), "accessLog", "true", "accessLogQuery", "true",
                        "accessLogUpstreamUrl", "true"))
                .servlet("metrics", MetricsServlet.class, "/metrics", Map.of()).start()) {
            assertEquals(200, send(gateway, RawMessage.get("/quiet/x")).status());
            upstream.next();
            assertEquals(404, send(gateway, RawMessage.get("/nowhere")).status());
            assertEquals(200, send(gateway, RawMessage.get("/loud/y?a=1%20b").header("X-Request-Id", "loud")).status());
            upstream.next();
            assertTrue(log.awaitAccessLines(1, 5_000));
            PrometheusScrape m = PrometheusScrape.awaitScrape(gateway.port(), "/metrics",
                    s -> s.sum("http_server_request_duration_seconds_count") >= 2, 5_000);
            List<String> lines = log.accessLines();
            assertEquals(1, lines.size(), "only the route that turned it back on logs: " + lines);
            Map<String, String> loud = parse(lines.get(0));
            assertEquals("a=1%20b", loud.get("query"));
            assertEquals(upstream.url(), loud.get("upstream"));
            assertTrue(m.samples("http_server_request_duration_seconds_count", "route", "quiet").isEmpty());
            assertEquals(1, m.value("http_server_request_duration_seconds_count", "route", "loud"));
            assertEquals(1, m.value("http_server_request_duration_seconds_count", "route", "-", "http_response_status_code", "404"));
        }
    }
}
