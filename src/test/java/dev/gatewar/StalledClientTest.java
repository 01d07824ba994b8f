package dev.gatewar;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, "also check": clients that stall rather than leave. A request head with no body on a
 * non-JSON route, and a client that stops reading a large download, are the client's failures once
 * the gateway's idle timeout passes: answered 408 where the client can still be answered, logged at
 * INFO as a client failure, never {@code upstream failure kind=timeout}.
 */
class StalledClientTest {
    private static final long TIMEOUT_MS = 1000;

    @RegisterExtension
    static final TestUpstream upstream = new TestUpstream();

    @Test
    void aRequestHeadWithoutItsBodyIs408AfterTheIdleTimeoutAndTheUpstreamGetsNothingComplete() throws Exception {
        try (LogCapture log = LogCapture.start();
             GatewayServer gateway = GatewayServer.builder().idleTimeoutMs(TIMEOUT_MS)
                     .route("serviceA", "/serviceA/*", Map.of("upstream", upstream.url())).start()) {
            long start = System.nanoTime();
            // The head announces 100 bytes that never come.
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(),
                    RawMessage.post("/serviceA/upload", "application/octet-stream", new byte[0]).contentLength(100));
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            String seen = "after " + elapsedMs + " ms: " + reply.head() + reply.bodyText() + "\nlog:\n" + log.text();
            assertEquals(408, reply.status(), seen);
            assertTrue(reply.header("Content-Type").startsWith("application/json"), seen);
            assertTrue(upstream.receivedNothing(), "the upstream never gets the request complete");
            assertEquals(List.of(), log.lines(l -> l.contains("upstream failure")), seen);
            assertEquals(1, log.lines(l -> l.contains(":INFO :") && l.contains("client") && l.contains("route=serviceA")).size(), seen);
        }
    }

    @Test
    void aClientThatStopsReadingADownloadStopsTheUpstreamAndIsBlamedForTheTimeout() throws Exception {
        ClientAbortClassificationTest.StreamingUpstream streaming = new ClientAbortClassificationTest.StreamingUpstream();
        try (LogCapture log = LogCapture.start();
             RawUpstream streamingUpstream = new RawUpstream(streaming);
             GatewayServer gateway = GatewayServer.builder().idleTimeoutMs(TIMEOUT_MS)
                     .route("serviceA", "/serviceA/*", Map.of("upstream", streamingUpstream.url())).start();
             Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
            socket.getOutputStream().write(RawMessage.get("/serviceA/download").bytes());
            assertEquals(1000, socket.getInputStream().readNBytes(1000).length);
            // The client reads no more. The gateway must push back rather than buffer: the upstream
            // gets stuck within socket buffers and the gateway's response buffers, and once the
            // gateway's idle timeout passes it drops both connections.
            assertTrue(streaming.ended.await(20, TimeUnit.SECONDS), "the gateway never let go of the upstream");
            long written = streaming.written.get();
            assertTrue(written < 64L * 1024 * 1024, "the upstream wrote " + written + " bytes to a client that reads none");
            assertTrue(log.await(l -> l.contains("upstream failure") || (l.contains(":INFO :") && l.contains("client")), 10_000), log.text());
            assertEquals(List.of(), log.lines(l -> l.contains("upstream failure")),
                    "the upstream was only waiting for the gateway to read; the client stopped reading");
        }
    }
}
