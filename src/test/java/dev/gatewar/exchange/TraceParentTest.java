package dev.gatewar.exchange;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class TraceParentTest {
    @Test
    void readsTheTraceIdOfValidHeadersOnly() {
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", TraceParent.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", TraceParent.traceId("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later"));
        assertNull(TraceParent.traceId(null));
        assertNull(TraceParent.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"), "00 has exactly four fields");
        assertNull(TraceParent.traceId("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), "zero trace id");
        assertNull(TraceParent.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"), "zero parent id");
        assertNull(TraceParent.traceId("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), "version ff");
        assertNull(TraceParent.traceId("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), "upper case");
        assertNull(TraceParent.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0"));
    }

    @Test
    void startsValidDistinctTraces() {
        String first = TraceParent.start();
        String second = TraceParent.start();
        assertNotNull(TraceParent.traceId(first), first);
        assertNotEquals(TraceParent.traceId(first), TraceParent.traceId(second));
        assertEquals("01", first.substring(53));
    }
}
