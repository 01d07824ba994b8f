package dev.gatewar;

import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;

import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * Presents the validated settings to Jetty's {@code AbstractProxyServlet} under Jetty's own
 * init-param names, so its {@code createHttpClient()} is reused rather than copied.
 *
 * <p>Threads: with {@code maxThreads} unset, the client runs on the container's own thread pool when
 * the container lends it (Jetty does, as a context attribute), as Jetty's stock proxy servlet does:
 * one pool means fewer hand-offs between threads per exchange. Elsewhere (Tomcat), or with
 * {@code maxThreads} set, the route gets a private pool of that size.
 */
final class JettyProxyConfig implements ServletConfig {
    /** Where Jetty's servlet contexts lend the server's executor (read by AbstractProxyServlet). */
    static final String SERVER_EXECUTOR = "org.eclipse.jetty.server.Executor";

    private final ServletConfig delegate;
    private final Map<String, String> params;

    JettyProxyConfig(ServletConfig delegate, ProxySettings settings) {
        this.delegate = delegate;
        Map<String, String> p = new LinkedHashMap<>(settings.jettyParams());
        if (settings.maxThreads() > 0 || !(delegate.getServletContext().getAttribute(SERVER_EXECUTOR) instanceof Executor)) {
            p.put("maxThreads", Integer.toString(settings.maxThreads() > 0 ? settings.maxThreads() : ProxySettings.DEFAULT_MAX_THREADS));
        }
        p.put("maxConnections", Integer.toString(settings.maxConnectionsPerUpstream()));
        p.put("idleTimeout", Long.toString(settings.responseTimeoutMs()));
        // No cap on a whole exchange: a long download or an event stream is fine while bytes flow.
        p.put("timeout", "0");
        p.put("preserveHost", Boolean.toString(settings.preserveHost()));
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
