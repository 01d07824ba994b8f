package dev.gatewar.websocket;

import dev.gatewar.exchange.Exchange;
import dev.gatewar.exchange.FailureKind;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.WebConnection;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.Executor;

/**
 * One WebSocket connection through the gateway, after both handshakes: the client's upgraded servlet
 * connection on one side, the upstream's upgraded Jetty connection on the other, and the bytes
 * between them copied as they come, in both directions, without decoding a message. Extensions and
 * subprotocols are the two ends' business; the gateway only follows the frame headers (a
 * {@link FrameCursor} per direction) so that it can close a side cleanly when the other one cannot.
 *
 * <p>Each direction is a pump that holds one buffer and never reads more before its last write is
 * done: a slow reader on one side stops the reading on the other, so memory stays at two buffers a
 * connection whatever flows. Neither pump parks a thread while it waits.
 */
public final class WebSocketTunnel {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketTunnel.class);
    private static final int BUFFER_SIZE = 8 * 1024;

    private final Exchange exchange;
    private final WebSocketSettings settings;
    private final UpstreamLeg upstream;
    private final Runnable onEnd;
    private final FrameCursor toClientFrames;
    private final FrameCursor toUpstreamFrames;
    private final ToClient toClient = new ToClient();
    private final ToUpstream toUpstream = new ToUpstream();
    private final AtomicInteger pumpsRunning = new AtomicInteger(2);
    private WebConnection client;
    private ServletInputStream clientInput;
    private ServletOutputStream clientOutput;
    private volatile boolean started;
    private volatile boolean clientGone;
    private volatile boolean upstreamGone;
    /** A close frame of the gateway's own for a side, once it is decided; null until then. */
    private volatile byte[] closeForClient;
    private volatile byte[] closeForUpstream;
    private boolean idleClosing;
    private volatile boolean forced;

    WebSocketTunnel(Exchange exchange, WebSocketSettings settings, EndPoint upstreamEndPoint, Executor executor, Runnable onEnd) {
        this.exchange = exchange;
        this.settings = settings;
        this.onEnd = onEnd;
        this.toClientFrames = new FrameCursor(settings.maxMessageBytes());
        this.toUpstreamFrames = new FrameCursor(settings.maxMessageBytes());
        this.upstream = new UpstreamLeg(upstreamEndPoint, executor);
    }

    /** The connection to install on the upstream's end point once it answered 101. */
    Connection upstreamConnection() {
        return upstream;
    }

    /** The client's connection is upgraded: both pumps start. */
    void start(WebConnection connection) throws IOException {
        this.client = connection;
        this.clientInput = connection.getInputStream();
        this.clientOutput = connection.getOutputStream();
        upstream.getEndPoint().setIdleTimeout(settings.idleTimeoutMs());
        clientOutput.setWriteListener(toClient);
        clientInput.setReadListener(toUpstream);
        started = true;
        wakeBoth(); // whatever happened while the listeners were being set
    }

    /** The tunnel will never run (the client's side was not upgraded): the upstream's connection is closed. */
    void abandon() {
        pumpsRunning.set(0);
        upstream.getEndPoint().close();
    }

    /** The client's connection was upgraded but cannot be used: both are closed, and the tunnel ends. */
    void startFailed() {
        if (pumpsRunning.getAndSet(0) > 0) {
            upstream.getEndPoint().close();
            onEnd.run();
        }
    }

    /** The client's side ended; unless the tunnel was closing anyway, the upstream gets 1001. */
    private void clientFailed(Throwable failure) {
        synchronized (this) { // the pumps and Jetty's timers decide on separate threads: one decision at a time
            if (clientGone) {
                return;
            }
            clientGone = true;
            LOG.debug("the client's side ended requestId={}", exchange.requestId(), failure);
            if (!toUpstreamFrames.closeSeen() && !upstreamGone && closeForClient == null) {
                exchange.clientFailed(failure);
                closeForUpstream = CloseFrame.toUpstream(CloseFrame.GOING_AWAY, "client went away");
            }
        }
        wakeBoth();
    }

    /** The upstream's side ended; unless the tunnel was closing anyway, the client gets 1011. */
    private void upstreamFailed(Throwable failure) {
        synchronized (this) {
            if (upstreamGone) {
                return;
            }
            upstreamGone = true;
            LOG.debug("the upstream's side ended requestId={}", exchange.requestId(), failure);
            if (!toClientFrames.closeSeen() && !clientGone && closeForUpstream == null) {
                exchange.upstreamFailed(failure == null ? FailureKind.RESET : FailureKind.of(failure));
                closeForClient = CloseFrame.toClient(CloseFrame.UPSTREAM_FAILED, "upstream went away");
                LOG.warn("upstream failure route={} kind=websocket_closed elapsedMs={} requestId={}{}", exchange.route(),
                        exchange.elapsedMs(), exchange.requestId(), exchange.traceId() == null ? "" : " traceId=" + exchange.traceId());
            }
        }
        wakeBoth();
    }

    private void messageTooLarge() {
        synchronized (this) {
            if (closeForClient == null) {
                closeForClient = CloseFrame.toClient(CloseFrame.MESSAGE_TOO_BIG, "message too big");
            }
            if (closeForUpstream == null) {
                closeForUpstream = CloseFrame.toUpstream(CloseFrame.MESSAGE_TOO_BIG, "message too big");
            }
        }
        wakeBoth();
    }

    /**
     * Nothing moved for the idle timeout: both sides get a close frame. If even that does not go
     * through before the timeout passes once more, both connections are cut.
     */
    private boolean idleExpired() {
        boolean first;
        synchronized (this) {
            first = !idleClosing;
            idleClosing = true;
            if (first && closeForClient == null) {
                closeForClient = CloseFrame.toClient(CloseFrame.GOING_AWAY, "idle timeout");
            }
            if (first && closeForUpstream == null) {
                closeForUpstream = CloseFrame.toUpstream(CloseFrame.GOING_AWAY, "idle timeout");
            }
        }
        if (!first) {
            forceClose();
            return true;
        }
        wakeBoth();
        return false;
    }

    private void forceClose() {
        forced = true;
        upstream.getEndPoint().close();
        closeClient();
        TimeoutException cut = new TimeoutException("idle timeout");
        toClient.abort(cut);
        toUpstream.abort(cut);
    }

    private void closeClient() {
        if (client == null) {
            return;
        }
        try {
            client.close();
        } catch (Exception e) {
            LOG.debug("closing the client's connection failed requestId={}", exchange.requestId(), e);
        }
    }

    private void wakeBoth() {
        if (started) {
            toClient.iterate();
            toUpstream.iterate();
        }
    }

    private void pumpEnded() {
        if (pumpsRunning.decrementAndGet() != 0) {
            return;
        }
        upstream.getEndPoint().close();
        closeClient();
        onEnd.run();
    }

    /** Upstream to client: fills from the upstream's end point, writes to the client's output. */
    private final class ToClient extends IteratingCallback implements WriteListener {
        private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE);
        private final AtomicBoolean awaitingWritable = new AtomicBoolean();
        private byte[] prefetched;
        private boolean closeWritten;
        private volatile boolean unflushed;

        @Override
        protected Action process() {
            while (true) {
                if (clientGone || closeWritten) {
                    return Action.SUCCEEDED;
                }
                if (closeForClient != null) {
                    if (!toClientFrames.atFrameBoundary()) {
                        return Action.SUCCEEDED; // inside a frame: only cutting the connection is left
                    }
                    closeWritten = true;
                    return write(closeForClient, 0, closeForClient.length);
                }
                if (upstreamGone) {
                    return Action.SUCCEEDED; // its close frame went by: the close is the ends' own
                }
                byte[] bytes;
                int offset;
                int length;
                if (prefetched != null) {
                    bytes = prefetched;
                    offset = 0;
                    length = prefetched.length;
                    prefetched = null;
                } else {
                    BufferUtil.clear(buffer); // Jetty fills after the limit: an empty buffer in flush mode
                    int filled;
                    try {
                        filled = upstream.getEndPoint().fill(buffer);
                    } catch (IOException e) {
                        upstreamFailed(e);
                        continue;
                    }
                    if (filled == 0) {
                        upstream.awaitReadable();
                        return Action.IDLE;
                    }
                    if (filled < 0) {
                        upstreamFailed(null);
                        continue;
                    }
                    bytes = buffer.array();
                    offset = buffer.arrayOffset() + buffer.position();
                    length = filled;
                }
                int forward = toClientFrames.follow(bytes, offset, length);
                if (toClientFrames.tooLarge()) {
                    messageTooLarge();
                }
                if (forward > 0) {
                    exchange.sent(forward);
                    return write(bytes, offset, forward);
                }
            }
        }

        private Action write(byte[] bytes, int offset, int length) {
            try {
                clientOutput.write(bytes, offset, length);
                unflushed = true; // containers hold small writes back until a flush
                awaitingWritable.set(true);
                continueWriting();
            } catch (IOException | RuntimeException e) {
                writeFailed(e);
            }
            return Action.SCHEDULED;
        }

        /** Flushes once the write is taken; the step is done when the flush is too. */
        private void continueWriting() throws IOException {
            while (clientOutput.isReady()) {
                if (unflushed) {
                    unflushed = false;
                    clientOutput.flush();
                    continue;
                }
                if (awaitingWritable.compareAndSet(true, false)) {
                    succeeded();
                }
                return;
            }
        }

        private void writeFailed(Throwable failure) {
            clientFailed(failure);
            if (awaitingWritable.compareAndSet(true, false)) {
                succeeded();
            }
        }

        @Override
        public void onWritePossible() {
            if (!awaitingWritable.get()) {
                iterate(); // the first call, when the listener is set: start
                return;
            }
            try {
                continueWriting();
            } catch (IOException | RuntimeException e) {
                writeFailed(e);
            }
        }

        @Override
        public void onError(Throwable failure) {
            writeFailed(failure);
        }

        @Override
        protected void onCompleted(Throwable causeOrNull) {
            super.onCompleted(causeOrNull);
            pumpEnded();
        }
    }

    /** Client to upstream: reads the client's input, writes to the upstream's end point. */
    private final class ToUpstream extends IteratingCallback implements ReadListener {
        private final byte[] buffer = new byte[BUFFER_SIZE];
        private boolean closeWritten;

        @Override
        protected Action process() {
            while (true) {
                if (upstreamGone) {
                    return Action.SUCCEEDED;
                }
                if (closeWritten) {
                    upstream.getEndPoint().shutdownOutput();
                    return Action.SUCCEEDED;
                }
                if (closeForUpstream != null) {
                    if (!toUpstreamFrames.atFrameBoundary()) {
                        return Action.SUCCEEDED;
                    }
                    closeWritten = true;
                    upstream.getEndPoint().write(this, ByteBuffer.wrap(closeForUpstream));
                    return Action.SCHEDULED;
                }
                if (clientGone) {
                    return Action.SUCCEEDED; // its close frame went by
                }
                int read;
                try {
                    if (!clientInput.isReady()) {
                        return Action.IDLE; // onDataAvailable() comes next
                    }
                    read = clientInput.read(buffer);
                } catch (IOException | RuntimeException e) {
                    clientFailed(e);
                    continue;
                }
                if (read < 0) {
                    clientFailed(new IOException("the client closed its connection"));
                    continue;
                }
                int forward = toUpstreamFrames.follow(buffer, 0, read);
                if (toUpstreamFrames.tooLarge()) {
                    messageTooLarge();
                }
                if (forward > 0) {
                    exchange.received(forward);
                    upstream.getEndPoint().write(this, ByteBuffer.wrap(buffer, 0, forward));
                    return Action.SCHEDULED;
                }
            }
        }

        @Override
        public void onDataAvailable() {
            iterate();
        }

        @Override
        public void onAllDataRead() {
            iterate();
        }

        @Override
        public void onError(Throwable failure) {
            clientFailed(failure);
        }

        @Override
        protected void onCompleteFailure(Throwable cause) {
            if (!forced) {
                upstreamFailed(cause); // else only a write to the upstream fails this pump
            }
        }

        @Override
        protected void onCompleted(Throwable causeOrNull) {
            super.onCompleted(causeOrNull);
            pumpEnded();
        }
    }

    /** The upstream's side, installed on its end point when it answered 101. */
    private final class UpstreamLeg extends AbstractConnection implements Connection.UpgradeTo {
        private final Callback readable = Callback.from(toClient::iterate, this::onFillInterestedFailed);

        UpstreamLeg(EndPoint endPoint, Executor executor) {
            super(endPoint, executor);
        }

        /** Wakes the pump when the upstream has bytes; a no-op when it is already waiting. */
        void awaitReadable() {
            getEndPoint().tryFillInterested(readable);
        }

        @Override
        public void onUpgradeTo(ByteBuffer buffer) {
            // Frames the upstream sent right behind its 101, read with the response head.
            if (buffer != null && buffer.hasRemaining()) {
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                toClient.prefetched = bytes;
            }
        }

        @Override
        public void onFillable() {
            toClient.iterate();
        }

        @Override
        public void onFillInterestedFailed(Throwable cause) {
            upstreamFailed(cause);
        }

        @Override
        public boolean onIdleExpired(TimeoutException timeout) {
            return idleExpired();
        }
    }
}
