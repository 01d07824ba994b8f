package dev.gatewar.exchange;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The id that ties a client's error response to the gateway's log line and the upstream's logs. A
 * client's own {@code X-Request-Id} is kept when it is a short token; otherwise one is made.
 */
public final class RequestId {
    /** The header the id is read from and forwarded upstream in. */
    public static final String HEADER = "X-Request-Id";

    private static final int MAX_LENGTH = 64;

    private RequestId() {
    }

    /** The client's id when it is safe to repeat, otherwise a new one. */
    static String from(String clientId) {
        return isSafeToken(clientId) ? clientId : newId();
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
