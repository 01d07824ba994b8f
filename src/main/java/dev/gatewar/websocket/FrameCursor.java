package dev.gatewar.websocket;

/**
 * Follows the frames (RFC 6455 section 5.2) of one direction of a tunnel without decoding their
 * payloads: enough to know where a frame ends, so that the gateway can put a close frame of its own
 * between two frames, to see the sender's close frame go by, and to stop a message that grows past
 * the limit at its frame header, before any of it is forwarded. Used by one thread at a time.
 */
final class FrameCursor {
    private static final int OPCODE_CONTINUATION = 0x0;
    private static final int OPCODE_CLOSE = 0x8;

    private final long maxMessageBytes;
    private final byte[] header = new byte[14];
    /** Header bytes of the current frame collected so far; 0 between frames and in a payload. */
    private int headerLength;
    private long payloadLeft;
    /** Payload bytes of the current data message so far, all its fragments counted. */
    private long messageBytes;
    /** Read by the other direction's pump too, when a side ends. */
    private volatile boolean closeSeen;
    private boolean tooLarge;

    FrameCursor(long maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * Follows {@code length} bytes at {@code bytes[offset]} and returns how many of them may be
     * forwarded: all of them, unless a frame header says its message has grown past the limit; then
     * the bytes up to that header, and nothing after it ever again.
     */
    int follow(byte[] bytes, int offset, int length) {
        if (tooLarge) {
            return 0;
        }
        int i = 0;
        while (i < length) {
            if (payloadLeft > 0) {
                int skipped = (int) Math.min(payloadLeft, length - i);
                payloadLeft -= skipped;
                i += skipped;
                continue;
            }
            int headerStart = i - headerLength; // negative when the header began in an earlier chunk
            header[headerLength++] = bytes[offset + i++];
            if (headerLength < 2 || headerLength < headerSize()) {
                continue;
            }
            if (!frameHeaderComplete()) {
                // A header split across chunks was partly forwarded: the receiver is inside a frame.
                headerLength = headerStart >= 0 ? 0 : 1;
                return Math.max(0, headerStart);
            }
        }
        return length;
    }

    private int headerSize() {
        int lengthCode = header[1] & 0x7f;
        int extended = lengthCode == 126 ? 2 : lengthCode == 127 ? 8 : 0;
        boolean masked = (header[1] & 0x80) != 0;
        return 2 + extended + (masked ? 4 : 0);
    }

    /** Reads the complete header; false when its message is now too large. */
    private boolean frameHeaderComplete() {
        int opcode = header[0] & 0x0f;
        int lengthCode = header[1] & 0x7f;
        long payload = lengthCode;
        if (lengthCode == 126) {
            payload = ((header[2] & 0xffL) << 8) | (header[3] & 0xffL);
        } else if (lengthCode == 127) {
            payload = 0;
            for (int b = 2; b < 10; b++) {
                payload = (payload << 8) | (header[b] & 0xffL);
            }
        }
        headerLength = 0;
        if (opcode == OPCODE_CLOSE) {
            closeSeen = true;
        } else if (opcode < OPCODE_CLOSE) { // a data frame: text, binary or a continuation
            messageBytes = opcode == OPCODE_CONTINUATION ? messageBytes + payload : payload;
            if (payload < 0 || messageBytes > maxMessageBytes) {
                tooLarge = true;
                return false;
            }
        }
        payloadLeft = payload;
        return true;
    }

    /** Whether everything followed so far ends with a whole frame, so that another frame may follow. */
    boolean atFrameBoundary() {
        return headerLength == 0 && payloadLeft == 0;
    }

    /** Whether a message grew past the limit; what was forwarded before it ends at a frame boundary. */
    boolean tooLarge() {
        return tooLarge;
    }

    /** Whether the sender's close frame went by. */
    boolean closeSeen() {
        return closeSeen;
    }
}
