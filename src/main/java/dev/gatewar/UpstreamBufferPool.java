package dev.gatewar;

import org.eclipse.jetty.io.ArrayByteBufferPool;

/**
 * The buffer pool of a route's upstream client, sized for its connections.
 *
 * <p>Jetty's {@code HttpClient} sizes its default pool from its executor: half the threads of a
 * {@code SizedThreadPool}, otherwise twice the available processors. A WAR that borrows the Jetty
 * server's thread pool sees that pool through another class loader's {@code SizedThreadPool}, so the
 * client falls back to the processor count: two buffers per size on a one-core container. Each
 * response then read into a fresh, zeroed 64 KiB direct buffer (about a tenth of a small GET's CPU,
 * and a resident set that grew to twice the heap under load).
 */
final class UpstreamBufferPool {
    /** Jetty's client pools buffers in steps of this many bytes. */
    private static final int STEP = 2048;
    /** The largest buffer Jetty's client pools by default, and the smallest maximum here. */
    private static final int MIN_MAX_CAPACITY = 64 * 1024;

    private UpstreamBufferPool() {
    }

    /**
     * A pool keeping, per buffer size, as many buffers as the route has upstream connections (each
     * reads into one at a time), for buffers up to {@code largestBuffer} bytes.
     */
    static ArrayByteBufferPool forRoute(int maxConnections, int largestBuffer) {
        int maxCapacity = Math.max(MIN_MAX_CAPACITY, (largestBuffer + STEP - 1) / STEP * STEP);
        return new ArrayByteBufferPool(0, STEP, maxCapacity, maxConnections);
    }
}
