package dev.gatewar;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Response bodies reach the client as the upstream sends them, not when they are complete. */
class StreamingTest {
    @Test
    void theFirstPartOfASizedBodyArrivesBeforeTheUpstreamSendsTheRest() throws Exception {
        CountDownLatch clientSawFirstPart = new CountDownLatch(1);
        try (RawUpstream upstream = new RawUpstream(RawUpstream.sendsSizedBodyInTwoParts(clientSawFirstPart));
             GatewayServer gateway = GatewayServer.routeTo(upstream.url());
             Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write("GET /serviceA/download HTTP/1.1\r\nHost: gw\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            StringBuilder received = new StringBuilder();
            // The upstream holds "world" back until the client has "hello": a gateway that waited for
            // the whole body would time out here.
            readUntil(in, received, "\r\n\r\nhello");
            clientSawFirstPart.countDown();
            readUntil(in, received, "helloworld");
            String wire = received.toString();
            assertTrue(wire.startsWith("HTTP/1.1 200 ") && wire.contains("\r\nContent-Length: 10\r\n"), wire);
        }
    }

    @Test
    void aSmallBodyThatArrivesAfterTheHeadIsStreamedNotAwaited() throws Exception {
        CountDownLatch headArrived = new CountDownLatch(1);
        try (RawUpstream upstream = new RawUpstream(RawUpstream.echoesBodyAfterHead(headArrived));
             GatewayServer gateway = GatewayServer.routeTo(upstream.url());
             Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("POST /serviceA/echo HTTP/1.1\r\nHost: gw\r\nContent-Type: text/plain\r\n"
                    + "Content-Length: 11\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            // The body is sent only once the upstream has the head: the gateway must forward the head
            // and then stream the body as it comes, not wait for the body first.
            assertTrue(headArrived.await(20, TimeUnit.SECONDS), "the upstream never got the request head");
            socket.getOutputStream().write("hello world".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            StringBuilder received = new StringBuilder();
            readUntil(socket.getInputStream(), received, "\r\n\r\nhello world");
            assertTrue(received.toString().startsWith("HTTP/1.1 200 "), received.toString());
        }
    }

    private static void readUntil(InputStream in, StringBuilder received, String expected) throws Exception {
        while (received.indexOf(expected) < 0) {
            int b = in.read();
            assertTrue(b >= 0, "connection closed before '" + expected + "' arrived: " + received);
            received.append((char) b);
        }
    }
}
