package dev.gatewar;

import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP upstream on 127.0.0.1 that records what reached it. It accepts any URI (so the tests
 * see exactly what the gateway forwarded) and answers by path:
 * {@code /status/NNN} with that status, {@code /connection-listed} with fields named in
 * {@code Connection}, anything else 200 "ok".
 *
 * <p>A test class registers it as {@code @RegisterExtension static final TestUpstream upstream = new
 * TestUpstream();}. It starts before the class's {@code @BeforeAll} methods (which may read its
 * {@link #url()}) and stops after its {@code @AfterAll} ones; each test starts with nothing recorded,
 * and a test that passed fails if a request reached the upstream that it did not take with
 * {@link #next()}: what the upstream saw is what the test checked, nothing else.
 *
 * <p>For tests of several upstreams (a class may register several), a test may also:
 * <ul>
 *   <li>{@link #countOnly()}: count requests without recording each, for runs of thousands
 *   ({@link #count()} counts in every mode);</li>
 *   <li>{@link #holdEveryRequest()}: hold each request unanswered until {@link #release()};</li>
 *   <li>{@link #answerEveryRequestWith(int)}: answer every path with one status;</li>
 *   <li>{@link #kill()} it (listening socket and every connection closed at once, as a crashed
 *   process) and {@link #restart()} it on the same port.</li>
 * </ul>
 * Each test starts with none of these in effect: recording, answering at once, by path, running
 * (restarted if the previous test killed it). Its threads are named {@code upstream-*}.
 */
final class TestUpstream implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    /** One request as the upstream received it. */
    record Received(String method, String target, HttpFields headers, byte[] body) {
        String header(String name) {
            return headers.get(name);
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final Server server;
    private final ServerConnector connector;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile boolean recordEach = true;
    /** Answers of held requests, run by {@link #release()}; guarded by itself, with {@link #holding}. */
    private final List<Runnable> held = new ArrayList<>();
    private boolean holding;
    /** 0: answer by path. */
    private volatile int fixedStatus;
    private volatile boolean killed;
    /** System.nanoTime() of the first request since the test began or the last restart; 0: none yet. */
    private final AtomicLong firstArrival = new AtomicLong();

    TestUpstream() {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("upstream");
        server = new Server(threads);
        // Stopping means closing: no graceful wait for requests in progress.
        server.setStopTimeout(0);
        HttpConfiguration config = new HttpConfiguration();
        config.setUriCompliance(UriCompliance.UNSAFE);
        config.setHttpCompliance(HttpCompliance.RFC7230);
        connector = new ServerConnector(server, new HttpConnectionFactory(config));
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                byte[] body;
                try (InputStream in = Content.Source.asInputStream(request)) {
                    body = in.readAllBytes();
                }
                String target = request.getHttpURI().getPathQuery();
                count.incrementAndGet();
                firstArrival.compareAndSet(0, System.nanoTime());
                if (recordEach) {
                    received.add(new Received(request.getMethod(), target, HttpFields.build(request.getHeaders()).asImmutable(), body));
                }
                synchronized (held) {
                    if (holding) {
                        held.add(() -> {
                            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                            Content.Sink.write(response, true, "released", callback);
                        });
                        return true;
                    }
                }
                int status = fixedStatus;
                if (status != 0) {
                    response.setStatus(status);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                    Content.Sink.write(response, true, "upstream says " + status, callback);
                    return true;
                }
                String path = request.getHttpURI().getPath();
                if (path.startsWith("/status/")) {
                    response.setStatus(Integer.parseInt(path.substring("/status/".length())));
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                    Content.Sink.write(response, true, "upstream says " + response.getStatus(), callback);
                    return true;
                }
                if (path.equals("/redirect")) {
                    response.setStatus(302);
                    response.getHeaders().put(HttpHeader.LOCATION, url() + "/landed?x=1");
                    callback.succeeded();
                    return true;
                }
                if (path.equals("/connection-listed")) {
                    response.getHeaders().add(HttpHeader.CONNECTION, "X-Hop-Secret");
                    response.getHeaders().add("X-Hop-Secret", "must not reach the client");
                    response.getHeaders().add("X-End-To-End", "kept");
                }
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                Content.Sink.write(response, true, "ok", callback);
                return true;
            }
        });
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        server.start();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (killed) {
            restart();
        }
        received.clear();
        count.set(0);
        firstArrival.set(0);
        recordEach = true;
        fixedStatus = 0;
        release();
    }

    /**
     * The test's client has its answers by now, and the upstream records a request before it
     * answers: whatever reached it is in the queue.
     */
    @Override
    public void afterEach(ExtensionContext context) {
        release();
        List<Received> unchecked = new ArrayList<>();
        received.drainTo(unchecked);
        if (!unchecked.isEmpty() && context.getExecutionException().isEmpty()) {
            throw new AssertionError("the upstream received requests the test did not check: "
                    + unchecked.stream().map(r -> r.method() + " " + r.target()).toList());
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        server.stop();
    }

    String url() {
        return "http://127.0.0.1:" + port();
    }

    /** The port it listens on, the same after {@link #restart()}. */
    int port() {
        return connector.getPort() > 0 ? connector.getPort() : connector.getLocalPort();
    }

    /**
     * Closes the listening socket and every connection at once, answering nothing more: requests in
     * progress are cut, and connecting is refused until {@link #restart()}.
     */
    void kill() throws Exception {
        // Pinned first, so that a restart binds the same port.
        connector.setPort(connector.getLocalPort());
        killed = true;
        connector.stop();
        server.stop();
    }

    /** Listens again on the same port, after {@link #kill()}. */
    void restart() throws Exception {
        firstArrival.set(0);
        server.start();
        killed = false;
    }

    /**
     * When the first request since the test began, or since the last {@link #restart()}, reached it
     * (a {@link System#nanoTime()}); 0 when none has.
     */
    long firstArrivalNanos() {
        return firstArrival.get();
    }

    /** From now on, counts requests without recording them: {@link #next()} sees none of them. */
    void countOnly() {
        recordEach = false;
    }

    /** How many requests reached it since the test began, recorded or only counted. */
    int count() {
        return count.get();
    }

    /** Waits, at most {@code timeoutMs}, until {@link #count()} is at least {@code n}; returns whether it got there. */
    boolean awaitCount(int n, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (count.get() < n) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    /** From now on, holds every request unanswered (after recording or counting it) until {@link #release()}. */
    void holdEveryRequest() {
        synchronized (held) {
            holding = true;
        }
    }

    /** How many requests it holds unanswered now. */
    int held() {
        synchronized (held) {
            return held.size();
        }
    }

    /** Answers every held request (200 "released") and stops holding new ones. */
    void release() {
        List<Runnable> answers;
        synchronized (held) {
            holding = false;
            answers = new ArrayList<>(held);
            held.clear();
        }
        answers.forEach(Runnable::run);
    }

    /** From now on, answers every request with {@code status} and the body {@code upstream says <status>}. */
    void answerEveryRequestWith(int status) {
        fixedStatus = status;
    }

    /** The next request that reached the upstream, waiting at most 10 s. */
    Received next() throws InterruptedException {
        Received r = received.poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no request reached the upstream within 10 s");
        }
        return r;
    }

    /** True when every request recorded was taken by {@link #next()}; call after the client got its answer. */
    boolean receivedNothing() {
        return received.isEmpty();
    }
}
