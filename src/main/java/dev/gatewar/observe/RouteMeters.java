package dev.gatewar.observe;

import dev.gatewar.exchange.FailureKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One route's meters, named after OpenTelemetry's HTTP semantic conventions where one exists. Every
 * label value comes from a bounded set (the route's name, an upstream's index, a method from the
 * standard list, a status code, a failure kind), never from the request's path or the client's
 * values, so the number of series cannot grow with traffic. The meters a request needs are looked up
 * in caches keyed by small integers: no tags are built per request once a combination was seen.
 */
public final class RouteMeters {
    /** The label of exchanges no route served (a path no route matches, a body refused before routing). */
    public static final String NO_ROUTE = "-";

    /** OpenTelemetry's default buckets for HTTP durations, seconds. */
    private static final Duration[] BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10);
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"};
    private static final String OTHER_METHOD = "_OTHER";
    private static final FailureKind[] KINDS = FailureKind.values();
    private static final String CLIENT_ABORT = "client_abort";

    /** What became of a body read into memory, for {@code gatewar.json.bodies}. */
    public enum BodyOutcome {
        ACCEPTED("accepted"), REPLACED("replaced"), TOO_LARGE("too_large"), MALFORMED("malformed"),
        TIMEOUT("timeout"), UNREADABLE("unreadable");

        final String label;

        BodyOutcome(String label) {
            this.label = label;
        }
    }

    private final MeterRegistry registry;
    private final String route;
    private final List<Meter> registered = new ArrayList<>();
    private final ConcurrentHashMap<Integer, Timer> serverDurations = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, Timer> clientDurations = new ConcurrentHashMap<>();
    private final AtomicInteger active = new AtomicInteger();
    private final Counter requestBytes;
    private final Counter responseBytes;
    private final Counter[] bodyOutcomes;
    private final Counter[] retries;
    private final Counter[] ejections;
    private final Counter[][] failures;

    /**
     * @param upstreams   how many upstreams the route has (0 for {@link #NO_ROUTE})
     * @param connections the route's upstream connections, for the pool gauges; null for none
     */
    public RouteMeters(MeterRegistry registry, String route, int upstreams, UpstreamConnections connections) {
        this.registry = registry;
        this.route = route;
        Tags routeTag = Tags.of("route", route);
        if (upstreams > 0) {
            keep(Gauge.builder("http.server.active_requests", active, AtomicInteger::get).tags(routeTag)
                    .description("Requests the route is serving now").strongReference(true).register(registry));
        }
        this.requestBytes = keep(Counter.builder("gatewar.request.body").baseUnit("bytes").tags(routeTag)
                .description("Request body bytes read from clients").register(registry));
        this.responseBytes = keep(Counter.builder("gatewar.response.body").baseUnit("bytes").tags(routeTag)
                .description("Response body bytes written to clients").register(registry));
        BodyOutcome[] outcomes = BodyOutcome.values();
        this.bodyOutcomes = new Counter[outcomes.length];
        for (BodyOutcome outcome : outcomes) {
            bodyOutcomes[outcome.ordinal()] = keep(Counter.builder("gatewar.json.bodies").tags(routeTag).tag("outcome", outcome.label)
                    .description("JSON and form bodies JsonBodyFilter read, by what became of them").register(registry));
        }
        this.retries = new Counter[upstreams];
        this.ejections = new Counter[upstreams];
        this.failures = new Counter[upstreams][KINDS.length];
        for (int i = 0; i < upstreams; i++) {
            Tags upstreamTags = routeTag.and("upstream", Integer.toString(i));
            retries[i] = keep(Counter.builder("gatewar.upstream.retries").tags(upstreamTags)
                    .description("Tries after the first, by the upstream they went to").register(registry));
            ejections[i] = keep(Counter.builder("gatewar.upstream.ejections").tags(upstreamTags)
                    .description("Times the upstream was taken out of rotation").register(registry));
            for (FailureKind kind : KINDS) {
                failures[i][kind.ordinal()] = keep(Counter.builder("gatewar.upstream.failures").tags(upstreamTags)
                        .tag("error.type", kind.errorType())
                        .description("Tries that failed without a usable response, by kind").register(registry));
            }
            if (connections != null) {
                int upstream = i;
                keep(Gauge.builder("gatewar.upstream.connections", connections, c -> c.active(upstream)).tags(upstreamTags)
                        .tag("state", "active").description("Pooled connections to the upstream, by state")
                        .strongReference(true).register(registry));
                keep(Gauge.builder("gatewar.upstream.connections", connections, c -> c.idle(upstream)).tags(upstreamTags)
                        .tag("state", "idle").description("Pooled connections to the upstream, by state")
                        .strongReference(true).register(registry));
            }
        }
    }

    /** The pool gauges' source: read when the metrics are scraped, never per request. */
    public interface UpstreamConnections {
        double active(int upstream);

        double idle(int upstream);
    }

    public void exchangeStarted() {
        active.incrementAndGet();
    }

    /** Records a finished exchange; {@code wasActive} when {@link #exchangeStarted} counted it. */
    public void exchangeEnded(String method, int status, Outcome outcome, long nanos, long received, long sent,
                              BodyOutcome body, boolean wasActive) {
        if (wasActive) {
            active.decrementAndGet();
        }
        int methodIndex = methodIndex(method);
        int key = (methodIndex << 16) | ((status & 0x3ff) << 4) | outcome.ordinal();
        Timer timer = serverDurations.get(key);
        if (timer == null) {
            timer = serverDurations.computeIfAbsent(key, k -> keep(timer("http.server.request.duration")
                    .description("Requests the gateway answered, from arrival to the end of the response")
                    .tag("http.request.method", methodIndex < METHODS.length ? METHODS[methodIndex] : OTHER_METHOD)
                    .tag("http.response.status_code", Integer.toString(status))
                    .tag("outcome", outcome.label())
                    .register(registry)));
        }
        timer.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (received > 0) {
            requestBytes.increment(received);
        }
        if (sent > 0) {
            responseBytes.increment(sent);
        }
        if (body != null) {
            bodyOutcomes[body.ordinal()].increment();
        }
    }

    /**
     * Records one try on an upstream: the response it gave ({@code status} > 0), the failure that ended
     * it (null for none), or the client's failure that cut it short.
     */
    public void tryEnded(int upstream, int status, FailureKind failure, boolean clientAborted, long nanos) {
        int error = clientAborted ? KINDS.length + 1 : failure != null ? failure.ordinal() + 1 : 0;
        int key = (upstream << 16) | ((status & 0x3ff) << 4) | error;
        Timer timer = clientDurations.get(key);
        if (timer == null) {
            timer = clientDurations.computeIfAbsent(key, k -> keep(timer("http.client.request.duration")
                    .description("Tries on upstreams, from the start of the request to the end of the response")
                    .tag("upstream", Integer.toString(upstream))
                    .tag("http.response.status_code", status > 0 ? Integer.toString(status) : "")
                    .tag("error.type", clientAborted ? CLIENT_ABORT : failure != null ? failure.errorType()
                            : status >= 500 ? Integer.toString(status) : "")
                    .register(registry)));
        }
        timer.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (failure != null && !clientAborted) {
            failures[upstream][failure.ordinal()].increment();
        }
    }

    public void retried(int upstream) {
        retries[upstream].increment();
    }

    public void ejected(int upstream) {
        ejections[upstream].increment();
    }

    /** The meters this route registered, to remove when the route goes away. */
    public synchronized List<Meter> meters() {
        return List.copyOf(registered);
    }

    private Timer.Builder timer(String name) {
        return Timer.builder(name).tag("route", route).serviceLevelObjectives(BUCKETS).publishPercentileHistogram(false);
    }

    private synchronized <M extends Meter> M keep(M meter) {
        registered.add(meter);
        return meter;
    }

    private static int methodIndex(String method) {
        for (int i = 0; i < METHODS.length; i++) {
            if (METHODS[i].equals(method)) {
                return i;
            }
        }
        return METHODS.length;
    }

    private static Duration[] seconds(double... values) {
        Duration[] durations = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            durations[i] = Duration.ofNanos((long) (values[i] * 1e9));
        }
        return durations;
    }
}
