package dev.gatewar;

import jakarta.servlet.ServletException;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/** A bad init-param fails the start-up with a message naming the servlet, the param and the value. */
class ConfigurationTest {
    static final String UPSTREAM_EXPECTED = "expected an absolute http:// or https:// URL with a host, "
            + "optionally a base path, and no query, fragment or user-info (e.g. http://10.0.0.5:8080/api)";

    /** Starts a gateway that must fail, and returns the gatewar message that failed it. */
    static String startupFailure(GatewayServer.Builder builder) {
        Exception failure = assertThrows(Exception.class, () -> builder.start().close());
        Deque<Throwable> pending = new ArrayDeque<>();
        pending.add(failure);
        while (!pending.isEmpty()) {
            Throwable t = pending.poll();
            if (t instanceof ServletException && t.getMessage() != null && t.getMessage().startsWith("gatewar: ")) {
                return t.getMessage();
            }
            if (t.getCause() != null) {
                pending.add(t.getCause());
            }
            pending.addAll(java.util.List.of(t.getSuppressed()));
        }
        fail("no gatewar configuration message in " + failure);
        return null;
    }

    private static String routeFailure(Map<String, String> params) {
        return startupFailure(GatewayServer.builder().route("serviceA", "/serviceA/*", params));
    }

    @Test
    void badObservabilityValuesNameTheComponentTheParamAndTheValue() {
        assertEquals("gatewar: servlet 'serviceA' is misconfigured: init-param 'accessLog' has the invalid value 'yes': "
                + "expected true or false", routeFailure(Map.of("upstream", "http://127.0.0.1:1", "accessLog", "yes")));
        assertEquals("gatewar: web application '/' is misconfigured: context-param 'gatewar.metrics' has the invalid value 'on': "
                + "expected true or false", startupFailure(GatewayServer.builder().contextParam("gatewar.metrics", "on")
                .route("serviceA", "/serviceA/*", Map.of("upstream", "http://127.0.0.1:1"))));
        assertEquals("gatewar: servlet 'metrics' is misconfigured: init-param 'allowFrom' has the invalid value '127.0.0.1, 10.0.0.300/8': "
                + "expected IP addresses or CIDR ranges separated by commas (e.g. 127.0.0.1, 10.0.0.0/8, ::1): "
                + "'10.0.0.300/8' is not an IP address or CIDR range", startupFailure(GatewayServer.builder()
                .servlet("metrics", MetricsServlet.class, "/metrics", Map.of("allowFrom", "127.0.0.1, 10.0.0.300/8"))));
        assertEquals("gatewar: servlet 'metrics' is misconfigured: init-param 'allowFrom' has the invalid value 'metrics.example': "
                + "expected IP addresses or CIDR ranges separated by commas (e.g. 127.0.0.1, 10.0.0.0/8, ::1): "
                + "'metrics.example' is not an IP address or CIDR range", startupFailure(GatewayServer.builder()
                .servlet("metrics", MetricsServlet.class, "/metrics", Map.of("allowFrom", "metrics.example"))));
    }

    @Test
    void aMissingUpstreamNamesTheServletAndTheParam() {
        assertEquals("gatewar: servlet 'serviceA' is misconfigured: init-param 'upstream' is required: " + UPSTREAM_EXPECTED,
                routeFailure(Map.of()));
    }

    @Test
    void anUpstreamThatIsNotAnHttpUrlIsRefused() {
        for (String value : new String[] {"ftp://10.0.0.5/x", "10.0.0.5:8080", "http://user:pw@h/x", "http://h/x?q=1", "http:///x"}) {
            assertEquals("gatewar: servlet 'serviceA' is misconfigured: init-param 'upstream' has the invalid value '"
                    + value + "': " + UPSTREAM_EXPECTED, routeFailure(Map.of("upstream", value)), value);
        }
    }

    @Test
    void aTimeoutThatIsNotAPositiveNumberIsRefused() {
        assertEquals("gatewar: servlet 'serviceA' is misconfigured: init-param 'connectTimeout' has the invalid value '5s': "
                        + "expected a whole number of milliseconds greater than 0",
                routeFailure(Map.of("upstream", "http://127.0.0.1:1", "connectTimeout", "5s")));
    }

    @Test
    void aBooleanTypoIsRefusedRatherThanReadAsFalse() {
        assertEquals("gatewar: servlet 'serviceA' is misconfigured: init-param 'preserveHost' has the invalid value 'ture': "
                        + "expected true or false",
                routeFailure(Map.of("upstream", "http://127.0.0.1:1", "preserveHost", "ture")));
    }

    @Test
    void anUnknownForwardedHeadersModeIsRefused() {
        assertEquals("gatewar: servlet 'serviceA' is misconfigured: init-param 'forwardedHeaders' has the invalid value 'xff': "
                        + "expected one of both, forwarded, none, x-forwarded",
                routeFailure(Map.of("upstream", "http://127.0.0.1:1", "forwardedHeaders", "xff")));
    }

    @Test
    void aMisspeltParamNameIsRefusedWithTheKnownNames() {
        assertEquals("gatewar: servlet 'serviceA' is misconfigured: init-param 'responseTimout' is not known; known init-params are "
                        + "accessLog, accessLogQuery, accessLogUpstreamUrl, balancer, connectTimeout, ejectTime, failOnStatus, "
                        + "failWindow, forwardedHeaders, hostHeader, maxConnectionsPerUpstream, maxEjectTime, maxFails, "
                        + "maxRequestHeadersSize, maxResponseHeadersSize, maxThreads, maxWebSocketMessageBytes, metrics, preserveHost, "
                        + "requestBufferSize, responseBufferSize, responseTimeout, retries, retryBufferBytes, retryMethods, retryWithin, "
                        + "selectors, startTrace, upstream, viaHost, webSocketIdleTimeout, websocket",
                routeFailure(Map.of("upstream", "http://127.0.0.1:1", "responseTimout", "100")));
    }

    @Test
    void badWebSocketValuesAreRefused() {
        assertEquals("gatewar: servlet 'serviceA' is misconfigured: init-param 'webSocketIdleTimeout' has the invalid value '5m': "
                        + "expected a whole number of milliseconds greater than 0",
                routeFailure(Map.of("upstream", "http://127.0.0.1:1", "webSocketIdleTimeout", "5m")));
        assertEquals("gatewar: servlet 'serviceA' is misconfigured: init-param 'websocket' has the invalid value 'off': "
                        + "expected true or false",
                routeFailure(Map.of("upstream", "http://127.0.0.1:1", "websocket", "off")));
        assertEquals("gatewar: servlet 'serviceA' is misconfigured: init-param 'maxWebSocketMessageBytes' has the invalid value '0': "
                        + "expected a whole number of bytes greater than 0",
                routeFailure(Map.of("upstream", "http://127.0.0.1:1", "maxWebSocketMessageBytes", "0")));
    }

    @Test
    void jettysOwnProxyParamsPointToTheirGatewarEquivalent() {
        assertEquals("gatewar: servlet 'serviceA' is misconfigured: init-param 'proxyTo' is not known: "
                        + "gatewar reads the upstream from 'upstream'; init-param 'upstream' is required: " + UPSTREAM_EXPECTED,
                routeFailure(Map.of("proxyTo", "http://127.0.0.1:1")));
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        assertEquals("gatewar: servlet 'serviceA' is misconfigured: init-param 'maxConnectionsPerUpstream' has the invalid "
                        + "value '0': expected a whole number of connections greater than 0; init-param 'maxThreads' has the "
                        + "invalid value '2': expected a whole number of threads of at least 4",
                routeFailure(Map.of("upstream", "http://127.0.0.1:1", "maxThreads", "2", "maxConnectionsPerUpstream", "0")));
    }

    @Test
    void aMappingThatIsNotAPrefixIsRefused() {
        assertEquals("gatewar: servlet 'serviceA' is misconfigured: its url-pattern '*.json' cannot be a route: a route is mapped "
                        + "as '/prefix/*' (or '/*'), and the prefix is stripped before forwarding",
                startupFailure(GatewayServer.builder().route("serviceA", "*.json", Map.of("upstream", "http://127.0.0.1:1"))));
    }

    @Test
    void aBadFilterValueNamesTheFilter() {
        assertEquals("gatewar: filter 'jsonBody' is misconfigured: init-param 'maxBodyBytes' has the invalid value '1MB': "
                        + "expected a whole number of bytes greater than 0",
                startupFailure(GatewayServer.builder().filterParam("maxBodyBytes", "1MB")
                        .route("serviceA", "/serviceA/*", Map.of("upstream", "http://127.0.0.1:1"))));
    }

    @Test
    void anUnknownFilterParamIsRefused() {
        assertEquals("gatewar: filter 'jsonBody' is misconfigured: init-param 'malformed' is not known; known init-params are "
                        + "bodyIdleTimeout, malformedJson, maxBodyBytes",
                startupFailure(GatewayServer.builder().filterParam("malformed", "forward")
                        .route("serviceA", "/serviceA/*", Map.of("upstream", "http://127.0.0.1:1"))));
    }
}
