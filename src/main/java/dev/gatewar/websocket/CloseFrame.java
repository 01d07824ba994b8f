package dev.gatewar.websocket;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/** A close frame the gateway sends itself (RFC 6455 section 5.5.1), when one side cannot. */
final class CloseFrame {
    /** The client went away, or the tunnel stayed idle too long. */
    static final int GOING_AWAY = 1001;
    /** A message grew past the route's limit. */
    static final int MESSAGE_TOO_BIG = 1009;
    /** The upstream's connection ended without a close frame. */
    static final int UPSTREAM_FAILED = 1011;

    private CloseFrame() {
    }

    /** The frame for a client: servers never mask. */
    static byte[] toClient(int code, String reason) {
        return frame(code, reason, false);
    }

    /** The frame for the upstream: a client's frames are always masked. */
    static byte[] toUpstream(int code, String reason) {
        return frame(code, reason, true);
    }

    private static byte[] frame(int code, String reason, boolean masked) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int payloadLength = 2 + text.length; // short ASCII reasons: well under the 125-byte limit
        byte[] payload = new byte[payloadLength];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(text, 0, payload, 2, text.length);
        int headerLength = masked ? 6 : 2;
        byte[] frame = new byte[headerLength + payloadLength];
        frame[0] = (byte) 0x88; // FIN, close
        frame[1] = (byte) ((masked ? 0x80 : 0) | payloadLength);
        if (masked) {
            byte[] key = new byte[4];
            ThreadLocalRandom.current().nextBytes(key);
            System.arraycopy(key, 0, frame, 2, 4);
            for (int i = 0; i < payloadLength; i++) {
                payload[i] ^= key[i % 4];
            }
        }
        System.arraycopy(payload, 0, frame, headerLength, payloadLength);
        return frame;
    }
}
