package dev.gatewar.proxy;

import jakarta.servlet.http.HttpServletRequest;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which forwarding headers the gateway adds to an upstream request, as chosen by the
 * {@code forwardedHeaders} init-param. {@code X-Forwarded-For} is appended to (the client address
 * goes last, after any proxies in front of us); {@code X-Forwarded-Proto} and {@code -Host} are set
 * from this hop, because only this hop knows how the client reached the gateway.
 */
public enum ForwardedHeaders {
    /** {@code X-Forwarded-For}, {@code X-Forwarded-Proto}, {@code X-Forwarded-Host}. */
    X_FORWARDED("x-forwarded"),
    /** The RFC 7239 {@code Forwarded} header, appended to. */
    FORWARDED("forwarded"),
    /** Both of the above. */
    BOTH("both"),
    /** Neither: for upstreams behind another proxy that adds them. */
    NONE("none");

    private static final Map<String, ForwardedHeaders> BY_NAME = new TreeMap<>();

    static {
        for (ForwardedHeaders mode : values()) {
            BY_NAME.put(mode.paramValue, mode);
        }
    }

    private final String paramValue;

    ForwardedHeaders(String paramValue) {
        this.paramValue = paramValue;
    }

    public String paramValue() {
        return paramValue;
    }

    static Set<String> paramValues() {
        return BY_NAME.keySet();
    }

    static ForwardedHeaders fromParamValue(String value) {
        return BY_NAME.get(value);
    }

    public void apply(HttpServletRequest clientRequest, Request proxyRequest) {
        if (this == NONE) {
            return;
        }
        String clientAddress = clientRequest.getRemoteAddr();
        String proto = clientRequest.getScheme().toLowerCase(Locale.ROOT);
        String host = clientRequest.getHeader("Host");
        if (this == X_FORWARDED || this == BOTH) {
            proxyRequest.headers(headers -> {
                String previous = joined(headers.getValuesList(HttpHeader.X_FORWARDED_FOR));
                headers.put(HttpHeader.X_FORWARDED_FOR, previous == null ? clientAddress : previous + ", " + clientAddress);
                headers.put(HttpHeader.X_FORWARDED_PROTO, proto);
                if (host != null) {
                    headers.put(HttpHeader.X_FORWARDED_HOST, host);
                } else {
                    headers.remove(HttpHeader.X_FORWARDED_HOST);
                }
            });
        }
        if (this == FORWARDED || this == BOTH) {
            StringBuilder element = new StringBuilder("for=").append(quoted(nodeName(clientAddress)));
            if (host != null) {
                element.append(";host=").append(quoted(host));
            }
            element.append(";proto=").append(proto);
            proxyRequest.headers(headers -> {
                String previous = joined(headers.getValuesList(HttpHeader.FORWARDED));
                headers.put(new HttpField(HttpHeader.FORWARDED,
                        previous == null ? element.toString() : previous + ", " + element));
            });
        }
    }

    private static String joined(List<String> values) {
        return values.isEmpty() ? null : String.join(", ", values);
    }

    /** RFC 7239 section 6: IPv6 addresses are bracketed (and so must be quoted). */
    private static String nodeName(String address) {
        return address.indexOf(':') >= 0 ? "[" + address + "]" : address;
    }

    private static String quoted(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_')) {
                return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            }
        }
        return value;
    }
}
