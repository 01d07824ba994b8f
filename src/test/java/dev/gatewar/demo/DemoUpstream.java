package dev.gatewar.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

import java.io.InputStream;

/**
 * A demo microservice on 127.0.0.1: answers every request with a JSON description of what reached
 * it (method, raw target, headers, body size), so a user can see what the gateway forwards.
 */
public final class DemoUpstream implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Server server;
    private final ServerConnector connector;

    public DemoUpstream(String name, int port) throws Exception {
        server = new Server();
        connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        Handler.Abstract answer = new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                long bodyBytes;
                try (InputStream in = Content.Source.asInputStream(request)) {
                    bodyBytes = in.transferTo(java.io.OutputStream.nullOutputStream());
                }
                ObjectNode answer = JSON.createObjectNode();
                answer.put("service", name);
                answer.put("method", request.getMethod());
                answer.put("target", request.getHttpURI().getPathQuery());
                ObjectNode headers = answer.putObject("headers");
                for (HttpField field : request.getHeaders()) {
                    headers.put(field.getName(), field.getValue());
                }
                answer.put("bodyBytes", bodyBytes);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                Content.Sink.write(response, true, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(answer) + "\n", callback);
                return true;
            }
        };
        // /ws echoes WebSocket messages; any other request gets the JSON above.
        WebSocketUpgradeHandler webSockets = WebSocketUpgradeHandler.from(server,
                container -> container.addMapping("/ws", (request, response, callback) -> new Echo()));
        webSockets.setHandler(answer);
        server.setHandler(webSockets);
        server.start();
    }

    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    /** Sends every WebSocket message back as it came. Public: Jetty calls it through method handles. */
    public static final class Echo extends Session.Listener.AbstractAutoDemanding {
        @Override
        public void onWebSocketText(String message) {
            getSession().sendText(message, org.eclipse.jetty.websocket.api.Callback.NOOP);
        }

        @Override
        public void onWebSocketBinary(java.nio.ByteBuffer payload, org.eclipse.jetty.websocket.api.Callback callback) {
            java.nio.ByteBuffer copy = java.nio.ByteBuffer.allocate(payload.remaining()).put(payload).flip();
            callback.succeed();
            getSession().sendBinary(copy, org.eclipse.jetty.websocket.api.Callback.NOOP);
        }
    }
}
