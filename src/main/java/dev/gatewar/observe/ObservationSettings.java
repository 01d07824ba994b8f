package dev.gatewar.observe;

import dev.gatewar.config.InitParamReader;
import jakarta.servlet.ServletContext;

import java.util.Set;

/**
 * What one gateway component reports about the requests it ends: an access-log line, metrics, and
 * for a route, a trace started for requests that bring none. Read once, at {@code init()}.
 *
 * <p>The context-params {@value #CONTEXT_ACCESS_LOG} and {@value #CONTEXT_METRICS} set the default
 * for every component of the web application (the route servlets, the JSON filter, the error page);
 * a route's own init-params override them for that route.
 */
public record ObservationSettings(boolean accessLog, boolean logQuery, boolean logUpstreamUrl, boolean metrics,
                                  boolean startTrace) {
    public static final String CONTEXT_ACCESS_LOG = "gatewar.accessLog";
    public static final String CONTEXT_METRICS = "gatewar.metrics";
    public static final boolean DEFAULT_ACCESS_LOG = true;
    public static final boolean DEFAULT_METRICS = true;

    public static final String ACCESS_LOG = "accessLog";
    public static final String ACCESS_LOG_QUERY = "accessLogQuery";
    public static final boolean DEFAULT_ACCESS_LOG_QUERY = false;
    public static final String ACCESS_LOG_UPSTREAM_URL = "accessLogUpstreamUrl";
    public static final boolean DEFAULT_ACCESS_LOG_UPSTREAM_URL = false;
    public static final String METRICS = "metrics";
    public static final String START_TRACE = "startTrace";
    public static final boolean DEFAULT_START_TRACE = false;

    /** The route init-params read here. */
    public static Set<String> routeParamNames() {
        return Set.of(ACCESS_LOG, ACCESS_LOG_QUERY, ACCESS_LOG_UPSTREAM_URL, METRICS, START_TRACE);
    }

    /** The web application's defaults, from its context-params; problems go to {@code contextParams}. */
    public static ObservationSettings forContext(InitParamReader contextParams) {
        return new ObservationSettings(contextParams.bool(CONTEXT_ACCESS_LOG, DEFAULT_ACCESS_LOG), false, false,
                contextParams.bool(CONTEXT_METRICS, DEFAULT_METRICS), false);
    }

    /** A route's settings: its init-params over the web application's defaults. */
    public static ObservationSettings forRoute(ObservationSettings context, InitParamReader params) {
        return new ObservationSettings(params.bool(ACCESS_LOG, context.accessLog()),
                params.bool(ACCESS_LOG_QUERY, DEFAULT_ACCESS_LOG_QUERY),
                params.bool(ACCESS_LOG_UPSTREAM_URL, DEFAULT_ACCESS_LOG_UPSTREAM_URL),
                params.bool(METRICS, context.metrics()),
                params.bool(START_TRACE, DEFAULT_START_TRACE));
    }

    /** A reader of the context-params, whose problems name them as such. */
    public static InitParamReader contextParams(ServletContext context) {
        String path = context.getContextPath().isEmpty() ? "/" : context.getContextPath();
        return new InitParamReader("web application '" + path + "'", "context-param", context::getInitParameter);
    }
}
