package dev.gatewar.pool;

import dev.gatewar.config.InitParamReader;

import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * How a route with several upstreams balances, ejects and retries: typed values read once from the
 * route servlet's init-params, every default decided here. The README has the rules; the names
 * follow nginx's and Envoy's where they mean the same thing.
 */
public record PoolSettings(
        Balancer balancer,
        int maxFails,
        long failWindowMs,
        long ejectTimeMs,
        long maxEjectTimeMs,
        Set<Integer> failOnStatus,
        int retries,
        Set<String> retryMethods,
        int retryBufferBytes,
        long retryWithinMs) {

    public static final String BALANCER = "balancer";
    public static final Balancer DEFAULT_BALANCER = Balancer.ROUND_ROBIN;
    public static final String MAX_FAILS = "maxFails";
    public static final int DEFAULT_MAX_FAILS = 1;
    public static final String FAIL_WINDOW = "failWindow";
    public static final long DEFAULT_FAIL_WINDOW_MS = 10_000;
    public static final String EJECT_TIME = "ejectTime";
    public static final long DEFAULT_EJECT_TIME_MS = 10_000;
    public static final String MAX_EJECT_TIME = "maxEjectTime";
    public static final long DEFAULT_MAX_EJECT_TIME_MS = 300_000;
    public static final String FAIL_ON_STATUS = "failOnStatus";
    public static final String RETRIES = "retries";
    public static final int DEFAULT_RETRIES = 1;
    public static final String RETRY_METHODS = "retryMethods";
    /** Methods RFC 9110 calls idempotent: retried even when the request may have reached the upstream. */
    public static final Set<String> IDEMPOTENT_METHODS = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");
    public static final String RETRY_BUFFER_BYTES = "retryBufferBytes";
    public static final int DEFAULT_RETRY_BUFFER_BYTES = 64 * 1024;
    public static final String RETRY_WITHIN = "retryWithin";
    public static final long DEFAULT_RETRY_WITHIN_MS = 30_000;

    public PoolSettings {
        failOnStatus = Set.copyOf(failOnStatus);
        retryMethods = Set.copyOf(retryMethods);
    }

    public static List<String> paramNames() {
        return List.of(BALANCER, MAX_FAILS, FAIL_WINDOW, EJECT_TIME, MAX_EJECT_TIME, FAIL_ON_STATUS, RETRIES,
                RETRY_METHODS, RETRY_BUFFER_BYTES, RETRY_WITHIN);
    }

    /** Whether a request with {@code method} may be sent again after it may have reached an upstream. */
    public boolean mayResend(String method) {
        return IDEMPOTENT_METHODS.contains(method) || retryMethods.contains(method);
    }

    /** Reads the params, adding every problem to {@code params}. */
    public static PoolSettings read(InitParamReader params) {
        Balancer balancer = Balancer.fromParamValue(params.oneOf(BALANCER, DEFAULT_BALANCER.paramValue(), Balancer.paramValues()));
        int maxFails = params.positiveInt(MAX_FAILS, DEFAULT_MAX_FAILS, "failures");
        long failWindow = params.positiveLong(FAIL_WINDOW, DEFAULT_FAIL_WINDOW_MS, "milliseconds");
        long ejectTime = params.positiveLong(EJECT_TIME, DEFAULT_EJECT_TIME_MS, "milliseconds");
        long maxEjectTime = params.positiveLong(MAX_EJECT_TIME, DEFAULT_MAX_EJECT_TIME_MS, "milliseconds");
        if (maxEjectTime < ejectTime) {
            params.invalid(MAX_EJECT_TIME, params.raw(MAX_EJECT_TIME) == null ? Long.toString(maxEjectTime) : params.raw(MAX_EJECT_TIME),
                    "milliseconds no fewer than " + EJECT_TIME + " (" + ejectTime + ")");
        }
        return new PoolSettings(balancer, maxFails, failWindow, ejectTime, maxEjectTime, failOnStatus(params),
                retries(params), retryMethods(params),
                params.positiveInt(RETRY_BUFFER_BYTES, DEFAULT_RETRY_BUFFER_BYTES, "bytes"),
                params.positiveLong(RETRY_WITHIN, DEFAULT_RETRY_WITHIN_MS, "milliseconds"));
    }

    private static int retries(InitParamReader params) {
        String value = params.raw(RETRIES);
        if (value == null) {
            return DEFAULT_RETRIES;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= 0) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        params.invalid(RETRIES, value, "a whole number of retries, 0 or more");
        return DEFAULT_RETRIES;
    }

    private static Set<Integer> failOnStatus(InitParamReader params) {
        String value = params.raw(FAIL_ON_STATUS);
        if (value == null || value.isEmpty()) {
            return Set.of();
        }
        Set<Integer> statuses = new TreeSet<>();
        for (String item : value.split(",", -1)) {
            try {
                int status = Integer.parseInt(item.strip());
                if (status >= 500 && status <= 599) {
                    statuses.add(status);
                    continue;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            params.invalid(FAIL_ON_STATUS, value, "status codes from 500 to 599 separated by commas (e.g. 502,503,504)");
            return Set.of();
        }
        return statuses;
    }

    private static Set<String> retryMethods(InitParamReader params) {
        String value = params.raw(RETRY_METHODS);
        if (value == null || value.isEmpty()) {
            return Set.of();
        }
        Set<String> methods = new TreeSet<>();
        for (String item : value.split(",", -1)) {
            String method = item.strip();
            if (!isToken(method)) {
                params.invalid(RETRY_METHODS, value, "method names (tokens such as POST or PATCH) separated by commas");
                return Set.of();
            }
            methods.add(method.toUpperCase(Locale.ROOT));
        }
        return Collections.unmodifiableSet(methods);
    }

    /** RFC 9110's token: what a method name is made of. */
    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
