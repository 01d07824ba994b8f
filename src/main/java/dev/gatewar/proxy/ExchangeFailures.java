package dev.gatewar.proxy;

import dev.gatewar.exchange.Exchange;
import dev.gatewar.exchange.FailureKind;
import dev.gatewar.exchange.JsonErrorResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * Answers a failed exchange. An upstream failure (refused, reset, timeout, unknown host, TLS) becomes
 * {@code 503} with a JSON message that names the route, never the upstream's address, and one WARN
 * line with the route, the failure kind, the elapsed time and the request id. A failure after the
 * response was committed cuts the client connection instead ({@link ConnectionAbort}). The
 * upstream's own 5xx responses are not failures and never reach this class.
 */
public final class ExchangeFailures {
    private static final Logger LOG = LoggerFactory.getLogger(ExchangeFailures.class);

    private final String route;
    private final ConnectionAbort abort;

    public ExchangeFailures(String route, ConnectionAbort abort) {
        this.route = route;
        this.abort = abort;
    }

    /** The status a failure of the client's side is answered with, when the client still listens. */
    public static int clientFailureStatus(Throwable failure) {
        return failure instanceof TimeoutException ? HttpServletResponse.SC_REQUEST_TIMEOUT : HttpServletResponse.SC_BAD_REQUEST;
    }

    /** Logs the failure once, blaming the client when reading its request had failed; {@link #respond} then answers it. */
    public void exchangeFailed(HttpServletRequest request, Throwable failure) {
        Exchange exchange = Exchange.of(request);
        Throwable clientFailure = exchange.clientFailure();
        if (clientFailure != null) {
            LOG.info("client request failed route={} method={} elapsedMs={} requestId={} cause={}",
                    route, request.getMethod(), exchange.elapsedMs(), exchange.requestId(), clientFailure.getClass().getSimpleName());
            return;
        }
        FailureKind kind = FailureKind.of(failure);
        exchange.upstreamFailed(kind);
        LOG.warn("upstream failure route={} kind={} method={} elapsedMs={} requestId={}",
                route, kind.logName(), request.getMethod(), exchange.elapsedMs(), exchange.requestId());
        LOG.debug("upstream failure detail requestId={}", exchange.requestId(), failure);
    }

    /**
     * Sends the error response, or cuts the connection when the response is already committed.
     * Completes the request's async cycle in every case.
     */
    public void respond(HttpServletRequest request, HttpServletResponse response, int status) {
        Exchange exchange = Exchange.of(request);
        boolean complete = true;
        try {
            if (response.isCommitted()) {
                complete = abort.abort(request, response);
            } else {
                JsonErrorResponse.send(response, status, message(exchange, status), exchange.requestId(), true);
            }
        } catch (IOException | RuntimeException e) {
            // The client is gone or the container refused; nothing more can be told to anyone.
            LOG.debug("could not send the error response requestId={}", exchange.requestId(), e);
        } finally {
            if (complete && request.isAsyncStarted()) {
                request.getAsyncContext().complete();
            }
        }
    }

    private String message(Exchange exchange, int status) {
        FailureKind kind = exchange.upstreamFailure();
        if (kind != null) {
            return kind.message(route);
        }
        return switch (status) {
            case HttpServletResponse.SC_REQUEST_TIMEOUT -> "The request body did not arrive in time.";
            case HttpServletResponse.SC_BAD_REQUEST -> "The request body could not be read.";
            default -> FailureKind.OTHER.message(route);
        };
    }
}
