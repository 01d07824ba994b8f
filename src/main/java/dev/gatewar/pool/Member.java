package dev.gatewar.pool;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One upstream of a route, with its passive health: failures within the window, whether and until
 * when it is ejected, and how many ejections in a row it has had (each doubles the next one).
 * Health fields are guarded by the pool's lock.
 */
final class Member {
    final int index;
    final int weight;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** The smooth round-robin's running score. */
    int score;
    int failures;
    long windowStartNanos;
    long ejectedUntilNanos;
    boolean ejected;
    int consecutiveEjections;

    Member(int index, int weight) {
        this.index = index;
        this.weight = weight;
    }

    int inFlight() {
        return inFlight.get();
    }

    void tryStarted() {
        inFlight.incrementAndGet();
    }

    void tryEnded() {
        inFlight.decrementAndGet();
    }

    boolean isEjectedAt(long now) {
        return ejected && now - ejectedUntilNanos < 0;
    }
}
