package dev.gatewar.proxy;

import dev.gatewar.exchange.Exchange;
import dev.gatewar.exchange.FailureKind;
import dev.gatewar.exchange.JsonErrorResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeoutException;

/**
 * Answers a failed exchange, blaming the party that failed.
 *
 * <ul>
 *   <li>The upstream (refused, reset, timeout, unknown host, TLS): {@code 503} with a JSON message
 *   that names the route, never the upstream's address, and one WARN {@code upstream failure} line
 *   with the route, the kind, the elapsed time and the request id.</li>
 *   <li>The client (its body could not be read or stopped arriving, it went away, it stopped reading):
 *   {@code 400} or {@code 408} JSON if it still listens, and one INFO {@code client aborted} or
 *   {@code client timed out} line. Never counted against the upstream.</li>
 * </ul>
 *
 * A failure after the response was committed cuts the client connection instead
 * ({@link ConnectionAbort}), so a half-sent body never looks complete. The upstream's own 5xx
 * responses are not failures and never reach this class.
 */
public final class ExchangeFailures {
    private static final Logger LOG = LoggerFactory.getLogger(ExchangeFailures.class);

    private final String route;
    private final ConnectionAbort abort;

    public ExchangeFailures(String route, ConnectionAbort abort) {
        this.route = route;
        this.abort = abort;
    }

    /** True when {@code failure} is, or was caused by, something taking too long. */
    public static boolean isTimeout(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TimeoutException || t instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** The status a failure of the client's side is answered with, when the client still listens. */
    public static int clientFailureStatus(Throwable failure) {
        return isTimeout(failure) ? HttpServletResponse.SC_REQUEST_TIMEOUT : HttpServletResponse.SC_BAD_REQUEST;
    }

    /** Logs a failure of the client's side once, at INFO. */
    public void logClientFailure(Exchange exchange, Throwable failure) {
        LOG.info("client {} route={} method={} elapsedMs={} requestId={} cause={}", isTimeout(failure) ? "timed out" : "aborted",
                route, exchange.method(), exchange.elapsedMs(), exchange.requestId(), failure.getClass().getSimpleName());
        LOG.debug("client failure detail requestId={}", exchange.requestId(), failure);
    }

    /** Logs an upstream failure once, at WARN, and records its kind for {@link #respond}. */
    public void logUpstreamFailure(Exchange exchange, Throwable failure) {
        FailureKind kind = FailureKind.of(failure);
        exchange.upstreamFailed(kind);
        // The trace id, when the request has one, comes last, after the request id that every line has.
        LOG.warn("upstream failure route={} kind={} method={} elapsedMs={} tries={} upstreams={} requestId={}{}",
                route, kind.logName(), exchange.method(), exchange.elapsedMs(), exchange.tries(), exchange.triedUpstreamList(),
                exchange.requestId(), exchange.traceId() == null ? "" : " traceId=" + exchange.traceId());
        LOG.debug("upstream failure detail requestId={}", exchange.requestId(), failure);
    }

    /** One more try follows a failed one: a DEBUG line, the failure is not the exchange's yet. */
    public void logRetry(Exchange exchange, int nextUpstream, Throwable failure) {
        LOG.debug("retrying route={} try={} upstream={} after={} requestId={}",
                route, exchange.tries() + 1, nextUpstream, FailureKind.of(failure).logName(), exchange.requestId());
    }

    /** An upstream was taken out of rotation. */
    public void logEjection(int upstream, long forMs, int failures) {
        LOG.warn("upstream ejected route={} upstream={} forMs={} failures={}", route, upstream, forMs, failures);
    }

    /**
     * Answers a failure of the client's side and completes the request's async cycle. A response
     * already under way is cut when {@code cutIfCommitted} (a write to the client failed or stalled);
     * otherwise a committed response is left alone (a container that failed the read answers it
     * itself, as Tomcat does).
     */
    public void answerClientFailure(HttpServletRequest request, HttpServletResponse response, Exchange exchange,
                                    Throwable failure, boolean cutIfCommitted) {
        boolean complete = true;
        try {
            if (!response.isCommitted()) {
                int status = clientFailureStatus(failure);
                JsonErrorResponse.send(response, status, clientMessage(status), exchange, true);
            } else if (cutIfCommitted) {
                complete = abort.abort(request, response);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not answer the client failure requestId={}", exchange.requestId(), e);
        } finally {
            completeIfAsync(request, complete);
        }
    }

    /**
     * Answers an upstream failure: the error response, or a cut connection when the response is
     * already committed. Completes the request's async cycle in every case.
     */
    public void respond(HttpServletRequest request, HttpServletResponse response, int status) {
        Exchange exchange = Exchange.of(request);
        boolean complete = true;
        try {
            if (response.isCommitted()) {
                complete = abort.abort(request, response);
            } else {
                FailureKind kind = exchange.upstreamFailure();
                String message = kind != null ? kind.message(route) : FailureKind.OTHER.message(route);
                JsonErrorResponse.send(response, status, message, exchange, true);
            }
        } catch (IOException | RuntimeException e) {
            // The client is gone or the container refused; nothing more can be told to anyone.
            LOG.debug("could not send the error response requestId={}", exchange.requestId(), e);
        } finally {
            completeIfAsync(request, complete);
        }
    }

    private static void completeIfAsync(HttpServletRequest request, boolean complete) {
        if (complete && request.isAsyncStarted()) {
            request.getAsyncContext().complete();
        }
    }

    private static String clientMessage(int status) {
        return status == HttpServletResponse.SC_REQUEST_TIMEOUT
                ? "The request body did not arrive in time."
                : "The request body could not be read.";
    }
}
