package dev.gatewar;

import jakarta.servlet.ServletRequest;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The id that ties a client's error response to the gateway's log line and the upstream's logs. A
 * client's own {@code X-Request-Id} is kept when it is a short token; otherwise one is made.
 */
public final class RequestId {
    /** Request attribute holding the id, for filters and logs that want it. */
    public static final String ATTRIBUTE = "dev.gatewar.requestId";
    /** The header the id is read from and forwarded upstream in. */
    public static final String HEADER = "X-Request-Id";

    private static final int MAX_LENGTH = 64;

    private RequestId() {
    }

    /** The request's id, made on first use. */
    public static String of(ServletRequest request) {
        Object existing = request.getAttribute(ATTRIBUTE);
        if (existing instanceof String id) {
            return id;
        }
        String id = request instanceof jakarta.servlet.http.HttpServletRequest http ? http.getHeader(HEADER) : null;
        if (!isSafeToken(id)) {
            id = newId();
        }
        request.setAttribute(ATTRIBUTE, id);
        return id;
    }

    private static String newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
    }

    /** Only characters that cannot break a log line, a header or JSON. */
    private static boolean isSafeToken(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c < 128 && (Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.'))) {
                return false;
            }
        }
        return true;
    }
}
