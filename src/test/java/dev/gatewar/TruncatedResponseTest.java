package dev.gatewar;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, item 2: an upstream that dies mid-body must leave the client a response that looks
 * truncated, also when the client asked for {@code Connection: close} (then Jetty 12.1 frames the
 * response by closing the connection, and a clean close after half the body looks like the end).
 *
 * <p>A plain socket rather than {@link RawHttp.Connection}: the test must tell a reset (the client
 * knows the body is short) from a clean close, which {@link RawHttp.Connection#readToEnd} does not.
 */
class TruncatedResponseTest {
    @Test
    void anUpstreamThatDiesMidBodyStillLooksTruncatedWhenTheClientSentConnectionClose() throws Exception {
        CountDownLatch clientSawChunk = new CountDownLatch(1);
        try (RawUpstream upstream = new RawUpstream(RawUpstream.diesMidBody(clientSawChunk));
             GatewayServer gateway = GatewayServer.routeTo(upstream.url());
             Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(RawMessage.get("/serviceA/events").connectionClose().bytes());
            InputStream in = socket.getInputStream();
            StringBuilder received = new StringBuilder();
            while (!received.toString().contains("data: hello")) {
                int b = in.read();
                assertTrue(b >= 0, "connection closed before the first event arrived: " + received);
                received.append((char) b);
            }
            clientSawChunk.countDown();
            boolean reset = false;
            try {
                for (int b = in.read(); b >= 0; b = in.read()) {
                    received.append((char) b);
                }
            } catch (SocketException e) {
                reset = true; // an aborted connection: the client knows the response is incomplete
            }
            String wire = received.toString();
            String head = wire.substring(0, Math.max(0, wire.indexOf("\r\n\r\n")) + 2);
            boolean framed = RawHttp.header(head, "Content-Length") != null
                    || String.valueOf(RawHttp.header(head, "Transfer-Encoding")).toLowerCase(Locale.ROOT).endsWith("chunked");
            assertTrue(wire.startsWith("HTTP/1.1 200 "), wire);
            assertTrue(framed || reset, "the client cannot tell that the body is short: a close-delimited response"
                    + " (no Content-Length, not chunked) ended by a clean close:\n" + wire);
            assertFalse(wire.contains("\r\n0\r\n\r\n"), "the message must not be terminated: " + wire);
            assertFalse(wire.contains("\"message\""), "no JSON appended to a half-sent body: " + wire);
        }
    }
}
