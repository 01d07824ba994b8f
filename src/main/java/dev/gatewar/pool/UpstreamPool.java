package dev.gatewar.pool;

import dev.gatewar.exchange.Exchange;
import dev.gatewar.exchange.OnExchangeEnd;
import jakarta.servlet.AsyncListener;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The upstreams of one route: which one the next try goes to, which are out of rotation after
 * failing (passive health, as nginx's {@code max_fails}/{@code fail_timeout} and Envoy's outlier
 * ejection), and whether the route may start one more retry (Envoy's retry budget).
 *
 * <p>Upstreams are known by their index in the route's {@code upstream} list.
 */
public final class UpstreamPool {
    /** A route's upstreams are remembered as tried in the bits of a long. */
    public static final int MAX_UPSTREAMS = 64;
    /** Retries are held to this share of the requests in flight, but allowed at least {@link #MIN_RETRIES}. */
    private static final double RETRY_SHARE = 0.2;
    private static final int MIN_RETRIES = 3;

    private final List<Member> members;
    private final PoolSettings settings;
    private final LongSupplier nanoClock;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger retrying = new AtomicInteger();

    /**
     * @param weights   each upstream's weight, in the route's order
     * @param nanoClock {@link System#nanoTime} outside tests
     */
    public UpstreamPool(List<Integer> weights, PoolSettings settings, LongSupplier nanoClock) {
        List<Member> list = new ArrayList<>();
        for (int i = 0; i < weights.size(); i++) {
            list.add(new Member(i, weights.get(i)));
        }
        this.members = List.copyOf(list);
        this.settings = settings;
        this.nanoClock = nanoClock;
    }

    /**
     * The upstream for the next try: by the balancer among those not yet tried ({@code triedMask}'s
     * bits) and not ejected; when every untried one is ejected, the one whose ejection ends first
     * (a route never fails without trying). -1 when every upstream was tried.
     */
    public synchronized int choose(long triedMask) {
        if (members.size() == 1) {
            return triedMask == 0 ? 0 : -1;
        }
        long now = nanoClock.getAsLong();
        List<Member> healthy = new ArrayList<>(members.size());
        Member soonestBack = null;
        for (Member m : members) {
            if ((triedMask & (1L << m.index)) != 0) {
                continue;
            }
            if (!m.isEjectedAt(now)) {
                healthy.add(m);
            } else if (soonestBack == null || m.ejectedUntilNanos - soonestBack.ejectedUntilNanos < 0) {
                soonestBack = m;
            }
        }
        if (!healthy.isEmpty()) {
            return settings.balancer().pick(healthy).index;
        }
        return soonestBack == null ? -1 : soonestBack.index;
    }

    public void tryStarted(int upstream) {
        members.get(upstream).tryStarted();
    }

    public void tryEnded(int upstream) {
        members.get(upstream).tryEnded();
    }

    /** The upstream served a response: its failures and its run of ejections are forgotten. */
    public synchronized void succeeded(int upstream) {
        Member m = members.get(upstream);
        m.failures = 0;
        if (!m.isEjectedAt(nanoClock.getAsLong())) {
            m.ejected = false;
            m.consecutiveEjections = 0;
        }
    }

    /**
     * Counts a failure of the upstream.
     *
     * @return for how many milliseconds it is now ejected; 0 when this failure did not eject it
     */
    public synchronized long failed(int upstream) {
        if (members.size() == 1) {
            return 0; // as nginx: the only upstream is never taken out of rotation
        }
        Member m = members.get(upstream);
        long now = nanoClock.getAsLong();
        if (m.isEjectedAt(now)) {
            return 0;
        }
        if (m.failures == 0 || now - m.windowStartNanos > TimeUnit.MILLISECONDS.toNanos(settings.failWindowMs())) {
            m.failures = 0;
            m.windowStartNanos = now;
        }
        m.failures++;
        if (m.failures < settings.maxFails()) {
            return 0;
        }
        m.failures = 0;
        m.consecutiveEjections++;
        long ms = settings.ejectTimeMs();
        for (int i = 1; i < m.consecutiveEjections && ms < settings.maxEjectTimeMs(); i++) {
            ms *= 2;
        }
        ms = Math.min(ms, settings.maxEjectTimeMs());
        m.ejected = true;
        m.ejectedUntilNanos = now + TimeUnit.MILLISECONDS.toNanos(ms);
        return ms;
    }

    /** A request of the route began (counted for the retry budget). */
    public void exchangeStarted() {
        active.incrementAndGet();
    }

    /** A request of the route ended; {@code heldRetrySlot} when it had a place in the retry budget. */
    public void exchangeEnded(boolean heldRetrySlot) {
        active.decrementAndGet();
        if (heldRetrySlot) {
            retrying.decrementAndGet();
        }
    }

    /**
     * Takes a place for one more request on a retry, if the budget has one: the route's requests on
     * a retry stay below the larger of {@value #MIN_RETRIES} and a fifth of its requests in flight,
     * so that retries cannot multiply the load when a pool is dying.
     */
    public boolean tryStartRetry() {
        while (true) {
            int current = retrying.get();
            int limit = Math.max(MIN_RETRIES, (int) (active.get() * RETRY_SHARE));
            if (current >= limit) {
                return false;
            }
            if (retrying.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /**
     * The upstream for one more try of {@code exchange}, or -1 when none may be made: never once the
     * response head arrived, never when the body cannot be sent again, never past {@code retries},
     * {@code retryWithin} or the route's retry budget, and after the request may have reached the
     * upstream only for a method that may be resent.
     */
    public int retryUpstream(Exchange exchange) {
        if (exchange.isResponseStarted() || exchange.replayableBody() == null || exchange.tries() > settings.retries()
                || exchange.elapsedMs() >= settings.retryWithinMs()) {
            return -1;
        }
        if (exchange.isRequestWritten() && !settings.mayResend(exchange.method())) {
            return -1;
        }
        int next = choose(exchange.triedUpstreams());
        if (next < 0) {
            return -1;
        }
        if (!exchange.holdsRetrySlot() && !reroutedAroundEjection(exchange)) {
            if (!tryStartRetry()) {
                return -1;
            }
            exchange.tookRetrySlot();
        }
        return next;
    }

    /**
     * A request that never reached an upstream now out of rotation is re-routed, not retried: a
     * moment later it would have gone to a healthy upstream in the first place, so it is not held to
     * the retry budget (which keeps retries from multiplying the load on the upstreams that live).
     */
    private boolean reroutedAroundEjection(Exchange exchange) {
        if (exchange.isRequestWritten()) {
            return false;
        }
        synchronized (this) {
            return members.get(exchange.upstream()).isEjectedAt(nanoClock.getAsLong());
        }
    }

    /** Counts {@code exchange} as in flight until its async cycle ends, for the retry budget. */
    public AsyncListener endListener(Exchange exchange) {
        return new OnExchangeEnd(event -> exchangeEnded(exchange.holdsRetrySlot()));
    }

    public PoolSettings settings() {
        return settings;
    }
}
