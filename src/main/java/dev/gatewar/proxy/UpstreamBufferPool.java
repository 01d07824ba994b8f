package dev.gatewar.proxy;

import org.eclipse.jetty.io.ArrayByteBufferPool;

/**
 * The buffer pool of a route's upstream client, sized for its connections. Jetty's client sizes its
 * default pool from its executor, but recognises the Jetty server's pool, lent to the WAR, only
 * through its own class loader's types: it then keeps two buffers per size, and every other response
 * is read into a freshly allocated direct buffer (bench/README.md, "Where the CPU goes").
 */
public final class UpstreamBufferPool {
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
    public static ArrayByteBufferPool forRoute(int maxConnections, int largestBuffer) {
        int maxCapacity = Math.max(MIN_MAX_CAPACITY, (largestBuffer + STEP - 1) / STEP * STEP);
        return new ArrayByteBufferPool(0, STEP, maxCapacity, maxConnections);
    }
}
