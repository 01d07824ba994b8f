package dev.gatewar.websocket;

import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.HttpUpgrader;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.Callback;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * One try of the opening handshake with an upstream, through the route's Jetty client: the client
 * sends it and, when the upstream answers 101, hands this class the connection's end point to
 * install the tunnel on; any other answer is buffered (up to {@value #MAX_REFUSAL_BYTES} bytes) to
 * be relayed as it is.
 */
final class UpstreamHandshake extends BufferingResponseListener implements HttpUpgrader, HttpUpgrader.Factory {
    static final int MAX_REFUSAL_BYTES = 1024 * 1024;

    sealed interface Outcome permits Upgraded, Answered, Failed {
    }

    /** The upstream switched protocols; {@code tunnel} owns its connection now. */
    record Upgraded(Response response, WebSocketTunnel tunnel) implements Outcome {
    }

    /** The upstream answered with anything but 101: the client gets that answer. */
    record Answered(Response response, byte[] body) implements Outcome {
    }

    /** No answer came: the try failed, and nothing but the handshake was sent. */
    record Failed(Throwable failure) implements Outcome {
    }

    private final Function<EndPoint, WebSocketTunnel> tunnels;
    private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

    UpstreamHandshake(Function<EndPoint, WebSocketTunnel> tunnels) {
        super(MAX_REFUSAL_BYTES);
        this.tunnels = tunnels;
    }

    /** Sends the handshake. */
    void send(Request request) {
        request.attribute(HttpUpgrader.Factory.class.getName(), this).send(this);
    }

    /** Waits for the outcome; a try that has none by then fails, and a late upgrade is undone. */
    Outcome await(Request request, long timeoutMs) throws InterruptedException {
        try {
            return outcome.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            request.abort(e);
            outcome.complete(new Failed(e));
            return outcome.join();
        } catch (ExecutionException e) {
            return new Failed(e.getCause());
        }
    }

    @Override
    public HttpUpgrader newHttpUpgrader(HttpVersion version) {
        return this;
    }

    @Override
    public void prepare(Request request) {
        request.headers(headers -> headers.put(HttpHeader.UPGRADE, "websocket").put(HttpHeader.CONNECTION, "Upgrade"));
    }

    @Override
    public void upgrade(Response response, EndPoint endPoint, Callback callback) {
        WebSocketTunnel tunnel = tunnels.apply(endPoint);
        endPoint.upgrade(tunnel.upstreamConnection());
        callback.succeeded();
        if (!outcome.complete(new Upgraded(response, tunnel))) {
            tunnel.abandon(); // the client's wait ended first
        }
    }

    @Override
    public void onComplete(Result result) {
        if (result.isFailed()) {
            outcome.complete(new Failed(result.getFailure()));
        } else if (result.getResponse().getStatus() == 101) {
            // A 101 the client did not hand over (no Upgrade header): no tunnel to run.
            outcome.complete(new Failed(new java.io.IOException("the upstream switched protocols without naming one")));
        } else {
            outcome.complete(new Answered(result.getResponse(), getContent()));
        }
    }
}
