package dev.gatewar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, item 3: a request body whose chunked framing is malformed is the client's fault: 400
 * JSON, logged at INFO as a client failure, and never a complete request at the upstream.
 */
class MalformedChunkedBodyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final TestUpstream upstream = new TestUpstream();

    /** The chunked bodies, byte for byte: their framing is what is under test. */
    static Stream<Arguments> malformedBodies() {
        return Stream.of(
                Arguments.of("chunk size zz", "zz\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk size ffffffffffffffff1", "ffffffffffffffff1\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk size 10000000000000005", "10000000000000005\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("bare LF in a chunk extension", "5;a\nb\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("80 KB chunk extension", "5;" + "x".repeat(80 * 1024) + "\r\nhello\r\n0\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedBodies")
    void aMalformedChunkedBodyIs400JsonAndAClientFailure(String name, String body) throws Exception {
        try (LogCapture log = LogCapture.start();
             GatewayServer gateway = GatewayServer.routeTo(upstream.url())) {
            // A chunked head from the builder, then the malformed body as is.
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.writeBytes(RawMessage.post("/serviceA/upload", "application/octet-stream", new byte[0])
                    .header("X-Request-Id", "bad-chunk-1").chunked().head());
            request.writeBytes(body.getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(), request.toByteArray());
            String seen = reply.head() + reply.bodyText() + "\nlog:\n" + log.text();
            assertEquals(400, reply.status(), seen);
            assertTrue(reply.header("Content-Type").startsWith("application/json"), seen);
            JsonNode json = JSON.readTree(reply.body());
            assertEquals("bad-chunk-1", json.get("requestId").asText(), seen);

            // The upstream saw nothing complete: the next request it records is this one's successor.
            RawHttp.Reply next = RawHttp.exchange(gateway.port(), RawMessage.get("/serviceA/after").connectionClose());
            assertEquals(200, next.status(), next.head());
            assertEquals("/after", upstream.next().target(), "the malformed request reached the upstream complete");

            List<String> upstreamBlamed = log.lines(l -> l.contains("upstream failure"));
            assertEquals(List.of(), upstreamBlamed, "a malformed request body is not an upstream failure");
            List<String> clientLines = log.lines(l -> l.contains(":INFO :") && l.contains("client") && l.contains("route=serviceA"));
            assertEquals(1, clientLines.size(), "one INFO line for the client failure:\n" + log.text());
        }
    }
}
