package dev.gatewar;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A response body of declared length reaches the client with that length and those bytes, framed
 * the same way, whether it fits in the container's response buffer or not, on a kept-alive
 * connection, to an HTTP/1.0 client, and in answer to HEAD (the length of the body a GET would get,
 * and no body). (A body that arrives in parts streams as it comes: {@link StreamingTest}.)
 */
class ResponseFramingTest {
    /** Fits in the response buffer of either container. */
    private static final byte[] SMALL = bytes(3000);
    /** Larger than Tomcat's 8 KiB response buffer and Jetty's 8 KiB output aggregation: written through. */
    private static final byte[] LARGE = bytes(20_000);

    private static byte[] bytes(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + 7); // every byte value, CR and LF among them
        }
        return bytes;
    }

    /** The upstream: {@code /small} and {@code /large} answer those bodies, to GET and HEAD alike (no body to HEAD). */
    private static RawUpstream upstream() throws Exception {
        return new RawUpstream(RawUpstream.answersEach(head -> {
            byte[] body = head.contains(" /large ") ? LARGE : SMALL;
            RawMessage answer = RawMessage.ok("application/octet-stream", body);
            return head.startsWith("HEAD ") ? answer.head() : answer.bytes();
        }));
    }

    @Test
    void aSmallBodyArrivesWithTheUpstreamsContentLengthByteForByteOnAKeptAliveConnection() throws Exception {
        try (RawUpstream upstream = upstream();
             GatewayServer gateway = GatewayServer.routeTo(upstream.url());
             RawHttp.Connection client = new RawHttp.Connection(gateway.port())) {
            for (int i = 0; i < 3; i++) {
                RawHttp.Reply reply = client.send(RawMessage.get("/serviceA/small")).readReply();
                assertEquals(200, reply.status(), reply.head());
                assertEquals(String.valueOf(SMALL.length), reply.header("Content-Length"), reply.head());
                assertNull(reply.header("Transfer-Encoding"), reply.head());
                assertTrue(reply.complete(), reply.head());
                assertArrayEquals(SMALL, reply.body());
            }
        }
    }

    @Test
    void aSmallBodyToAnHttp10ClientIsFramedByItsLength() throws Exception {
        try (RawUpstream upstream = upstream();
             GatewayServer gateway = GatewayServer.routeTo(upstream.url())) {
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(),
                    "GET /serviceA/small HTTP/1.0\r\nHost: gw\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(200, reply.status(), reply.head());
            assertEquals(String.valueOf(SMALL.length), reply.header("Content-Length"), reply.head());
            assertArrayEquals(SMALL, reply.body());
        }
    }

    @Test
    void aHeadRequestKeepsTheLengthOfTheBodyAGetWouldHave() throws Exception {
        for (String path : new String[] {"/serviceA/small", "/serviceA/large"}) {
            try (RawUpstream upstream = upstream();
                 GatewayServer gateway = GatewayServer.routeTo(upstream.url());
                 RawHttp.Connection client = new RawHttp.Connection(gateway.port())) {
                String head = client.send(("HEAD " + path + " HTTP/1.1\r\nHost: gw\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1))
                        .readUntil("\r\n\r\n");
                int length = path.endsWith("small") ? SMALL.length : LARGE.length;
                assertTrue(head.startsWith("HTTP/1.1 200 "), head);
                assertEquals(String.valueOf(length), RawHttp.header(head, "Content-Length"), head);
                // The connection stays usable: no body was sent after the head.
                RawHttp.Reply next = client.send(RawMessage.get("/serviceA/small")).readReply();
                assertEquals(200, next.status(), next.head());
                assertArrayEquals(SMALL, next.body());
            }
        }
    }

    @Test
    void aBodyLargerThanTheBufferStreamsWithItsLength() throws Exception {
        try (RawUpstream upstream = upstream();
             GatewayServer gateway = GatewayServer.routeTo(upstream.url());
             RawHttp.Connection client = new RawHttp.Connection(gateway.port())) {
            RawHttp.Reply reply = client.send(RawMessage.get("/serviceA/large")).readReply();
            assertEquals(String.valueOf(LARGE.length), reply.header("Content-Length"), reply.head());
            assertNull(reply.header("Transfer-Encoding"), reply.head());
            assertTrue(Arrays.equals(LARGE, reply.body()), "the large body changed on its way");
            assertFalse(reply.head().toLowerCase().contains("chunked"), reply.head());
        }
    }
}
