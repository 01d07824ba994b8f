package dev.gatewar;

import dev.gatewar.body.ArrivedBody;
import dev.gatewar.body.BodyVerdict;
import dev.gatewar.body.BufferedBody;
import dev.gatewar.body.PendingBody;
import dev.gatewar.config.InitParamReader;
import dev.gatewar.exchange.Exchange;
import dev.gatewar.exchange.FailureKind;
import dev.gatewar.exchange.JsonErrorResponse;
import dev.gatewar.exchange.RequestId;
import dev.gatewar.exchange.TraceParent;
import dev.gatewar.observe.ExchangeRecorder;
import dev.gatewar.observe.GatewayMetrics;
import dev.gatewar.observe.ObservationSettings;
import dev.gatewar.observe.RouteMeters;
import dev.gatewar.pool.IdleConnections;
import dev.gatewar.pool.UpstreamPool;
import dev.gatewar.proxy.BodyIdleWatch;
import dev.gatewar.proxy.ConnectionAbort;
import dev.gatewar.proxy.ExchangeFailures;
import dev.gatewar.proxy.JettyClientParams;
import dev.gatewar.proxy.RouteSettings;
import dev.gatewar.proxy.UpstreamBufferPool;
import dev.gatewar.proxy.UpstreamConnectionCounts;
import dev.gatewar.proxy.UpstreamTarget;
import dev.gatewar.websocket.WebSocketRoute;
import dev.gatewar.websocket.WebSocketUpgradeRequest;
import dev.gatewar.websocket.WebSocketUpstreams;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;

/**
 * One gateway route: forwards every request under its servlet-mapping prefix to its upstream, with
 * the prefix stripped. Map one instance per route in {@code web.xml}:
 *
 * <pre>{@code
 * <servlet>
 *   <servlet-name>serviceA</servlet-name>
 *   <servlet-class>dev.gatewar.PrefixProxyServlet</servlet-class>
 *   <init-param><param-name>upstream</param-name><param-value>http://10.0.0.5:8080/api</param-value></init-param>
 *   <load-on-startup>1</load-on-startup>
 *   <async-supported>true</async-supported>
 * </servlet>
 * <servlet-mapping><servlet-name>serviceA</servlet-name><url-pattern>/serviceA/*</url-pattern></servlet-mapping>
 * }</pre>
 *
 * <p>Built on Jetty's {@link AsyncProxyServlet}, which streams both bodies without parking a thread,
 * through its hooks only. The init-params are in the README; {@link RouteSettings} reads them. The
 * request's state lives in its {@link Exchange}.
 */
public class PrefixProxyServlet extends AsyncProxyServlet {
    private static final long serialVersionUID = 1L;

    /** The upstream request's attribute holding the {@link Exchange}. */
    private static final String EXCHANGE = Exchange.class.getName();
    private transient RouteSettings settings;
    private transient UpstreamPool pool;
    private transient UpstreamTarget target;
    private transient ConnectionAbort abort;
    private transient ExchangeFailures failures;
    private transient ObservationSettings observation;
    private transient GatewayMetrics metrics;
    private transient RouteMeters meters;
    private transient ExchangeRecorder recorder;
    private transient WebSocketRoute webSockets;

    @Override
    public void init(ServletConfig config) throws ServletException {
        // Validate everything before Jetty's init() starts a client; Jetty then reads its own
        // init-param names from the settings rendered for it.
        InitParamReader params = new InitParamReader("servlet '" + config.getServletName() + "'", config::getInitParameter);
        RouteSettings parsed = RouteSettings.read(config, params);
        UpstreamTarget resolvedTarget = UpstreamTarget.of(parsed.upstreamUrls(), config, params);
        InitParamReader contextParams = ObservationSettings.contextParams(config.getServletContext());
        ObservationSettings contextDefaults = ObservationSettings.forContext(contextParams);
        contextParams.throwIfInvalid();
        ObservationSettings observed = ObservationSettings.forRoute(contextDefaults, params);
        params.throwIfInvalid();
        this.observation = observed;
        this.settings = parsed;
        this.pool = new UpstreamPool(parsed.upstreams().stream().map(RouteSettings.Upstream::weight).toList(),
                parsed.pool(), System::nanoTime);
        this.target = resolvedTarget;
        this.abort = ConnectionAbort.forContainer(config.getServletContext());
        this.failures = new ExchangeFailures(parsed.route(), abort);
        super.init(new JettyClientParams(config, parsed));
        if (observed.metrics()) {
            this.metrics = GatewayMetrics.acquire(config.getServletContext());
            this.meters = new RouteMeters(metrics.registry(), parsed.route(), parsed.upstreams().size(),
                    new UpstreamConnectionCounts(getHttpClient(), parsed.upstreamUrls()));
        }
        this.recorder = new ExchangeRecorder(parsed.route(), observed, meters, parsed.upstreamUrls());
        this.webSockets = new WebSocketRoute(parsed.route(), parsed.webSocket(), getHttpClient(), new RouteUpstreams(),
                parsed.connectTimeoutMs(), parsed.responseTimeoutMs());
    }

    @Override
    public void destroy() {
        if (metrics != null) {
            metrics.remove(meters.meters());
            metrics.release(getServletContext());
            metrics = null;
        }
        super.destroy();
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        if (abort.isAbortDispatch(request)) {
            throw abort.failure(request);
        }
        Exchange exchange = Exchange.of(request);
        exchange.routedTo(settings.route());
        recorder.started();
        try {
            if (WebSocketUpgradeRequest.isRequested(request)) {
                webSockets.serve(request, response, exchange);
                return;
            }
            super.service(request, response);
        } finally {
            if (!exchange.isEndWatched()) {
                recorder.ended(exchange, response); // answered without going async: a refused path
            }
        }
    }

    @Override
    protected ClientConnector newClientConnector() {
        ClientConnector connector = super.newClientConnector();
        connector.setConnectTimeout(Duration.ofMillis(settings.connectTimeoutMs()));
        // Before the client starts, so that it keeps this pool instead of sizing its own.
        connector.setByteBufferPool(UpstreamBufferPool.forRoute(settings.maxConnectionsPerUpstream(), settings.largestBufferSize()));
        return connector;
    }

    @Override
    protected String rewriteTarget(HttpServletRequest clientRequest) {
        Exchange exchange = Exchange.of(clientRequest);
        try {
            exchange.targetPath(target.pathAndQuery(clientRequest));
        } catch (UpstreamTarget.RejectedTargetException e) {
            exchange.rejected(e.getMessage());
            return null;
        }
        return beginTry(exchange, pool.choose(0));
    }

    /**
     * Jetty's service() calls hasContent() right after startAsync(), on the dispatching thread: the
     * one point where the async cycle is known to run and cannot have ended yet. From here on the
     * exchange counts for the retry budget, and is reported, when the cycle completes.
     */
    private void watchTheEnd(HttpServletRequest request, Exchange exchange) {
        if (exchange.isEndWatched()) {
            return;
        }
        exchange.endWatched();
        request.getAsyncContext().addListener(pool.endListener(exchange));
        request.getAsyncContext().addListener(recorder.endListener(exchange));
        pool.exchangeStarted();
    }

    /** Starts a try on {@code upstream} and returns its URL. */
    private String beginTry(Exchange exchange, int upstream) {
        exchange.beginTry(upstream);
        pool.tryStarted(upstream);
        return target.url(upstream, exchange.targetPath());
    }

    @Override
    protected void onProxyRewriteFailed(HttpServletRequest clientRequest, HttpServletResponse proxyResponse) {
        Exchange exchange = Exchange.of(clientRequest);
        String reason = exchange.rejection();
        try {
            JsonErrorResponse.send(proxyResponse, HttpServletResponse.SC_BAD_REQUEST,
                    reason != null ? reason : "The request target cannot be forwarded.", exchange, false);
        } catch (IOException e) {
            // The client is gone; there is no one left to tell.
            _log.debug("could not send a 400 response", e);
        }
    }

    @Override
    protected void addProxyHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
        addViaHeader(clientRequest, proxyRequest);
        settings.forwardedHeaders().apply(clientRequest, proxyRequest);
        Exchange exchange = Exchange.of(clientRequest);
        String requestId = exchange.requestId();
        if (observation.startTrace() && exchange.traceId() == null) {
            exchange.traceStarted(TraceParent.start()); // no valid trace context came in
        }
        String started = exchange.startedTraceParent();
        if (started != null) {
            // The started trace replaces an invalid traceparent, and a tracestate that belonged to none.
            proxyRequest.headers(headers -> headers.put(RequestId.HEADER, requestId).put(TraceParent.HEADER, started)
                    .remove(TraceParent.STATE_HEADER));
            return;
        }
        proxyRequest.headers(headers -> headers.put(RequestId.HEADER, requestId));
    }

    @Override
    protected void onServerResponseHeaders(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
                                           Response serverResponse) {
        Exchange exchange = exchangeOf(serverResponse.getRequest());
        exchange.responseStarted();
        if (pool.settings().failOnStatus().contains(serverResponse.getStatus())) {
            upstreamFailed(exchange);
        } else {
            pool.succeeded(exchange.upstream());
        }
        super.onServerResponseHeaders(clientRequest, proxyResponse, serverResponse);
        if (hasBodyOfUnknownLength(clientRequest, serverResponse) && "HTTP/1.1".equals(clientRequest.getProtocol())) {
            // Chunked framing even when the connection is to close, so that a body cut short by a
            // dying upstream shows as cut short. Trailer fields (none here) are the Servlet API's
            // portable way to ask for it: Jetty would otherwise delimit the body by the close.
            try {
                proxyResponse.setTrailerFields(Map::of);
            } catch (IllegalStateException notSupported) {
                _log.debug("the container refused trailer fields: no chunked framing", notSupported);
            }
        }
    }

    private static boolean hasBodyOfUnknownLength(HttpServletRequest clientRequest, Response serverResponse) {
        int status = serverResponse.getStatus();
        return status >= 200 && status != 204 && status != 304 && !"HEAD".equals(clientRequest.getMethod())
                && !serverResponse.getHeaders().contains(HttpHeader.CONTENT_LENGTH);
    }

    @Override
    protected String filterServerResponseHeader(HttpServletRequest clientRequest, Response serverResponse,
                                                String headerName, String headerValue) {
        // The container adds its own Date and Server; passing the upstream's would send two of each.
        if (headerName.equalsIgnoreCase("Date") || headerName.equalsIgnoreCase("Server")) {
            return null;
        }
        // Jetty drops the standard hop-by-hop fields; RFC 9110 7.6.1 also makes every field the
        // upstream names in its Connection header hop-by-hop.
        if (serverResponse.getHeaders().contains(HttpHeader.CONNECTION, headerName)) {
            return null;
        }
        if (headerName.equalsIgnoreCase("Location") || headerName.equalsIgnoreCase("Content-Location")) {
            return target.rewriteLocation(clientRequest, headerValue);
        }
        return headerValue;
    }

    @Override
    protected Request.Content proxyRequestContent(HttpServletRequest request, HttpServletResponse response,
                                                  Request proxyRequest) throws IOException {
        // A body JsonBodyFilter already holds goes out in one piece: reading it back through the
        // async ReadListener machinery would cost more than the whole exchange. A request wrapped
        // again by a later filter may change the stream, so it takes the general path.
        Exchange exchange = Exchange.of(request);
        BufferedBody buffered = exchange.bufferedBodyOf(request);
        if (buffered != null) {
            exchange.bodySent(buffered.content());
            return new BytesRequestContent(request.getContentType(), buffered.content());
        }
        // Likewise a small body that arrived with the request head: it can be read at once without
        // blocking, and held so that a retry can send it again. Anything else streams, so that no
        // thread waits on a slow client; a streamed body is never sent twice.
        long length = request.getContentLengthLong();
        if (length > 0 && length <= pool.settings().retryBufferBytes()) {
            ArrivedBody arrived = ArrivedBody.read(request.getInputStream(), length);
            if (arrived != null && arrived.complete()) {
                exchange.received(arrived.size());
                exchange.bodySent(arrived.bytes());
                return new BytesRequestContent(request.getContentType(), arrived.bytes());
            }
            if (arrived != null) {
                // Part of it came with the head: sent first, the rest streams after it.
                exchange.received(arrived.size());
                exchange.bodySent(null);
                AsyncRequestContent content = new AsyncRequestContent(ByteBuffer.wrap(arrived.bytes(), 0, arrived.size()));
                request.getInputStream().setReadListener(newReadListener(request, response, proxyRequest, content));
                return content;
            }
        }
        exchange.bodySent(null);
        return super.proxyRequestContent(request, response, proxyRequest);
    }

    @Override
    protected boolean hasContent(HttpServletRequest clientRequest) {
        Exchange exchange = Exchange.of(clientRequest);
        watchTheEnd(clientRequest, exchange);
        // A body still arriving is attached in sendProxyRequest, once it has arrived and been judged.
        PendingBody pending = exchange.pendingBodyOf(clientRequest);
        if (pending != null) {
            return pending.verdict() instanceof BodyVerdict.Accepted;
        }
        boolean hasContent = super.hasContent(clientRequest);
        if (!hasContent) {
            exchange.noBody();
        }
        return hasContent;
    }

    @Override
    protected void sendProxyRequest(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Request proxyRequest) {
        PendingBody pending = Exchange.of(clientRequest).pendingBodyOf(clientRequest);
        if (pending == null || pending.verdict() instanceof BodyVerdict.Accepted) {
            super.sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
            return;
        }
        if (pending.verdict() instanceof BodyVerdict.Refused refused) {
            refuse(clientRequest, proxyResponse, refused);
            return;
        }
        // Nothing is sent upstream before the whole body is here and judged (a malformed one never
        // reaches the upstream), and no thread waits for it meanwhile.
        BodyIdleWatch watch = new BodyIdleWatch(pending, getHttpClient().getScheduler());
        pending.collect(verdict -> {
            watch.stop();
            if (verdict instanceof BodyVerdict.Accepted accepted) {
                byte[] body = accepted.request().body().content();
                Exchange.of(clientRequest).bodySent(body);
                proxyRequest.body(new BytesRequestContent(clientRequest.getContentType(), body));
                super.sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
            } else {
                refuse(clientRequest, proxyResponse, (BodyVerdict.Refused) verdict);
            }
        });
        watch.start();
    }

    /** Answers a body the gateway will not forward, and ends the exchange. */
    private void refuse(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, BodyVerdict.Refused refused) {
        Exchange exchange = Exchange.of(clientRequest);
        pool.tryEnded(exchange.upstream()); // the try that was to carry the body never starts
        if (refused.clientFailure() != null && exchange.clientFailed(refused.clientFailure())) {
            failures.logClientFailure(exchange, refused.clientFailure());
        }
        try {
            JsonErrorResponse.send(proxyResponse, refused.status(), refused.message(), exchange, refused.closeConnection());
        } catch (IOException | RuntimeException e) {
            _log.debug("could not send the refusal requestId={}", exchange.requestId(), e);
        } finally {
            clientRequest.getAsyncContext().complete();
        }
    }

    @Override
    protected StreamWriter newWriteListener(HttpServletRequest request, Response proxyResponse) {
        return new FlushingStreamWriter(request, proxyResponse);
    }

    @Override
    protected Request newProxyRequest(HttpServletRequest request, String rewrittenTarget) {
        // The hooks that end the exchange get the upstream side; a container may have recycled the
        // servlet request by then, so the exchange travels with the upstream request too.
        Exchange exchange = Exchange.of(request);
        return super.newProxyRequest(request, rewrittenTarget).attribute(EXCHANGE, exchange)
                .onRequestBegin(begun -> exchange.requestWritten());
    }

    private static Exchange exchangeOf(Request proxyRequest) {
        return (Exchange) proxyRequest.getAttributes().get(EXCHANGE);
    }

    @Override
    protected ReadListener newReadListener(HttpServletRequest request, HttpServletResponse response, Request proxyRequest,
                                           AsyncRequestContent content) {
        Exchange exchange = Exchange.of(request);
        exchange.readingClientBody(true);
        return new StreamReader(request, response, proxyRequest, content) {
            @Override
            protected void onRequestContent(HttpServletRequest clientRequest, Request upstreamRequest, AsyncRequestContent body,
                                            byte[] buffer, int offset, int length, Callback callback) {
                exchange.received(length);
                super.onRequestContent(clientRequest, upstreamRequest, body, buffer, offset, length, callback);
            }

            @Override
            public void onAllDataRead() {
                exchange.readingClientBody(false);
                super.onAllDataRead();
            }

            @Override
            public void onError(Throwable failure) {
                // Reading the client's body failed: the client's doing, whatever the exception (Jetty
                // reports a malformed chunk as an early EOF). Answered now, on this container thread:
                // Tomcat recycles the request once this returns without completing it.
                clientFailed(request, response, exchange, failure, false);
                super.onError(failure);
            }
        };
    }

    @Override
    protected void onClientRequestFailure(HttpServletRequest clientRequest, Request proxyRequest,
                                          HttpServletResponse proxyResponse, Throwable failure) {
        clientFailed(clientRequest, proxyResponse, Exchange.of(clientRequest), failure, false);
        proxyRequest.abort(failure);
    }

    /** Answers the first failure of the client's side of an exchange; later ones change nothing. */
    private void clientFailed(HttpServletRequest request, HttpServletResponse response, Exchange exchange,
                              Throwable failure, boolean cutIfCommitted) {
        if (exchange.clientFailed(failure)) {
            failures.logClientFailure(exchange, failure);
            failures.answerClientFailure(request, response, exchange, failure, cutIfCommitted);
        }
    }

    @Override
    protected int clientRequestStatus(Throwable failure) {
        return ExchangeFailures.clientFailureStatus(failure);
    }

    @Override
    protected void onProxyResponseSuccess(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
                                          Response serverResponse) {
        Exchange exchange = exchangeOf(serverResponse.getRequest());
        pool.tryEnded(exchange.upstream());
        long tryNanos = exchange.tryEnded();
        if (meters != null) {
            meters.tryEnded(exchange.upstream(), serverResponse.getStatus(), null, exchange.clientFailure() != null, tryNanos);
        }
        if (exchange.clientFailure() == null) {
            super.onProxyResponseSuccess(clientRequest, proxyResponse, serverResponse);
        }
    }

    @Override
    protected void onProxyResponseFailure(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
                                          Response serverResponse, Throwable failure) {
        Exchange exchange = exchangeOf(serverResponse.getRequest());
        pool.tryEnded(exchange.upstream());
        long tryNanos = exchange.tryEnded();
        int status = exchange.isResponseStarted() ? serverResponse.getStatus() : 0;
        if (exchange.clientFailure() != null) {
            tryEndedByClient(exchange, status, tryNanos);
            return; // answered when the client failed
        }
        if (exchange.waitingForClient() && ExchangeFailures.isTimeout(failure)) {
            // The upstream connection went idle because the client did not send or did not read.
            tryEndedByClient(exchange, status, tryNanos);
            clientFailed(clientRequest, proxyResponse, exchange, failure, true);
            return;
        }
        int next = nextTry(exchange, failure, status, tryNanos);
        if (next >= 0) {
            retry(clientRequest, proxyResponse, exchange, next);
            return;
        }
        super.onProxyResponseFailure(clientRequest, proxyResponse, serverResponse, failure);
    }

    /**
     * Counts a try that failed, and picks the upstream of the next one: -1 when none may be made,
     * and then the exchange's failure is logged.
     */
    private int nextTry(Exchange exchange, Throwable failure, int status, long tryNanos) {
        if (meters != null) {
            meters.tryEnded(exchange.upstream(), status, FailureKind.of(failure), false, tryNanos);
        }
        if (!exchange.isResponseStarted()) {
            upstreamFailed(exchange); // a status in failOnStatus was counted when its head arrived
        }
        int next = pool.retryUpstream(exchange);
        if (next >= 0) {
            failures.logRetry(exchange, next, failure);
            if (meters != null) {
                meters.retried(next);
            }
            return next;
        }
        failures.logUpstreamFailure(exchange, failure);
        return -1;
    }

    private void tryEndedByClient(Exchange exchange, int status, long tryNanos) {
        if (meters != null) {
            meters.tryEnded(exchange.upstream(), status, null, true, tryNanos);
        }
    }

    /** Counts a failure against the upstream of the latest try, and says so when it ejects it. */
    private void upstreamFailed(Exchange exchange) {
        long ejectedForMs = pool.failed(exchange.upstream());
        if (ejectedForMs > 0) {
            failures.logEjection(exchange.upstream(), ejectedForMs, pool.settings().maxFails());
            if (meters != null) {
                meters.ejected(exchange.upstream());
            }
            IdleConnections.close(getHttpClient(), settings.upstreams().get(exchange.upstream()).url());
        }
    }

    /** Sends the request again, to {@code upstream}, through the same hooks as the first try. */
    private void retry(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Exchange exchange, int upstream) {
        Request again = newProxyRequest(clientRequest, beginTry(exchange, upstream));
        copyRequestHeaders(clientRequest, again);
        addProxyHeaders(clientRequest, again);
        byte[] body = exchange.replayableBody();
        if (body.length > 0) {
            again.body(new BytesRequestContent(clientRequest.getContentType(), body));
        }
        sendProxyRequest(clientRequest, proxyResponse, again);
    }

    @Override
    protected int proxyResponseStatus(Throwable failure) {
        return HttpServletResponse.SC_SERVICE_UNAVAILABLE;
    }

    @Override
    protected void sendProxyResponseError(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, int status) {
        failures.respond(clientRequest, proxyResponse, status);
    }

    /** WebSocket handshakes go to the same upstreams, with the same headers, pool and reports, as the route's other requests. */
    private final class RouteUpstreams implements WebSocketUpstreams {
        @Override
        public String firstTry(HttpServletRequest request, Exchange exchange) {
            String url = rewriteTarget(request);
            if (url != null) {
                pool.exchangeStarted();
            }
            return url;
        }

        @Override
        public String responseField(HttpServletRequest request, Response upstreamResponse, String name, String value) {
            return filterServerResponseHeader(request, upstreamResponse, name, value);
        }

        @Override
        public void prepare(HttpServletRequest request, Request upstreamRequest) {
            copyRequestHeaders(request, upstreamRequest);
            addProxyHeaders(request, upstreamRequest);
        }

        @Override
        public void answered(Exchange exchange, int status, long tryNanos) {
            if (pool.settings().failOnStatus().contains(status)) {
                upstreamFailed(exchange);
            } else {
                pool.succeeded(exchange.upstream());
            }
            if (meters != null) {
                meters.tryEnded(exchange.upstream(), status, null, false, tryNanos);
            }
        }

        @Override
        public void released(Exchange exchange) {
            pool.tryEnded(exchange.upstream());
        }

        @Override
        public String retryAfter(Exchange exchange, Throwable failure, long tryNanos) {
            pool.tryEnded(exchange.upstream());
            int next = nextTry(exchange, failure, 0, tryNanos);
            return next < 0 ? null : beginTry(exchange, next);
        }

        @Override
        public void respondUnavailable(HttpServletRequest request, HttpServletResponse response) {
            failures.respond(request, response, HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        }

        @Override
        public void handshakeEnded(Exchange exchange) {
            pool.exchangeEnded(exchange.holdsRetrySlot());
        }

        @Override
        public void ended(Exchange exchange, int status) {
            recorder.ended(exchange, status);
        }
    }

    /**
     * Jetty's writer, plus a flush after every chunk but the last one of a body of known length: the
     * container would otherwise hold small chunks in its response buffer, and an event stream or a
     * slow download must reach the client as the upstream sends it. The next chunk is asked for only
     * once the flush is done. The last chunk is left to the completion of the response, which writes
     * it (for a small response: together with the headers) in one go.
     */
    private final class FlushingStreamWriter extends StreamWriter {
        private final HttpServletRequest request;
        /** Captured now: once the exchange is completed the request has no async context to ask. */
        private final HttpServletResponse response;
        private final Exchange exchange;
        /** Bytes of a Content-Length body still to come after the current chunk; -1 when unknown. */
        private long remaining;
        private boolean flushPending;

        FlushingStreamWriter(HttpServletRequest request, Response proxyResponse) {
            super(request, proxyResponse);
            this.request = request;
            this.response = (HttpServletResponse) request.getAsyncContext().getResponse();
            this.exchange = exchangeOf(proxyResponse.getRequest());
            this.remaining = contentLength(proxyResponse);
        }

        private static long contentLength(Response proxyResponse) {
            try {
                return proxyResponse.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
            } catch (NumberFormatException e) {
                return -1; // not a length this writer can count down: flush every chunk
            }
        }

        @Override
        protected void data(byte[] bytes, int offset, int length, Callback callback) {
            exchange.writingToClient(true);
            exchange.sent(length);
            super.data(bytes, offset, length, callback);
            if (remaining > 0) {
                remaining = Math.max(0, remaining - length);
            }
        }

        @Override
        public void onWritePossible() throws IOException {
            try {
                if (flushPending) {
                    flushPending = false;
                    chunkWritten();
                    return;
                }
                super.onWritePossible();
            } catch (IOException | RuntimeException e) {
                clientFailed(request, response, exchange, e, true);
                throw e;
            }
        }

        @Override
        public void onError(Throwable failure) {
            // Writing to the client failed: the client's doing (it went away, or stopped reading).
            clientFailed(request, response, exchange, failure, true);
            super.onError(failure);
        }

        @Override
        protected void complete() {
            if (remaining == 0) {
                chunkWritten();
                return;
            }
            try {
                ServletOutputStream output = response.getOutputStream();
                output.flush();
                if (!output.isReady()) {
                    flushPending = true;
                    return;
                }
            } catch (IOException e) {
                onError(e);
                return;
            }
            chunkWritten();
        }

        private void chunkWritten() {
            exchange.writingToClient(false);
            super.complete();
        }
    }
}
