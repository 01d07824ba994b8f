package dev.gatewar.observe;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The java.util.logging path (SLF4J bound to JUL, as on Tomcat): the record names its source without a stack walk. */
class AccessLogTest {
    @Test
    void onJulTheRecordIsComplete() {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("gatewar.access.test");
        jul.setUseParentHandlers(false);
        List<LogRecord> records = new ArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(handler);
        try {
            AccessLog log = new AccessLog(LoggerFactory.getLogger("gatewar.access.test"), jul, "dev.gatewar.observe.ExchangeRecorder", "ended");
            jul.setLevel(Level.INFO);
            assertTrue(log.isEnabled());
            log.write("time=t requestId=r");
            assertEquals(1, records.size());
            LogRecord record = records.get(0);
            assertEquals("time=t requestId=r", record.getMessage());
            assertEquals(Level.INFO, record.getLevel());
            assertEquals("gatewar.access.test", record.getLoggerName());
            assertEquals("dev.gatewar.observe.ExchangeRecorder", record.getSourceClassName());
            assertEquals("ended", record.getSourceMethodName());
            jul.setLevel(Level.WARNING);
            assertFalse(log.isEnabled(), "an operator who sets the logger to WARNING turns the access log off");
        } finally {
            jul.removeHandler(handler);
        }
    }
}
