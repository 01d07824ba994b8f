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

    @Test
    void aSmallBodyPartOfWhichCameWithTheHeadIsForwardedFromThatPartAndArrivesWhole() throws Exception {
        // The part that came with the head is read at once (ArrivedBody); the rest must follow it on
        // the same upstream request, byte for byte, whether JsonBodyFilter holds the body (JSON) or
        // the route streams it (any other type).
        for (boolean filtered : new boolean[] {false, true}) {
            CountDownLatch firstPartArrived = new CountDownLatch(1);
            String first = "{\"order\": \"first part\", ";
            String rest = "\"note\": \"sent once the upstream has the first part\"}";
            String body = first + rest;
            try (RawUpstream upstream = new RawUpstream(RawUpstream.echoesBodyAfterFirstBytes(first.length(), firstPartArrived));
                 GatewayServer gateway = GatewayServer.routeTo(upstream.url());
                 RawHttp.Connection client = new RawHttp.Connection(gateway.port())) {
                RawMessage post = RawMessage.post("/serviceA/echo", filtered ? "application/json" : "text/plain", body);
                byte[] head = post.head();
                byte[] withFirst = new byte[head.length + first.length()];
                System.arraycopy(head, 0, withFirst, 0, head.length);
                System.arraycopy(first.getBytes(StandardCharsets.US_ASCII), 0, withFirst, head.length, first.length());
                client.send(withFirst);
                if (!filtered) {
                    // Without the filter the first part is forwarded before the rest is sent; with it,
                    // nothing goes upstream before the whole body is here and judged.
                    assertTrue(firstPartArrived.await(20, TimeUnit.SECONDS), "the upstream never got the first part");
                }
                client.send(rest.getBytes(StandardCharsets.US_ASCII));
                String wire = client.readUntil("\r\n\r\n" + body);
                assertTrue(wire.startsWith("HTTP/1.1 200 "), (filtered ? "filtered: " : "unfiltered: ") + wire);
            }
        }
    }
}
