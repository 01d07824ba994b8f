package dev.gatewar;

import dev.gatewar.exchange.Exchange;
import dev.gatewar.exchange.JsonErrorResponse;
import jakarta.servlet.Filter;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 13, item 1: a JSON body that arrives slowly (or never) must not hold a container thread, and
 * must end, after an idle timeout, in a 408.
 */
class SlowJsonBodyTest {
    /** More slow clients than the gateway has threads, by far: each one parked would stop the server. */
    private static final int SLOW_CLIENTS = 250;
    private static final int MAX_THREADS = 20;
    /** Where the gateway's own classes (src/main) were loaded from, as opposed to the tests'. */
    private static final URL GATEWAY_CLASSES = JsonBodyFilter.class.getProtectionDomain().getCodeSource().getLocation();

    @RegisterExtension
    static final TestUpstream upstream = new TestUpstream();

    /**
     * Threads waiting (parked, in {@code Object.wait} or asleep) with a frame of the gateway's own
     * code on the same stack snapshot, each as "name in Class.method". The body is no longer read in
     * JsonBodyFilter alone ({@code dev.gatewar.body} and the route servlet read it too), so any
     * frame of a class from src/main counts. Judged from the stack alone: a thread's state, read
     * separately, may belong to a later moment.
     */
    static List<String> threadsParkedInGatewayCode() {
        List<String> parked = new ArrayList<>();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (stack.length == 0 || !isWaitFrame(stack[0])) {
                return;
            }
            for (StackTraceElement frame : stack) {
                if (isGatewayClass(frame.getClassName())) {
                    String simpleName = frame.getClassName().substring(frame.getClassName().lastIndexOf('.') + 1);
                    parked.add(thread.getName() + " in " + simpleName + "." + frame.getMethodName());
                    return;
                }
            }
        });
        return parked;
    }

    private static boolean isGatewayClass(String className) {
        if (!className.startsWith("dev.gatewar.")) {
            return false;
        }
        try {
            CodeSource source = Class.forName(className, false, SlowJsonBodyTest.class.getClassLoader())
                    .getProtectionDomain().getCodeSource();
            return source != null && GATEWAY_CLASSES.equals(source.getLocation());
        } catch (ClassNotFoundException | LinkageError e) {
            return false; // a hidden class (a lambda's): its enclosing method has its own frame
        }
    }

    private static boolean isWaitFrame(StackTraceElement top) {
        String at = top.getClassName() + "." + top.getMethodName();
        return at.equals("jdk.internal.misc.Unsafe.park") || at.equals("java.lang.Object.wait")
                || at.equals("java.lang.Object.wait0") || at.startsWith("java.lang.Thread.sleep");
    }

    /**
     * The threads parked in the filter, once that list is empty or {@code timeoutMs} has passed: a
     * thread may wait on a lock for an instant; a thread that waits for a body stays.
     */
    static List<String> threadsStillParkedInGatewayCode(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        List<String> parked = threadsParkedInGatewayCode();
        while (!parked.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            parked = threadsParkedInGatewayCode();
        }
        return parked;
    }

    /** One GET on a fresh connection, given at most {@code timeoutMs} to answer; null when it did not. */
    private static RawHttp.Reply getWithin(int port, String path, int timeoutMs) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(timeoutMs);
            socket.getOutputStream().write(RawMessage.get(path).connectionClose().bytes());
            InputStream in = socket.getInputStream();
            String head = RawHttp.readHead(in);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            boolean complete = RawHttp.readBody(in, head, body, true);
            return new RawHttp.Reply(Integer.parseInt(head.substring(9, 12)), head, body.toByteArray(), complete);
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    @Test
    void slowJsonBodiesParkNoContainerThreadAndOtherRoutesKeepAnswering() throws Exception {
        CountDownLatch arrived = new CountDownLatch(SLOW_CLIENTS);
        Filter arrivals = (request, response, chain) -> {
            if (((HttpServletRequest) request).getRequestURI().startsWith("/serviceA/slow")) {
                arrived.countDown();
            }
            chain.doFilter(request, response);
        };
        List<RawHttp.Connection> clients = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        List<byte[]> rests = new ArrayList<>();
        try (GatewayServer gateway = GatewayServer.builder().maxThreads(MAX_THREADS).firstFilter(arrivals)
                     .route("serviceA", "/serviceA/*", Map.of("upstream", upstream.url()))
                     .route("serviceB", "/serviceB/*", Map.of("upstream", upstream.url()))
                     .start()) {
            try {
                // Every client sends its request head and the first bytes of its JSON body, then stalls.
                for (int i = 0; i < SLOW_CLIENTS; i++) {
                    String body = "{\"client\": " + i + ", \"note\": \"sent in two parts\"}";
                    bodies.add(body);
                    RawMessage request = RawMessage.post("/serviceA/slow/" + i, "application/json", body);
                    byte[] whole = request.bytes();
                    int split = request.head().length + 12;
                    rests.add(Arrays.copyOfRange(whole, split, whole.length));
                    RawHttp.Connection client = new RawHttp.Connection(gateway.port());
                    clients.add(client);
                    client.send(Arrays.copyOf(whole, split));
                }
                // Each request is handed to the filter chain once the container has a thread for it;
                // a filter that gives its thread back lets every one of them in.
                boolean allArrived = arrived.await(15, TimeUnit.SECONDS);
                List<String> parked = threadsStillParkedInGatewayCode(3_000);
                long start = System.nanoTime();
                RawHttp.Reply other = getWithin(gateway.port(), "/serviceB/ping", 5_000);
                long otherMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                String state = (SLOW_CLIENTS - arrived.getCount()) + " of " + SLOW_CLIENTS + " slow JSON requests reached the"
                        + " filter chain; " + parked.size() + " of the gateway's " + MAX_THREADS + " threads are parked in"
                        + " the gateway's code " + parked + "; a GET on another route "
                        + (other == null ? "got no answer within 5 s" : "got " + other.status() + " after " + otherMs + " ms");
                assertTrue(allArrived, state);
                assertEquals(List.of(), parked, state);
                assertTrue(other != null && other.status() == 200, state);

                // Then the bodies complete, and each one reaches the upstream intact.
                for (int i = 0; i < SLOW_CLIENTS; i++) {
                    clients.get(i).send(rests.get(i));
                }
                for (int i = 0; i < SLOW_CLIENTS; i++) {
                    RawHttp.Reply reply = clients.get(i).readReply();
                    assertEquals(200, reply.status(), "slow client " + i + ": " + reply.head() + reply.bodyText());
                }
                assertEquals("/ping", upstream.next().target(), "the GET on serviceB reaches the upstream first");
                Set<String> forwarded = new HashSet<>();
                for (int i = 0; i < SLOW_CLIENTS; i++) {
                    forwarded.add(upstream.next().bodyText());
                }
                assertEquals(new HashSet<>(bodies), forwarded);
            } finally {
                for (RawHttp.Connection client : clients) {
                    client.close();
                }
            }
        }
    }

    @Test
    void aStalledJsonBodyIsAnswered408JsonOnceTheBodyIdleTimeoutPasses() throws Exception {
        // Either deadline may answer first: the connector's idle timeout or the filter's own.
        try (LogCapture log = LogCapture.start();
             GatewayServer gateway = GatewayServer.builder().idleTimeoutMs(1_000)
                     .filterParam(JsonBodyFilter.BODY_IDLE_TIMEOUT, "1000")
                     .route("serviceA", "/serviceA/*", Map.of("upstream", upstream.url())).start()) {
            long start = System.nanoTime();
            // The head announces 100 bytes; 6 come, then nothing.
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(),
                    RawMessage.post("/serviceA/x", "application/json", "{\"a\": ").contentLength(100));
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(408, reply.status(), "after " + elapsedMs + " ms: " + reply.head() + reply.bodyText());
            assertTrue(reply.header("Content-Type").startsWith("application/json"), reply.head());
            assertTrue(reply.complete(), reply.head());
            assertTrue(reply.bodyText().contains("\"requestId\""), reply.bodyText());
            assertTrue(elapsedMs < 10_000, "answered after " + elapsedMs + " ms");
            assertTrue(upstream.receivedNothing(), "a body that never arrived is not forwarded");
            assertEquals(List.of(), log.lines(l -> l.contains("upstream failure") || l.contains(":WARN :dg")), log.text());
        }
    }

    /**
     * Tomcat, once reading the body failed (the client went away, a bad chunk, a read timeout), has
     * already called {@code sendError(400 or 408)} itself (InputBuffer.handleReadException), after
     * which its ResponseFacade reports {@code isCommitted() == true} and {@code reset()} throws
     * {@code IllegalStateException: Cannot call reset() after response has been committed}. The error
     * path must look at the response state first and leave a committed response alone, quietly.
     */
    @Test
    void theErrorPathLeavesACommittedResponseAlone() {
        List<String> calls = new ArrayList<>();
        HttpServletResponse committed = (HttpServletResponse) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{HttpServletResponse.class}, (proxy, method, args) -> {
                    calls.add(method.getName());
                    switch (method.getName()) {
                        case "isCommitted":
                            return true;
                        case "reset":
                            throw new IllegalStateException("Cannot call reset() after response has been committed");
                        case "resetBuffer":
                            throw new IllegalStateException("Cannot call resetBuffer() after response has been committed");
                        case "sendError":
                            throw new IllegalStateException("Cannot call sendError() after the response has been committed");
                        case "getOutputStream":
                            return new DiscardingOutputStream();
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        case "toString":
                            return "committed response";
                        default:
                            return defaultValue(method.getReturnType());
                    }
                });
        HttpServletRequest request = (HttpServletRequest) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{HttpServletRequest.class}, (proxy, method, args) -> defaultValue(method.getReturnType()));
        Exchange exchange = Exchange.of(request);
        assertDoesNotThrow(() -> JsonErrorResponse.send(committed, HttpServletResponse.SC_BAD_REQUEST,
                "The request body could not be read.", exchange, true), () -> "calls made: " + calls);
    }

    private static Object defaultValue(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == long.class) {
            return 0L;
        }
        return null;
    }

    /** What Tomcat's suspended response does with writes: accepts and drops them. */
    private static final class DiscardingOutputStream extends ServletOutputStream {
        private final ByteArrayOutputStream sink = new ByteArrayOutputStream();

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setWriteListener(jakarta.servlet.WriteListener listener) {
            fail("not expected");
        }

        @Override
        public void write(int b) {
            sink.write(b);
        }
    }
}
