package dev.gatewar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WebSocket through a route, end to end: the JDK's client, the gateway on Jetty, a Jetty WebSocket upstream. */
class WebSocketTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static WebSocketUpstream upstream;

    @BeforeAll
    static void startUpstream() throws Exception {
        upstream = new WebSocketUpstream();
    }

    @AfterAll
    static void stopUpstream() throws Exception {
        upstream.close();
    }

    private static int deadPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static GatewayServer gateway(Map<String, String> params) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(params);
        all.putIfAbsent("upstream", upstream.url());
        return GatewayServer.builder().route("svc", "/svc/*", all).start();
    }

    private static RawMessage handshake(String target) {
        return RawMessage.get(target).header("Upgrade", "websocket").header("Connection", "Upgrade")
                .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==").header("Sec-WebSocket-Version", "13");
    }

    @Test
    void messagesOfEveryKindGoBothWaysInOrder() throws Exception {
        try (GatewayServer gateway = gateway(Map.of()); WebSocketClient client = WebSocketClient.connect(gateway.url("/svc/ws"))) {
            client.socket.sendText("hello", true).join();
            assertEquals("text:hello", client.next());
            client.socket.sendText("héllo wörld ✓", true).join();
            assertEquals("text:héllo wörld ✓", client.next());
            byte[] big = new byte[64 * 1024];
            ThreadLocalRandom.current().nextBytes(big);
            client.socket.sendBinary(ByteBuffer.wrap(big), true).join();
            assertEquals(WebSocketClient.describe(big), client.next());
            client.socket.sendText("frag", false).join();
            client.socket.sendText("mented", true).join();
            assertEquals("text:fragmented", client.next());
            client.socket.sendText("fragments", true).join(); // the upstream answers in two fragments
            assertEquals("text:fragments", client.next());
            client.socket.sendPing(ByteBuffer.wrap("p".getBytes(StandardCharsets.US_ASCII))).join();
            assertEquals("pong", client.next());
            for (int i = 0; i < 100; i++) {
                client.socket.sendText("m" + i, true).join();
            }
            for (int i = 0; i < 100; i++) {
                assertEquals("text:m" + i, client.next());
            }
            client.socket.sendClose(4000, "bye").join();
            assertEquals("4000 bye", upstream.nextClose());
            assertEquals("close:4000:bye", client.next());
        }
    }

    @Test
    void theHandshakeCarriesTheClientsFieldsAndTheUpstreamPicksTheSubprotocol() throws Exception {
        upstream.handshakes.clear();
        try (GatewayServer gateway = gateway(Map.of());
             WebSocketClient client = WebSocketClient.connect(gateway.url("/svc/ws?room=a%20b&x=1"),
                     Map.of("Origin", "https://app.example", "Cookie", "session=s1", "Authorization", "Bearer t0ken",
                             "X-Request-Id", "ws-request-1"), "chat.v1", "chat.v2")) {
            assertEquals("chat.v2", client.socket.getSubprotocol());
            WebSocketUpstream.Handshake seen = upstream.handshakes.poll(20, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals("/ws?room=a%20b&x=1", seen.pathAndQuery());
            assertEquals("https://app.example", seen.headers().get("Origin"));
            assertEquals("session=s1", seen.headers().get("Cookie"));
            assertEquals("Bearer t0ken", seen.headers().get("Authorization"));
            assertEquals("ws-request-1", seen.headers().get("X-Request-Id"));
            assertEquals("127.0.0.1", seen.headers().get("X-Forwarded-For"));
            assertTrue(seen.headers().get("Sec-WebSocket-Protocol").contains("chat.v1"), seen.headers().toString());
        }
        try (GatewayServer gateway = gateway(Map.of()); WebSocketClient client = WebSocketClient.connect(gateway.url("/svc/ws"))) {
            assertEquals("", client.socket.getSubprotocol()); // none offered, none picked
        }
    }

    @Test
    void anUpstreamRefusalReachesTheClientAsItWas() throws Exception {
        try (GatewayServer gateway = gateway(Map.of())) {
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(), handshake("/svc/refuse").connectionClose());
            assertEquals(403, reply.status());
            assertEquals("{\"message\":\"not you\"}", new String(reply.body(), StandardCharsets.UTF_8));
            // A redirect names the place behind the gateway, never the upstream's address.
            RawHttp.Reply moved = RawHttp.exchange(gateway.port(), handshake("/svc/moved").connectionClose());
            assertEquals(302, moved.status());
            String location = RawHttp.header(moved.head(), "Location");
            assertTrue(location.endsWith("/svc/ws") && !location.contains(Integer.toString(upstream.port())), location);
        }
    }

    @Test
    void aDeadUpstreamGets503AndAPoolTriesTheNextOne() throws Exception {
        int dead = deadPort();
        try (GatewayServer gateway = gateway(Map.of("upstream", "http://127.0.0.1:" + dead))) {
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(), handshake("/svc/ws").connectionClose());
            assertEquals(503, reply.status());
            JsonNode body = JSON.readTree(reply.body());
            assertTrue(body.get("message").asText().contains("svc"), body.toString());
            assertTrue(!new String(reply.body(), StandardCharsets.UTF_8).contains(Integer.toString(dead)));
        }
        try (GatewayServer gateway = gateway(Map.of("upstream", "http://127.0.0.1:" + dead + ", " + upstream.url()))) {
            for (int i = 0; i < 4; i++) { // whichever upstream the round starts with
                try (WebSocketClient client = WebSocketClient.connect(gateway.url("/svc/ws"))) {
                    client.socket.sendText("through " + i, true).join();
                    assertEquals("text:through " + i, client.next());
                }
            }
        }
    }

    @Test
    void aRouteWithWebSocketOffRefusesTheUpgradeWithJson() throws Exception {
        try (GatewayServer gateway = gateway(Map.of("websocket", "false"))) {
            RawHttp.Reply reply = RawHttp.exchange(gateway.port(), handshake("/svc/ws").connectionClose());
            assertEquals(403, reply.status());
            assertTrue(JSON.readTree(reply.body()).get("message").asText().contains("WebSocket"));
            RawHttp.Reply bad = RawHttp.exchange(gateway.port(),
                    RawMessage.get("/svc/ws").header("Upgrade", "websocket").header("Connection", "Upgrade").connectionClose());
            assertEquals(403, bad.status());
        }
        try (GatewayServer gateway = gateway(Map.of())) {
            RawHttp.Reply bad = RawHttp.exchange(gateway.port(),
                    RawMessage.get("/svc/ws").header("Upgrade", "websocket").header("Connection", "Upgrade").connectionClose());
            assertEquals(400, bad.status());
            assertTrue(JSON.readTree(bad.body()).get("message").asText().contains("Sec-WebSocket-Key"));
        }
    }

    @Test
    void theUpstreamsCloseAndDeathReachTheClient() throws Exception {
        try (GatewayServer gateway = gateway(Map.of()); WebSocketClient client = WebSocketClient.connect(gateway.url("/svc/ws"))) {
            client.socket.sendText("close:4001:done here", true).join();
            assertEquals("close:4001:done here", client.next());
        }
        try (GatewayServer gateway = gateway(Map.of()); WebSocketClient client = WebSocketClient.connect(gateway.url("/svc/ws"))) {
            client.socket.sendText("die", true).join();
            String event = client.next();
            assertTrue(event.startsWith("close:1011:"), event);
        }
    }

    /** A browser's handshake has no Content-Length (the JDK's client sends one): frames must flow all the same. */
    @Test
    void aHandshakeWithoutContentLengthCarriesFrames() throws Exception {
        try (GatewayServer gateway = gateway(Map.of());
             Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = switchedProtocols(socket);
            byte[] payload = "raw".getBytes(StandardCharsets.US_ASCII);
            byte[] mask = {1, 2, 3, 4};
            byte[] frame = new byte[6 + payload.length];
            frame[0] = (byte) 0x81;
            frame[1] = (byte) (0x80 | payload.length);
            System.arraycopy(mask, 0, frame, 2, 4);
            for (int i = 0; i < payload.length; i++) {
                frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
            }
            out.write(frame);
            out.flush();
            byte[] echo = in.readNBytes(2 + payload.length);
            assertEquals((byte) 0x81, echo[0]);
            assertEquals(payload.length, echo[1]);
            assertEquals("raw", new String(echo, 2, payload.length, StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aClientThatVanishesClosesTheUpstreamWith1001AndNothingStaysOpen() throws Exception {
        upstream.closes.clear();
        try (GatewayServer gateway = gateway(Map.of())) {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
                switchedProtocols(socket);
                socket.setSoLinger(true, 0); // a reset, no close frame
            }
            assertEquals("1001 client went away", upstream.nextClose());
            awaitNoUpstreamConnections();
        }
    }

    @Test
    void anIdleTunnelIsClosedOnBothSides() throws Exception {
        upstream.closes.clear();
        try (GatewayServer gateway = gateway(Map.of("webSocketIdleTimeout", "300"));
             WebSocketClient client = WebSocketClient.connect(gateway.url("/svc/ws"))) {
            client.socket.sendText("one", true).join();
            assertEquals("text:one", client.next());
            assertEquals("close:1001:idle timeout", client.next());
            assertEquals("1001 idle timeout", upstream.nextClose());
        }
        awaitNoUpstreamConnections();
    }

    /** Jetty's connector idle timeout (300 ms here) must not cut a WebSocket the route allows to stay quiet longer. */
    @Test
    void theRoutesIdleTimeoutGovernsNotTheConnectors() throws Exception {
        try (GatewayServer gateway = GatewayServer.builder().idleTimeoutMs(300)
                .route("svc", "/svc/*", Map.of("upstream", upstream.url(), "webSocketIdleTimeout", "5000")).start();
             WebSocketClient client = WebSocketClient.connect(gateway.url("/svc/ws"))) {
            client.socket.sendText("before", true).join();
            assertEquals("text:before", client.next());
            Thread.sleep(1_500); // the quiet period under test: five times the connector's idle timeout
            assertNull(client.events.poll(), "nothing may have happened meanwhile");
            client.socket.sendText("after", true).join();
            assertEquals("text:after", client.next());
        }
    }

    @Test
    void aMessageOverTheLimitClosesBothSidesWith1009AndIsNotForwarded() throws Exception {
        upstream.closes.clear();
        upstream.texts.clear();
        try (GatewayServer gateway = gateway(Map.of("maxWebSocketMessageBytes", "1000"));
             WebSocketClient client = WebSocketClient.connect(gateway.url("/svc/ws"))) {
            client.socket.sendText("x".repeat(1000), true).join();
            assertEquals("text:" + "x".repeat(1000), client.next());
            client.socket.sendText("y".repeat(1001), true).join();
            assertEquals("close:1009:message too big", client.next());
            assertEquals("1009 message too big", upstream.nextClose());
            assertEquals(1, upstream.texts.size());
        }
    }

    @Test
    void worksUnderAContextPath() throws Exception {
        try (GatewayServer gateway = GatewayServer.builder().contextPath("/gw")
                .route("svc", "/svc/*", Map.of("upstream", upstream.url())).start();
             WebSocketClient client = WebSocketClient.connect(gateway.url("/svc/ws"))) {
            client.socket.sendText("under /gw", true).join();
            assertEquals("text:under /gw", client.next());
        }
    }

    /** Tunnels ended every way (both closes, a vanished client, a dead upstream, the idle timeout) leave nothing open. */
    @Test
    void tunnelsEndedEveryWayLeaveNothingBehind() throws Exception {
        try (GatewayServer gateway = GatewayServer.builder()
                .route("svc", "/svc/*", Map.of("upstream", upstream.url(), "webSocketIdleTimeout", "1000"))
                .servlet("metrics", MetricsServlet.class, "/metrics", Map.of()).start()) {
            java.util.List<WebSocketClient> clients = new java.util.ArrayList<>();
            for (int i = 0; i < 12; i++) {
                WebSocketClient client = WebSocketClient.connect(gateway.url("/svc/ws"));
                client.socket.sendText("hello " + i, true).join();
                assertEquals("text:hello " + i, client.next());
                clients.add(client);
            }
            for (int i = 0; i < 12; i++) {
                WebSocketClient client = clients.get(i);
                switch (i % 4) {
                    case 0 -> client.socket.sendClose(1000, "done").join();
                    case 1 -> client.close(); // gone without a close frame
                    case 2 -> client.socket.sendText("die", true).join();
                    default -> { } // left quiet: the idle timeout ends it
                }
            }
            for (int i = 0; i < 12; i++) {
                if (i % 4 != 1) {
                    String event = clients.get(i).next();
                    assertTrue(event.startsWith("close:"), i + ": " + event);
                }
            }
            PrometheusScrape scrape = PrometheusScrape.awaitScrape(gateway.port(), "/metrics",
                    s -> s.sum("http_server_active_requests") == 0, 10_000);
            assertEquals(0, scrape.sum("http_server_active_requests"), scrape.text);
            awaitNoUpstreamConnections();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (gateway.openConnections() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // polling a count, with a deadline
            }
            assertEquals(0, gateway.openConnections(), "client connections the gateway still holds");
        }
    }

    /** Sends a browser-like handshake (no Content-Length) on {@code socket}; its input, after the 101's head. */
    private static InputStream switchedProtocols(Socket socket) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write(handshake("/svc/ws").bytes());
        out.flush();
        InputStream in = socket.getInputStream();
        String head = RawHttp.readHead(in);
        assertTrue(head.startsWith("HTTP/1.1 101"), head);
        assertTrue(!head.toLowerCase(java.util.Locale.ROOT).contains("content-length"), head);
        return in;
    }

    private static void awaitNoUpstreamConnections() throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (upstream.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            Thread.sleep(10); // polling a count, with a deadline: not synchronisation by sleeping
        }
        assertEquals(0, upstream.openConnections());
    }

}
