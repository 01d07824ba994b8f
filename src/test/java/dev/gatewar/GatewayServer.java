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
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway on an embedded Jetty 12 (ee10) server on 127.0.0.1: any filters a test maps first,
 * {@link JsonBodyFilter}, then any filters mapped after it, then one {@link PrefixProxyServlet} per
 * route, as in {@code web.xml}. A test may choose the server's limits (threads, idle timeout).
 */
final class GatewayServer implements AutoCloseable {
    private final Server server;
    private final QueuedThreadPool threads;
    private final ServerConnector connector;
    private final String contextPath;

    private GatewayServer(Builder builder) throws Exception {
        threads = new QueuedThreadPool(builder.maxThreads, Math.min(8, builder.maxThreads));
        threads.setName("gw");
        if (builder.threadIdleTimeoutMs > 0) {
            threads.setIdleTimeout((int) builder.threadIdleTimeoutMs);
            threads.setMaxEvictCount(builder.maxThreads);
            threads.setReservedThreads(0);
        }
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setUriCompliance(builder.uriCompliance);
        if (builder.idleTimeoutMs > 0) {
            http.setIdleTimeout(builder.idleTimeoutMs);
        }
        // One acceptor, one selector: the rest of the pool serves requests.
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setAcceptQueueSize(1024);
        if (builder.idleTimeoutMs > 0) {
            connector.setIdleTimeout(builder.idleTimeoutMs);
        }
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler(builder.contextPath);
        contextPath = builder.contextPath;
        context.getServletHandler().setDecodeAmbiguousURIs(builder.uriCompliance != UriCompliance.DEFAULT);
        builder.contextParams.forEach(context::setInitParameter);
        ServletHolder errors = new ServletHolder("errors", JsonErrorPageServlet.class);
        context.addServlet(errors, "/__gatewar/error");
        ErrorPageErrorHandler errorPages = new ErrorPageErrorHandler();
        errorPages.addErrorPage(ErrorPageErrorHandler.GLOBAL_ERROR_PAGE, "/__gatewar/error");
        context.setErrorHandler(errorPages);
        for (Filter filter : builder.firstFilters) {
            FilterHolder holder = new FilterHolder(filter);
            holder.setAsyncSupported(true);
            context.addFilter(holder, "/*", EnumSet.of(DispatcherType.REQUEST));
        }
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
        for (Servlet servlet : builder.servlets) {
            ServletHolder holder = new ServletHolder(servlet.name, servlet.type);
            holder.setInitParameters(servlet.params);
            holder.setInitOrder(1);
            context.addServlet(holder, servlet.pattern);
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

    int maxThreads() {
        return threads.getMaxThreads();
    }

    int port() {
        return connector.getLocalPort();
    }

    /** Client connections the gateway's connector holds open now. */
    int openConnections() {
        return connector.getConnectedEndPoints().size();
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

    private record Servlet(String name, Class<? extends jakarta.servlet.Servlet> type, String pattern, Map<String, String> params) {
    }

    static final class Builder {
        private String contextPath = "/";
        private UriCompliance uriCompliance = UriCompliance.DEFAULT;
        private final Map<String, String> filterParams = new LinkedHashMap<>();
        private final List<Filter> laterFilters = new ArrayList<>();
        private final List<Filter> firstFilters = new ArrayList<>();
        private int maxThreads = 200;
        private long idleTimeoutMs;
        private long threadIdleTimeoutMs;
        private final List<Route> routes = new ArrayList<>();
        private final List<Servlet> servlets = new ArrayList<>();
        private final Map<String, String> contextParams = new LinkedHashMap<>();

        Builder contextParam(String name, String value) {
            contextParams.put(name, value);
            return this;
        }

        /** Another servlet of the gateway's (the metrics), loaded at start-up. */
        Builder servlet(String name, Class<? extends jakarta.servlet.Servlet> type, String pattern, Map<String, String> params) {
            servlets.add(new Servlet(name, type, pattern, params));
            return this;
        }

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

        /** The server's thread pool: small, parked threads show as a server that stops answering. */
        Builder maxThreads(int max) {
            this.maxThreads = max;
            return this;
        }

        /** The connector's idle timeout: how long a silent client may stall. */
        Builder idleTimeoutMs(long ms) {
            this.idleTimeoutMs = ms;
            return this;
        }

        /**
         * How long an idle thread of the server's pool lives beyond the pool's minimum (all of them
         * may go at once, and none is held in reserve): a test that counts threads sees the pool
         * shrink back soon after a load, instead of after Jetty's default minute.
         */
        Builder threadIdleTimeoutMs(long ms) {
            this.threadIdleTimeoutMs = ms;
            return this;
        }

        /** A filter mapped before {@link JsonBodyFilter}, for REQUEST dispatches. */
        Builder firstFilter(Filter filter) {
            firstFilters.add(filter);
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
