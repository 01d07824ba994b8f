package dev.gatewar.proxy;

import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The upstream client's pool must hand every connection's read buffer back out instead of
 * allocating it again, however many cores the container has (Jetty's own default keeps two per size
 * when it cannot recognise the server's thread pool).
 */
class UpstreamBufferPoolTest {

    @Test
    void keepsOneReadBufferPerConnection() {
        ArrayByteBufferPool pool = UpstreamBufferPool.forRoute(64, RouteSettings.DEFAULT_RESPONSE_BUFFER_SIZE);
        Set<ByteBuffer> first = acquireAndRelease(pool, 64, RouteSettings.DEFAULT_RESPONSE_BUFFER_SIZE);
        Set<ByteBuffer> second = acquireAndRelease(pool, 64, RouteSettings.DEFAULT_RESPONSE_BUFFER_SIZE);
        assertEquals(64, first.size());
        assertEquals(first, second, "every buffer of the second round must be one of the first round's");
    }

    @Test
    void poolsBuffersLargerThanJettysDefaultMaximum() {
        int size = 256 * 1024 + 1;
        ArrayByteBufferPool pool = UpstreamBufferPool.forRoute(4, size);
        Set<ByteBuffer> first = acquireAndRelease(pool, 4, size);
        Set<ByteBuffer> second = acquireAndRelease(pool, 4, size);
        assertEquals(first, second);
        assertTrue(first.iterator().next().capacity() >= size);
    }

    private static Set<ByteBuffer> acquireAndRelease(ArrayByteBufferPool pool, int count, int size) {
        List<RetainableByteBuffer> held = new ArrayList<>();
        Set<ByteBuffer> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < count; i++) {
            RetainableByteBuffer buffer = pool.acquire(size, true);
            held.add(buffer);
            seen.add(buffer.getByteBuffer());
        }
        held.forEach(RetainableByteBuffer::release);
        return seen;
    }
}
