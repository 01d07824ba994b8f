package dev.gatewar;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, item 4: a client that goes away (mid-upload, mid-download) is the client's doing: one
 * INFO line {@code client aborted}, never {@code upstream failure}, and the upstream exchange is
 * aborted. "fin" closes the client socket normally, "rst" resets it.
 */
class ClientAbortClassificationTest {
    private static final Predicate<String> VERDICT = l -> l.contains("client aborted") || l.contains("upstream failure");

    @RegisterExtension
    static final TestUpstream upstream = new TestUpstream();

    private static void close(Socket socket, String how) throws IOException {
        if (how.equals("rst")) {
            socket.setSoLinger(true, 0);
        }
        socket.close();
    }

    private static void assertClientAborted(LogCapture log) throws InterruptedException {
        assertTrue(log.await(VERDICT, 10_000), "nothing logged within 10 s:\n" + log.text());
        List<String> blamed = log.lines(l -> l.contains("upstream failure"));
        assertEquals(List.of(), blamed, "a client that went away is not an upstream failure");
        List<String> aborted = log.lines(l -> l.contains("client aborted"));
        assertEquals(1, aborted.size(), log.text());
        assertTrue(aborted.get(0).contains(":INFO :") && aborted.get(0).contains("route=serviceA"), aborted.get(0));
        assertEquals(List.of(), log.lines(l -> l.contains(":WARN :dg")), "no WARN from the gateway");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fin", "rst"})
    void anAbortedUploadIsLoggedAsClientAbortedNotAsAnUpstreamFailure(String how) throws Exception {
        try (LogCapture log = LogCapture.start();
             GatewayServer gateway = GatewayServer.routeTo(upstream.url())) {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
                // The head announces 1 MB; a tenth of it follows, then the client goes.
                socket.getOutputStream().write(RawMessage.post("/serviceA/upload", "application/octet-stream", new byte[100_000])
                        .contentLength(1_000_000).bytes());
                socket.getOutputStream().flush();
                close(socket, how);
            }
            assertClientAborted(log);
            assertTrue(upstream.receivedNothing(), "the aborted upload never reaches the upstream complete");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fin", "rst"})
    void anAbandonedDownloadIsLoggedAsClientAbortedNotAsAnUpstreamFailure(String how) throws Exception {
        StreamingUpstream streaming = new StreamingUpstream();
        try (LogCapture log = LogCapture.start();
             RawUpstream streamingUpstream = new RawUpstream(streaming);
             GatewayServer gateway = GatewayServer.routeTo(streamingUpstream.url())) {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
                socket.getOutputStream().write(RawMessage.get("/serviceA/download").bytes());
                byte[] first = socket.getInputStream().readNBytes(200_000);
                assertEquals(200_000, first.length);
                close(socket, how);
            }
            assertClientAborted(log);
            assertTrue(streaming.ended.await(10, TimeUnit.SECONDS), "the gateway aborts the upstream exchange");
        }
    }

    /**
     * An upstream that answers 200 with a 1 GB Content-Length and writes until the gateway stops it;
     * {@link #ended} opens when its writes fail (the gateway closed the upstream connection).
     */
    static final class StreamingUpstream implements RawUpstream.Behaviour {
        final CountDownLatch ended = new CountDownLatch(1);
        final AtomicLong written = new AtomicLong();

        @Override
        public void handle(Socket socket) throws IOException {
            RawHttp.readHead(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            try {
                out.write(RawMessage.ok("application/octet-stream", new byte[0]).contentLength(1_000_000_000L).head());
                byte[] chunk = new byte[16 * 1024];
                while (written.get() < 1_000_000_000L) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                }
            } finally {
                ended.countDown();
            }
        }
    }
}
