package dev.gatewar.proxy;

import dev.gatewar.config.InitParamReader;
import dev.gatewar.observe.ObservationSettings;
import dev.gatewar.websocket.WebSocketSettings;
import dev.gatewar.pool.PoolSettings;
import dev.gatewar.pool.UpstreamPool;
import jakarta.servlet.ServletConfig;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * The validated, immutable configuration of one route, read once from its servlet's init-params:
 * typed values with every default decided here. Each param name is a constant beside its default;
 * the README's table (the reference for what each means) is checked against them by a test.
 * {@link JettyClientParams} renders the values Jetty's own client set-up reads.
 */
public record RouteSettings(
        String route,
        List<Upstream> upstreams,
        PoolSettings pool,
        long connectTimeoutMs,
        long responseTimeoutMs,
        int maxConnectionsPerUpstream,
        ClientThreads clientThreads,
        boolean preserveHost,
        ForwardedHeaders forwardedHeaders,
        String hostHeader,
        String viaHost,
        OptionalInt requestBufferSize,
        int responseBufferSize,
        OptionalInt maxRequestHeadersSize,
        OptionalInt maxResponseHeadersSize,
        OptionalInt selectors,
        WebSocketSettings webSocket) {

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
    /** Jetty's client needs a selector thread plus workers; fewer deadlocks under load. */
    static final int MIN_MAX_THREADS = 4;
    public static final String PRESERVE_HOST = "preserveHost";
    public static final boolean DEFAULT_PRESERVE_HOST = false;
    public static final String FORWARDED_HEADERS = "forwardedHeaders";
    public static final ForwardedHeaders DEFAULT_FORWARDED_HEADERS = ForwardedHeaders.X_FORWARDED;

    // Jetty's own proxy init-params that gatewar honours as Jetty documents them.
    public static final String HOST_HEADER = "hostHeader";
    public static final String VIA_HOST = "viaHost";
    /** A pseudonym, so that no machine name leaks upstream in {@code Via}. */
    public static final String DEFAULT_VIA_HOST = "gatewar";
    public static final String REQUEST_BUFFER_SIZE = "requestBufferSize";
    public static final String RESPONSE_BUFFER_SIZE = "responseBufferSize";
    /** Each read of the upstream's response is one write to the client: 4× Jetty's 16 KiB, a quarter of the writes. */
    public static final int DEFAULT_RESPONSE_BUFFER_SIZE = 64 * 1024;
    public static final String MAX_REQUEST_HEADERS_SIZE = "maxRequestHeadersSize";
    public static final String MAX_RESPONSE_HEADERS_SIZE = "maxResponseHeadersSize";
    public static final String SELECTORS = "selectors";

    /** Jetty proxy params whose job a gatewar param does: the message says which. */
    static final Map<String, String> REPLACED_JETTY_PARAMS = Map.of(
            "proxyTo", "gatewar reads the upstream from '" + UPSTREAM + "'",
            "prefix", "the prefix is the servlet-mapping's url-pattern",
            "timeout", "use '" + RESPONSE_TIMEOUT + "' (how long the upstream may stay silent)",
            "idleTimeout", "use '" + RESPONSE_TIMEOUT + "' (how long the upstream may stay silent)",
            "maxConnections", "use '" + MAX_CONNECTIONS_PER_UPSTREAM + "'",
            "whiteList", "a gatewar route's upstreams are the ones listed in '" + UPSTREAM + "'; host lists do not apply",
            "blackList", "a gatewar route's upstreams are the ones listed in '" + UPSTREAM + "'; host lists do not apply");

    private static final int MAX_WEIGHT = 100;
    private static final String UPSTREAM_EXPECTED = "an absolute http:// or https:// URL with a host, optionally a base path, "
            + "and no query, fragment or user-info (e.g. http://10.0.0.5:8080/api)";

    /** One upstream of the route: its base URL ({@code scheme://host[:port][/base/path]}, no trailing slash) and weight. */
    public record Upstream(URI url, int weight) {
    }

    /** Which threads run the route's upstream client. */
    public record ClientThreads(boolean shareContainerPool, int privatePoolSize) {
        /** {@code maxThreads} unset: the container's pool where it lends one, else a private pool of the default size. */
        static final ClientThreads DEFAULT = new ClientThreads(true, DEFAULT_MAX_THREADS);

        static ClientThreads privatePool(int size) {
            return new ClientThreads(false, size);
        }
    }

    public RouteSettings {
        upstreams = List.copyOf(upstreams);
    }

    /** The upstreams' base URLs, in the route's order. */
    public List<URI> upstreamUrls() {
        return upstreams.stream().map(Upstream::url).toList();
    }

    /** Every init-param name the servlet accepts. */
    public static Set<String> knownParams() {
        Set<String> known = new TreeSet<>(List.of(UPSTREAM, CONNECT_TIMEOUT, RESPONSE_TIMEOUT,
                MAX_CONNECTIONS_PER_UPSTREAM, MAX_THREADS, PRESERVE_HOST, FORWARDED_HEADERS, HOST_HEADER, VIA_HOST,
                REQUEST_BUFFER_SIZE, RESPONSE_BUFFER_SIZE, MAX_REQUEST_HEADERS_SIZE, MAX_RESPONSE_HEADERS_SIZE, SELECTORS));
        known.addAll(PoolSettings.paramNames());
        known.addAll(ObservationSettings.routeParamNames());
        known.addAll(WebSocketSettings.paramNames());
        return Collections.unmodifiableSet(known);
    }

    /** The largest buffer the route's client reads or writes with, in bytes. */
    public int largestBufferSize() {
        return Math.max(responseBufferSize, requestBufferSize.orElse(0));
    }

    /**
     * Reads the init-params, adding every problem to {@code params} for the caller to report with
     * its own; the result is only meaningful when {@code params} has no problems.
     */
    public static RouteSettings read(ServletConfig config, InitParamReader params) {
        params.rejectUnknown(Collections.list(config.getInitParameterNames()), knownParams(), REPLACED_JETTY_PARAMS);
        List<Upstream> upstreams = parseUpstreams(params);
        PoolSettings pool = PoolSettings.read(params);
        long connectTimeout = params.positiveLong(CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT_MS, "milliseconds");
        long responseTimeout = params.positiveLong(RESPONSE_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT_MS, "milliseconds");
        int maxConnections = params.positiveInt(MAX_CONNECTIONS_PER_UPSTREAM, DEFAULT_MAX_CONNECTIONS_PER_UPSTREAM, "connections");
        ClientThreads threads = ClientThreads.DEFAULT;
        OptionalInt maxThreads = params.optionalPositiveInt(MAX_THREADS, "threads");
        if (maxThreads.isPresent()) {
            if (maxThreads.getAsInt() < MIN_MAX_THREADS) {
                params.invalid(MAX_THREADS, params.raw(MAX_THREADS), "a whole number of threads of at least " + MIN_MAX_THREADS);
            }
            threads = ClientThreads.privatePool(maxThreads.getAsInt());
        }
        boolean preserveHost = params.bool(PRESERVE_HOST, DEFAULT_PRESERVE_HOST);
        ForwardedHeaders forwarded = ForwardedHeaders.fromParamValue(params.oneOf(FORWARDED_HEADERS,
                DEFAULT_FORWARDED_HEADERS.paramValue(), ForwardedHeaders.paramValues()));
        String hostHeader = params.optionalString(HOST_HEADER);
        if (hostHeader != null && preserveHost) {
            params.invalid(HOST_HEADER, hostHeader, "no value when '" + PRESERVE_HOST + "' is true (they contradict)");
        }
        String viaHost = params.optionalString(VIA_HOST);
        return new RouteSettings(config.getServletName(), upstreams, pool, connectTimeout, responseTimeout, maxConnections, threads,
                preserveHost, forwarded, hostHeader, viaHost == null ? DEFAULT_VIA_HOST : viaHost,
                params.optionalPositiveInt(REQUEST_BUFFER_SIZE, "bytes"),
                params.positiveInt(RESPONSE_BUFFER_SIZE, DEFAULT_RESPONSE_BUFFER_SIZE, "bytes"),
                params.optionalPositiveInt(MAX_REQUEST_HEADERS_SIZE, "bytes"),
                params.optionalPositiveInt(MAX_RESPONSE_HEADERS_SIZE, "bytes"),
                params.optionalPositiveInt(SELECTORS, "selector threads"),
                WebSocketSettings.read(params));
    }

    /**
     * The {@code upstream} list: URLs separated by commas or white space, each optionally followed by
     * {@code ;weight=N}, all with one base path and none twice.
     */
    private static List<Upstream> parseUpstreams(InitParamReader params) {
        String value = params.raw(UPSTREAM);
        List<String> entries = value == null ? List.of()
                : java.util.Arrays.stream(value.split("[,\\s]+")).filter(e -> !e.isEmpty()).toList();
        if (entries.isEmpty()) {
            params.problem("init-param '" + UPSTREAM + "' is required: expected " + UPSTREAM_EXPECTED);
            return List.of();
        }
        if (entries.size() > UpstreamPool.MAX_UPSTREAMS) {
            params.invalid(UPSTREAM, value, "at most " + UpstreamPool.MAX_UPSTREAMS + " URLs");
            return List.of();
        }
        List<Upstream> upstreams = new java.util.ArrayList<>();
        for (String entry : entries) {
            Upstream upstream = parseEntry(params, entry);
            if (upstream == null) {
                return List.of();
            }
            for (Upstream earlier : upstreams) {
                if (earlier.url().equals(upstream.url())) {
                    params.problem("init-param '" + UPSTREAM + "' lists '" + upstream.url() + "' twice: expected each upstream once");
                    return List.of();
                }
                if (!earlier.url().getRawPath().equals(upstream.url().getRawPath())) {
                    params.problem("init-param '" + UPSTREAM + "' has URLs with different base paths ('" + earlier.url().getRawPath()
                            + "' and '" + upstream.url().getRawPath() + "'): expected one base path for every upstream");
                    return List.of();
                }
            }
            upstreams.add(upstream);
        }
        return upstreams;
    }

    private static Upstream parseEntry(InitParamReader params, String entry) {
        int weight = 1;
        String url = entry;
        int semicolon = entry.indexOf(";weight=");
        if (semicolon >= 0) {
            url = entry.substring(0, semicolon);
            try {
                weight = Integer.parseInt(entry.substring(semicolon + ";weight=".length()));
            } catch (NumberFormatException e) {
                weight = 0;
            }
            if (weight < 1 || weight > MAX_WEIGHT) {
                params.invalid(UPSTREAM, entry, "a weight from 1 to " + MAX_WEIGHT + " after ';weight=' (e.g. http://10.0.0.5:8080;weight=3)");
                return null;
            }
        }
        URI parsed = parseUrl(url);
        if (parsed == null) {
            params.invalid(UPSTREAM, entry, UPSTREAM_EXPECTED);
            return null;
        }
        return new Upstream(parsed, weight);
    }

    /** The URL without a trailing slash, or null when it is not an absolute http(s) URL with a host and nothing more. */
    private static URI parseUrl(String value) {
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
            // not a URL: the caller reports it
        }
        return null;
    }
}
