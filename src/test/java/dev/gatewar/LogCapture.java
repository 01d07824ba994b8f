package dev.gatewar;

import dev.gatewar.proxy.ExchangeFailures;
import org.eclipse.jetty.logging.JettyLevel;
import org.eclipse.jetty.logging.JettyLogger;
import org.eclipse.jetty.logging.StdErrAppender;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Captures what Jetty's logging (jetty-slf4j-impl, one StdErrAppender shared by every logger) writes
 * while it is open, as {@link UpstreamFailureTest} does for one test. Lines look like
 * {@code 2026-01-01 00:00:00.000:WARN :dgp.ExchangeFailures:thread: message}: Jetty abbreviates the
 * logger's package ({@code dg.} for {@code dev.gatewar}, {@code dgp.} for {@code dev.gatewar.proxy}), so
 * a check for "a line from the gateway" matches the prefix {@code :dg}.
 *
 * <p>{@link #startWithDebug()} also lowers {@code dev.gatewar.proxy.ExchangeFailures} to DEBUG (its
 * per-try lines) until the capture is closed. On close, the captured text is echoed, at most
 * {@value #ECHO_LINES} lines of it: a load test's thousands of lines would bury the build's output.
 */
final class LogCapture implements AutoCloseable {
    private static final int ECHO_LINES = 400;

    private final StdErrAppender appender;
    private final PrintStream original;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final JettyLogger failures;
    private final JettyLevel originalLevel;

    private LogCapture(boolean debug) {
        failures = (JettyLogger) LoggerFactory.getLogger(ExchangeFailures.class);
        appender = (StdErrAppender) failures.getAppender();
        original = appender.getStream();
        originalLevel = failures.getLevel();
        appender.setStream(new PrintStream(captured, true, StandardCharsets.UTF_8));
        if (debug) {
            failures.setLevel(JettyLevel.DEBUG);
        }
    }

    static LogCapture start() {
        return new LogCapture(false);
    }

    /** Captures as {@link #start()} does, with the gateway's failure logger at DEBUG meanwhile. */
    static LogCapture startWithDebug() {
        return new LogCapture(true);
    }

    /** How many captured lines match. */
    long count(Predicate<String> filter) {
        return lines().stream().filter(filter).count();
    }

    /** Every captured line so far but the access log's (a test asks for those with {@link #accessLines()}). */
    List<String> lines() {
        return allLines().stream().filter(l -> !isAccessLine(l)).toList();
    }

    /** The access-log lines captured so far: what follows the logger's prefix, {@code time=...}. */
    List<String> accessLines() {
        return allLines().stream().filter(LogCapture::isAccessLine).map(l -> l.substring(l.indexOf(" time=") + 1)).toList();
    }

    /**
     * Waits, at most {@code timeoutMs}, until {@code count} access lines were captured: the line is
     * written when the exchange ends, which may be just after the client read the response.
     */
    boolean awaitAccessLines(int count, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (accessLines().size() < count) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    private synchronized List<String> allLines() {
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** Jetty abbreviates the logger name gatewar.access to g.access. */
    private static boolean isAccessLine(String line) {
        return line.contains(":g.access:") && line.contains(" time=");
    }

    String text() {
        return String.join("\n", lines());
    }

    /** The captured lines that match. */
    List<String> lines(Predicate<String> filter) {
        return lines().stream().filter(filter).toList();
    }

    /**
     * Waits, at most {@code timeoutMs}, until a line matches; returns whether one did. Polling a
     * captured stream: the gateway logs on its own threads, with nothing else to wait on.
     */
    boolean await(Predicate<String> filter, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            if (lines().stream().anyMatch(filter)) {
                return true;
            }
            Thread.sleep(20);
        }
        return lines().stream().anyMatch(filter);
    }

    @Override
    public void close() {
        failures.setLevel(originalLevel);
        appender.setStream(original);
        // Show what the test captured, as the build would have without the capture (a null stream
        // is the appender's default: System.err).
        PrintStream out = original != null ? original : System.err;
        List<String> lines = allLines();
        lines.stream().limit(ECHO_LINES).forEach(out::println);
        if (lines.size() > ECHO_LINES) {
            out.println("[LogCapture: " + (lines.size() - ECHO_LINES) + " more captured lines not shown]");
        }
    }
}
