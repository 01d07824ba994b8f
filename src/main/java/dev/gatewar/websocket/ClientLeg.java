package dev.gatewar.websocket;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpUpgradeHandler;
import jakarta.servlet.http.WebConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * The client's side of a tunnel: the container creates it through {@code request.upgrade()} and hands
 * it the upgraded connection once the 101 is sent. Public with a public constructor because the
 * container instantiates it.
 */
public final class ClientLeg implements HttpUpgradeHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ClientLeg.class);
    private WebSocketTunnel tunnel;
    private HttpServletRequest request;

    public ClientLeg() {
        // instantiated by the container
    }

    /** Called on the servlet's thread, before the container calls {@link #init}. */
    void attach(WebSocketTunnel tunnel, HttpServletRequest request) {
        this.tunnel = tunnel;
        this.request = request;
    }

    @Override
    public void init(WebConnection connection) {
        try {
            // Jetty runs an upgraded connection in an async cycle of its own; its default 30 s
            // timeout would cut a quiet tunnel. The tunnel keeps its own idle timeout.
            if (request.isAsyncStarted()) {
                request.getAsyncContext().setTimeout(0);
            }
        } catch (IllegalStateException notAsync) {
            LOG.debug("no async cycle to extend", notAsync);
        }
        try {
            tunnel.start(connection);
        } catch (IOException | RuntimeException e) {
            LOG.debug("the upgraded client connection could not be used", e);
            tunnel.startFailed();
            try {
                connection.close();
            } catch (Exception closing) {
                LOG.debug("closing the client's connection failed", closing);
            }
        }
    }

    @Override
    public void destroy() {
        // The tunnel closes both connections when its pumps end.
    }
}
