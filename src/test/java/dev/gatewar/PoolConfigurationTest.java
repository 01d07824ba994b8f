package dev.gatewar;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The init-params of a route with several upstreams (issue 10) are checked at deployment like the
 * others: each bad value fails the start-up with the exact message of the contract, naming the
 * servlet, the param and the value.
 */
class PoolConfigurationTest {
    private static final String MISCONFIGURED = "gatewar: servlet 'serviceA' is misconfigured: ";
    private static final String TWO = "http://127.0.0.1:1, http://127.0.0.1:2";

    private static String routeFailure(Map<String, String> params) {
        return ConfigurationTest.startupFailure(GatewayServer.builder().route("serviceA", "/serviceA/*", params));
    }

    private static String upstreamFailure(String value) {
        return routeFailure(Map.of("upstream", value));
    }

    private static Map<String, String> twoUpstreamsAnd(String... nameValues) {
        Map<String, String> params = new HashMap<>();
        params.put("upstream", TWO);
        for (int i = 0; i < nameValues.length; i += 2) {
            params.put(nameValues[i], nameValues[i + 1]);
        }
        return params;
    }

    @Test
    void anEmptyListIsAMissingUpstream() {
        for (String value : new String[] {" , ", ",", " ,, \n "}) {
            assertEquals(MISCONFIGURED + "init-param 'upstream' is required: " + ConfigurationTest.UPSTREAM_EXPECTED,
                    upstreamFailure(value), "'" + value + "'");
        }
    }

    @Test
    void oneBadUrlInTheListIsQuotedAlone() {
        assertEquals(MISCONFIGURED + "init-param 'upstream' has the invalid value 'ftp://x': " + ConfigurationTest.UPSTREAM_EXPECTED,
                upstreamFailure("http://127.0.0.1:8081, ftp://x"));
        assertEquals(MISCONFIGURED + "init-param 'upstream' has the invalid value 'http://h/x?q=1': "
                        + ConfigurationTest.UPSTREAM_EXPECTED,
                upstreamFailure("http://127.0.0.1:8081/x http://h/x?q=1"));
    }

    @Test
    void aDuplicateUrlIsRefused() {
        assertEquals(MISCONFIGURED + "init-param 'upstream' lists 'http://127.0.0.1:8081' twice: expected each upstream once",
                upstreamFailure("http://127.0.0.1:8081, http://127.0.0.1:8082, http://127.0.0.1:8081"));
    }

    @Test
    void differentBasePathsAreRefused() {
        assertEquals(MISCONFIGURED + "init-param 'upstream' has URLs with different base paths ('/api' and '/v2'): "
                        + "expected one base path for every upstream",
                upstreamFailure("http://127.0.0.1:8081/api http://127.0.0.1:8082/v2"));
    }

    @Test
    void aWeightOutside1To100IsRefused() {
        for (String entry : new String[] {"http://a:1;weight=0", "http://a:1;weight=101", "http://a:1;weight=-3", "http://a:1;weight=x"}) {
            assertEquals(MISCONFIGURED + "init-param 'upstream' has the invalid value '" + entry + "': expected a weight "
                            + "from 1 to 100 after ';weight=' (e.g. http://10.0.0.5:8080;weight=3)",
                    upstreamFailure("http://127.0.0.1:8081, " + entry), entry);
        }
    }

    @Test
    void negativeRetriesAreRefused() {
        assertEquals(MISCONFIGURED + "init-param 'retries' has the invalid value '-1': expected a whole number of retries, 0 or more",
                routeFailure(twoUpstreamsAnd("retries", "-1")));
        // Checked on a route of one upstream too: the params are the same whatever the list's length.
        assertEquals(MISCONFIGURED + "init-param 'retries' has the invalid value '-1': expected a whole number of retries, 0 or more",
                routeFailure(Map.of("upstream", "http://127.0.0.1:1", "retries", "-1")));
    }

    @Test
    void anUnknownBalancerIsRefused() {
        assertEquals(MISCONFIGURED + "init-param 'balancer' has the invalid value 'random': expected one of least-requests, round-robin",
                routeFailure(twoUpstreamsAnd("balancer", "random")));
    }

    @Test
    void aRetryMethodThatIsNotATokenIsRefused() {
        assertEquals(MISCONFIGURED + "init-param 'retryMethods' has the invalid value 'GET POST;': expected method names "
                        + "(tokens such as POST or PATCH) separated by commas",
                routeFailure(twoUpstreamsAnd("retryMethods", "GET POST;")));
    }

    @Test
    void aFailOnStatusOutside500To599IsRefused() {
        for (String value : new String[] {"404", "600"}) {
            assertEquals(MISCONFIGURED + "init-param 'failOnStatus' has the invalid value '" + value + "': expected status codes "
                            + "from 500 to 599 separated by commas (e.g. 502,503,504)",
                    routeFailure(twoUpstreamsAnd("failOnStatus", value)), value);
        }
    }

    @Test
    void aMaxEjectTimeBelowTheEjectTimeIsRefused() {
        assertEquals(MISCONFIGURED + "init-param 'maxEjectTime' has the invalid value '5000': expected milliseconds no fewer "
                        + "than ejectTime (10000)",
                routeFailure(twoUpstreamsAnd("maxEjectTime", "5000")));
        assertEquals(MISCONFIGURED + "init-param 'maxEjectTime' has the invalid value '200': expected milliseconds no fewer "
                        + "than ejectTime (300)",
                routeFailure(twoUpstreamsAnd("ejectTime", "300", "maxEjectTime", "200")));
    }

    @Test
    void everyProblemOfThePoolIsReportedAtOnce() {
        String message = routeFailure(twoUpstreamsAnd("retries", "-1", "balancer", "random"));
        assertTrue(message.startsWith(MISCONFIGURED), message);
        Set<String> problems = new TreeSet<>(Arrays.asList(message.substring(MISCONFIGURED.length()).split("; ")));
        assertEquals(new TreeSet<>(List.of(
                "init-param 'retries' has the invalid value '-1': expected a whole number of retries, 0 or more",
                "init-param 'balancer' has the invalid value 'random': expected one of least-requests, round-robin")), problems);
    }

    @Test
    void theNewParamsAreKnown() {
        String message = routeFailure(twoUpstreamsAnd("retrys", "2"));
        String start = MISCONFIGURED + "init-param 'retrys' is not known; known init-params are ";
        assertTrue(message.startsWith(start), message);
        Set<String> known = new TreeSet<>(Arrays.asList(message.substring(start.length()).split(", ")));
        for (String name : List.of("upstream", "balancer", "maxFails", "failWindow", "ejectTime", "maxEjectTime", "failOnStatus",
                "retries", "retryMethods", "retryBufferBytes", "retryWithin")) {
            assertTrue(known.contains(name), name + " in " + known);
        }
    }

    @Test
    void everyWrittenFormOfAValidPoolStarts() throws Exception {
        List<Map<String, String>> valid = List.of(
                Map.of("upstream", "http://127.0.0.1:1,http://127.0.0.1:2"),
                Map.of("upstream", "  http://127.0.0.1:1\n\thttp://127.0.0.1:2 ,\n http://127.0.0.1:3  "),
                // Trailing slashes are not part of the base path.
                Map.of("upstream", "http://127.0.0.1:1/api/, http://127.0.0.1:2/api"),
                Map.of("upstream", "http://127.0.0.1:1;weight=1, http://127.0.0.1:2;weight=100"),
                twoUpstreamsAnd("balancer", "least-requests", "retries", "0", "retryMethods", "POST,PATCH",
                        "failOnStatus", "502,503,504", "maxFails", "3", "failWindow", "5000", "ejectTime", "300",
                        "maxEjectTime", "300", "retryBufferBytes", "1024", "retryWithin", "1000"),
                Map.of("upstream", TWO, "balancer", "round-robin", "failOnStatus", "503"));
        for (Map<String, String> params : valid) {
            try (GatewayServer gateway = GatewayServer.builder().route("serviceA", "/serviceA/*", params).start()) {
                assertTrue(gateway.port() > 0, params.toString());
            } catch (Exception e) {
                throw new AssertionError("refused " + params + ": " + e, e);
            }
        }
    }
}
