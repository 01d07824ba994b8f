package dev.gatewar;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real WebSocket upstream on Jetty's core server (no servlets, nothing of the gateway's), on
 * 127.0.0.1. {@code /ws} echoes every message as it came; it picks {@code chat.v2} when offered, else
 * {@code chat.v1}; text commands make it close ({@code close:CODE:REASON}), die without a close frame
 * ({@code die}) or answer in two fragments ({@code fragments}). {@code /refuse} answers 403 with a body, {@code /moved} 302 to its own {@code /ws}.
 * Every handshake and every close it gets are recorded.
 */
public final class WebSocketUpstream implements AutoCloseable {
    record Handshake(String pathAndQuery, Map<String, String> headers) {
    }

    final BlockingQueue<Handshake> handshakes = new LinkedBlockingQueue<>();
    final BlockingQueue<String> closes = new LinkedBlockingQueue<>();
    final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    private final Server server;
    private final ServerConnector connector;

    WebSocketUpstream() throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("ws-upstream");
        server = new Server(threads);
        connector = new ServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(WebSocketUpgradeHandler.from(server, container -> {
            container.setIdleTimeout(Duration.ofMinutes(2));
            container.setMaxTextMessageSize(8 * 1024 * 1024);
            container.setMaxBinaryMessageSize(8 * 1024 * 1024);
            container.addMapping("/ws", (request, response, callback) -> {
                Map<String, String> headers = new LinkedHashMap<>();
                request.getHeaders().forEach(field -> headers.merge(field.getName(), field.getValue(), (a, b) -> a + ", " + b));
                String query = request.getHttpURI().getQuery();
                handshakes.add(new Handshake(request.getHttpURI().getPath() + (query == null ? "" : "?" + query), headers));
                List<String> offered = request.getSubProtocols();
                if (offered.contains("chat.v2")) {
                    response.setAcceptedSubProtocol("chat.v2");
                } else if (offered.contains("chat.v1")) {
                    response.setAcceptedSubProtocol("chat.v1");
                }
                return new Echo();
            });
            container.addMapping("/moved", (request, response, callback) -> {
                response.setStatus(302);
                response.getHeaders().put("Location", url() + "/ws");
                callback.succeeded();
                return null;
            });
            container.addMapping("/refuse", (request, response, callback) -> {
                response.setStatus(403);
                response.getHeaders().put("Content-Type", "application/json");
                Content.Sink.write(response, true, "{\"message\":\"not you\"}", callback);
                return null;
            });
        }));
        server.start();
    }

    int port() {
        return connector.getLocalPort();
    }

    String url() {
        return "http://127.0.0.1:" + port();
    }

    /** Open connections the upstream still holds. */
    int openConnections() {
        return connector.getConnectedEndPoints().size();
    }

    String nextClose() throws InterruptedException {
        return closes.poll(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    public final class Echo extends Session.Listener.AbstractAutoDemanding {
        @Override
        public void onWebSocketText(String message) {
            texts.add(message);
            Session session = getSession();
            if (message.startsWith("close:")) {
                String[] parts = message.split(":", 3);
                session.close(Integer.parseInt(parts[1]), parts[2], org.eclipse.jetty.websocket.api.Callback.NOOP);
            } else if (message.equals("die")) {
                session.disconnect();
            } else if (message.equals("fragments")) {
                session.sendPartialText("frag", false, org.eclipse.jetty.websocket.api.Callback.NOOP);
                session.sendPartialText("ments", true, org.eclipse.jetty.websocket.api.Callback.NOOP);
            } else {
                session.sendText(message, org.eclipse.jetty.websocket.api.Callback.NOOP);
            }
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, org.eclipse.jetty.websocket.api.Callback callback) {
            ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload).flip();
            callback.succeed();
            getSession().sendBinary(copy, org.eclipse.jetty.websocket.api.Callback.NOOP);
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason) {
            closes.add(statusCode + " " + (reason == null ? "" : reason));
        }
    }


}
