package dev.gatewar.websocket;

import jakarta.servlet.http.HttpServletRequest;

import java.util.Enumeration;

/** Recognises a client's WebSocket opening handshake (RFC 6455 section 4.1), and what is wrong with one. */
public final class WebSocketUpgradeRequest {
    private WebSocketUpgradeRequest() {
    }

    /** Whether the client asks to switch to WebSocket: its {@code Upgrade} names it. */
    public static boolean isRequested(HttpServletRequest request) {
        return hasToken(request, "Upgrade", "websocket");
    }

    /** Why this handshake cannot be forwarded; null when it can. The upstream checks the rest. */
    static String problem(HttpServletRequest request) {
        if (!"GET".equals(request.getMethod())) {
            return "A WebSocket handshake must be a GET request.";
        }
        if (!"HTTP/1.1".equals(request.getProtocol())) {
            return "A WebSocket handshake must be made over HTTP/1.1.";
        }
        if (!hasToken(request, "Connection", "upgrade")) {
            return "A WebSocket handshake must have 'Connection: Upgrade'.";
        }
        if (request.getHeader("Sec-WebSocket-Key") == null || request.getHeader("Sec-WebSocket-Version") == null) {
            return "A WebSocket handshake must have Sec-WebSocket-Key and Sec-WebSocket-Version headers.";
        }
        return null;
    }

    private static boolean hasToken(HttpServletRequest request, String header, String token) {
        Enumeration<String> values = request.getHeaders(header);
        while (values != null && values.hasMoreElements()) {
            for (String part : values.nextElement().split(",")) {
                if (part.trim().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }
}
