package dev.gatewar.websocket;

import dev.gatewar.exchange.Exchange;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;

/**
 * What a WebSocket handshake needs from its route, the same as any of its requests: the upstream to
 * try and its URL, the headers, the pool's and the meters' accounting, the failure answer and the
 * report of the exchange. The route servlet implements it, so both kinds of request share one policy.
 */
public interface WebSocketUpstreams {
    /** The URL of the first try, the try begun; null when the path is refused ({@link Exchange#rejection()} says why). */
    String firstTry(HttpServletRequest request, Exchange exchange);

    /**
     * A field of the upstream's answer as the client gets it, as for any response: null when it is
     * not passed on, a {@code Location} rewritten to point behind the gateway.
     */
    String responseField(HttpServletRequest request, Response upstreamResponse, String name, String value);

    /** Copies the client's headers and adds the gateway's, as for any forwarded request. */
    void prepare(HttpServletRequest request, Request upstreamRequest);

    /** The try got an answer with {@code status}; the upstream stays in use until {@link #released}. */
    void answered(Exchange exchange, int status, long tryNanos);

    /** The upstream of the latest try is no longer in use. */
    void released(Exchange exchange);

    /** The try failed without an answer: the URL of the next try, or null when none may be made (the failure is logged). */
    String retryAfter(Exchange exchange, Throwable failure, long tryNanos);

    /** Answers the client that no upstream could be reached. */
    void respondUnavailable(HttpServletRequest request, HttpServletResponse response);

    /** The handshake is over, whatever came of it: it leaves the retry budget. */
    void handshakeEnded(Exchange exchange);

    /** The exchange is over (after its tunnel, when it had one): it is reported. */
    void ended(Exchange exchange, int status);
}
