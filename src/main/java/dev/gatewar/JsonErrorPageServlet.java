package dev.gatewar;

import dev.gatewar.exchange.Exchange;
import dev.gatewar.exchange.JsonErrorResponse;
import dev.gatewar.observe.GatewayObserver;
import jakarta.servlet.ServletException;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.net.SocketTimeoutException;

/**
 * Renders the container's own error responses (an unmapped path, a URI the container refuses) in the
 * gateway's JSON shape instead of the container's HTML page. Registered as the web application's
 * {@code <error-page>}; it never shows an exception's text.
 */
public class JsonErrorPageServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final String TOMCAT_BAD_REQUEST = "org.apache.coyote.BadRequestException";

    private transient GatewayObserver observer;

    @Override
    public void init() throws ServletException {
        this.observer = GatewayObserver.open(getServletContext());
    }

    @Override
    public void destroy() {
        if (observer != null) {
            observer.close();
            observer = null;
        }
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (response.isCommitted()) {
            // Part of a response is already on its way (an aborted proxy exchange): nothing to add.
            return;
        }
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = clientFaultStatus(request.getAttribute(RequestDispatcher.ERROR_EXCEPTION),
                code instanceof Integer value ? value : HttpServletResponse.SC_NOT_FOUND);
        Exchange exchange = Exchange.of(request);
        try {
            JsonErrorResponse.send(response, status, messageFor(status), exchange, status >= 500);
        } catch (IOException clientGone) {
            // The client went away (Tomcat error-dispatches a failed read): there is no one to tell.
        } finally {
            if (!exchange.isEndWatched()) {
                observer.recorder().ended(exchange, response); // no route took it: the container's own error
            }
        }
    }

    /**
     * Tomcat error-dispatches a request whose body could not be read with status 500; the exception
     * says it was the client's fault. Compared by name: the WAR links against no container.
     */
    private static int clientFaultStatus(Object exception, int status) {
        for (Throwable t = exception instanceof Throwable th ? th : null; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getClass().getName().equals(TOMCAT_BAD_REQUEST)) {
                return HttpServletResponse.SC_BAD_REQUEST;
            }
            if (t instanceof SocketTimeoutException) {
                return HttpServletResponse.SC_REQUEST_TIMEOUT;
            }
        }
        return status;
    }

    static String messageFor(int status) {
        return switch (status) {
            case 400 -> "The request is malformed.";
            case 404 -> "No route matches this path.";
            case 405 -> "This method is not allowed here.";
            case 408 -> "The request did not arrive in time.";
            case 413 -> "The request body is too large.";
            case 414 -> "The request target is too long.";
            case 431 -> "The request headers are too large.";
            default -> status >= 500 ? "The gateway failed to handle the request." : "The request cannot be handled (status " + status + ").";
        };
    }
}
