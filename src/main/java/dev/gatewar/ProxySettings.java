package dev.gatewar;

import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The validated, immutable configuration of one {@link PrefixProxyServlet} route, read once from its
 * init-params. Every param name is a constant beside its default; the README's table is checked
 * against them by a test.
 *
 * @param route                     the servlet name, used in messages and logs (never the upstream's address)
 * @param upstream                  the upstream base, {@code scheme://host[:port][/base/path]} without a trailing slash
 * @param connectTimeoutMs          how long to wait for a TCP (and TLS) connection to the upstream
 * @param responseTimeoutMs         how long the upstream may stay silent while we wait for bytes
 * @param maxConnectionsPerUpstream pooled connections to the upstream, at most
 * @param maxThreads                threads of this route's private client pool; 0 when not set (see
 *                                  {@link JettyProxyConfig})
 * @param preserveHost              forward the client's {@code Host} instead of the upstream's authority
 * @param forwardedHeaders          which forwarding headers to add
 * @param jettyParams               Jetty proxy init-params that are passed through, already validated
 */
public record ProxySettings(
        String route,
        URI upstream,
        long connectTimeoutMs,
        long responseTimeoutMs,
        int maxConnectionsPerUpstream,
        int maxThreads,
        boolean preserveHost,
        ForwardedHeaders forwardedHeaders,
        Map<String, String> jettyParams) {

    /** Required. Absolute {@code http} or {@code https} URL, optionally with a base path. */
    public static final String UPSTREAM = "upstream";
    public static final String CONNECT_TIMEOUT = "connectTimeout";
    public static final long DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
    public static final String RESPONSE_TIMEOUT = "responseTimeout";
    public static final long DEFAULT_RESPONSE_TIMEOUT_MS = 60_000;
    public static final String MAX_CONNECTIONS_PER_UPSTREAM = "maxConnectionsPerUpstream";
    public static final int DEFAULT_MAX_CONNECTIONS_PER_UPSTREAM = 256;
    public static final String MAX_THREADS = "maxThreads";
    /** The private pool's size when {@code maxThreads} is not set and the container lends no executor. */
    public static final int DEFAULT_MAX_THREADS = 128;
    public static final String PRESERVE_HOST = "preserveHost";
    public static final boolean DEFAULT_PRESERVE_HOST = false;
    public static final String FORWARDED_HEADERS = "forwardedHeaders";
    public static final ForwardedHeaders DEFAULT_FORWARDED_HEADERS = ForwardedHeaders.X_FORWARDED;

    /** Jetty's own proxy init-params that gatewar honours as Jetty documents them. */
    public static final String HOST_HEADER = "hostHeader";
    public static final String VIA_HOST = "viaHost";
    /**
     * Jetty's param for the client's read buffer. Each read becomes one write (and flush) to the
     * client, so 64 KiB instead of Jetty's 16 KiB means a quarter of the writes per large response.
     */
    public static final String RESPONSE_BUFFER_SIZE = "responseBufferSize";
    public static final int DEFAULT_RESPONSE_BUFFER_SIZE = 64 * 1024;
    /** Jetty's param for the client's write buffer (request headers and content). */
    public static final String REQUEST_BUFFER_SIZE = "requestBufferSize";
    /** What the gateway calls itself in {@code Via}: a pseudonym, so no machine name leaks upstream. */
    public static final String DEFAULT_VIA_HOST = "gatewar";
    static final List<String> JETTY_SIZE_PARAMS = List.of(
            REQUEST_BUFFER_SIZE, RESPONSE_BUFFER_SIZE, "maxRequestHeadersSize", "maxResponseHeadersSize", "selectors");

    /** Jetty proxy params whose job a gatewar param does: the message says which. */
    static final Map<String, String> REPLACED_JETTY_PARAMS = Map.of(
            "proxyTo", "gatewar reads the upstream from '" + UPSTREAM + "'",
            "prefix", "the prefix is the servlet-mapping's url-pattern",
            "timeout", "use '" + RESPONSE_TIMEOUT + "' (how long the upstream may stay silent)",
            "idleTimeout", "use '" + RESPONSE_TIMEOUT + "' (how long the upstream may stay silent)",
            "maxConnections", "use '" + MAX_CONNECTIONS_PER_UPSTREAM + "'",
            "whiteList", "a gatewar route has one fixed upstream; host lists do not apply",
            "blackList", "a gatewar route has one fixed upstream; host lists do not apply");

    public ProxySettings {
        jettyParams = Collections.unmodifiableMap(new LinkedHashMap<>(jettyParams));
    }

    /** The largest of the client's read and write buffers, in bytes. */
    public int largestBufferSize() {
        int largest = 0;
        for (String name : List.of(REQUEST_BUFFER_SIZE, RESPONSE_BUFFER_SIZE)) {
            String value = jettyParams.get(name);
            if (value != null) {
                largest = Math.max(largest, Integer.parseInt(value));
            }
        }
        return largest;
    }

    /** Every init-param name the servlet accepts. */
    public static Set<String> knownParams() {
        Set<String> known = new java.util.TreeSet<>(List.of(UPSTREAM, CONNECT_TIMEOUT, RESPONSE_TIMEOUT,
                MAX_CONNECTIONS_PER_UPSTREAM, MAX_THREADS, PRESERVE_HOST, FORWARDED_HEADERS, HOST_HEADER, VIA_HOST));
        known.addAll(JETTY_SIZE_PARAMS);
        return known;
    }

    /** Reads and validates the servlet's init-params; throws one exception naming every problem. */
    public static ProxySettings from(ServletConfig config) throws ServletException {
        InitParamReader params = new InitParamReader("servlet '" + config.getServletName() + "'", config::getInitParameter);
        ProxySettings settings = read(config, params);
        params.throwIfInvalid();
        return settings;
    }

    /**
     * Reads the init-params, adding every problem to {@code params} for the caller to report with
     * its own; the result is only meaningful when {@code params} has no problems.
     */
    static ProxySettings read(ServletConfig config, InitParamReader params) {
        String route = config.getServletName();
        params.rejectUnknown(Collections.list(config.getInitParameterNames()), knownParams(), REPLACED_JETTY_PARAMS);

        URI upstream = parseUpstream(params);
        long connectTimeout = params.positiveLong(CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT_MS, "milliseconds");
        long responseTimeout = params.positiveLong(RESPONSE_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT_MS, "milliseconds");
        int maxConnections = params.positiveInt(MAX_CONNECTIONS_PER_UPSTREAM, DEFAULT_MAX_CONNECTIONS_PER_UPSTREAM, "connections");
        int maxThreads = params.raw(MAX_THREADS) == null ? 0 : params.positiveInt(MAX_THREADS, DEFAULT_MAX_THREADS, "threads");
        if (params.raw(MAX_THREADS) != null && maxThreads < 4) {
            // Jetty's client needs a selector thread plus workers; fewer deadlocks under load.
            params.invalid(MAX_THREADS, params.raw(MAX_THREADS), "a whole number of threads of at least 4");
        }
        boolean preserveHost = params.bool(PRESERVE_HOST, DEFAULT_PRESERVE_HOST);
        ForwardedHeaders forwarded = ForwardedHeaders.fromParamValue(params.oneOf(FORWARDED_HEADERS,
                DEFAULT_FORWARDED_HEADERS.paramValue(), ForwardedHeaders.paramValues()));

        Map<String, String> jetty = new LinkedHashMap<>();
        String hostHeader = params.optionalString(HOST_HEADER);
        if (hostHeader != null) {
            if (preserveHost) {
                params.invalid(HOST_HEADER, hostHeader, "no value when '" + PRESERVE_HOST + "' is true (they contradict)");
            }
            jetty.put(HOST_HEADER, hostHeader);
        }
        String viaHost = params.optionalString(VIA_HOST);
        jetty.put(VIA_HOST, viaHost == null ? DEFAULT_VIA_HOST : viaHost);
        for (String name : JETTY_SIZE_PARAMS) {
            if (params.raw(name) != null) {
                jetty.put(name, Integer.toString(params.positiveInt(name, 1, "selectors".equals(name) ? "selector threads" : "bytes")));
            }
        }
        jetty.putIfAbsent(RESPONSE_BUFFER_SIZE, Integer.toString(DEFAULT_RESPONSE_BUFFER_SIZE));
        return new ProxySettings(route, upstream, connectTimeout, responseTimeout, maxConnections, maxThreads,
                preserveHost, forwarded, jetty);
    }

    private static URI parseUpstream(InitParamReader params) {
        String expected = "an absolute http:// or https:// URL with a host, optionally a base path, "
                + "and no query, fragment or user-info (e.g. http://10.0.0.5:8080/api)";
        String value = params.required(UPSTREAM, expected);
        if (value == null) {
            return null;
        }
        try {
            URI uri = new URI(value);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme();
            boolean valid = (scheme.equals("http") || scheme.equals("https"))
                    && uri.getHost() != null
                    && uri.getRawUserInfo() == null
                    && uri.getRawQuery() == null
                    && uri.getRawFragment() == null
                    && uri.getPort() <= 65535
                    && !value.endsWith("?") && !value.endsWith("#");
            if (valid) {
                String path = uri.getRawPath() == null ? "" : uri.getRawPath();
                while (path.endsWith("/")) {
                    path = path.substring(0, path.length() - 1);
                }
                return new URI(scheme + "://" + uri.getRawAuthority() + path);
            }
        } catch (URISyntaxException ignored) {
            // reported below
        }
        params.invalid(UPSTREAM, value, expected);
        return null;
    }
}
