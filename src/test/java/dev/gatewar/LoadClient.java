package dev.gatewar;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;

/**
 * Clients of the gateway for load tests: {@code concurrency} threads (named {@code load-*}), each
 * with its own keep-alive connection, send {@code total} requests between them and record what came
 * back. Raw HTTP/1.1 ({@link RawHttp}), so nothing is retried on the client side (java.net.http
 * resends some requests on its own, which would hide a failure of the gateway); a connection is
 * replaced after a failure or a {@code Connection: close}. Every read is bounded (RawHttp's timeout).
 */
final class LoadClient implements AutoCloseable {
    /** What one request got. {@code failure} is null when a complete response arrived. */
    record Outcome(int index, String method, String requestId, long sentNanos, long doneNanos, int status, String failure) {
        boolean ok() {
            return failure == null && status == 200;
        }

        @Override
        public String toString() {
            return method + " " + requestId + " -> " + (failure != null ? failure : Integer.toString(status));
        }
    }

    private final int port;
    private final int total;
    private final IntFunction<RawMessage> requests;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicReferenceArray<Outcome> outcomes;
    private final ExecutorService workers;
    private volatile boolean stopped;

    private LoadClient(int port, int total, int concurrency, IntFunction<RawMessage> requests) {
        this.port = port;
        this.total = total;
        this.requests = requests;
        this.outcomes = new AtomicReferenceArray<>(total);
        AtomicInteger threadNumber = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(concurrency, task -> {
            Thread thread = new Thread(task, "load-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        for (int i = 0; i < concurrency; i++) {
            workers.execute(this::work);
        }
        workers.shutdown();
    }

    /**
     * Starts sending {@code total} requests, request {@code i} being {@code requests.apply(i)}; each
     * should carry an {@code X-Request-Id} to find it in the gateway's log.
     */
    static LoadClient start(int port, int total, int concurrency, IntFunction<RawMessage> requests) {
        return new LoadClient(port, total, concurrency, requests);
    }

    /** Sends them all and returns what each got, waiting at most {@code timeoutMs}. */
    static List<Outcome> run(int port, int total, int concurrency, IntFunction<RawMessage> requests, long timeoutMs)
            throws InterruptedException {
        try (LoadClient load = start(port, total, concurrency, requests)) {
            return load.await(timeoutMs);
        }
    }

    private void work() {
        RawHttp.Connection connection = null;
        try {
            for (int i = next.getAndIncrement(); i < total && !stopped; i = next.getAndIncrement()) {
                byte[] bytes = requests.apply(i).bytes();
                String head = new String(bytes, 0, headLength(bytes), StandardCharsets.ISO_8859_1);
                String method = head.substring(0, head.indexOf(' '));
                long sent = System.nanoTime();
                int status = -1;
                String failure = null;
                try {
                    if (connection == null) {
                        connection = new RawHttp.Connection(port);
                    }
                    RawHttp.Reply reply = connection.send(bytes).readReply();
                    status = reply.status();
                    if (!reply.complete()) {
                        failure = "incomplete " + status + " response";
                    }
                    String close = reply.header("Connection");
                    if (!reply.complete() || (close != null && close.toLowerCase(Locale.ROOT).contains("close"))) {
                        connection.close();
                        connection = null;
                    }
                } catch (IOException | RuntimeException e) {
                    failure = e.toString();
                    connection = closeQuietly(connection);
                }
                outcomes.set(i, new Outcome(i, method, RawHttp.header(head, "X-Request-Id"), sent, System.nanoTime(), status, failure));
                completed.incrementAndGet();
            }
        } finally {
            closeQuietly(connection);
        }
    }

    private static int headLength(byte[] bytes) {
        for (int i = 3; i < bytes.length; i++) {
            if (bytes[i - 3] == '\r' && bytes[i - 2] == '\n' && bytes[i - 1] == '\r' && bytes[i] == '\n') {
                return i + 1;
            }
        }
        return bytes.length;
    }

    private static RawHttp.Connection closeQuietly(RawHttp.Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (IOException ignored) {
                // closing a connection already broken
            }
        }
        return null;
    }

    /** How many requests it sends in all. */
    int total() {
        return total;
    }

    /** How many requests have their outcome. */
    int completed() {
        return completed.get();
    }

    /** Waits, at most {@code timeoutMs}, until {@code n} requests have their outcome; returns whether they have. */
    boolean awaitCompleted(int n, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (completed.get() < n) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(2);
        }
        return true;
    }

    /** Waits, at most {@code timeoutMs}, for every outcome; fails the test when they are not all there. */
    List<Outcome> await(long timeoutMs) throws InterruptedException {
        if (!workers.awaitTermination(timeoutMs, TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the load did not finish within " + timeoutMs + " ms: " + completed.get() + " of "
                    + total + " requests answered");
        }
        List<Outcome> all = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            all.add(outcomes.get(i));
        }
        return all;
    }

    /** Stops sending (requests under way finish) and closes the connections once the threads end. */
    @Override
    public void close() throws InterruptedException {
        stopped = true;
        if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
            workers.shutdownNow();
        }
    }
}
