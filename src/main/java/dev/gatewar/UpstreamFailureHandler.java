package dev.gatewar;

import jakarta.servlet.DispatcherType;
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
    private static final String ABORT_ATTRIBUTE = UpstreamFailureHandler.class.getName() + ".abort";
    private static final String TOMCAT_CLIENT_ABORT = "org.apache.catalina.connector.ClientAbortException";

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
        boolean complete = true;
        try {
            if (response.isCommitted()) {
                complete = abortConnection(request, response);
            } else {
                JsonErrorResponse.send(response, status, message(request, status), RequestId.of(request), true);
            }
        } catch (IOException | RuntimeException e) {
            // The client is gone or the container refused; nothing more can be told to anyone.
            LOG.debug("could not send the error response requestId={}", RequestId.of(request), e);
        } finally {
            if (complete && request.isAsyncStarted()) {
                request.getAsyncContext().complete();
            }
        }
    }

    /** True when this request was dispatched again only to fail it (see {@link #abortConnection}). */
    static boolean isAbortDispatch(HttpServletRequest request) {
        return request.getDispatcherType() == DispatcherType.ASYNC && request.getAttribute(ABORT_ATTRIBUTE) != null;
    }

    /**
     * The exception that fails an abort dispatch. On Tomcat it is Tomcat's own client-abort
     * exception, which Tomcat takes as "close the connection" without logging a stack trace.
     */
    static IOException abortException(HttpServletRequest request) {
        String message = "upstream failed after the response was committed; aborting requestId=" + RequestId.of(request);
        try {
            Class<?> tomcatAbort = Class.forName(TOMCAT_CLIENT_ABORT, false, UpstreamFailureHandler.class.getClassLoader());
            return (IOException) tomcatAbort.getConstructor(String.class).newInstance(message);
        } catch (ReflectiveOperationException | ClassCastException | LinkageError notTomcat) {
            return new IOException(message);
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
     * incomplete response, never a complete-looking shorter one. The Servlet API has no call for
     * this (jakartaee/servlet#98): Jetty aborts on {@code sendError(-1)}; Tomcat refuses that on a
     * committed response but closes the connection when a dispatch fails on one, so the request is
     * dispatched back to the servlet, which throws.
     *
     * @return whether the caller still has to complete the async cycle
     */
    private static boolean abortConnection(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            response.sendError(-1);
            return true;
        } catch (IllegalStateException committedOnThisContainer) {
            request.setAttribute(ABORT_ATTRIBUTE, Boolean.TRUE);
            request.getAsyncContext().dispatch();
            return false;
        }
    }
}
