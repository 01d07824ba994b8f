package dev.gatewar.body;

import com.fasterxml.jackson.core.StreamReadConstraints;

import java.util.Arrays;

/**
 * A single pass over a UTF-8 body that says "certainly well-formed JSON" for the common case,
 * faster than a Jackson tokenization of the same bytes.
 *
 * <p>It accepts a strict subset of what Jackson's default parser accepts (RFC 8259 in UTF-8, no
 * byte-order mark, strictly valid UTF-8, within Jackson's {@link StreamReadConstraints}), so a
 * {@code true} never lets through a body Jackson would reject. A {@code false} proves nothing: the
 * caller then asks Jackson, whose verdict and error message (line, column) stay the contract.
 *
 * <p>Positions are passed and returned as ints (negative: not certain) so that the JIT keeps the
 * whole scan in registers.
 */
final class StrictJsonScanner {
    private static final int NO = -1;

    // True for the bytes that end the fast run inside a string: quote, backslash, controls, non-ASCII.
    private static final boolean[] STRING_STOP = new boolean[256];

    static {
        for (int b = 0; b < 256; b++) {
            STRING_STOP[b] = b < 0x20 || b == '"' || b == '\\' || b >= 0x80;
        }
    }

    private StrictJsonScanner() {
    }

    /** True only if Jackson, with {@code limits}, would read exactly one JSON value from {@code in}. */
    static boolean certainlyWellFormed(byte[] in, StreamReadConstraints limits) {
        if (limits.hasMaxDocumentLength() && in.length > limits.getMaxDocumentLength()) {
            return false;
        }
        if (limits.hasMaxTokenCount()) {
            return false; // counting tokens is Jackson's business; such a limit is rare and set on purpose
        }
        int maxDepth = limits.getMaxNestingDepth();
        int maxNumber = limits.getMaxNumberLength();
        // Raw bytes are never fewer than the characters they decode to, so a byte bound is safe.
        int maxName = limits.getMaxNameLength();
        int maxString = limits.getMaxStringLength();
        int n = in.length;
        boolean[] inObject = null; // container stack, grown on demand: deep nesting costs no Java stack
        int depth = 0;
        int p = whitespace(in, 0);
        while (true) {
            // A value starts at p.
            if (p >= n) {
                return false;
            }
            int b = in[p];
            if (b == '{' || b == '[') {
                if (depth == maxDepth) {
                    return false;
                }
                if (inObject == null || depth == inObject.length) {
                    inObject = inObject == null ? new boolean[Math.min(maxDepth, 32)]
                            : Arrays.copyOf(inObject, Math.min(maxDepth, inObject.length * 2));
                }
                boolean object = b == '{';
                inObject[depth++] = object;
                p = whitespace(in, p + 1);
                if (p >= n) {
                    return false;
                }
                if (in[p] == (object ? '}' : ']')) {
                    p++;
                    depth--;
                } else {
                    if (object && (p = member(in, p, maxName)) < 0) {
                        return false;
                    }
                    continue;
                }
            } else if (b == '"') {
                p = string(in, p, maxString);
            } else if (b == 't') {
                p = literal(in, p, 't', 'r', 'u', 'e');
            } else if (b == 'n') {
                p = literal(in, p, 'n', 'u', 'l', 'l');
            } else if (b == 'f') {
                p = literal(in, p + 1, 'a', 'l', 's', 'e');
            } else {
                p = number(in, p, maxNumber);
            }
            if (p < 0) {
                return false;
            }
            // A value ended at p: close containers, or go on to the next element.
            while (true) {
                if (depth == 0) {
                    return whitespace(in, p) == n;
                }
                p = whitespace(in, p);
                if (p >= n) {
                    return false;
                }
                b = in[p++];
                boolean object = inObject[depth - 1];
                if (b == ',') {
                    p = whitespace(in, p);
                    if (object && (p = member(in, p, maxName)) < 0) {
                        return false;
                    }
                    break;
                }
                if (b != (object ? '}' : ']')) {
                    return false;
                }
                depth--;
            }
        }
    }

    /** A member's name and colon starting at p; returns where its value starts. */
    private static int member(byte[] in, int p, int maxName) {
        if (p >= in.length || in[p] != '"') {
            return NO;
        }
        p = whitespace(in, string(in, p, maxName));
        if (p < 0 || p >= in.length || in[p] != ':') {
            return NO;
        }
        return whitespace(in, p + 1);
    }

    private static int whitespace(byte[] in, int p) {
        if (p < 0) {
            return p;
        }
        while (p < in.length) {
            byte b = in[p];
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                break;
            }
            p++;
        }
        return p;
    }

    /** Four bytes, then a delimiter: Jackson rejects "truex" too. */
    private static int literal(byte[] in, int p, char c0, char c1, char c2, char c3) {
        if (p + 4 > in.length || in[p] != c0 || in[p + 1] != c1 || in[p + 2] != c2 || in[p + 3] != c3) {
            return NO;
        }
        return delimited(in, p + 4);
    }

    private static int number(byte[] in, int p, int maxLength) {
        int n = in.length;
        int start = p;
        if (in[p] == '-') {
            p++;
        }
        if (p < n && in[p] == '0') {
            p++;
        } else {
            int digits = p;
            p = digits(in, p);
            if (p == digits) {
                return NO;
            }
        }
        if (p < n && in[p] == '.') {
            int digits = ++p;
            p = digits(in, p);
            if (p == digits) {
                return NO;
            }
        }
        if (p < n && (in[p] == 'e' || in[p] == 'E')) {
            p++;
            if (p < n && (in[p] == '+' || in[p] == '-')) {
                p++;
            }
            int digits = p;
            p = digits(in, p);
            if (p == digits) {
                return NO;
            }
        }
        return p - start > maxLength ? NO : delimited(in, p);
    }

    private static int digits(byte[] in, int p) {
        while (p < in.length && in[p] >= '0' && in[p] <= '9') {
            p++;
        }
        return p;
    }

    private static int delimited(byte[] in, int p) {
        if (p == in.length) {
            return p;
        }
        byte b = in[p];
        return b == ',' || b == '}' || b == ']' || b == ' ' || b == '\n' || b == '\r' || b == '\t' ? p : NO;
    }

    /** A string whose opening quote is at p, escapes and UTF-8 checked; returns the position after it. */
    private static int string(byte[] in, int p, int maxBytes) {
        int n = in.length;
        int start = ++p;
        while (true) {
            while (p < n && !STRING_STOP[in[p] & 0xFF]) {
                p++;
            }
            if (p >= n) {
                return NO;
            }
            int b = in[p] & 0xFF;
            if (b == '"') {
                return p - start > maxBytes ? NO : p + 1;
            } else if (b == '\\') {
                p = escape(in, p + 1);
            } else if (b >= 0x80) {
                p = utf8(in, p, b);
            } else {
                return NO; // an unescaped control character
            }
            if (p < 0) {
                return NO;
            }
        }
    }

    private static int escape(byte[] in, int p) {
        if (p >= in.length) {
            return NO;
        }
        switch (in[p]) {
            case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
                return p + 1;
            case 'u':
                if (p + 5 > in.length) {
                    return NO;
                }
                for (int i = 1; i <= 4; i++) {
                    if (Character.digit(in[p + i], 16) < 0) {
                        return NO;
                    }
                }
                return p + 5;
            default:
                return NO;
        }
    }

    /** A well-formed UTF-8 sequence led by {@code lead} at p: shortest form, no surrogates, at most U+10FFFF. */
    private static int utf8(byte[] in, int p, int lead) {
        int count;
        int min;
        int codePoint;
        if (lead >= 0xC2 && lead <= 0xDF) {
            count = 1;
            min = 0x80;
            codePoint = lead & 0x1F;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            count = 2;
            min = 0x800;
            codePoint = lead & 0x0F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            count = 3;
            min = 0x10000;
            codePoint = lead & 0x07;
        } else {
            return NO;
        }
        if (p + count >= in.length) {
            return NO;
        }
        for (int i = 1; i <= count; i++) {
            int b = in[p + i] & 0xFF;
            if ((b & 0xC0) != 0x80) {
                return NO;
            }
            codePoint = (codePoint << 6) | (b & 0x3F);
        }
        if (codePoint < min || codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
            return NO;
        }
        return p + count + 1;
    }
}
