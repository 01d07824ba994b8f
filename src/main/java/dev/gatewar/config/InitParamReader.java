package dev.gatewar.config;

import jakarta.servlet.ServletException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Reads the init-params of one servlet or filter once, at start-up, and collects every problem so
 * that a deployment fails with all of them in one message, each naming the component, the param and
 * the value.
 */
public final class InitParamReader {
    private final String component;
    private final String paramNoun;
    private final Function<String, String> source;
    private final List<String> problems = new ArrayList<>();

    /**
     * @param component what the messages call the component, e.g. {@code servlet 'serviceA'}
     * @param source    the container's init-param lookup
     */
    public InitParamReader(String component, Function<String, String> source) {
        this(component, "init-param", source);
    }

    /** @param paramNoun what the messages call a param: {@code init-param}, {@code context-param} */
    public InitParamReader(String component, String paramNoun, Function<String, String> source) {
        this.paramNoun = paramNoun;
        this.component = component;
        this.source = source;
    }

    /** The value with surrounding white space removed, or null when absent. */
    public String raw(String name) {
        String value = source.apply(name);
        return value == null ? null : value.strip();
    }

    public String optionalString(String name) {
        String value = raw(name);
        if (value != null && value.isEmpty()) {
            invalid(name, value, "a non-empty value, or leave the init-param out");
            return null;
        }
        return value;
    }

    public long positiveLong(String name, long defaultValue, String unit) {
        String value = raw(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            long parsed = Long.parseLong(value);
            if (parsed > 0) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below, with the expected format
        }
        invalid(name, value, "a whole number of " + unit + " greater than 0");
        return defaultValue;
    }

    public int positiveInt(String name, int defaultValue, String unit) {
        long value = positiveLong(name, defaultValue, unit);
        if (value > Integer.MAX_VALUE) {
            invalid(name, raw(name), "a whole number of " + unit + " from 1 to " + Integer.MAX_VALUE);
            return defaultValue;
        }
        return (int) value;
    }

    /** Empty when the init-param is absent, or invalid (then reported like any other problem). */
    public OptionalInt optionalPositiveInt(String name, String unit) {
        if (raw(name) == null) {
            return OptionalInt.empty();
        }
        int problemsBefore = problems.size();
        int value = positiveInt(name, 1, unit);
        return problems.size() == problemsBefore ? OptionalInt.of(value) : OptionalInt.empty();
    }

    /** Only {@code true} and {@code false}: a typo such as "ture" must not quietly mean false. */
    public boolean bool(String name, boolean defaultValue) {
        String value = raw(name);
        if (value == null) {
            return defaultValue;
        }
        if (value.equals("true") || value.equals("false")) {
            return Boolean.parseBoolean(value);
        }
        invalid(name, value, "true or false");
        return defaultValue;
    }

    /** One of the given words; returns the default when absent or invalid. */
    public String oneOf(String name, String defaultValue, Set<String> allowed) {
        String value = raw(name);
        if (value == null) {
            return defaultValue;
        }
        if (allowed.contains(value)) {
            return value;
        }
        invalid(name, value, "one of " + String.join(", ", new TreeSet<>(allowed)));
        return defaultValue;
    }

    /** A problem that is not about one init-param's value (e.g. the servlet's mapping). */
    public void problem(String description) {
        problems.add(description);
    }

    public void invalid(String name, String value, String expected) {
        problems.add(paramNoun + " '" + name + "' has the invalid value '" + value + "': expected " + expected);
    }

    /**
     * Reports every init-param whose name is not known: a misspelt name would otherwise fall back to
     * a default without a word.
     *
     * @param hints what to write instead of a known-but-unsupported name (Jetty's own proxy params)
     */
    public void rejectUnknown(Iterable<String> presentNames, Set<String> known, Map<String, String> hints) {
        for (String name : presentNames) {
            if (known.contains(name)) {
                continue;
            }
            String hint = hints.get(name);
            problems.add("init-param '" + name + "' is not known"
                    + (hint != null ? ": " + hint : "; known init-params are " + String.join(", ", new TreeSet<>(known))));
        }
    }

    /** Throws one exception listing every problem found, if any. */
    public void throwIfInvalid() throws ServletException {
        if (problems.isEmpty()) {
            return;
        }
        StringBuilder message = new StringBuilder("gatewar: ").append(component).append(" is misconfigured: ");
        message.append(String.join("; ", problems));
        throw new ServletException(message.toString());
    }
}
