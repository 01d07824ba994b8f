package dev.gatewar.proxy;

import dev.gatewar.exchange.Exchange;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.lang.reflect.Constructor;

/**
 * Cuts the client connection without completing the message, for a failure after the response was
 * committed: the client must see an incomplete response, never a complete-looking shorter one. The
 * Servlet API has no call for this (jakartaee/servlet#98), so each container gets its own way, chosen
 * once when the route starts.
 */
public abstract sealed class ConnectionAbort {

    /** The way that works on the container serving {@code context}. */
    public static ConnectionAbort forContainer(ServletContext context) {
        String server = context.getServerInfo();
        return server != null && server.toLowerCase(java.util.Locale.ROOT).startsWith("jetty/")
                ? new SendErrorMinusOne() : new FailedDispatch();
    }

    /**
     * Starts the abort.
     *
     * @return whether the caller still has to complete the async cycle
     */
    abstract boolean abort(HttpServletRequest request, HttpServletResponse response) throws IOException;

    /**
     * True when this dispatch of the request exists only to fail it: the servlet must then throw
     * {@link #failure}, and do nothing else.
     */
    public boolean isAbortDispatch(HttpServletRequest request) {
        return false;
    }

    /** The exception that fails an abort dispatch. */
    public IOException failure(HttpServletRequest request) {
        return new IOException("upstream failed after the response was committed; aborting requestId="
                + Exchange.of(request).requestId());
    }

    /** Jetty aborts the connection on {@code sendError(-1)}, committed or not. */
    static final class SendErrorMinusOne extends ConnectionAbort {
        @Override
        boolean abort(HttpServletRequest request, HttpServletResponse response) throws IOException {
            response.sendError(-1);
            return true;
        }
    }

    /**
     * Tomcat refuses {@code sendError} on a committed response, but closes the connection without the
     * last chunk when a dispatch of it fails: the request is dispatched back to the servlet, which
     * throws. Tomcat's own {@code ClientAbortException} is thrown where it exists, because Tomcat
     * takes it as "close the connection" without logging a stack trace.
     */
    static final class FailedDispatch extends ConnectionAbort {
        private static final String TOMCAT_CLIENT_ABORT = "org.apache.catalina.connector.ClientAbortException";
        private final Constructor<? extends IOException> quietFailure = tomcatClientAbort();

        @SuppressWarnings("unchecked")
        private static Constructor<? extends IOException> tomcatClientAbort() {
            try {
                Class<?> type = Class.forName(TOMCAT_CLIENT_ABORT, false, ConnectionAbort.class.getClassLoader());
                return IOException.class.isAssignableFrom(type) ? (Constructor<? extends IOException>) type.getConstructor(String.class) : null;
            } catch (ReflectiveOperationException | LinkageError notTomcat) {
                return null;
            }
        }

        @Override
        boolean abort(HttpServletRequest request, HttpServletResponse response) {
            Exchange.of(request).aborting();
            request.getAsyncContext().dispatch();
            return false;
        }

        @Override
        public boolean isAbortDispatch(HttpServletRequest request) {
            return request.getDispatcherType() == DispatcherType.ASYNC && Exchange.of(request).isAborting();
        }

        @Override
        public IOException failure(HttpServletRequest request) {
            IOException plain = super.failure(request);
            if (quietFailure == null) {
                return plain;
            }
            try {
                return quietFailure.newInstance(plain.getMessage());
            } catch (ReflectiveOperationException e) {
                return plain;
            }
        }
    }
}
