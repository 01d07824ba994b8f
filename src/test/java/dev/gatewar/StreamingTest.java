package dev.gatewar;

import org.junit.jupiter.api.Test;

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
             RawHttp.Connection client = new RawHttp.Connection(gateway.port())) {
            client.send(RawMessage.get("/serviceA/download"));
            // The upstream holds "world" back until the client has "hello": a gateway that waited for
            // the whole body would time out here.
            client.readUntil("\r\n\r\nhello");
            clientSawFirstPart.countDown();
            String wire = client.readUntil("helloworld");
            assertTrue(wire.startsWith("HTTP/1.1 200 ") && wire.contains("\r\nContent-Length: 10\r\n"), wire);
        }
    }

    @Test
    void aSmallBodyThatArrivesAfterTheHeadIsStreamedNotAwaited() throws Exception {
        CountDownLatch headArrived = new CountDownLatch(1);
        String body = "hello world";
        try (RawUpstream upstream = new RawUpstream(RawUpstream.echoesBodyAfterHead(headArrived));
             GatewayServer gateway = GatewayServer.routeTo(upstream.url());
             RawHttp.Connection client = new RawHttp.Connection(gateway.port())) {
            client.send(RawMessage.post("/serviceA/echo", "text/plain", body).head());
            // The body is sent only once the upstream has the head: the gateway must forward the head
            // and then stream the body as it comes, not wait for the body first.
            assertTrue(headArrived.await(20, TimeUnit.SECONDS), "the upstream never got the request head");
            client.send(body.getBytes(StandardCharsets.US_ASCII));
            String wire = client.readUntil("\r\n\r\n" + body);
            assertTrue(wire.startsWith("HTTP/1.1 200 "), wire);
        }
    }
}
