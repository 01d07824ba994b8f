package dev.gatewar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatewar.proxy.ExchangeFailures;
import org.eclipse.jetty.logging.JettyLogger;
import org.eclipse.jetty.logging.StdErrAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Upstreams that fail for real, and what the client sees. */
class UpstreamFailureTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A port nothing listens on: bound, read back, closed. */
    private static int deadPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static RawHttp.Reply get(GatewayServer gateway, String path) throws Exception {
        return RawHttp.exchange(gateway.port(), RawMessage.get(path).connectionClose());
    }

    private static JsonNode assert503Json(RawHttp.Reply reply, String upstreamPort) throws Exception {
        assertEquals(503, reply.status(), reply.head());
        assertTrue(reply.header("Content-Type").startsWith("application/json"), reply.head());
        assertTrue(reply.complete());
        JsonNode body = JSON.readTree(reply.body());
        String text = reply.bodyText();
        assertFalse(text.contains("127.0.0.1") || text.contains(upstreamPort), "no upstream address: " + text);
        assertFalse(text.contains("Exception") || text.contains("\tat "), "no stack trace: " + text);
        assertEquals(reply.header("X-Request-Id"), body.get("requestId").asText());
        return body;
    }

    @Test
    void aRefusedConnectionIs503Json() throws Exception {
        int port = deadPort();
        try (GatewayServer gateway = GatewayServer.routeTo("http://127.0.0.1:" + port)) {
            JsonNode body = assert503Json(get(gateway, "/serviceA/x"), Integer.toString(port));
            assertEquals("Service 'serviceA' is unavailable: the service refused the connection.", body.get("message").asText());
        }
    }

    @Test
    void eachFailureWritesOneWarnLineWithRouteKindElapsedAndRequestIdButNoBody() throws Exception {
        int port = deadPort();
        StdErrAppender appender = (StdErrAppender) ((JettyLogger) LoggerFactory.getLogger(ExchangeFailures.class)).getAppender();
        PrintStream original = appender.getStream();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        appender.setStream(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (GatewayServer gateway = GatewayServer.routeTo("http://127.0.0.1:" + port)) {
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(), RawMessage.post("/serviceA/x", "application/json",
                    "{\"secret\": \"pw\"}\n").connectionClose().header("X-Request-Id", "trace-42"));
            assertEquals("trace-42", assert503Json(reply, Integer.toString(port)).get("requestId").asText());
        } finally {
            appender.setStream(original);
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("upstream failure")).toArray(String[]::new);
        assertEquals(1, lines.length, String.join("\n", lines));
        assertTrue(lines[0].contains(":WARN :") && lines[0].matches(".*upstream failure route=serviceA kind=refused method=POST "
                + "elapsedMs=\\d+ tries=1 upstreams=0 requestId=trace-42$"), lines[0]);
        assertFalse(captured.toString(StandardCharsets.UTF_8).contains("secret"), "the body is never logged");
    }

    @Test
    void aRefusedConnectionWithAJsonBodyIs503Json() throws Exception {
        int port = deadPort();
        try (GatewayServer gateway = GatewayServer.routeTo("http://127.0.0.1:" + port)) {
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(),
                    RawMessage.post("/serviceA/x", "application/json", "{\"a\": 1}\n").connectionClose());
            assert503Json(reply, Integer.toString(port));
        }
    }

    @Test
    void aResetBeforeTheResponseIs503Json() throws Exception {
        try (RawUpstream upstream = new RawUpstream(RawUpstream.resetsAfterHead());
             GatewayServer gateway = GatewayServer.routeTo(upstream.url())) {
            JsonNode body = assert503Json(get(gateway, "/serviceA/x"), Integer.toString(upstream.port()));
            assertEquals("Service 'serviceA' is unavailable: the service closed the connection before it answered.",
                    body.get("message").asText());
        }
    }

    @Test
    void anUpstreamThatNeverAnswersIs503JsonAfterTheResponseTimeout() throws Exception {
        try (RawUpstream upstream = new RawUpstream(RawUpstream.neverAnswers());
             GatewayServer gateway = GatewayServer.builder()
                     .route("serviceA", "/serviceA/*", Map.of("upstream", upstream.url(), "responseTimeout", "500")).start()) {
            long start = System.nanoTime();
            RawHttp.Reply reply = get(gateway, "/serviceA/slow");
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            JsonNode body = assert503Json(reply, Integer.toString(upstream.port()));
            assertEquals("Service 'serviceA' is unavailable: the service did not answer in time.", body.get("message").asText());
            assertTrue(upstream.awaitAccepted());
            assertTrue(elapsedMs >= 500 && elapsedMs < 10_000, "answered after " + elapsedMs + " ms");
        }
    }

    @Test
    void anUpstreamThatDiesMidBodyLeavesTheClientWithAnIncompleteMessage() throws Exception {
        CountDownLatch clientSawChunk = new CountDownLatch(1);
        try (RawUpstream upstream = new RawUpstream(RawUpstream.diesMidBody(clientSawChunk));
             GatewayServer gateway = GatewayServer.routeTo(upstream.url());
             RawHttp.Connection client = new RawHttp.Connection(gateway.port())) {
            client.send(RawMessage.get("/serviceA/events"));
            // The event must arrive while the upstream is still connected: streamed, not buffered.
            client.readUntil("data: hello");
            clientSawChunk.countDown();
            String wire = client.readToEnd();
            assertTrue(wire.startsWith("HTTP/1.1 200 "), wire);
            assertFalse(wire.contains("\r\n0\r\n\r\n"), "the message must not be terminated: " + wire);
            assertFalse(wire.contains("\"message\""), "no JSON appended to a half-sent body: " + wire);
        }
    }
}
