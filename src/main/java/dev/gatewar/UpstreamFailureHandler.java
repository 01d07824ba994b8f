package dev.gatewar;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Answers a failed exchange. An upstream failure (refused, reset, timeout, unknown host, TLS) becomes
 * {@code 503} with a JSON message that names the route, never the upstream's address, and one WARN
 * line with the route, the failure kind, the elapsed time and the request id. A failure after the
 * response was committed aborts the client connection instead, so a half-sent body can never look
 * complete. The upstream's own 5xx responses are not failures and never reach this class.
 */
final class UpstreamFailureHandler {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamFailureHandler.class);
    private static final String FAILURE_ATTRIBUTE = UpstreamFailureHandler.class.getName() + ".failure";
    private static final String CLIENT_FAILURE_ATTRIBUTE = UpstreamFailureHandler.class.getName() + ".clientFailure";

    private final String route;

    UpstreamFailureHandler(String route) {
        this.route = route;
    }

    /** Records that reading the client's body failed, so the exchange's failure is not blamed on the upstream. */
    void clientFailed(HttpServletRequest request, Throwable failure) {
        request.setAttribute(CLIENT_FAILURE_ATTRIBUTE, failure);
    }

    /** The status a failure of the client's side is answered with, when the client still listens. */
    static int clientFailureStatus(Throwable failure) {
        return failure instanceof TimeoutException ? HttpServletResponse.SC_REQUEST_TIMEOUT : HttpServletResponse.SC_BAD_REQUEST;
    }

    /** Logs the failure once; {@link #respond} then answers it. */
    void exchangeFailed(HttpServletRequest request, Throwable failure, long startNanos) {
        String requestId = RequestId.of(request);
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        Object clientFailure = request.getAttribute(CLIENT_FAILURE_ATTRIBUTE);
        if (clientFailure != null) {
            LOG.info("client request failed route={} method={} elapsedMs={} requestId={} cause={}",
                    route, request.getMethod(), elapsedMs, requestId, clientFailure.getClass().getSimpleName());
            return;
        }
        FailureKind kind = FailureKind.of(failure);
        request.setAttribute(FAILURE_ATTRIBUTE, kind);
        LOG.warn("upstream failure route={} kind={} method={} elapsedMs={} requestId={}",
                route, kind.logName(), request.getMethod(), elapsedMs, requestId);
        LOG.debug("upstream failure detail requestId={}", requestId, failure);
    }

    /**
     * Sends the error response, or aborts the connection when the response is already committed.
     * Completes the request's async cycle in every case.
     */
    void respond(HttpServletRequest request, HttpServletResponse response, int status) {
        try {
            if (response.isCommitted()) {
                abortConnection(request, response);
            } else {
                JsonErrorResponse.send(response, status, message(request, status), RequestId.of(request), true);
            }
        } catch (IOException | RuntimeException e) {
            // The client is gone or the container refused; nothing more can be told to anyone.
            LOG.debug("could not send the error response requestId={}", RequestId.of(request), e);
        } finally {
            if (request.isAsyncStarted()) {
                request.getAsyncContext().complete();
            }
        }
    }

    private String message(HttpServletRequest request, int status) {
        Object kind = request.getAttribute(FAILURE_ATTRIBUTE);
        if (kind instanceof FailureKind failureKind) {
            return failureKind.message(route);
        }
        return switch (status) {
            case HttpServletResponse.SC_REQUEST_TIMEOUT -> "The request body did not arrive in time.";
            case HttpServletResponse.SC_BAD_REQUEST -> "The request body could not be read.";
            default -> FailureKind.OTHER.message(route);
        };
    }

    /**
     * Closes the client connection without completing the message: the client must see an
     * incomplete response, never a complete-looking shorter one.
     */
    private static void abortConnection(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // Jetty aborts the channel on sendError(-1); Tomcat refuses it on a committed response.
        response.sendError(-1);
    }
}
