package dev.gatewar.websocket;

import dev.gatewar.config.InitParamReader;

import java.util.Set;

/**
 * How a route carries WebSocket connections, read once at {@code init()}.
 *
 * @param enabled        whether an upgrade request is forwarded at all ({@value #WEBSOCKET})
 * @param idleTimeoutMs  how long a tunnel may carry nothing in either direction before both sides
 *                       are closed with 1001 ({@value #IDLE_TIMEOUT})
 * @param maxMessageBytes the largest message, in bytes on the wire, either side may send; a larger
 *                       one closes both sides with 1009 before any of it is forwarded ({@value #MAX_MESSAGE_BYTES})
 */
public record WebSocketSettings(boolean enabled, long idleTimeoutMs, long maxMessageBytes) {
    public static final String WEBSOCKET = "websocket";
    public static final boolean DEFAULT_ENABLED = true;
    public static final String IDLE_TIMEOUT = "webSocketIdleTimeout";
    /** Envoy's default stream idle timeout; nginx's 60 s read timeout closes quiet sockets too eagerly. */
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 300_000;
    public static final String MAX_MESSAGE_BYTES = "maxWebSocketMessageBytes";
    /** Nothing is buffered whatever the size; the limit protects upstreams, not the gateway. */
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 16L * 1024 * 1024;

    public static Set<String> paramNames() {
        return Set.of(WEBSOCKET, IDLE_TIMEOUT, MAX_MESSAGE_BYTES);
    }

    /** Reads the route's init-params; problems go to {@code params}. */
    public static WebSocketSettings read(InitParamReader params) {
        return new WebSocketSettings(params.bool(WEBSOCKET, DEFAULT_ENABLED),
                params.positiveLong(IDLE_TIMEOUT, DEFAULT_IDLE_TIMEOUT_MS, "milliseconds"),
                params.positiveLong(MAX_MESSAGE_BYTES, DEFAULT_MAX_MESSAGE_BYTES, "bytes"));
    }
}
