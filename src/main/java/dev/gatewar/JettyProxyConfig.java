package dev.gatewar;

import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;

import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Presents the validated settings to Jetty's {@code AbstractProxyServlet} under Jetty's own
 * init-param names, so its {@code createHttpClient()} is reused rather than copied. A private
 * executor ({@code maxThreads}) keeps the servlet independent of Jetty's server executor, which
 * Tomcat does not have.
 */
final class JettyProxyConfig implements ServletConfig {
    private final ServletConfig delegate;
    private final Map<String, String> params;

    JettyProxyConfig(ServletConfig delegate, ProxySettings settings) {
        this.delegate = delegate;
        Map<String, String> p = new LinkedHashMap<>(settings.jettyParams());
        p.put("maxThreads", Integer.toString(settings.maxThreads()));
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
