package dev.gatewar.observe;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AccessLogLineTest {
    @Test
    void safeValuesAreBareAndEverythingElseIsQuotedAndEscaped() {
        String line = new AccessLogLine().time(0).field("a", "GET").field("b", "x y").field("c", "line\nbreak\r\"q\"\\")
                .field("d", (String) null).field("e", 42).quotedField("path", "/p/\u00e9\u0001").field("f", "k=v").toString();
        assertEquals("time=1970-01-01T00:00:00.000Z a=GET b=\"x y\" c=\"line\\x0abreak\\x0d\\\"q\\\"\\\\\" d=- e=42 "
                + "path=\"/p/\\xc3\\xa9\\x01\" f=\"k=v\"", line);
    }
}
