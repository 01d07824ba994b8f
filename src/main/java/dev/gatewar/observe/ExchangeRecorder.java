package dev.gatewar.observe;

import dev.gatewar.body.BodyVerdict;
import dev.gatewar.body.BufferedBody;
import dev.gatewar.exchange.Exchange;
import dev.gatewar.exchange.OnExchangeEnd;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletResponse;

import java.net.URI;
import java.util.List;

/**
 * Reports each exchange once, when it is over: one line on the {@value #ACCESS_LOGGER} logger and the
 * meters of the component that ended it (a route; or, for the exchanges the gateway answered before
 * or without a route, the web application's {@link RouteMeters#NO_ROUTE} meters).
 */
public final class ExchangeRecorder {
    public static final String ACCESS_LOGGER = "gatewar.access";
    private static final AccessLog ACCESS = AccessLog.named(ACCESS_LOGGER, ExchangeRecorder.class, "ended");

    private final String route;
    private final ObservationSettings settings;
    private final RouteMeters meters;
    private final List<URI> upstreamUrls;

    /**
     * @param meters       null when the component's metrics are off
     * @param upstreamUrls the route's upstreams, by index; empty for no route
     */
    public ExchangeRecorder(String route, ObservationSettings settings, RouteMeters meters, List<URI> upstreamUrls) {
        this.route = route;
        this.settings = settings;
        this.meters = meters;
        this.upstreamUrls = List.copyOf(upstreamUrls);
    }

    /** The route's meters; null when its metrics are off. */
    public RouteMeters meters() {
        return meters;
    }

    /** A route begins serving the exchange: it counts as active until {@link #ended}. */
    public void started() {
        if (meters != null) {
            meters.exchangeStarted();
        }
    }

    /** Reports the exchange, unless it was reported already. */
    public void ended(Exchange exchange, HttpServletResponse response) {
        ended(exchange, response.getStatus());
    }

    /** Reports the exchange with {@code status}, unless it was reported already. */
    public void ended(Exchange exchange, int status) {
        if (!exchange.end()) {
            return;
        }
        Outcome outcome = Outcome.of(exchange);
        long nanos = System.nanoTime() - exchange.startNanos();
        if (meters != null) {
            meters.exchangeEnded(exchange.method(), status, outcome, nanos, exchange.receivedBytes(), exchange.sentBytes(),
                    bodyOutcome(exchange), exchange.route() != null);
        }
        if (settings.accessLog() && ACCESS.isEnabled()) {
            ACCESS.write(line(exchange, status, outcome, nanos));
        }
    }

    /** Calls {@link #ended} when the request's async cycle completes, however it completes. */
    public AsyncListener endListener(Exchange exchange) {
        return new OnExchangeEnd(event -> ended(exchange, (HttpServletResponse) event.getSuppliedResponse()));
    }

    private String line(Exchange exchange, int status, Outcome outcome, long nanos) {
        AccessLogLine line = new AccessLogLine().time(exchange.startMillis())
                .field("requestId", exchange.requestId())
                .field("route", route)
                .field("method", exchange.method())
                .quotedField("path", exchange.path());
        if (settings.logQuery()) {
            line.field("query", exchange.query());
        }
        int upstream = exchange.upstream();
        long upstreamNanos = exchange.upstreamNanos();
        line.field("status", status)
                .field("received", exchange.receivedBytes())
                .field("sent", exchange.sentBytes())
                .field("upstream", upstream < 0 ? null
                        : settings.logUpstreamUrl() ? upstreamUrls.get(upstream).toString() : Integer.toString(upstream))
                .field("tries", exchange.tries())
                .field("upstreamMs", upstreamNanos < 0 ? null : Long.toString(upstreamNanos / 1_000_000))
                .field("totalMs", nanos / 1_000_000)
                .field("outcome", outcome.label())
                .field("traceId", exchange.traceId());
        return line.toString();
    }

    private static RouteMeters.BodyOutcome bodyOutcome(Exchange exchange) {
        BodyVerdict.Refused refused = exchange.bodyRefusal();
        if (refused != null) {
            if (refused.status() == HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE) {
                return RouteMeters.BodyOutcome.TOO_LARGE;
            }
            if (refused.clientFailure() != null) {
                return refused.status() == HttpServletResponse.SC_REQUEST_TIMEOUT
                        ? RouteMeters.BodyOutcome.TIMEOUT : RouteMeters.BodyOutcome.UNREADABLE;
            }
            return RouteMeters.BodyOutcome.MALFORMED;
        }
        BufferedBody body = exchange.bufferedBody();
        if (body == null) {
            return null;
        }
        return body.replaced() ? RouteMeters.BodyOutcome.REPLACED : RouteMeters.BodyOutcome.ACCEPTED;
    }
}
