package dev.gatewar.exchange;

import java.util.concurrent.ThreadLocalRandom;

/**
 * W3C Trace Context's {@code traceparent} (https://www.w3.org/TR/trace-context/): the gateway only
 * propagates it. It reads the trace id for its logs and, when asked to, starts a trace for a request
 * that arrives without a valid one.
 */
public final class TraceParent {
    public static final String HEADER = "traceparent";
    public static final String STATE_HEADER = "tracestate";

    private static final int VERSION_00_LENGTH = 55;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private TraceParent() {
    }

    /**
     * The trace id of a valid {@code traceparent}, else null. Version 00 is exact; a later version
     * may append fields after the four it shares with 00, as the specification allows.
     */
    public static String traceId(String header) {
        if (header == null || header.length() < VERSION_00_LENGTH) {
            return null;
        }
        boolean version00 = header.startsWith("00");
        if ((version00 && header.length() != VERSION_00_LENGTH)
                || (!version00 && header.length() > VERSION_00_LENGTH && header.charAt(VERSION_00_LENGTH) != '-')
                || header.startsWith("ff")
                || !isHex(header, 0, 2) || header.charAt(2) != '-'
                || !isHex(header, 3, 35) || header.charAt(35) != '-'
                || !isHex(header, 36, 52) || header.charAt(52) != '-'
                || !isHex(header, 53, 55)
                || isZero(header, 3, 35) || isZero(header, 36, 52)) {
            return null;
        }
        return header.substring(3, 35);
    }

    /** A new {@code traceparent}: random trace and parent ids, sampled, so the services after the gateway record it. */
    public static String start() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] value = new char[VERSION_00_LENGTH];
        value[0] = '0';
        value[1] = '0';
        value[2] = '-';
        hex(value, 3, random.nextLong() | 1L, random.nextLong());
        value[35] = '-';
        hex(value, 36, random.nextLong() | 1L);
        value[52] = '-';
        value[53] = '0';
        value[54] = '1';
        return new String(value);
    }

    private static void hex(char[] into, int at, long... words) {
        int i = at;
        for (long word : words) {
            for (int shift = 60; shift >= 0; shift -= 4) {
                into[i++] = HEX[(int) (word >>> shift) & 0xf];
            }
        }
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isZero(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }
}
