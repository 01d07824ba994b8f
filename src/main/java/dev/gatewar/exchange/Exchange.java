package dev.gatewar.exchange;

import dev.gatewar.body.BodyVerdict;
import dev.gatewar.body.BufferedBody;
import dev.gatewar.body.PendingBody;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.http.HttpServletRequest;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Everything the gateway knows about one request, under one request attribute: when it started, its
 * id, the route and upstream that serve it, how many tries it took, a body read into memory, and
 * what went wrong, if anything. The filter, the route servlet and the error page all find the same
 * object through {@link #of}.
 *
 * <p>Not synchronised: the container's async cycle hands a request from thread to thread with a
 * happens-before edge, and only one thread works on it at a time.
 */
public final class Exchange {
    private static final String ATTRIBUTE = Exchange.class.getName();
    private static final byte[] NO_BODY = new byte[0];
    /** Servlet 6.1's RequestDispatcher.ERROR_QUERY_STRING; a 6.0 container may not set it. */
    private static final String ERROR_QUERY_STRING = "jakarta.servlet.error.query_string";

    private final long startNanos;
    private final long startMillis;
    private final String requestId;
    private final String method;
    private final String path;
    private final String query;
    private String traceId;
    private String startedTraceParent;
    private long receivedBytes;
    private long sentBytes;
    private long firstTryNanos;
    private long tryStartNanos;
    private long lastTryEndNanos;
    private BodyVerdict.Refused refusedBody;
    private boolean endWatched;
    private final AtomicBoolean ended = new AtomicBoolean();
    private String route;
    private String targetPath;
    private int tries;
    private int upstream = -1;
    private long triedUpstreams;
    private volatile boolean holdsRetrySlot;
    private volatile boolean requestWritten;
    private volatile boolean responseStarted;
    private byte[] replayableBody;
    private ServletRequest bodyCarrier;
    private BufferedBody body;
    private PendingBody pendingBody;
    private String rejection;
    private FailureKind upstreamFailure;
    private Throwable clientFailure;
    private volatile boolean readingClientBody;
    private volatile boolean writingToClient;
    private boolean aborting;

    private Exchange(HttpServletRequest request) {
        this.startNanos = System.nanoTime();
        this.startMillis = System.currentTimeMillis();
        this.requestId = RequestId.from(request == null ? null : request.getHeader(RequestId.HEADER));
        this.method = request == null ? "" : request.getMethod();
        // Begun by the error page, the exchange is about the request that failed, not the error dispatch.
        boolean errorDispatch = request != null && request.getDispatcherType() == DispatcherType.ERROR
                && request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String;
        this.path = request == null ? "" : errorDispatch ? (String) request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI)
                : request.getRequestURI();
        this.query = request == null ? null : errorDispatch ? (String) request.getAttribute(ERROR_QUERY_STRING)
                : request.getQueryString();
        this.traceId = request == null ? null : TraceParent.traceId(request.getHeader(TraceParent.HEADER));
    }

    /** The request's exchange, begun on first use. */
    public static Exchange of(ServletRequest request) {
        Object existing = request.getAttribute(ATTRIBUTE);
        if (existing instanceof Exchange exchange) {
            return exchange;
        }
        Exchange exchange = new Exchange(request instanceof HttpServletRequest http ? http : null);
        request.setAttribute(ATTRIBUTE, exchange);
        return exchange;
    }

    public String requestId() {
        return requestId;
    }

    /** The request's method; kept here because a container may recycle the request before its exchange ends. */
    public String method() {
        return method;
    }

    public long elapsedMs() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    public long startNanos() {
        return startNanos;
    }

    /** Wall-clock time the request arrived, for the access log. */
    public long startMillis() {
        return startMillis;
    }

    /** The request's path as the client sent it, without the query. */
    public String path() {
        return path;
    }

    /** The query as the client sent it; null when there was none. */
    public String query() {
        return query;
    }

    /** The trace id of the request's valid {@code traceparent}, or of the trace the gateway started; null when none. */
    public String traceId() {
        return traceId;
    }

    /** The gateway started a trace for the request: every try sends {@code traceParent}. */
    public void traceStarted(String traceParent) {
        this.startedTraceParent = traceParent;
        this.traceId = TraceParent.traceId(traceParent);
    }

    /** The {@code traceparent} the gateway started; null when it started none. */
    public String startedTraceParent() {
        return startedTraceParent;
    }

    /** Body bytes read from the client. */
    public void received(long bytes) {
        receivedBytes += bytes;
    }

    public long receivedBytes() {
        return receivedBytes + (pendingBody != null ? pendingBody.bytesRead() : 0);
    }

    /** Body bytes written to the client. */
    public void sent(long bytes) {
        sentBytes += bytes;
    }

    public long sentBytes() {
        return sentBytes;
    }

    /** The route (servlet name) serving the request; null until a route took it. */
    public String route() {
        return route;
    }

    public void routedTo(String routeName) {
        this.route = routeName;
    }

    /** The path and query every try asks its upstream for. */
    public void targetPath(String pathAndQuery) {
        this.targetPath = pathAndQuery;
    }

    public String targetPath() {
        return targetPath;
    }

    /** Counts one more try, to the upstream with index {@code upstreamIndex} of the route. */
    public void beginTry(int upstreamIndex) {
        tryStartNanos = System.nanoTime();
        if (tries == 0) {
            firstTryNanos = tryStartNanos;
        }
        tries++;
        upstream = upstreamIndex;
        triedUpstreams |= 1L << upstreamIndex;
        requestWritten = false;
    }

    /** The latest try ended; returns how long it took, in nanoseconds. */
    public long tryEnded() {
        lastTryEndNanos = System.nanoTime();
        return lastTryEndNanos - tryStartNanos;
    }

    /** From the start of the first try to the end of the last one; -1 when no try ended. */
    public long upstreamNanos() {
        return tries == 0 || lastTryEndNanos == 0 ? -1 : lastTryEndNanos - firstTryNanos;
    }

    public int tries() {
        return tries;
    }

    /** The index of the upstream of the latest try; -1 before the first. */
    public int upstream() {
        return upstream;
    }

    /** The upstreams tried so far, as bits by index. */
    public long triedUpstreams() {
        return triedUpstreams;
    }

    /** The exchange took a place in its route's retry budget, which it keeps until it ends. */
    public void tookRetrySlot() {
        this.holdsRetrySlot = true;
    }

    public boolean holdsRetrySlot() {
        return holdsRetrySlot;
    }

    /** The upstreams tried so far, by index, ascending: {@code 0,2}. */
    public String triedUpstreamList() {
        StringBuilder list = new StringBuilder();
        for (long bits = triedUpstreams; bits != 0; bits &= bits - 1) {
            list.append(list.isEmpty() ? "" : ",").append(Long.numberOfTrailingZeros(bits));
        }
        return list.toString();
    }

    /** The latest try's request head was written to the upstream: it may have acted on it. */
    public void requestWritten() {
        this.requestWritten = true;
    }

    public boolean isRequestWritten() {
        return requestWritten;
    }

    /** The upstream's response head arrived: from now on the response is on its way to the client. */
    public void responseStarted() {
        this.responseStarted = true;
    }

    public boolean isResponseStarted() {
        return responseStarted;
    }

    /** The request has no body: a retry sends none either. */
    public void noBody() {
        this.replayableBody = NO_BODY;
    }

    /**
     * The body as sent upstream, which a retry can send again; null when it was streamed (and so
     * cannot be sent again). Until this or {@link #noBody} is called, the body counts as streamed.
     */
    public void bodySent(byte[] replayable) {
        this.replayableBody = replayable;
    }

    public byte[] replayableBody() {
        return replayableBody;
    }

    /** The body was read into memory and is handed on by {@code carrier}, the request passed down the chain. */
    public void bodyBuffered(ServletRequest carrier, BufferedBody bufferedBody) {
        this.bodyCarrier = carrier;
        this.body = bufferedBody;
    }

    /** The body is to be read into memory, but had not fully arrived when {@code carrier} went down the chain. */
    public void bodyPending(ServletRequest carrier, PendingBody pending) {
        this.bodyCarrier = carrier;
        this.pendingBody = pending;
    }

    /**
     * The buffered body, when {@code request} is the very request that carries it and the body is in
     * memory and accepted; null otherwise, also when a later filter wrapped it again (it may change
     * what the stream yields).
     */
    public BufferedBody bufferedBodyOf(ServletRequest request) {
        if (request != bodyCarrier) {
            return null;
        }
        if (body != null) {
            return body;
        }
        return pendingBody != null && pendingBody.verdict() instanceof BodyVerdict.Accepted accepted
                ? accepted.request().body() : null;
    }

    /** The body still to be read (or already judged) for {@code request}, when it is the request that carries it. */
    public PendingBody pendingBodyOf(ServletRequest request) {
        return request == bodyCarrier ? pendingBody : null;
    }

    /** The body was judged and refused before it went down the chain. */
    public void bodyRefused(BodyVerdict.Refused refused) {
        this.refusedBody = refused;
    }

    /** Why a body the gateway reads into memory was refused; null when it was not (or not yet judged). */
    public BodyVerdict.Refused bodyRefusal() {
        if (refusedBody != null) {
            return refusedBody;
        }
        return pendingBody != null && pendingBody.verdict() instanceof BodyVerdict.Refused refused ? refused : null;
    }

    /** The buffered body as handed on, if any (to tell whether a filter replaced it). */
    public BufferedBody bufferedBody() {
        if (body != null) {
            return body;
        }
        return pendingBody != null && pendingBody.verdict() instanceof BodyVerdict.Accepted accepted ? accepted.request().body() : null;
    }

    /** Something will report the end of the exchange when its async cycle completes. */
    public void endWatched() {
        this.endWatched = true;
    }

    public boolean isEndWatched() {
        return endWatched;
    }

    /** @return true the first time only: the exchange is reported once, by whoever ends it */
    public boolean end() {
        return ended.compareAndSet(false, true);
    }

    /** The gateway refuses to forward the request; {@code reason} is safe to show the client. */
    public void rejected(String reason) {
        this.rejection = reason;
    }

    public String rejection() {
        return rejection;
    }

    public void upstreamFailed(FailureKind kind) {
        this.upstreamFailure = kind;
    }

    /** Why the upstream failed; null when it did not. */
    public FailureKind upstreamFailure() {
        return upstreamFailure;
    }

    /**
     * The client's side failed (its body could not be read, it stopped reading, it went away):
     * whatever fails next is not the upstream's fault. The first failure recorded stands.
     *
     * @return true for the first call, which answers the exchange; false when it was answered already
     */
    public synchronized boolean clientFailed(Throwable failure) {
        if (clientFailure != null) {
            return false;
        }
        clientFailure = failure;
        return true;
    }

    public synchronized Throwable clientFailure() {
        return clientFailure;
    }

    /** The proxy is reading the client's body (true) or has read all of it (false). */
    public void readingClientBody(boolean reading) {
        this.readingClientBody = reading;
    }

    /** The proxy has a write to the client under way (true) or none (false). */
    public void writingToClient(boolean writing) {
        this.writingToClient = writing;
    }

    /**
     * True while the exchange waits on the client: for the rest of its body, or for it to take the
     * response. A timeout then is the client's doing, even where it shows on the upstream side.
     */
    public boolean waitingForClient() {
        return readingClientBody || writingToClient;
    }

    /** The client connection is being cut: the response was committed when the exchange failed. */
    public void aborting() {
        this.aborting = true;
    }

    public boolean isAborting() {
        return aborting;
    }
}
