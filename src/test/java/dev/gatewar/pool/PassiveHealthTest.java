package dev.gatewar.pool;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The pool's ejection and balancing rules, on a clock the test moves. */
class PassiveHealthTest {
    private long now = 1_000_000_000L;

    private UpstreamPool pool(int maxFails, Balancer balancer, Integer... weights) {
        PoolSettings settings = new PoolSettings(balancer, maxFails, 10_000, 1_000, 3_500, Set.of(), 1, Set.of(), 65536, 30_000);
        return new UpstreamPool(List.of(weights), settings, () -> now);
    }

    private void advanceMs(long ms) {
        now += TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Test
    void anEjectionLastsEjectTimeAndDoublesOnEachEjectionInARowUpToTheCap() {
        UpstreamPool pool = pool(1, Balancer.ROUND_ROBIN, 1, 1);
        assertEquals(1_000, pool.failed(1));
        advanceMs(999);
        assertEquals(0, pool.choose(0), "ejected for 1 s");
        assertEquals(0, pool.choose(0));
        advanceMs(1);
        assertEquals(2_000, pool.failed(1), "failed again right after coming back: twice as long");
        advanceMs(2_000);
        assertEquals(3_500, pool.failed(1), "capped at maxEjectTime");
        advanceMs(3_500);
        pool.succeeded(1);
        assertEquals(1_000, pool.failed(1), "a success forgets the run of ejections");
    }

    @Test
    void maxFailsFailuresWithinTheWindowEject() {
        UpstreamPool pool = pool(3, Balancer.ROUND_ROBIN, 1, 1);
        assertEquals(0, pool.failed(0));
        assertEquals(0, pool.failed(0));
        advanceMs(10_001);
        assertEquals(0, pool.failed(0), "the first two fell out of the window");
        assertEquals(0, pool.failed(0));
        assertEquals(1_000, pool.failed(0));
    }

    @Test
    void whenEveryUpstreamIsEjectedTheOneBackFirstIsTried() {
        UpstreamPool pool = pool(1, Balancer.ROUND_ROBIN, 1, 1, 1);
        pool.failed(0);
        advanceMs(10);
        pool.failed(1);
        advanceMs(10);
        pool.failed(2);
        assertEquals(0, pool.choose(0));
        assertEquals(1, pool.choose(1L), "upstream 0 already tried");
        assertEquals(-1, pool.choose(0b111), "every upstream tried");
    }

    @Test
    void aSingleUpstreamIsNeverEjectedAndNeverTriedTwice() {
        UpstreamPool pool = pool(1, Balancer.ROUND_ROBIN, 1);
        assertEquals(0, pool.failed(0));
        assertEquals(0, pool.choose(0));
        assertEquals(-1, pool.choose(1L));
    }

    @Test
    void roundRobinFollowsTheWeightsWithoutRuns() {
        UpstreamPool pool = pool(1, Balancer.ROUND_ROBIN, 3, 1, 1);
        StringBuilder order = new StringBuilder();
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 500; i++) {
            int chosen = pool.choose(0);
            counts.merge(chosen, 1, Integer::sum);
            if (i < 5) {
                order.append(chosen);
            }
        }
        assertEquals(Map.of(0, 300, 1, 100, 2, 100), counts);
        assertEquals("01020", order.toString(), "nginx's smooth order: no three picks of the heavy one in a row");
    }

    @Test
    void leastRequestsAvoidsTheBusyUpstream() {
        UpstreamPool pool = pool(1, Balancer.LEAST_REQUESTS, 1, 1, 1);
        pool.tryStarted(0);
        pool.tryStarted(0);
        pool.tryStarted(1);
        assertEquals(2, pool.choose(0));
        pool.tryStarted(2);
        assertEquals(1, pool.choose(0), "1 and 2 tie with one each; 0 has two");
    }

    @Test
    void theRetryBudgetIsAFifthOfTheRequestsInFlightButAtLeastThree() {
        UpstreamPool pool = pool(1, Balancer.ROUND_ROBIN, 1, 1);
        for (int i = 0; i < 20; i++) {
            pool.exchangeStarted();
        }
        int granted = 0;
        while (pool.tryStartRetry()) {
            granted++;
        }
        assertEquals(4, granted);
        pool.exchangeEnded(true);
        assertEquals(false, pool.tryStartRetry(), "19 in flight: a fifth is 3, and 3 are retrying");
    }
}
