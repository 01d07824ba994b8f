package dev.gatewar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.jetty.http.UriCompliance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Routing, target rewriting and header handling, over real HTTP through embedded Jetty. */
class PrefixProxyServletTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    @RegisterExtension
    static final TestUpstream upstream = new TestUpstream();
    private static GatewayServer gateway;

    @BeforeAll
    static void start() throws Exception {
        gateway = GatewayServer.builder()
                .route("serviceA", "/serviceA/*", Map.of("upstream", upstream.url()))
                .route("serviceB", "/serviceB/*", Map.of("upstream", upstream.url() + "/api/"))
                .route("multi", "/deep/prefix/*", Map.of("upstream", upstream.url() + "/deep"))
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
    }

    private static HttpResponse<String> get(String rawPath) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(gateway.url(rawPath))).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void stripsThePrefixAndKeepsTheQuery() throws Exception {
        HttpResponse<String> response = get("/serviceA/users/7?x=1");
        assertEquals(200, response.statusCode());
        assertEquals("ok", response.body());
        assertEquals("/users/7?x=1", upstream.next().target());
    }

    @Test
    void prependsTheUpstreamBasePath() throws Exception {
        assertEquals(200, get("/serviceB/orders/1").statusCode());
        assertEquals("/api/orders/1", upstream.next().target());
    }

    @Test
    void stripsAMultiSegmentPrefix() throws Exception {
        assertEquals(200, get("/deep/prefix/x").statusCode());
        assertEquals("/deep/x", upstream.next().target());
    }

    @Test
    void forwardsThePrefixAloneAsTheRoot() throws Exception {
        assertEquals(200, get("/serviceA").statusCode());
        assertEquals("/", upstream.next().target());
        assertEquals(200, get("/serviceA/").statusCode());
        assertEquals("/", upstream.next().target());
    }

    @Test
    void keepsQueryBytesExactly() throws Exception {
        String query = "?a=%2F%20+%25&b=%3D%26%3F&c=%C3%A9&c=&flag";
        assertEquals(200, get("/serviceA/q" + query).statusCode());
        assertEquals("/q" + query, upstream.next().target());
    }

    @Test
    void keepsEncodedPathBytesExactly() throws Exception {
        String path = "/a%20b/%C3%A9t%C3%A9/x%3Fy/z%23w";
        assertEquals(200, get("/serviceA" + path).statusCode());
        assertEquals(path, upstream.next().target());
    }

    @Test
    void answersDotSegmentsWith400AndNeverForwardsThem() throws Exception {
        for (String path : new String[] {"/serviceA/%2e%2e/secret", "/serviceA/a/..;/secret", "/serviceA/%2E/x", "/serviceA/.%2e/x"}) {
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(), RawMessage.get(path).connectionClose());
            // Jetty's connector refuses these itself (its own error page, see jetty-base for JSON).
            assertEquals(400, reply.status(), path);
        }
        assertEquals(200, get("/serviceA/after").statusCode());
        assertEquals("/after", upstream.next().target(), "no traversal request may have reached the upstream");
    }

    @Test
    void rejectsDotSegmentsItselfWhenTheContainerLetsThemThrough() throws Exception {
        try (GatewayServer lenient = GatewayServer.builder().uriCompliance(UriCompliance.UNSAFE)
                .route("serviceA", "/serviceA/*", Map.of("upstream", upstream.url())).start()) {
            for (String path : new String[] {"/serviceA/a/..;/secret", "/serviceA/..%2F/x", "/serviceA/x/%2E"}) {
                RawHttp.Reply reply = RawHttp.exchange(lenient.port(), RawMessage.get(path).connectionClose());
                assertEquals(400, reply.status(), path + "\n" + reply.head());
                JsonNode json = new ObjectMapper().readTree(reply.body());
                assertEquals("The request path contains a '.' or '..' segment, which the gateway does not forward.",
                        json.get("message").asText(), path);
            }
            assertTrue(upstream.receivedNothing());
        }
    }

    @Test
    void answersUnmappedPathsWithJson404() throws Exception {
        HttpResponse<String> response = get("/nowhere");
        assertEquals(404, response.statusCode());
        assertEquals("No route matches this path.", new ObjectMapper().readTree(response.body()).get("message").asText());
    }

    @Test
    void addsForwardingHeadersAndAppendsToAnExistingXForwardedFor() throws Exception {
        RawHttp.Reply reply = RawHttp.exchange(gateway.port(), RawMessage.get("/serviceA/h")
                .host("public.example:8443").header("X-Forwarded-For", "203.0.113.9").connectionClose());
        assertEquals(200, reply.status());
        TestUpstream.Received received = upstream.next();
        assertEquals("203.0.113.9, 127.0.0.1", received.header("X-Forwarded-For"));
        assertEquals("http", received.header("X-Forwarded-Proto"));
        assertEquals("public.example:8443", received.header("X-Forwarded-Host"));
        assertNotNull(received.header("X-Request-Id"));
        assertTrue(received.header("Via").endsWith("gatewar"), received.header("Via"));
        assertFalse(received.header("Host").contains("public.example"), "the upstream's own authority by default");
    }

    @Test
    void removesHopByHopRequestHeadersIncludingThoseNamedInConnection() throws Exception {
        RawHttp.Reply reply = RawHttp.exchange(gateway.port(), RawMessage.get("/serviceA/hop")
                .header("Connection", "close, X-Secret").header("X-Secret", "1")
                .header("Keep-Alive", "timeout=5").header("TE", "trailers").header("X-Kept", "yes"));
        assertEquals(200, reply.status());
        TestUpstream.Received received = upstream.next();
        assertNull(received.header("X-Secret"));
        assertNull(received.header("Keep-Alive"));
        assertNull(received.header("TE"));
        assertEquals("yes", received.header("X-Kept"));
    }

    @Test
    void removesResponseHeadersTheUpstreamNamesInConnection() throws Exception {
        HttpResponse<String> response = get("/serviceA/connection-listed");
        assertEquals(200, response.statusCode());
        assertEquals("/connection-listed", upstream.next().target());
        assertTrue(response.headers().firstValue("X-Hop-Secret").isEmpty(), response.headers().toString());
        assertEquals("kept", response.headers().firstValue("X-End-To-End").orElse(null));
    }

    @Test
    void rewritesRedirectsIntoTheUpstreamSoItsAddressNeverReachesTheClient() throws Exception {
        HttpResponse<String> response = get("/serviceA/redirect");
        assertEquals(302, response.statusCode());
        assertEquals("/serviceA/landed?x=1", response.headers().firstValue("Location").orElse(null));
        assertEquals("/redirect", upstream.next().target());
    }

    @Test
    void passesTheUpstreamsOwn500Through() throws Exception {
        HttpResponse<String> response = get("/serviceA/status/500");
        assertEquals(500, response.statusCode());
        assertEquals("upstream says 500", response.body());
        assertEquals("/status/500", upstream.next().target());
    }

    @Test
    void doesNotRouteAPrefixWithoutASegmentBoundary() throws Exception {
        HttpResponse<String> response = get("/serviceAX/y");
        assertEquals(404, response.statusCode());
        assertTrue(upstream.receivedNothing());
    }

    @Test
    void routesUnderAContextPath() throws Exception {
        try (GatewayServer underGw = GatewayServer.builder().contextPath("/gw")
                .route("serviceA", "/serviceA/*", Map.of("upstream", upstream.url())).start()) {
            HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(underGw.url("/serviceA/x?y=%20"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertEquals("/x?y=%20", upstream.next().target());
        }
    }
}
