package dev.gatewar;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A route with several upstreams (issue 10): how requests are spread over them, and passive health
 * (ejection) outside of retries. Three real upstreams; a fresh gateway per test, so that balancer and
 * health state start from nothing.
 */
class UpstreamPoolTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final TestUpstream a = new TestUpstream();
    @RegisterExtension
    static final TestUpstream b = new TestUpstream();
    @RegisterExtension
    static final TestUpstream c = new TestUpstream();

    private static GatewayServer gateway(String... nameValues) throws Exception {
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            params.put(nameValues[i], nameValues[i + 1]);
        }
        return GatewayServer.builder().route("serviceA", "/serviceA/*", params).start();
    }

    private static List<LoadClient.Outcome> sequentialGets(GatewayServer gateway, int count) throws InterruptedException {
        List<LoadClient.Outcome> outcomes = LoadClient.run(gateway.port(), count, 1,
                i -> RawMessage.get("/serviceA/items/" + i).header("X-Request-Id", "seq-" + i), 60_000);
        List<LoadClient.Outcome> failed = outcomes.stream().filter(o -> !o.ok()).toList();
        assertTrue(failed.isEmpty(), "failed: " + failed);
        return outcomes;
    }

    private static void assertSplit(int[] expected, TestUpstream... upstreams) {
        int[] actual = new int[upstreams.length];
        for (int i = 0; i < upstreams.length; i++) {
            actual[i] = upstreams[i].count();
        }
        for (int i = 0; i < upstreams.length; i++) {
            assertTrue(Math.abs(actual[i] - expected[i]) <= 1,
                    "expected about " + java.util.Arrays.toString(expected) + " (within 1), got " + java.util.Arrays.toString(actual));
        }
    }

    @Test
    void roundRobinSplits300RequestsEvenlyOverThree() throws Exception {
        a.countOnly();
        b.countOnly();
        c.countOnly();
        // Commas, white space and line breaks all separate upstreams.
        try (GatewayServer gateway = gateway("upstream", a.url() + ",  " + b.url() + "\n\t" + c.url())) {
            sequentialGets(gateway, 300);
        }
        assertSplit(new int[] {100, 100, 100}, a, b, c);
    }

    @Test
    void aWeightOf3Gets3TimesTheShareOfTheOthers() throws Exception {
        a.countOnly();
        b.countOnly();
        c.countOnly();
        try (GatewayServer gateway = gateway("upstream", a.url() + ";weight=3, " + b.url() + ", " + c.url())) {
            sequentialGets(gateway, 500);
        }
        assertSplit(new int[] {300, 100, 100}, a, b, c);
    }

    @Test
    void everyUpstreamGetsTheRequestUnderTheSameBasePath() throws Exception {
        // A trailing slash is not part of the base path.
        try (GatewayServer gateway = gateway("upstream", a.url() + "/api/, " + b.url() + "/api")) {
            for (int i = 0; i < 2; i++) {
                assertEquals(200, RawHttp.exchange(gateway.port(), RawMessage.get("/serviceA/x/" + i + "?q=1").connectionClose()).status());
            }
        }
        // Round-robin over two: one each, whichever came first.
        List<String> targets = new ArrayList<>(List.of(a.next().target(), b.next().target()));
        targets.sort(null);
        assertEquals(List.of("/api/x/0?q=1", "/api/x/1?q=1"), targets);
    }

    /**
     * Every upstream holds what it gets, so twelve concurrent requests spread over the three; then
     * two of them answer what they hold and answer at once from then on, and the one left holding
     * (the one with the most, at least 4 of 12) has requests in flight while the others have none:
     * each new request must go to one of the two others. Round-robin would send a third of them to
     * the holding one, where they would wait.
     */
    @Test
    void leastRequestsSendsNewRequestsAwayFromAnUpstreamHoldingSlowOnes() throws Exception {
        TestUpstream[] all = {a, b, c};
        for (TestUpstream upstream : all) {
            upstream.countOnly();
            upstream.holdEveryRequest();
        }
        try (GatewayServer gateway = gateway("upstream", a.url() + " " + b.url() + " " + c.url(), "balancer", "least-requests");
             LoadClient slow = LoadClient.start(gateway.port(), 12, 12,
                     i -> RawMessage.get("/serviceA/slow/" + i).header("X-Request-Id", "slow-" + i))) {
            try {
                newRequestsAvoidTheHoldingUpstream(gateway, slow, all);
            } finally {
                // Whatever happened, nothing stays held (the slow clients would wait for their timeout).
                for (TestUpstream upstream : all) {
                    upstream.release();
                }
            }
            List<LoadClient.Outcome> slowOutcomes = slow.await(10_000);
            assertTrue(slowOutcomes.stream().allMatch(LoadClient.Outcome::ok), slowOutcomes.toString());
        }
    }

    private static void newRequestsAvoidTheHoldingUpstream(GatewayServer gateway, LoadClient slow, TestUpstream[] all)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (a.held() + b.held() + c.held() < 12) {
            assertTrue(System.nanoTime() < deadline, "the 12 slow requests did not all reach the upstreams: "
                    + a.held() + "/" + b.held() + "/" + c.held());
            Thread.sleep(5);
        }
        TestUpstream holding = a;
        for (TestUpstream upstream : all) {
            if (upstream.held() > holding.held()) {
                holding = upstream;
            }
        }
        int stillHeld = holding.held();
        List<TestUpstream> others = new ArrayList<>();
        for (TestUpstream upstream : all) {
            if (upstream != holding) {
                others.add(upstream);
                upstream.release();
            }
        }
        assertTrue(slow.awaitCompleted(12 - stillHeld, 10_000), "the released requests were not answered");
        int first = others.get(0).count();
        int second = others.get(1).count();

        try (LoadClient next = LoadClient.start(gateway.port(), 30, 1,
                i -> RawMessage.get("/serviceA/fast/" + i).header("X-Request-Id", "fast-" + i))) {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (next.completed() < 30) {
                if (holding.held() != stillHeld || System.nanoTime() > until) {
                    int nowHeld = holding.held();
                    holding.release(); // so that the client closes at once
                    fail(nowHeld != stillHeld ? "a new request went to the upstream holding " + stillHeld + " slow requests, "
                            + "while two upstreams had none in flight" : "the 30 requests were not answered in time");
                }
                Thread.sleep(2);
            }
            List<LoadClient.Outcome> outcomes = next.await(10_000);
            assertTrue(outcomes.stream().allMatch(LoadClient.Outcome::ok), outcomes.toString());
        }
        assertEquals(stillHeld, holding.count(), "the holding upstream got nothing new");
        int toFirst = others.get(0).count() - first;
        int toSecond = others.get(1).count() - second;
        assertEquals(30, toFirst + toSecond);
        // Ties (both at zero in flight) are broken round-robin: both get a fair part.
        assertTrue(toFirst >= 10 && toSecond >= 10, "ties broken round-robin: " + toFirst + "/" + toSecond);
    }

    /**
     * failOnStatus=503: the upstream's 503 still reaches the client untouched (not the gateway's
     * JSON, not retried elsewhere), and counts as a failure: with maxFails=1 it is ejected.
     */
    @Test
    void aFailOnStatusResponsePassesThroughUntouchedAndEjectsTheUpstream() throws Exception {
        a.answerEveryRequestWith(503);
        try (LogCapture log = LogCapture.start();
             GatewayServer gateway = gateway("upstream", a.url() + ", " + b.url(), "failOnStatus", "503", "maxFails", "1")) {
            RawHttp.Reply fromA = null;
            for (int i = 1; i <= 3 && fromA == null; i++) {
                int before = a.count();
                RawHttp.Reply reply = RawHttp.exchange(gateway.port(),
                        RawMessage.get("/serviceA/x").header("X-Request-Id", "fos-" + i).connectionClose());
                if (a.count() > before) {
                    fromA = reply;
                    assertEquals("fos-" + i, a.next().header("X-Request-Id"));
                } else {
                    assertEquals(200, reply.status(), reply.head());
                    assertEquals("fos-" + i, b.next().header("X-Request-Id"));
                }
            }
            assertNotNull(fromA, "round-robin over two upstreams sent none of 3 requests to the first");
            assertEquals(503, fromA.status(), fromA.head());
            assertTrue(fromA.header("Content-Type").startsWith("text/plain"), "the upstream's own response: " + fromA.head());
            assertEquals("upstream says 503", fromA.bodyText());
            assertTrue(b.receivedNothing(), "a failOnStatus response is never retried");

            String ejected = "upstream ejected route=serviceA upstream=0 forMs=10000 failures=1";
            assertTrue(log.await(l -> l.endsWith(": " + ejected), 5_000), "no line '" + ejected + "' in:\n" + log.text());
            List<String> lines = log.lines(l -> l.contains("upstream ejected"));
            assertEquals(1, lines.size(), String.join("\n", lines));
            assertTrue(lines.get(0).contains(":WARN :"), lines.get(0));

            // Ejected for 10 s: everything goes to the other upstream meanwhile.
            for (int i = 0; i < 5; i++) {
                RawHttp.Reply reply = RawHttp.exchange(gateway.port(),
                        RawMessage.get("/serviceA/y").header("X-Request-Id", "after-" + i).connectionClose());
                assertEquals(200, reply.status(), reply.head());
                assertEquals("after-" + i, b.next().header("X-Request-Id"));
            }
            assertTrue(a.receivedNothing());
            assertEquals(1, a.count(), "the ejected upstream got nothing more");
        }
    }

    /**
     * A route with one upstream never ejects it (as nginx): each request tries it, each failure is
     * answered and logged as before, no {@code upstream ejected} line, and once it is back the next
     * request reaches it.
     */
    @Test
    void aSingleUpstreamIsNeverEjected() throws Exception {
        a.kill();
        try (LogCapture log = LogCapture.start();
             GatewayServer gateway = gateway("upstream", a.url(), "maxFails", "1", "ejectTime", "60000")) {
            for (int i = 0; i < 5; i++) {
                RawHttp.Reply reply = RawHttp.exchange(gateway.port(),
                        RawMessage.get("/serviceA/x").header("X-Request-Id", "single-" + i).connectionClose());
                assertEquals(503, reply.status(), reply.head());
                assertTrue(reply.header("Content-Type").startsWith("application/json"), reply.head());
                assertEquals("Service 'serviceA' is unavailable: the service refused the connection.",
                        JSON.readTree(reply.body()).get("message").asText());
            }
            assertEquals(5, log.count(l -> l.contains(":WARN :") && l.contains("upstream failure route=serviceA kind=refused")),
                    log.text());
            a.restart();
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(),
                    RawMessage.get("/serviceA/back").header("X-Request-Id", "single-back").connectionClose());
            assertEquals(200, reply.status(), reply.head());
            assertEquals("single-back", a.next().header("X-Request-Id"));
            assertFalse(log.text().contains("upstream ejected"), log.text());
        }
    }
}
