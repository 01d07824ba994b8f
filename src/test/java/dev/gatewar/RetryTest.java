package dev.gatewar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retries on a route with several upstreams (issue 10): what is retried (nothing reached the
 * upstream, or an idempotent request with a replayable body), what never is (a POST that reached it,
 * a streamed body, anything after the response began), and what the client and the log see.
 *
 * <p>Each test puts a misbehaving {@link RawUpstream} first in the list and a healthy
 * {@link TestUpstream} second, and sends requests until one has reached the misbehaving one:
 * round-robin over two reaches it within two requests, whichever it starts with.
 */
class RetryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final TestUpstream healthy = new TestUpstream();

    private static GatewayServer gateway(String... nameValues) throws Exception {
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            params.put(nameValues[i], nameValues[i + 1]);
        }
        return GatewayServer.builder().route("serviceA", "/serviceA/*", params).start();
    }

    /** A port nothing listens on: bound, read back, closed. */
    private static int deadPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static JsonNode assert503Json(RawHttp.Reply reply, String message, int... ports) throws Exception {
        assertEquals(503, reply.status(), reply.head());
        assertTrue(reply.header("Content-Type").startsWith("application/json"), reply.head());
        assertTrue(reply.complete());
        JsonNode body = JSON.readTree(reply.body());
        assertEquals(message, body.get("message").asText());
        String text = reply.bodyText();
        assertFalse(text.contains("127.0.0.1"), "no upstream address: " + text);
        for (int port : ports) {
            assertFalse(text.contains(Integer.toString(port)), "no upstream port: " + text);
        }
        assertEquals(reply.header("X-Request-Id"), body.get("requestId").asText());
        return body;
    }

    /** The one WARN line of a failed exchange, by its request id. */
    private static String failureLine(LogCapture log, String requestId) throws InterruptedException {
        assertTrue(log.await(l -> l.contains("upstream failure route=") && l.endsWith(" requestId=" + requestId), 5_000),
                "no failure line for " + requestId + " in:\n" + log.text());
        List<String> lines = log.lines(l -> l.contains("upstream failure route=") && l.endsWith(" requestId=" + requestId));
        assertEquals(1, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).contains(":WARN :"), lines.get(0));
        return lines.get(0);
    }

    private static String json(int i) {
        return "{\"order\": " + i + ", \"items\": [1, 2, 3]}";
    }

    /**
     * Sends POSTs until one reached the upstream that resets after reading it; returns that POST's
     * number. The others must have been answered by the healthy upstream.
     */
    private static int postUntilOneReaches(GatewayServer gateway, BlockingQueue<String> reached, String prefix,
                                           Map<Integer, RawHttp.Reply> replies) throws Exception {
        for (int i = 1; i <= 3; i++) {
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(), RawMessage.post("/serviceA/orders", "application/json", json(i))
                    .header("X-Request-Id", prefix + i).connectionClose());
            replies.put(i, reply);
            if (!reached.isEmpty()) {
                return i;
            }
            assertEquals(200, reply.status(), reply.head());
            TestUpstream.Received received = healthy.next();
            assertEquals(prefix + i, received.header("X-Request-Id"));
        }
        throw new AssertionError("round-robin over two upstreams sent none of 3 requests to the first");
    }

    @Test
    void aPostThatReachedAnUpstreamWhichResetIsNotRetried() throws Exception {
        BlockingQueue<String> reached = new LinkedBlockingQueue<>();
        Map<Integer, RawHttp.Reply> replies = new HashMap<>();
        try (RawUpstream resetting = new RawUpstream(RawUpstream.resetsAfterBody(reached));
             LogCapture log = LogCapture.start();
             GatewayServer gateway = gateway("upstream", resetting.url() + ", " + healthy.url())) {
            int n = postUntilOneReaches(gateway, reached, "post-", replies);
            String request = reached.take();
            assertEquals("post-" + n, RawHttp.header(request, "X-Request-Id"));
            assertTrue(request.endsWith(json(n)), "the upstream read the whole body: " + request);
            assert503Json(replies.get(n), "Service 'serviceA' is unavailable: the service closed the connection before it answered.",
                    resetting.port(), healthy.port());
            assertTrue(healthy.receivedNothing(), "a POST that may have been processed is not sent again");
            assertTrue(reached.isEmpty(), "nor sent again to the same upstream");
            String line = failureLine(log, "post-" + n);
            assertTrue(line.matches(".*: upstream failure route=serviceA kind=reset method=POST elapsedMs=\\d+ tries=1 upstreams=0 "
                    + "requestId=post-" + n), line);
            assertFalse(log.text().contains("retrying route=serviceA"), log.text());
        }
    }

    @Test
    void aPostIsRetriedOnAnotherUpstreamWhenRetryMethodsListsPost() throws Exception {
        BlockingQueue<String> reached = new LinkedBlockingQueue<>();
        Map<Integer, RawHttp.Reply> replies = new HashMap<>();
        try (RawUpstream resetting = new RawUpstream(RawUpstream.resetsAfterBody(reached));
             LogCapture log = LogCapture.start();
             GatewayServer gateway = gateway("upstream", resetting.url() + ", " + healthy.url(), "retryMethods", "POST")) {
            int n = postUntilOneReaches(gateway, reached, "post-", replies);
            assertEquals("post-" + n, RawHttp.header(reached.take(), "X-Request-Id"));
            RawHttp.Reply reply = replies.get(n);
            assertEquals(200, reply.status(), reply.head());
            assertEquals("ok", reply.bodyText());
            // The same request, with the same id and the same body, on the other upstream.
            TestUpstream.Received retried = healthy.next();
            assertEquals("POST", retried.method());
            assertEquals("/orders", retried.target());
            assertEquals("post-" + n, retried.header("X-Request-Id"));
            assertEquals(json(n), retried.bodyText());
            assertTrue(healthy.receivedNothing());
            assertTrue(reached.isEmpty());
            assertFalse(log.text().contains("upstream failure route="), "a retried success is no failure:\n" + log.text());
        }
    }

    /**
     * A GET whose upstream resets after reading the head is retried on the other one: the client
     * gets its 200, and one DEBUG line tells of the second try, on upstream 1.
     */
    @Test
    void aGetResetAfterTheHeadIsRetriedOnTheOtherUpstream() throws Exception {
        BlockingQueue<String> heads = new LinkedBlockingQueue<>();
        try (RawUpstream resetting = new RawUpstream(RawUpstream.resetsAfterHead(heads));
             LogCapture log = LogCapture.startWithDebug();
             GatewayServer gateway = gateway("upstream", resetting.url() + ", " + healthy.url())) {
            String id = null;
            for (int i = 1; i <= 3 && id == null; i++) {
                RawHttp.Reply reply = RawHttp.exchange(gateway.port(),
                        RawMessage.get("/serviceA/items/" + i).header("X-Request-Id", "get-" + i).connectionClose());
                assertEquals(200, reply.status(), reply.head());
                assertEquals("ok", reply.bodyText());
                TestUpstream.Received received = healthy.next();
                assertEquals("get-" + i, received.header("X-Request-Id"));
                assertEquals("/items/" + i, received.target());
                if (!heads.isEmpty()) {
                    id = "get-" + i;
                }
            }
            assertNotNull(id, "round-robin over two upstreams sent none of 3 requests to the first");
            assertEquals(id, RawHttp.header(heads.take(), "X-Request-Id"), "the same request id on every try");
            String expected = "retrying route=serviceA try=2 upstream=1 after=reset requestId=" + id;
            String finalId = id;
            assertTrue(log.await(l -> l.endsWith(": " + expected), 5_000), "no line '" + expected + "' in:\n" + log.text());
            List<String> retries = log.lines(l -> l.contains("retrying route=serviceA") && l.endsWith("requestId=" + finalId));
            assertEquals(1, retries.size(), String.join("\n", retries));
            assertTrue(retries.get(0).contains("DEBUG"), retries.get(0));
            assertFalse(log.lines().stream().anyMatch(l -> l.contains(":WARN :") && l.contains("upstream failure route=")),
                    "a retried success is no failure:\n" + log.text());
            assertTrue(healthy.receivedNothing());
        }
    }

    /**
     * Once the upstream's response head has arrived (and part of its body reached the client) no
     * other upstream is tried: the client sees a message cut short.
     */
    @Test
    void anUpstreamThatDiesMidBodyIsNotRetried() throws Exception {
        CountDownLatch clientSawChunk = new CountDownLatch(1);
        try (RawUpstream dying = new RawUpstream(RawUpstream.diesMidBody(clientSawChunk));
             LogCapture log = LogCapture.start();
             GatewayServer gateway = gateway("upstream", dying.url() + ", " + healthy.url())) {
            String wire = null;
            String id = null;
            for (int i = 1; i <= 3 && wire == null; i++) {
                try (RawHttp.Connection client = new RawHttp.Connection(gateway.port())) {
                    client.send(RawMessage.get("/serviceA/events").header("X-Request-Id", "half-" + i).connectionClose());
                    String head = client.readUntil("\r\n\r\n");
                    if (head.contains("text/event-stream")) {
                        client.readUntil("data: hello");
                        clientSawChunk.countDown();
                        wire = client.readToEnd();
                        id = "half-" + i;
                    } else {
                        assertTrue(head.startsWith("HTTP/1.1 200 "), head);
                        assertEquals("half-" + i, healthy.next().header("X-Request-Id"));
                    }
                }
            }
            assertNotNull(wire, "round-robin over two upstreams sent none of 3 requests to the first");
            assertTrue(wire.startsWith("HTTP/1.1 200 "), wire);
            assertFalse(wire.contains("\r\n0\r\n\r\n"), "the message must not be terminated: " + wire);
            assertFalse(wire.contains("\"message\""), "no JSON appended to a half-sent body: " + wire);
            assertFalse(wire.contains("\r\n\r\nok"), "nothing from another upstream: " + wire);
            // The gateway has decided once it logged the failure: no try on the other upstream.
            String line = failureLine(log, id);
            assertTrue(line.contains(" tries=1 upstreams=0 "), line);
            assertTrue(healthy.receivedNothing(), "no retry after the response began");
            assertFalse(log.text().contains("retrying route=serviceA"), log.text());
        }
    }

    /**
     * Every upstream refuses: each is tried once (retries=1: two tries), and the client gets the
     * 503 JSON at once, for a GET and for a POST (nothing was sent, so any method is retried).
     */
    @Test
    void allUpstreamsRefusing503JsonAfterOneTryEachWithinTheConnectTimeoutBound() throws Exception {
        int first = deadPort();
        int second = deadPort();
        long connectTimeoutMs = 500;
        try (LogCapture log = LogCapture.start();
             GatewayServer gateway = gateway("upstream", "http://127.0.0.1:" + first + " http://127.0.0.1:" + second,
                     "connectTimeout", Long.toString(connectTimeoutMs), "retries", "1", "maxFails", "100")) {
            for (RawMessage request : List.of(
                    RawMessage.get("/serviceA/x").header("X-Request-Id", "down-get").connectionClose(),
                    RawMessage.post("/serviceA/x", "application/json", json(1)).header("X-Request-Id", "down-post").connectionClose())) {
                long start = System.nanoTime();
                RawHttp.Reply reply = RawHttp.exchange(gateway.port(), request);
                long elapsedMs = (System.nanoTime() - start) / 1_000_000;
                assert503Json(reply, "Service 'serviceA' is unavailable: the service refused the connection.", first, second);
                assertTrue(elapsedMs < connectTimeoutMs * 2 + 2_000, "answered after " + elapsedMs + " ms");
            }
            assertTrue(failureLine(log, "down-get").matches(".*: upstream failure route=serviceA kind=refused method=GET "
                    + "elapsedMs=\\d+ tries=2 upstreams=(0,1|1,0) requestId=down-get"), log.text());
            assertTrue(failureLine(log, "down-post").matches(".*: upstream failure route=serviceA kind=refused method=POST "
                    + "elapsedMs=\\d+ tries=2 upstreams=(0,1|1,0) requestId=down-post"), log.text());
        }
    }

    /**
     * Every upstream lets connecting time out: two tries of connectTimeout each, then the 503 JSON,
     * within connectTimeout × tries plus slack, never a hang.
     */
    @Test
    void allUpstreamsTimingOut503JsonWithinConnectTimeoutTimesTries() throws Exception {
        long connectTimeoutMs = 300;
        try (RawUpstream.FullBacklog first = new RawUpstream.FullBacklog();
             RawUpstream.FullBacklog second = new RawUpstream.FullBacklog();
             LogCapture log = LogCapture.start();
             GatewayServer gateway = gateway("upstream", first.url() + ", " + second.url(),
                     "connectTimeout", Long.toString(connectTimeoutMs), "retries", "1", "maxFails", "100")) {
            long start = System.nanoTime();
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(),
                    RawMessage.get("/serviceA/x").header("X-Request-Id", "timeout-get").connectionClose());
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assert503Json(reply, "Service 'serviceA' is unavailable: the service did not answer in time.", first.port(), second.port());
            assertTrue(elapsedMs >= connectTimeoutMs * 2 - 50 && elapsedMs < connectTimeoutMs * 2 + 2_000,
                    "two connect timeouts of " + connectTimeoutMs + " ms, answered after " + elapsedMs + " ms");
            assertTrue(failureLine(log, "timeout-get").matches(".*: upstream failure route=serviceA kind=timeout method=GET "
                    + "elapsedMs=\\d+ tries=2 upstreams=(0,1|1,0) requestId=timeout-get"), log.text());
        }
    }

    /** A small PUT body that arrived with its head is held, so an idempotent PUT is sent again. */
    @Test
    void aSmallPutThatReachedAnUpstreamWhichResetIsRetried() throws Exception {
        BlockingQueue<String> reached = new LinkedBlockingQueue<>();
        byte[] body = "replace me, 1 KiB or so ".repeat(40).getBytes(StandardCharsets.UTF_8);
        try (RawUpstream resetting = new RawUpstream(RawUpstream.resetsAfterBody(reached));
             GatewayServer gateway = gateway("upstream", resetting.url() + ", " + healthy.url())) {
            String id = null;
            for (int i = 1; i <= 3 && id == null; i++) {
                RawHttp.Reply reply = RawHttp.exchange(gateway.port(), RawMessage.withBody("PUT", "/serviceA/doc/" + i, "text/plain", body)
                        .header("X-Request-Id", "put-" + i).connectionClose());
                assertEquals(200, reply.status(), reply.head());
                TestUpstream.Received received = healthy.next();
                assertEquals("put-" + i, received.header("X-Request-Id"));
                assertEquals("PUT", received.method());
                assertEquals(new String(body, StandardCharsets.UTF_8), received.bodyText());
                if (!reached.isEmpty()) {
                    id = "put-" + i;
                }
            }
            assertNotNull(id, "round-robin over two upstreams sent none of 3 requests to the first");
            assertEquals(id, RawHttp.header(reached.take(), "X-Request-Id"));
            assertTrue(healthy.receivedNothing());
        }
    }

    /**
     * A PUT body larger than retryBufferBytes, streamed chunked, is not held: once it went to an
     * upstream that then reset, it cannot be sent again, and the client gets the 503.
     */
    @Test
    void aStreamedPutLargerThanTheRetryBufferIsNotRetried() throws Exception {
        BlockingQueue<String> reached = new LinkedBlockingQueue<>();
        byte[] body = "x".repeat(8 * 1024).getBytes(StandardCharsets.US_ASCII);
        try (RawUpstream resetting = new RawUpstream(RawUpstream.resetsAfterBody(reached));
             LogCapture log = LogCapture.start();
             GatewayServer gateway = gateway("upstream", resetting.url() + ", " + healthy.url(), "retryBufferBytes", "1024")) {
            RawHttp.Reply failed = null;
            String id = null;
            for (int i = 1; i <= 3 && failed == null; i++) {
                RawHttp.Reply reply = RawHttp.exchange(gateway.port(), RawMessage.withBody("PUT", "/serviceA/big/" + i, "text/plain", body)
                        .chunked(1024, 1024, 1024).header("X-Request-Id", "bigput-" + i).connectionClose());
                if (reached.isEmpty()) {
                    assertEquals(200, reply.status(), reply.head());
                    assertEquals("bigput-" + i, healthy.next().header("X-Request-Id"));
                } else {
                    failed = reply;
                    id = "bigput-" + i;
                }
            }
            assertNotNull(failed, "round-robin over two upstreams sent none of 3 requests to the first");
            String request = reached.take();
            assertEquals(id, RawHttp.header(request, "X-Request-Id"));
            assertTrue(request.endsWith(new String(body, StandardCharsets.US_ASCII)), "the upstream read the whole body");
            assert503Json(failed, "Service 'serviceA' is unavailable: the service closed the connection before it answered.",
                    resetting.port(), healthy.port());
            assertTrue(healthy.receivedNothing(), "a body that was not held is never sent again");
            assertTrue(failureLine(log, id).matches(".*: upstream failure route=serviceA kind=reset method=PUT elapsedMs=\\d+ "
                    + "tries=1 upstreams=0 requestId=" + id), log.text());
        }
    }
}
