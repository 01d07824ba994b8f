package dev.gatewar;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import org.eclipse.jetty.ee10.servlet.ErrorPageErrorHandler;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
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
 * The gateway as {@link GatewayServer} builds it, on a server whose limits a test chooses: a small
 * thread pool (so that parked threads show as a server that stops answering), the connector's idle
 * timeout, a filter mapped before {@link JsonBodyFilter} (to see requests arrive), and
 * {@link JsonBodyFilter}'s init-params (e.g. {@code bodyIdleTimeout}).
 *
 * <p>{@link JsonBodyFilter} is mapped for REQUEST and ASYNC dispatches, as an operator's web.xml may
 * map it. The gateway does not need the ASYNC mapping (it never dispatches a request again: the
 * route servlet reads a body that is still arriving with a ReadListener) and no test here relies on
 * it; it only shows that the extra mapping does no harm.
 */
final class ConstrainedGateway implements AutoCloseable {
    private final Server server;
    private final ServerConnector connector;
    private final QueuedThreadPool threads;

    private ConstrainedGateway(Builder builder) throws Exception {
        threads = new QueuedThreadPool(builder.maxThreads, Math.min(8, builder.maxThreads));
        threads.setName("gw");
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
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
        ServletContextHandler context = new ServletContextHandler("/");
        ServletHolder errors = new ServletHolder("errors", JsonErrorPageServlet.class);
        context.addServlet(errors, "/__gatewar/error");
        ErrorPageErrorHandler errorPages = new ErrorPageErrorHandler();
        errorPages.addErrorPage(ErrorPageErrorHandler.GLOBAL_ERROR_PAGE, "/__gatewar/error");
        context.setErrorHandler(errorPages);
        EnumSet<DispatcherType> requestAndAsync = EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC);
        for (Filter filter : builder.firstFilters) {
            FilterHolder holder = new FilterHolder(filter);
            holder.setAsyncSupported(true);
            context.addFilter(holder, "/*", EnumSet.of(DispatcherType.REQUEST));
        }
        FilterHolder json = new FilterHolder(JsonBodyFilter.class);
        json.setName("jsonBody");
        json.setAsyncSupported(true);
        json.setInitParameters(builder.filterParams);
        context.addFilter(json, "/*", requestAndAsync);
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

    int port() {
        return connector.getLocalPort();
    }

    int maxThreads() {
        return threads.getMaxThreads();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    private record Route(String name, String pattern, Map<String, String> params) {
    }

    static final class Builder {
        private int maxThreads = 200;
        private long idleTimeoutMs;
        private final Map<String, String> filterParams = new LinkedHashMap<>();
        private final List<Filter> firstFilters = new ArrayList<>();
        private final List<Route> routes = new ArrayList<>();

        Builder maxThreads(int max) {
            this.maxThreads = max;
            return this;
        }

        /** The connector's idle timeout (and the HTTP configuration's): how long a silent client may stall. */
        Builder idleTimeoutMs(long ms) {
            this.idleTimeoutMs = ms;
            return this;
        }

        /** An init-param of {@link JsonBodyFilter}, such as {@code bodyIdleTimeout} (ms). */
        Builder filterParam(String name, String value) {
            filterParams.put(name, value);
            return this;
        }

        /** A filter mapped before {@link JsonBodyFilter}, for REQUEST dispatches only. */
        Builder firstFilter(Filter filter) {
            firstFilters.add(filter);
            return this;
        }

        Builder route(String name, String pattern, Map<String, String> params) {
            routes.add(new Route(name, pattern, params));
            return this;
        }

        ConstrainedGateway start() throws Exception {
            return new ConstrainedGateway(this);
        }
    }
}
