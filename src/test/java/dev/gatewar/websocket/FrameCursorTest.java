package dev.gatewar.websocket;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameCursorTest {
    /** A frame header (RFC 6455 5.2) with a payload of {@code length} zero bytes, masked or not. */
    private static byte[] frame(boolean fin, int opcode, int length, boolean masked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | opcode);
        int mask = masked ? 0x80 : 0;
        if (length < 126) {
            out.write(mask | length);
        } else if (length < 65536) {
            out.write(mask | 126);
            out.write(length >> 8);
            out.write(length);
        } else {
            out.write(mask | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) ((long) length >> shift));
            }
        }
        if (masked) {
            out.writeBytes(new byte[] {9, 8, 7, 6});
        }
        out.writeBytes(new byte[length]);
        return out.toByteArray();
    }

    @Test
    void followsFramesOfEveryLengthCodeFedAByteAtATime() {
        FrameCursor cursor = new FrameCursor(1 << 20);
        for (byte[] frame : new byte[][] {frame(true, 1, 5, true), frame(true, 2, 300, false), frame(true, 2, 70_000, true)}) {
            for (int i = 0; i < frame.length; i++) {
                assertEquals(1, cursor.follow(frame, i, 1));
                assertEquals(i == frame.length - 1, cursor.atFrameBoundary(), "after byte " + i + " of " + frame.length);
            }
        }
        assertFalse(cursor.closeSeen());
        byte[] close = frame(true, 8, 2, true);
        assertEquals(close.length, cursor.follow(close, 0, close.length));
        assertTrue(cursor.closeSeen());
    }

    @Test
    void aMessageOverTheLimitStopsAtItsFrameHeaderCountingEveryFragment() {
        FrameCursor cursor = new FrameCursor(1000);
        byte[] first = frame(false, 1, 600, true);
        byte[] ping = frame(true, 9, 4, true); // control frames may come between fragments, and do not count
        byte[] second = frame(true, 0, 600, true);
        byte[] all = new byte[first.length + ping.length + second.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(ping, 0, all, first.length, ping.length);
        System.arraycopy(second, 0, all, first.length + ping.length, second.length);
        assertEquals(first.length + ping.length, cursor.follow(all, 0, all.length));
        assertTrue(cursor.tooLarge());
        assertTrue(cursor.atFrameBoundary(), "what was forwarded ends with whole frames");
        assertEquals(0, cursor.follow(all, 0, all.length), "nothing more, ever");
    }

    @Test
    void aRefusedHeaderThatBeganInAnEarlierChunkLeavesTheReceiverInsideAFrame() {
        FrameCursor cursor = new FrameCursor(100);
        byte[] big = frame(true, 2, 300, true);
        assertEquals(1, cursor.follow(big, 0, 1)); // the header's first byte went out with an earlier chunk
        assertEquals(0, cursor.follow(big, 1, big.length - 1));
        assertTrue(cursor.tooLarge());
        assertFalse(cursor.atFrameBoundary());
    }
}
