package dev.gatewar;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import org.eclipse.jetty.ee10.servlet.ErrorPageErrorHandler;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway on an embedded Jetty 12 (ee10) server on 127.0.0.1: {@link JsonBodyFilter} first,
 * then any filters a test adds, then one {@link PrefixProxyServlet} per route, as in {@code web.xml}.
 */
final class GatewayServer implements AutoCloseable {
    private final Server server;
    private final ServerConnector connector;
    private final String contextPath;

    private GatewayServer(Builder builder) throws Exception {
        server = new Server();
        HttpConfiguration http = new HttpConfiguration();
        http.setUriCompliance(builder.uriCompliance);
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler(builder.contextPath);
        contextPath = builder.contextPath;
        context.getServletHandler().setDecodeAmbiguousURIs(builder.uriCompliance != UriCompliance.DEFAULT);
        ServletHolder errors = new ServletHolder("errors", JsonErrorPageServlet.class);
        context.addServlet(errors, "/__gatewar/error");
        ErrorPageErrorHandler errorPages = new ErrorPageErrorHandler();
        errorPages.addErrorPage(ErrorPageErrorHandler.GLOBAL_ERROR_PAGE, "/__gatewar/error");
        context.setErrorHandler(errorPages);
        FilterHolder json = new FilterHolder(JsonBodyFilter.class);
        json.setName("jsonBody");
        json.setAsyncSupported(true);
        json.setInitParameters(builder.filterParams);
        context.addFilter(json, "/*", EnumSet.of(DispatcherType.REQUEST));
        for (Filter filter : builder.laterFilters) {
            FilterHolder holder = new FilterHolder(filter);
            holder.setAsyncSupported(true);
            context.addFilter(holder, "/*", EnumSet.of(DispatcherType.REQUEST));
        }
        for (Route route : builder.routes) {
            ServletHolder holder = new ServletHolder(route.name, PrefixProxyServlet.class);
            holder.setInitParameters(route.params);
            holder.setInitOrder(1);
            holder.setAsyncSupported(true);
            context.addServlet(holder, route.pattern);
        }
        server.setHandler(context);
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            throw e;
        }
    }

    static Builder builder() {
        return new Builder();
    }

    /** Gateway with one route {@code /serviceA/*} to {@code upstream}. */
    static GatewayServer routeTo(String upstream) throws Exception {
        return builder().route("serviceA", "/serviceA/*", Map.of("upstream", upstream)).start();
    }

    int port() {
        return connector.getLocalPort();
    }

    /** Absolute URL of a path under the gateway's context. */
    String url(String path) {
        return "http://127.0.0.1:" + port() + ("/".equals(contextPath) ? "" : contextPath) + path;
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    private record Route(String name, String pattern, Map<String, String> params) {
    }

    static final class Builder {
        private String contextPath = "/";
        private UriCompliance uriCompliance = UriCompliance.DEFAULT;
        private final Map<String, String> filterParams = new LinkedHashMap<>();
        private final List<Filter> laterFilters = new ArrayList<>();
        private final List<Route> routes = new ArrayList<>();

        Builder contextPath(String path) {
            this.contextPath = path;
            return this;
        }

        /** How lenient the gateway's connector is with request targets; operators may loosen it. */
        Builder uriCompliance(UriCompliance compliance) {
            this.uriCompliance = compliance;
            return this;
        }

        Builder filterParam(String name, String value) {
            filterParams.put(name, value);
            return this;
        }

        /** A filter mapped after {@link JsonBodyFilter}, as an operator's own filter would be. */
        Builder laterFilter(Filter filter) {
            laterFilters.add(filter);
            return this;
        }

        Builder route(String name, String pattern, Map<String, String> params) {
            routes.add(new Route(name, pattern, params));
            return this;
        }

        GatewayServer start() throws Exception {
            return new GatewayServer(this);
        }
    }
}
