package dev.gatewar.observe;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Writes access lines to their logger, through SLF4J, except where SLF4J is bound to
 * java.util.logging (on Tomcat, the WAR's slf4j-jdk14). That binding names the caller of every line
 * by walking the stack ({@code new Throwable().getStackTrace()}): 10.8 % of the proxy's CPU on a small
 * GET in a profile on Tomcat. The caller of an access line is always the same, so there the record is
 * handed to java.util.logging with its source already named, the same record otherwise.
 */
final class AccessLog {
    private static final String JUL_BINDING = "org.slf4j.jul.JDK14LoggerAdapter";

    private final Logger slf4j;
    /** The same logger in java.util.logging, when SLF4J writes there; null otherwise. */
    private final java.util.logging.Logger jul;
    private final String sourceClass;
    private final String sourceMethod;

    AccessLog(Logger slf4j, java.util.logging.Logger jul, String sourceClass, String sourceMethod) {
        this.slf4j = slf4j;
        this.jul = jul;
        this.sourceClass = sourceClass;
        this.sourceMethod = sourceMethod;
    }

    /** The access log named {@code name}, whose lines are written by {@code sourceClass.sourceMethod}. */
    static AccessLog named(String name, Class<?> sourceClass, String sourceMethod) {
        Logger slf4j = LoggerFactory.getLogger(name);
        java.util.logging.Logger jul = slf4j.getClass().getName().equals(JUL_BINDING)
                ? java.util.logging.Logger.getLogger(name) : null;
        return new AccessLog(slf4j, jul, sourceClass.getName(), sourceMethod);
    }

    boolean isEnabled() {
        return jul != null ? jul.isLoggable(Level.INFO) : slf4j.isInfoEnabled();
    }

    void write(String line) {
        if (jul == null) {
            slf4j.info(line);
            return;
        }
        LogRecord record = new LogRecord(Level.INFO, line);
        record.setLoggerName(jul.getName());
        record.setSourceClassName(sourceClass);
        record.setSourceMethodName(sourceMethod);
        jul.log(record);
    }
}
