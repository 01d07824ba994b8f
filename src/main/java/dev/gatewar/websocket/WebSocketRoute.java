package dev.gatewar.websocket;

import dev.gatewar.exchange.Exchange;
import dev.gatewar.exchange.JsonErrorResponse;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.UpgradeProtocolHandler;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpVersion;

import java.io.IOException;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A route's WebSocket connections: the opening handshake is sent to the route's upstream (the next
 * one when a try fails, as nothing but the handshake was sent), the upstream's answer is the
 * client's, and a 101 becomes a {@link WebSocketTunnel} between the two upgraded connections.
 *
 * <p>The handshake holds the container thread that received it until the upstream answers (within
 * the route's connect and response timeouts): the Servlet API upgrades a connection only from the
 * request's own dispatch. The tunnel after it holds no thread.
 */
public final class WebSocketRoute {
    /** Hop-by-hop fields, and those the container sets itself; the route filters the rest. */
    private static final Set<String> NOT_RELAYED = Set.of("connection", "upgrade", "keep-alive", "transfer-encoding",
            "content-length", "date", "server", "proxy-connection", "te", "trailer");

    private final String route;
    private final WebSocketSettings settings;
    private final HttpClient client;
    private final WebSocketUpstreams upstreams;
    private final long connectTimeoutMs;
    private final long responseTimeoutMs;

    public WebSocketRoute(String route, WebSocketSettings settings, HttpClient client, WebSocketUpstreams upstreams,
                          long connectTimeoutMs, long responseTimeoutMs) {
        this.route = route;
        this.settings = settings;
        this.client = client;
        this.upstreams = upstreams;
        this.connectTimeoutMs = connectTimeoutMs;
        this.responseTimeoutMs = responseTimeoutMs;
        // Jetty's proxy clears its client's protocol handlers (the client's answers are relayed, not
        // acted on); a 101 to a handshake of ours is the one answer the client must act on.
        client.getProtocolHandlers().put(new UpgradeProtocolHandler());
    }

    /** Serves an upgrade request ({@link WebSocketUpgradeRequest#isRequested}) on the container's thread. */
    public void serve(HttpServletRequest request, HttpServletResponse response, Exchange exchange)
            throws IOException, ServletException {
        if (!settings.enabled()) {
            JsonErrorResponse.send(response, HttpServletResponse.SC_FORBIDDEN,
                    "WebSocket is not enabled on route '" + route + "'.", exchange, false);
            return;
        }
        String problem = WebSocketUpgradeRequest.problem(request);
        if (problem != null) {
            JsonErrorResponse.send(response, HttpServletResponse.SC_BAD_REQUEST, problem, exchange, false);
            return;
        }
        exchange.noBody(); // a handshake has none: it may be sent again to the next upstream
        String url = upstreams.firstTry(request, exchange);
        if (url == null) {
            JsonErrorResponse.send(response, HttpServletResponse.SC_BAD_REQUEST, exchange.rejection(), exchange, false);
            return;
        }
        try {
            while (url != null) {
                url = handshake(request, response, exchange, url);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServletException("interrupted while waiting for the upstream's handshake", e);
        } finally {
            upstreams.handshakeEnded(exchange);
        }
    }

    /** One try; returns the URL of the next one, or null when the client has its answer. */
    private String handshake(HttpServletRequest request, HttpServletResponse response, Exchange exchange, String url)
            throws IOException, InterruptedException, ServletException {
        // Counted as sent once a connection is taken, as for any request: a refused connect is a
        // re-route, not a retry.
        Request upstreamRequest = client.newRequest(url).method(HttpMethod.GET).version(HttpVersion.HTTP_1_1)
                .idleTimeout(responseTimeoutMs, TimeUnit.MILLISECONDS).onRequestBegin(begun -> exchange.requestWritten());
        upstreams.prepare(request, upstreamRequest);
        UpstreamHandshake handshake = new UpstreamHandshake(endPoint -> new WebSocketTunnel(exchange, settings, endPoint,
                client.getExecutor(), () -> {
                    upstreams.released(exchange);
                    upstreams.ended(exchange, HttpServletResponse.SC_SWITCHING_PROTOCOLS);
                }));
        handshake.send(upstreamRequest);
        UpstreamHandshake.Outcome outcome = handshake.await(upstreamRequest, connectTimeoutMs + responseTimeoutMs);
        long tryNanos = exchange.tryEnded();
        if (outcome instanceof UpstreamHandshake.Failed failed) {
            String next = upstreams.retryAfter(exchange, failed.failure(), tryNanos);
            if (next == null) {
                upstreams.respondUnavailable(request, response);
            }
            return next;
        }
        exchange.responseStarted();
        if (outcome instanceof UpstreamHandshake.Answered answered) {
            upstreams.answered(exchange, answered.response().getStatus(), tryNanos);
            upstreams.released(exchange);
            relay(request, response, exchange, answered);
            return null;
        }
        UpstreamHandshake.Upgraded upgraded = (UpstreamHandshake.Upgraded) outcome;
        upstreams.answered(exchange, HttpServletResponse.SC_SWITCHING_PROTOCOLS, tryNanos);
        accept(request, response, exchange, upgraded);
        return null;
    }

    /** Tells the client what the upstream said instead of switching: its status, fields and body. */
    private void relay(HttpServletRequest request, HttpServletResponse response, Exchange exchange,
                       UpstreamHandshake.Answered answered) throws IOException {
        response.setStatus(answered.response().getStatus());
        copyFields(request, answered.response(), response);
        byte[] body = answered.body();
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        exchange.sent(body.length);
    }

    /** Switches the client's connection too, with the upstream's answer: its accept key, subprotocol, extensions. */
    private void accept(HttpServletRequest request, HttpServletResponse response, Exchange exchange,
                               UpstreamHandshake.Upgraded upgraded) throws IOException, ServletException {
        WebSocketTunnel tunnel = upgraded.tunnel();
        try {
            response.setStatus(HttpServletResponse.SC_SWITCHING_PROTOCOLS);
            copyFields(request, upgraded.response(), response);
            response.setHeader("Upgrade", "websocket");
            response.setHeader("Connection", "Upgrade");
            JettyUpgrade.prepare(request, settings.idleTimeoutMs());
            ClientLeg leg = request.upgrade(ClientLeg.class);
            leg.attach(tunnel, request);
            exchange.endWatched(); // reported when the tunnel ends
        } catch (IOException | ServletException | RuntimeException e) {
            tunnel.abandon();
            upstreams.released(exchange);
            throw e;
        }
    }

    private void copyFields(HttpServletRequest request, Response from, HttpServletResponse to) {
        for (HttpField field : from.getHeaders()) {
            if (NOT_RELAYED.contains(field.getLowerCaseName().toLowerCase(Locale.ROOT))) {
                continue;
            }
            String value = upstreams.responseField(request, from, field.getName(), field.getValue());
            if (value != null) {
                to.addHeader(field.getName(), value);
            }
        }
    }
}
