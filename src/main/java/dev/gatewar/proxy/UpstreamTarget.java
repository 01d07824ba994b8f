package dev.gatewar.proxy;

import dev.gatewar.config.InitParamReader;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletRegistration;
import jakarta.servlet.http.HttpServletMapping;
import jakarta.servlet.http.HttpServletRequest;

import java.net.URI;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a client request into the upstream URL of its route: the upstream base, then the raw path
 * after the context path and the servlet-mapping prefix, then the raw query, byte for byte as the
 * client sent them (nothing decoded, nothing re-encoded).
 *
 * <p>The prefix is taken from the servlet's own mappings, so it is typed in one place only. Prefixes
 * are skipped by counting path segments of the raw request URI, which keeps the remainder raw even
 * when a container decodes or strips path parameters from the servlet path.
 */
public final class UpstreamTarget {
    /** Each upstream's {@code scheme://authority}, in the order of the route's list. */
    private final List<String> origins;
    /** The base path every upstream shares, without a trailing slash; empty for none. */
    private final String basePath;
    private final int contextSegments;
    /** url-pattern to the number of its segments; a route usually has one. */
    private final Map<String, Integer> prefixSegments;
    private final int onlyPrefixSegments;

    private UpstreamTarget(List<URI> upstreams, int contextSegments, Map<String, Integer> prefixSegments) {
        this.origins = upstreams.stream().map(u -> u.getScheme() + "://" + u.getRawAuthority()).toList();
        this.basePath = upstreams.get(0).getRawPath() == null ? "" : upstreams.get(0).getRawPath();
        this.contextSegments = contextSegments;
        this.prefixSegments = Map.copyOf(prefixSegments);
        this.onlyPrefixSegments = prefixSegments.size() == 1 ? prefixSegments.values().iterator().next() : -1;
    }

    /**
     * Reads the servlet's url-patterns; each must be {@code /prefix/*} or {@code /*} (or {@code /}).
     * Problems go to {@code params} so they are reported with the init-param problems.
     */
    public static UpstreamTarget of(List<URI> upstreams, ServletConfig config, InitParamReader params) {
        ServletRegistration registration = config.getServletContext().getServletRegistration(config.getServletName());
        Collection<String> patterns = registration == null ? List.of() : registration.getMappings();
        Map<String, Integer> segments = new HashMap<>();
        if (patterns.isEmpty()) {
            params.problem("it has no servlet-mapping: map it to a prefix such as <url-pattern>/"
                    + config.getServletName() + "/*</url-pattern>");
        }
        for (String pattern : patterns) {
            if (pattern.equals("/") || pattern.equals("/*")) {
                segments.put(pattern, 0);
            } else if (pattern.startsWith("/") && pattern.endsWith("/*") && pattern.indexOf('*') == pattern.length() - 1) {
                segments.put(pattern, countSegments(pattern.substring(0, pattern.length() - 2)));
            } else {
                params.problem("its url-pattern '" + pattern + "' cannot be a route: a route is mapped as "
                        + "'/prefix/*' (or '/*'), and the prefix is stripped before forwarding");
            }
        }
        int contextSegments = countSegments(config.getServletContext().getContextPath());
        return upstreams.isEmpty() ? null : new UpstreamTarget(upstreams, contextSegments, segments);
    }

    private static int countSegments(String path) {
        int count = 0;
        for (int i = 0; i < path.length(); i++) {
            if (path.charAt(i) == '/') {
                count++;
            }
        }
        return count;
    }

    /** The upstream URL for this request on the upstream with index {@code upstream}. */
    public String url(int upstream, String pathAndQuery) {
        return origins.get(upstream) + pathAndQuery;
    }

    /** The path and query to ask every upstream for: the base path, the raw rest of the path, the raw query. */
    public String pathAndQuery(HttpServletRequest request) throws RejectedTargetException {
        String uri = request.getRequestURI();
        if (containsDotSegment(uri)) {
            throw new RejectedTargetException("The request path contains a '.' or '..' segment, which the gateway does not forward.");
        }
        String remainder = uri.substring(remainderStart(uri, contextSegments + prefixSegmentsOf(request)));
        String query = request.getQueryString();
        if (query != null && !wellFormedPercentEncoding(query)) {
            throw new RejectedTargetException("The query string contains a '%' that is not followed by two hexadecimal digits.");
        }
        StringBuilder target = new StringBuilder(basePath.length() + remainder.length() + (query == null ? 1 : query.length() + 2));
        target.append(basePath).append(remainder);
        if (target.isEmpty()) {
            target.append('/');
        }
        if (query != null) {
            target.append('?').append(query);
        }
        String result = target.toString();
        try {
            URI.create(origins.get(0) + result);
        } catch (IllegalArgumentException e) {
            throw new RejectedTargetException("The request target contains characters that are not allowed in a URI.");
        }
        return result;
    }

    /**
     * A {@code Location} or {@code Content-Location} value that points into the upstream, rewritten
     * to the same place behind the gateway (as nginx's {@code proxy_redirect default} does), so the
     * client is never sent the upstream's address. Other values are returned as they are.
     */
    public String rewriteLocation(HttpServletRequest request, String location) {
        for (String origin : origins) {
            int baseLength = origin.length() + basePath.length();
            if (location.regionMatches(true, 0, origin, 0, origin.length())
                    && location.regionMatches(origin.length(), basePath, 0, basePath.length())) {
                String rest = location.substring(baseLength);
                if (rest.isEmpty() || rest.startsWith("/") || rest.startsWith("?") || rest.startsWith("#")) {
                    String uri = request.getRequestURI();
                    String prefix = uri.substring(0, remainderStart(uri, contextSegments + prefixSegmentsOf(request)));
                    return prefix + (rest.isEmpty() || !rest.startsWith("/") ? "/" + rest : rest);
                }
            }
        }
        return location;
    }

    private int prefixSegmentsOf(HttpServletRequest request) {
        if (onlyPrefixSegments >= 0) {
            return onlyPrefixSegments;
        }
        HttpServletMapping mapping = request.getHttpServletMapping();
        Integer segments = mapping == null ? null : prefixSegments.get(mapping.getPattern());
        return segments == null ? 0 : segments;
    }

    /** Index in {@code uri} after skipping {@code segments} path segments (a '/' or the end). */
    private static int remainderStart(String uri, int segments) {
        int index = 0;
        for (int i = 0; i < segments; i++) {
            int next = uri.indexOf('/', index + 1);
            if (next < 0) {
                return uri.length();
            }
            index = next;
        }
        return index;
    }

    /**
     * True when any segment is {@code .} or {@code ..}, also when written {@code %2e}, followed by a
     * path parameter ({@code ..;x}), or ended by an encoded separator ({@code ..%2F}, {@code ..%5C}),
     * which some upstream frameworks still resolve.
     */
    static boolean containsDotSegment(String path) {
        int dots = 0;
        boolean onlyDots = true;
        boolean inParameters = false;
        int i = 0;
        int length = path.length();
        while (i <= length) {
            int separator = i == length ? 1 : separatorLength(path, i);
            if (separator > 0) {
                if (onlyDots && (dots == 1 || dots == 2)) {
                    return true;
                }
                dots = 0;
                onlyDots = true;
                inParameters = false;
                i += separator;
            } else if (inParameters) {
                i++;
            } else if (path.charAt(i) == ';') {
                inParameters = true;
                i++;
            } else if (path.charAt(i) == '.') {
                dots++;
                i++;
            } else if (path.regionMatches(true, i, "%2e", 0, 3)) {
                dots++;
                i += 3;
            } else {
                onlyDots = false;
                i++;
            }
        }
        return false;
    }

    private static int separatorLength(String path, int i) {
        char c = path.charAt(i);
        if (c == '/' || c == '\\') {
            return 1;
        }
        if (path.regionMatches(true, i, "%2f", 0, 3) || path.regionMatches(true, i, "%5c", 0, 3)) {
            return 3;
        }
        return 0;
    }

    /** Jetty's client decodes the query to index its parameters and fails on a bad escape. */
    private static boolean wellFormedPercentEncoding(String query) {
        for (int i = query.indexOf('%'); i >= 0; i = query.indexOf('%', i + 1)) {
            if (i + 2 >= query.length() || Character.digit(query.charAt(i + 1), 16) < 0 || Character.digit(query.charAt(i + 2), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** A request target the gateway refuses to forward; the message is safe to show the client. */
    public static final class RejectedTargetException extends Exception {
        private static final long serialVersionUID = 1L;

        RejectedTargetException(String message) {
            super(message, null, false, false);
        }
    }
}
