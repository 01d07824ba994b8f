package dev.gatewar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the upstream receives when bodies pass {@link JsonBodyFilter}, over real HTTP. */
class JsonBodyFilterTest {
    private static final String EXACT_JSON = "{ \"id\" : 12345678901234567890123,\n  \"price\": 1.0, \"name\": \"Zo\u00eb \u2603\","
            + "\t\"z\": [1e400, -0.0, 1.50]  ,\"a\":null }\n";
    @RegisterExtension
    static final TestUpstream upstream = new TestUpstream();
    private static GatewayServer gateway;
    private static final OperatorFilter OPERATOR_FILTER = new OperatorFilter();

    /** What the operator's filter saw of one request. */
    private record Seen(boolean treeListed, Object tree, String parameter) {
    }

    /**
     * An operator's filter: looks at the tree, reads a form parameter on /form, rewrites the tree on
     * /rewrite, and records what it saw of each request for the test that sent it.
     */
    private static final class OperatorFilter extends HttpFilter {
        private final List<Seen> seen = new CopyOnWriteArrayList<>();
        /** The message of the exception that refused an unwritable tree. */
        private volatile String unwritable;

        @Override
        protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws IOException, ServletException {
            // Whether the tree is among the attribute names before this filter reads it.
            boolean treeListed = Collections.list(request.getAttributeNames()).contains(JsonBodyFilter.PARSED_BODY);
            Object tree = request.getAttribute(JsonBodyFilter.PARSED_BODY);
            String parameter = request.getRequestURI().endsWith("/form") ? request.getParameter("b") : null;
            seen.add(new Seen(treeListed, tree, parameter));
            if (request.getRequestURI().endsWith("/rewrite")) {
                ObjectNode rewritten = (ObjectNode) request.getAttribute(JsonBodyFilter.PARSED_BODY);
                rewritten.put("user", "alice");
                rewritten.remove("password");
                request.setAttribute(JsonBodyFilter.PARSED_BODY, rewritten);
            }
            if (request.getRequestURI().endsWith("/unwritable")) {
                try {
                    request.setAttribute(JsonBodyFilter.PARSED_BODY, new Object());
                } catch (IllegalArgumentException e) {
                    response.sendError(HttpServletResponse.SC_INTERNAL_SERVER_ERROR);
                    unwritable = e.getMessage();
                    return;
                }
            }
            chain.doFilter(request, response);
        }

        /** What the filter saw of the one request the current test sent through it. */
        Seen theOnlyRequest() {
            assertEquals(1, seen.size(), "requests the operator's filter saw in this test");
            return seen.get(0);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        gateway = GatewayServer.builder()
                .filterParam(JsonBodyFilter.MAX_BODY_BYTES, "65536")
                .laterFilter(OPERATOR_FILTER)
                .route("serviceA", "/serviceA/*", Map.of("upstream", upstream.url()))
                .start();
    }

    @BeforeEach
    void forgetWhatTheOperatorFilterSaw() {
        OPERATOR_FILTER.seen.clear();
        OPERATOR_FILTER.unwritable = null;
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
    }

    /** A POST after which the gateway closes the connection. */
    private static RawMessage post(String path, String contentType, byte[] body) {
        return RawMessage.post(path, contentType, body).connectionClose();
    }

    private static RawHttp.Reply send(RawMessage request) throws IOException {
        return RawHttp.exchange(gateway.port(), request);
    }

    @Test
    void forwardsAnUnchangedJsonBodyByteForByte() throws Exception {
        byte[] body = EXACT_JSON.getBytes(StandardCharsets.UTF_8);
        RawHttp.Reply reply = send(post("/serviceA/exact", "application/json; charset=utf-8", body));
        assertEquals(200, reply.status());
        TestUpstream.Received received = upstream.next();
        assertArrayEquals(body, received.body());
        assertEquals(Integer.toString(body.length), received.header("Content-Length"));
        Seen seen = OPERATOR_FILTER.theOnlyRequest();
        assertTrue(seen.tree() instanceof JsonNode, "the operator's filter sees the parsed tree");
        assertTrue(seen.treeListed(), "the tree is listed before it is first read (it is built on that read)");
        assertEquals("12345678901234567890123", ((JsonNode) seen.tree()).get("id").bigIntegerValue().toString());
    }

    @Test
    void parsesVendorJsonTypes() throws Exception {
        byte[] body = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        assertEquals(200, send(post("/serviceA/v", "application/vnd.api+json", body)).status());
        assertArrayEquals(body, upstream.next().body());
        assertTrue(OPERATOR_FILTER.theOnlyRequest().tree() instanceof JsonNode);
    }

    @Test
    void forwardsAChunkedJsonBodyWithAContentLengthAndNoTransferEncoding() throws Exception {
        byte[] body = EXACT_JSON.getBytes(StandardCharsets.UTF_8);
        RawHttp.Reply reply = send(post("/serviceA/chunked", "application/json", body).chunked(10));
        assertEquals(200, reply.status());
        TestUpstream.Received received = upstream.next();
        assertArrayEquals(body, received.body());
        assertEquals(Integer.toString(body.length), received.header("Content-Length"));
        assertNull(received.header("Transfer-Encoding"));
    }

    @Test
    void sendsTheReplacedTreeWithACorrectContentLength() throws Exception {
        byte[] body = "{\"password\": \"secret\", \"big\": 12345678901234567890, \"price\": 1.0}".getBytes(StandardCharsets.UTF_8);
        RawHttp.Reply reply = send(post("/serviceA/rewrite", "application/json", body));
        assertEquals(200, reply.status());
        TestUpstream.Received received = upstream.next();
        String expected = "{\"big\":12345678901234567890,\"price\":1.0,\"user\":\"alice\"}";
        assertEquals(expected, received.bodyText());
        assertEquals(Integer.toString(expected.length()), received.header("Content-Length"));
    }

    @Test
    void aTreeThatCannotBeWrittenFailsTheFilterThatSetsItAndNothingIsForwarded() throws Exception {
        byte[] body = "{\"a\": 1}".getBytes(StandardCharsets.UTF_8);
        RawHttp.Reply reply = send(post("/serviceA/unwritable", "application/json", body));
        assertEquals(500, reply.status(), reply.bodyText());
        assertTrue(OPERATOR_FILTER.unwritable.startsWith("The value of request attribute dev.gatewar.json.body cannot be written as JSON: "
                + "No serializer found for class java.lang.Object"), OPERATOR_FILTER.unwritable);
    }

    @Test
    void answers400WithTheLineAndColumnOfMalformedJson() throws Exception {
        byte[] body = "{\n  \"a\": 1,\n  \"b\": }".getBytes(StandardCharsets.UTF_8);
        RawHttp.Reply reply = send(post("/serviceA/bad", "application/json", body));
        assertEquals(400, reply.status());
        assertTrue(reply.header("Content-Type").startsWith("application/json"));
        String message = new ObjectMapper().readTree(reply.body()).get("message").asText();
        assertEquals("The request body is not valid JSON at line 3, column 8: Unexpected character ('}' (code 125)): "
                + "expected a value", message);
        assertTrue(upstream.receivedNothing());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"a\": 1} {\"b\": 2}|at line 1, column 11: Trailing token (START_OBJECT) after the first JSON value",
        "[1, 2]]|at line 1, column 7: Unexpected close marker ']': no open Array to close",
        "{\"n\": 01}|at line 1, column 8: Invalid numeric value: Leading zeroes not allowed",
        "{\"s\": \"\\q\"}|at line 1, column 9: Unrecognized character escape 'q' (code 113)",
    })
    void answers400ForDocumentsTheTokenizerRejectsWithoutBuildingATree(String json, String where) throws Exception {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        RawHttp.Reply reply = send(post("/serviceA/bad", "application/json", body));
        assertEquals(400, reply.status(), reply.bodyText());
        assertEquals("The request body is not valid JSON " + where,
                new ObjectMapper().readTree(reply.body()).get("message").asText());
        assertTrue(upstream.receivedNothing());
    }

    @Test
    void answers400ForABodyOfOnlyWhitespace() throws Exception {
        byte[] body = " \r\n\t ".getBytes(StandardCharsets.UTF_8);
        RawHttp.Reply reply = send(post("/serviceA/blank", "application/json", body));
        assertEquals(400, reply.status(), reply.bodyText());
        assertEquals("The request body is not valid JSON at line 2, column 3: No content: the body holds no JSON value",
                new ObjectMapper().readTree(reply.body()).get("message").asText());
        assertTrue(upstream.receivedNothing());
    }

    @Test
    void forwardsMalformedJsonUnparsedWhenConfiguredTo() throws Exception {
        try (GatewayServer forwarding = GatewayServer.builder().filterParam(JsonBodyFilter.MALFORMED_JSON, "forward")
                .route("serviceA", "/serviceA/*", Map.of("upstream", upstream.url())).start()) {
            byte[] body = "{not json".getBytes(StandardCharsets.UTF_8);
            assertEquals(200, RawHttp.exchange(forwarding.port(), post("/serviceA/bad", "application/json", body)).status());
            assertArrayEquals(body, upstream.next().body());
        }
    }

    @Test
    void answers413WhenTheDeclaredLengthIsOverTheLimit() throws Exception {
        RawHttp.Reply reply = send(RawMessage.post("/serviceA/big", "application/json", "{").contentLength(70_000));
        assertEquals(413, reply.status());
        assertTrue(reply.header("Content-Type").startsWith("application/json"));
        assertEquals("close", reply.header("Connection"));
        assertTrue(upstream.receivedNothing());
    }

    /**
     * An endless chunked JSON body: the 413 must come while the client is still sending, after at most
     * a few times the limit, so the gateway cannot have been holding the body.
     */
    @Test
    void answers413ToAnEndlessChunkedBodyWithoutReadingItAll() throws Exception {
        AtomicLong sent = new AtomicLong();
        try (RawHttp.Connection client = new RawHttp.Connection(gateway.port())) {
            client.send(RawMessage.post("/serviceA/endless", "application/json", "").chunked().head());
            OutputStream out = client.output();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                byte[] chunk = RawMessage.chunk("[".repeat(0x4000));
                try {
                    while (sent.get() < 256L * 1024 * 1024) {
                        out.write(chunk);
                        sent.addAndGet(0x4000);
                    }
                } catch (IOException stoppedByTheGateway) {
                    // expected: the gateway answered and closed
                }
            });
            RawHttp.Reply reply = client.readReply();
            long sentWhenAnswered = sent.get();
            assertEquals(413, reply.status());
            assertTrue(sentWhenAnswered < 16L * 1024 * 1024, "answered after " + sentWhenAnswered + " bytes");
            client.close();
            writer.get(20, TimeUnit.SECONDS);
        }
        assertTrue(upstream.receivedNothing());
    }

    @Test
    void aFilterThatReadsAParameterDoesNotEatTheFormBody() throws Exception {
        byte[] body = "a=1&b=%C3%A9+x&c=&d=1%2B1".getBytes(StandardCharsets.US_ASCII);
        RawHttp.Reply reply = send(post("/serviceA/form?q=1", "application/x-www-form-urlencoded", body));
        assertEquals(200, reply.status());
        assertEquals("\u00e9 x", OPERATOR_FILTER.theOnlyRequest().parameter());
        TestUpstream.Received received = upstream.next();
        assertArrayEquals(body, received.body());
        assertEquals("/form?q=1", received.target());
    }

    @Test
    void streamsOtherBodiesUntouched() throws Exception {
        byte[] body = new byte[10 * 1024 * 1024];
        new Random(7).nextBytes(body);
        RawHttp.Reply reply = send(post("/serviceA/bin", "application/octet-stream", body));
        assertEquals(200, reply.status());
        TestUpstream.Received received = upstream.next();
        assertArrayEquals(sha256(body), sha256(received.body()));
        assertNull(OPERATOR_FILTER.theOnlyRequest().tree());
    }

    @Test
    void leavesCompressedJsonAlone() throws Exception {
        byte[] body = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        RawHttp.Reply reply = send(post("/serviceA/gz", "application/json", body).header("Content-Encoding", "gzip"));
        assertEquals(200, reply.status());
        assertArrayEquals(body, upstream.next().body());
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }
}
