package dev.gatewar;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The JDK's WebSocket client (java.net.http), which shares no code with the gateway: every event it
 * gets is queued as text, {@code text:...}, {@code binary:LENGTH:SUM}, {@code pong}, {@code close:CODE:REASON}
 * or {@code error:...}, whole messages only (fragments are joined, as an application sees them).
 */
final class WebSocketClient implements WebSocket.Listener, AutoCloseable {
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final StringBuilder text = new StringBuilder();
    private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
    final WebSocket socket;

    private WebSocketClient(String url, Map<String, String> headers, String... subprotocols) throws Exception {
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder();
        headers.forEach(builder::header);
        if (subprotocols.length > 0) {
            builder.subprotocols(subprotocols[0], java.util.Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
        }
        socket = builder.buildAsync(URI.create(url.replaceFirst("^http", "ws")), this).get(20, TimeUnit.SECONDS);
    }

    static WebSocketClient connect(String url, String... subprotocols) throws Exception {
        return new WebSocketClient(url, Map.of(), subprotocols);
    }

    static WebSocketClient connect(String url, Map<String, String> headers, String... subprotocols) throws Exception {
        return new WebSocketClient(url, headers, subprotocols);
    }

    String next() throws InterruptedException {
        String event = events.poll(20, TimeUnit.SECONDS);
        return event == null ? "nothing within 20 s" : event;
    }

    static String describe(byte[] bytes) {
        long sum = 0;
        for (byte b : bytes) {
            sum = sum * 31 + b;
        }
        return "binary:" + bytes.length + ":" + sum;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            events.add("text:" + text);
            text.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        binary.writeBytes(bytes);
        if (last) {
            events.add(describe(binary.toByteArray()));
            binary.reset();
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        events.add("pong");
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        events.add("close:" + statusCode + ":" + reason);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        events.add("error:" + error);
    }

    @Override
    public void close() {
        socket.abort();
    }
}
