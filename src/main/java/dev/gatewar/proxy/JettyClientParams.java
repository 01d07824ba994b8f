package dev.gatewar.proxy;

import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;

import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * The one place that renders a route's typed settings as the init-params Jetty's
 * {@code AbstractProxyServlet} reads, so that its {@code init()} and {@code createHttpClient()} are
 * reused rather than copied.
 *
 * <p>Threads: by default the client runs on the container's own thread pool when the container lends
 * it (Jetty does, as a context attribute), as Jetty's stock proxy servlet does: one pool means fewer
 * hand-offs between threads per exchange. Elsewhere (Tomcat), or with {@code maxThreads} set, the
 * route gets a private pool.
 */
public final class JettyClientParams implements ServletConfig {
    /** Where Jetty's servlet contexts lend the server's executor (read by AbstractProxyServlet). */
    static final String SERVER_EXECUTOR = "org.eclipse.jetty.server.Executor";

    private final ServletConfig delegate;
    private final Map<String, String> params;

    public JettyClientParams(ServletConfig delegate, RouteSettings settings) {
        this.delegate = delegate;
        Map<String, String> p = new LinkedHashMap<>();
        RouteSettings.ClientThreads threads = settings.clientThreads();
        boolean executorLent = delegate.getServletContext().getAttribute(SERVER_EXECUTOR) instanceof Executor;
        if (!(threads.shareContainerPool() && executorLent)) {
            p.put("maxThreads", Integer.toString(threads.privatePoolSize()));
        }
        p.put("maxConnections", Integer.toString(settings.maxConnectionsPerUpstream()));
        p.put("idleTimeout", Long.toString(settings.responseTimeoutMs()));
        // No cap on a whole exchange: a long download or an event stream is fine while bytes flow.
        p.put("timeout", "0");
        p.put("preserveHost", Boolean.toString(settings.preserveHost()));
        if (settings.hostHeader() != null) {
            p.put(RouteSettings.HOST_HEADER, settings.hostHeader());
        }
        p.put(RouteSettings.VIA_HOST, settings.viaHost());
        settings.requestBufferSize().ifPresent(size -> p.put(RouteSettings.REQUEST_BUFFER_SIZE, Integer.toString(size)));
        p.put(RouteSettings.RESPONSE_BUFFER_SIZE, Integer.toString(settings.responseBufferSize()));
        settings.maxRequestHeadersSize().ifPresent(size -> p.put(RouteSettings.MAX_REQUEST_HEADERS_SIZE, Integer.toString(size)));
        settings.maxResponseHeadersSize().ifPresent(size -> p.put(RouteSettings.MAX_RESPONSE_HEADERS_SIZE, Integer.toString(size)));
        settings.selectors().ifPresent(count -> p.put(RouteSettings.SELECTORS, Integer.toString(count)));
        this.params = Collections.unmodifiableMap(p);
    }

    @Override
    public String getServletName() {
        return delegate.getServletName();
    }

    @Override
    public ServletContext getServletContext() {
        return delegate.getServletContext();
    }

    @Override
    public String getInitParameter(String name) {
        return params.get(name);
    }

    @Override
    public Enumeration<String> getInitParameterNames() {
        return Collections.enumeration(params.keySet());
    }
}
