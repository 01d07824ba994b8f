package dev.gatewar;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upstreams dying under load on a route with three (issue 10): failover, ejection and its end, the
 * retry budget, and no leaks. Real upstreams killed for real (listening socket and connections
 * closed), clients at a fixed concurrency ({@link LoadClient}). Each test prints its figures
 * (requests, failures, tries, ejections) for the closing note.
 */
class FailoverLoadTest {
    private static final Pattern EJECTED = Pattern.compile(
            ": upstream ejected route=serviceA upstream=(\\d+) forMs=(\\d+) failures=(\\d+)$");

    @RegisterExtension
    static final TestUpstream a = new TestUpstream();
    @RegisterExtension
    static final TestUpstream b = new TestUpstream();
    @RegisterExtension
    static final TestUpstream c = new TestUpstream();

    private static GatewayServer gateway(GatewayServer.Builder builder, String... nameValues) throws Exception {
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            params.put(nameValues[i], nameValues[i + 1]);
        }
        return builder.route("serviceA", "/serviceA/*", params).start();
    }

    /** A port nothing listens on: bound, read back, closed. */
    private static int deadPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Even: a GET; odd: a JSON POST (buffered by JsonBodyFilter). Ids {@code get-N}, {@code post-N}. */
    private static IntFunction<RawMessage> getsAndJsonPosts(String run) {
        return i -> i % 2 == 0
                ? RawMessage.get("/serviceA/items/" + i).header("X-Request-Id", run + "-get-" + i)
                : RawMessage.post("/serviceA/items", "application/json", "{\"item\": " + i + ", \"tags\": [\"a\", \"b\"]}")
                .header("X-Request-Id", run + "-post-" + i);
    }

    private static IntFunction<RawMessage> gets(String run) {
        return i -> RawMessage.get("/serviceA/items/" + i).header("X-Request-Id", run + "-" + i);
    }

    /** The ejections logged so far, in order: [upstream, forMs, failures]. */
    private static List<long[]> ejections(LogCapture log) {
        List<long[]> found = new ArrayList<>();
        for (String line : log.lines(l -> l.contains("upstream ejected"))) {
            Matcher m = EJECTED.matcher(line);
            assertTrue(m.find() && line.contains(":WARN :"), "not an ejection line of the contract: " + line);
            found.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))});
        }
        return found;
    }

    /** How many ejections of {@code upstream} were logged so far. */
    private static long ejectionsOf(LogCapture log, int upstream) {
        return ejections(log).stream().filter(e -> e[0] == upstream).count();
    }

    /** Waits until another ejection of {@code upstream} is logged, sending GETs if the load is over. */
    private static long awaitEjection(LogCapture log, int upstream, long before, GatewayServer gateway, LoadClient load)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int extra = 0;
        while (ejectionsOf(log, upstream) <= before) {
            assertTrue(System.nanoTime() < deadline, "upstream " + upstream + " was not ejected:\n" + log.text());
            if (load.completed() == load.total()) {
                // The load ended before any request met the dead upstream: keep asking.
                RawHttp.Reply reply = RawHttp.exchange(gateway.port(),
                        RawMessage.get("/serviceA/extra").header("X-Request-Id", "extra-" + extra++).connectionClose());
                assertEquals(200, reply.status(), reply.head());
            } else {
                Thread.sleep(2);
            }
        }
        return System.nanoTime();
    }

    /**
     * Sends GETs one at a time until {@code upstream} (restarted) receives one; each must succeed.
     * Returns how many were sent.
     */
    private static int getUntilItReceives(GatewayServer gateway, TestUpstream upstream, String run) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int sent = 0;
        while (upstream.firstArrivalNanos() == 0) {
            assertTrue(System.nanoTime() < deadline, "the upstream that came back never received a request again");
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(),
                    RawMessage.get("/serviceA/probe").header("X-Request-Id", run + "-probe-" + sent++).connectionClose());
            assertEquals(200, reply.status(), reply.head());
        }
        return sent;
    }

    /** The WARN line of a failed exchange (not a DEBUG detail line). */
    private static boolean isFailureLine(String line) {
        return line.contains(":WARN :") && line.contains(": upstream failure route=serviceA ");
    }

    private static long retryLines(LogCapture log) {
        return log.count(l -> l.contains("DEBUG") && l.contains(": retrying route=serviceA try="));
    }

    /**
     * 2,000 GETs and 2,000 JSON POSTs at concurrency 16; after 1,000 answers the third upstream is
     * killed, and brought back on its port as soon as its ejection is logged.
     * <ul>
     *   <li>no GET fails (a GET that met the dead upstream is retried on another);</li>
     *   <li>a POST may fail only if it had been sent to the dead upstream (its failure line names
     *   upstream 2 alone, one try, not a refused connect, which is retried for every method): at
     *   most the 16 in flight; none sent after the ejection fails;</li>
     *   <li>it is ejected, and that is logged once: it is back (restarted) before its ejectTime of
     *   1 s can be over, so there is one ejection, one line; no other upstream is ejected (should the
     *   restart take longer than that, each further ejection must double, up to maxEjectTime);</li>
     *   <li>it is tried again once its ejectTime is over, not before.</li>
     * </ul>
     */
    @Test
    void killingOneOfThreeMidRunLosesNoGetAndOnlyPostsAlreadySentToIt() throws Exception {
        long ejectTimeMs = 1_000;
        long maxEjectTimeMs = 4_000;
        for (TestUpstream upstream : new TestUpstream[] {a, b, c}) {
            upstream.countOnly();
        }
        int total = 4_000;
        int concurrency = 16;
        try (LogCapture log = LogCapture.startWithDebug();
             GatewayServer gateway = gateway(GatewayServer.builder(), "upstream", a.url() + ", " + b.url() + ", " + c.url(),
                     "ejectTime", Long.toString(ejectTimeMs), "maxEjectTime", Long.toString(maxEjectTimeMs),
                     "connectTimeout", "1000")) {
            List<LoadClient.Outcome> outcomes;
            long killedAt;
            long ejectionSeenAt;
            long restartedAt;
            try (LoadClient load = LoadClient.start(gateway.port(), total, concurrency, getsAndJsonPosts("kill"))) {
                assertTrue(load.awaitCompleted(1_000, 30_000), "the first 1,000 requests were not answered");
                assertTrue(c.count() > 0, "the third upstream had its share before the kill");
                killedAt = System.nanoTime();
                c.kill();
                ejectionSeenAt = awaitEjection(log, 2, 0, gateway, load);
                c.restart();
                restartedAt = System.nanoTime();
                outcomes = load.await(60_000);
            }
            int probes = getUntilItReceives(gateway, c, "kill");
            long backAfterMs = TimeUnit.NANOSECONDS.toMillis(c.firstArrivalNanos() - killedAt);

            List<LoadClient.Outcome> failed = outcomes.stream().filter(o -> !o.ok()).toList();
            List<LoadClient.Outcome> failedGets = failed.stream().filter(o -> o.method().equals("GET")).toList();
            List<LoadClient.Outcome> failedPosts = failed.stream().filter(o -> o.method().equals("POST")).toList();
            List<long[]> ejections = ejections(log);
            long retries = retryLines(log);
            System.out.printf("kill-one-of-three: %d requests (+%d probes), %d failed (%d GET, %d POST), %d tries, %d ejections, "
                            + "back after %d ms%n", total, probes, failed.size(), failedGets.size(), failedPosts.size(),
                    total + probes + retries, ejections.size(), backAfterMs);

            assertTrue(failedGets.isEmpty(), () -> "no GET may fail: " + failedGets + "; their lines: "
                    + log.lines(l -> failedGets.stream().anyMatch(g -> l.endsWith("requestId=" + g.requestId()))));
            assertTrue(failedPosts.size() <= concurrency, "at most the POSTs in flight at the kill may fail: " + failedPosts);
            for (LoadClient.Outcome post : failedPosts) {
                assertEquals(503, post.status(), post.toString());
                String line = log.lines(l -> isFailureLine(l) && l.endsWith(" requestId=" + post.requestId()))
                        .stream().findFirst().orElseThrow(() -> new AssertionError("no failure line for " + post));
                assertTrue(line.contains(" method=POST ") && line.contains(" tries=1 upstreams=2 ") && !line.contains("kind=refused"),
                        "only a POST already sent to the dead upstream may fail: " + line);
                assertTrue(post.sentNanos() < ejectionSeenAt, "a POST sent after the ejection failed: " + post);
            }
            assertEquals(failed.size(), log.count(FailoverLoadTest::isFailureLine),
                    "one failure line per failed request, none for retried ones");

            for (long[] ejection : ejections) {
                assertEquals(2, ejection[0], "only the dead upstream is ejected");
                assertTrue(ejection[2] >= 1, "failures=" + ejection[2]);
            }
            if (restartedAt - killedAt < TimeUnit.MILLISECONDS.toNanos(ejectTimeMs)) {
                // Back before the ejection could end: one ejection, logged once.
                assertEquals(1, ejections.size(), "one ejection, one line:\n" + log.text());
                assertEquals(ejectTimeMs, ejections.get(0)[1]);
            } else {
                long expectedForMs = ejectTimeMs;
                for (long[] ejection : ejections) {
                    assertEquals(expectedForMs, ejection[1], "each ejection logged once, doubling up to maxEjectTime");
                    expectedForMs = Math.min(expectedForMs * 2, maxEjectTimeMs);
                }
            }
            assertTrue(backAfterMs >= ejectTimeMs, "tried again " + backAfterMs + " ms after the kill, before its ejectTime");
        }
    }

    /**
     * Two of three upstreams refuse (nothing listens) and are never ejected (maxFails huge): every
     * request that meets one would be retried (retries=2: until it reaches the live one), but the
     * retry budget keeps the tries per request at 1.2 or fewer on average. Without a budget that is
     * about 2.0. Concurrency 40, so that the budget's 20 % of the requests in flight (8) is what
     * limits, not its minimum of 3 (at 16, "fewer than max(3, 3.2)" lets 4 of 16 be on a retry, and
     * an implementation of the rule to the letter measured 1.22 to 1.24 tries per request; at 40,
     * 1.14 to 1.17).
     */
    @Test
    void theRetryBudgetKeepsTriesPerRequestAt1Point2WhenTwoOfThreeAreDown() throws Exception {
        c.countOnly();
        int total = 1_000;
        int concurrency = 40;
        try (LogCapture log = LogCapture.startWithDebug();
             GatewayServer gateway = gateway(GatewayServer.builder(),
                     "upstream", "http://127.0.0.1:" + deadPort() + ", http://127.0.0.1:" + deadPort() + ", " + c.url(),
                     "retries", "2", "maxFails", "1000000")) {
            List<LoadClient.Outcome> outcomes = LoadClient.run(gateway.port(), total, concurrency, gets("budget"), 60_000);
            long failed = outcomes.stream().filter(o -> !o.ok()).count();
            long retries = retryLines(log);
            double triesPerRequest = (double) (total + retries) / total;
            System.out.printf("retry budget: %d requests, %d failed, %d retries, %.3f tries per request, %d reached the live upstream%n",
                    total, failed, retries, triesPerRequest, c.count());

            assertTrue(outcomes.stream().allMatch(o -> o.ok() || o.status() == 503), "only 503s: " + outcomes.stream()
                    .filter(o -> !o.ok() && o.status() != 503).limit(5).toList());
            assertEquals(total - failed, c.count(), "every success was answered by the live upstream, once");
            assertEquals(failed, log.count(FailoverLoadTest::isFailureLine), "one failure line per failed request");
            assertTrue(retries > 0, "some requests are retried");
            assertTrue(triesPerRequest <= 1.2, "tries per request: " + triesPerRequest);
            assertTrue(ejections(log).isEmpty(), log.text());
        }
    }

    /**
     * The same two dead upstreams with the defaults (maxFails 1, ejectTime 10 s): each is ejected
     * once, after which nothing fails; before that, at most the requests in flight did.
     */
    @Test
    void withEjectionTwoDeadUpstreamsCostAtMostTheRequestsInFlight() throws Exception {
        c.countOnly();
        int total = 1_000;
        int concurrency = 40;
        try (LogCapture log = LogCapture.startWithDebug();
             GatewayServer gateway = gateway(GatewayServer.builder(),
                     "upstream", "http://127.0.0.1:" + deadPort() + ", http://127.0.0.1:" + deadPort() + ", " + c.url())) {
            List<LoadClient.Outcome> outcomes;
            long bothEjectedAt;
            try (LoadClient load = LoadClient.start(gateway.port(), total, concurrency, gets("eject"))) {
                awaitEjection(log, 0, 0, gateway, load);
                awaitEjection(log, 1, 0, gateway, load);
                bothEjectedAt = System.nanoTime();
                outcomes = load.await(60_000);
            }
            List<LoadClient.Outcome> failed = outcomes.stream().filter(o -> !o.ok()).toList();
            long retries = retryLines(log);
            List<long[]> ejections = ejections(log);
            System.out.printf("ejection under load: %d requests, %d failed, %d tries, %d ejections%n",
                    total, failed.size(), total + retries, ejections.size());

            assertEquals(2, ejections.size(), "each dead upstream ejected once, the live one never: " + log.text());
            for (long[] ejection : ejections) {
                assertTrue(ejection[0] == 0 || ejection[0] == 1, "only a dead upstream is ejected");
                assertEquals(10_000, ejection[1], "the default ejectTime");
            }
            assertTrue(failed.size() <= concurrency, "at most the requests in flight before the ejections: " + failed);
            for (LoadClient.Outcome outcome : failed) {
                assertEquals(503, outcome.status(), outcome.toString());
                assertTrue(outcome.sentNanos() < bothEjectedAt, "a request sent after both ejections failed: " + outcome);
            }
            assertTrue((double) (total + retries) / total <= 1.2, "tries per request: " + (double) (total + retries) / total);
        }
    }

    /** Threads of this JVM but the test's own (clients, upstreams) and the JDK's shared pool. */
    private static int gatewayThreads() {
        int count = 0;
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            String name = thread.getName();
            if (thread.isAlive() && !name.startsWith("load-") && !name.startsWith("upstream") && !name.startsWith("raw-upstream")
                    && !name.startsWith("ForkJoinPool.commonPool")) {
                count++;
            }
        }
        return count;
    }

    private static int openFileDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        assertTrue(fds != null, "/proc/self/fd is readable (Linux)");
        return fds.length;
    }

    /** Polls until the thread and descriptor counts have not changed for a second; returns them. */
    private static int[] settled() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        int[] last = {gatewayThreads(), openFileDescriptors()};
        long stableSince = System.nanoTime();
        while (System.nanoTime() - stableSince < TimeUnit.SECONDS.toNanos(1)) {
            assertTrue(System.nanoTime() < deadline, "thread and descriptor counts never settled: " + last[0] + ", " + last[1]);
            Thread.sleep(50);
            int[] now = {gatewayThreads(), openFileDescriptors()};
            if (now[0] != last[0] || now[1] != last[1]) {
                last = now;
                stableSince = System.nanoTime();
            }
        }
        return last;
    }

    /**
     * Four times: load, the third upstream killed mid-run, back after its ejection, tried again.
     * Afterwards the gateway's threads and the process's open descriptors return to what they were
     * before (within 2 threads and 6 descriptors: less than one per cycle), once idle pooled
     * connections (responseTimeout 1 s) and idle server threads (0.2 s) have gone: no connection,
     * socket or thread is left behind by a dead upstream.
     */
    @Test
    void anUpstreamDyingAndComingBackLeaksNoThreadOrDescriptor() throws Exception {
        for (TestUpstream upstream : new TestUpstream[] {a, b, c}) {
            upstream.countOnly();
        }
        int concurrency = 16;
        try (LogCapture log = LogCapture.start();
             GatewayServer gateway = gateway(GatewayServer.builder().threadIdleTimeoutMs(200),
                     "upstream", a.url() + ", " + b.url() + ", " + c.url(),
                     "ejectTime", "300", "maxEjectTime", "1000", "connectTimeout", "1000", "responseTimeout", "1000")) {
            List<LoadClient.Outcome> warmUp = LoadClient.run(gateway.port(), 600, concurrency, getsAndJsonPosts("warm"), 30_000);
            assertTrue(warmUp.stream().allMatch(LoadClient.Outcome::ok), "warm-up failed");
            int[] baseline = settled();

            for (int cycle = 1; cycle <= 4; cycle++) {
                long ejectionsBefore = ejectionsOf(log, 2);
                List<LoadClient.Outcome> outcomes;
                try (LoadClient load = LoadClient.start(gateway.port(), 1_000, concurrency, getsAndJsonPosts("leak" + cycle))) {
                    assertTrue(load.awaitCompleted(300, 30_000));
                    c.kill();
                    awaitEjection(log, 2, ejectionsBefore, gateway, load);
                    c.restart();
                    outcomes = load.await(60_000);
                }
                // What fails is the other test's subject; here only that it stays a clean 503, and few.
                List<LoadClient.Outcome> failed = outcomes.stream().filter(o -> !o.ok()).toList();
                assertTrue(failed.stream().allMatch(o -> o.status() == 503) && failed.size() <= concurrency,
                        "cycle " + cycle + ": " + failed);
                getUntilItReceives(gateway, c, "leak" + cycle);
            }

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            int threads = gatewayThreads();
            int fds = openFileDescriptors();
            while (threads > baseline[0] + 2 || fds > baseline[1] + 6) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("after 4 deaths and returns: " + threads + " threads (baseline " + baseline[0]
                            + "), " + fds + " open descriptors (baseline " + baseline[1] + ")\n" + threadNames());
                }
                Thread.sleep(100);
                threads = gatewayThreads();
                fds = openFileDescriptors();
            }
            System.out.printf("leaks: threads %d -> %d, descriptors %d -> %d%n", baseline[0], threads, baseline[1], fds);
        }
    }

    private static String threadNames() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).sorted().toList().toString();
    }
}
