package dev.gatewar.observe;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * One access-log line: {@code key=value} fields in a fixed order, separated by single spaces. A value
 * made only of letters, digits and {@code - . _ : / , ; @ + * ~ %} is written as it is; any other is
 * double-quoted with {@code \"}, {@code \\} and {@code \xHH} escapes (every control character,
 * {@code DEL} and non-ASCII character), so that no path or header can start a second line or forge a
 * field. The path is always quoted.
 */
public final class AccessLogLine {
    private static final DateTimeFormatter TO_SECOND = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.").withZone(ZoneOffset.UTC);
    /** The formatted second of the latest line: formatting a date costs more than the rest of a line. */
    private static volatile FormattedSecond lastSecond = new FormattedSecond(Long.MIN_VALUE, "");
    private static final String NONE = "-";
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private record FormattedSecond(long epochSecond, String text) {
    }

    private final StringBuilder line = new StringBuilder(256);

    /** {@code time=} in ISO-8601 UTC with milliseconds. */
    public AccessLogLine time(long epochMillis) {
        long epochSecond = Math.floorDiv(epochMillis, 1000);
        FormattedSecond second = lastSecond;
        if (second.epochSecond() != epochSecond) {
            second = new FormattedSecond(epochSecond, TO_SECOND.format(Instant.ofEpochSecond(epochSecond)));
            lastSecond = second;
        }
        int millis = (int) Math.floorMod(epochMillis, 1000);
        line.append("time=").append(second.text())
                .append((char) ('0' + millis / 100)).append((char) ('0' + millis / 10 % 10)).append((char) ('0' + millis % 10))
                .append('Z');
        return this;
    }

    /** A field whose value is written bare when it can be, quoted otherwise; null is {@code -}. */
    public AccessLogLine field(String key, String value) {
        line.append(' ').append(key).append('=');
        if (value == null) {
            line.append(NONE);
        } else if (isBare(value)) {
            line.append(value);
        } else {
            quoted(value);
        }
        return this;
    }

    public AccessLogLine field(String key, long value) {
        line.append(' ').append(key).append('=').append(value);
        return this;
    }

    /** A field that is always quoted. */
    public AccessLogLine quotedField(String key, String value) {
        line.append(' ').append(key).append('=');
        quoted(value == null ? "" : value);
        return this;
    }

    @Override
    public String toString() {
        return line.toString();
    }

    private void quoted(String value) {
        line.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                line.append('\\').append(c);
            } else if (c < 0x20 || c >= 0x7f) {
                escape(c);
            } else {
                line.append(c);
            }
        }
        line.append('"');
    }

    /** {@code \xHH} per byte of the character's UTF-8 encoding (a lone surrogate counts as '?'). */
    private void escape(char c) {
        if (c < 0x80) {
            hex(c);
        } else if (c < 0x800) {
            hex(0xc0 | (c >> 6));
            hex(0x80 | (c & 0x3f));
        } else if (Character.isSurrogate(c)) {
            hex('?');
        } else {
            hex(0xe0 | (c >> 12));
            hex(0x80 | ((c >> 6) & 0x3f));
            hex(0x80 | (c & 0x3f));
        }
    }

    private void hex(int b) {
        line.append("\\x").append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
    }

    private static boolean isBare(String value) {
        if (value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._:/,;@+*~%".indexOf(c) >= 0;
            if (!safe) {
                return false;
            }
        }
        return true;
    }
}
