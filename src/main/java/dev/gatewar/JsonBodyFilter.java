package dev.gatewar;

import dev.gatewar.body.ArrivedBody;
import dev.gatewar.body.BodyKind;
import dev.gatewar.body.BodyVerdict;
import dev.gatewar.body.BufferedBodyRequest;
import dev.gatewar.body.BufferingPolicy;
import dev.gatewar.body.JsonBody;
import dev.gatewar.body.PendingBody;
import dev.gatewar.body.PendingBodyRequest;
import dev.gatewar.config.InitParamReader;
import dev.gatewar.exchange.Exchange;
import dev.gatewar.exchange.JsonErrorResponse;
import dev.gatewar.observe.GatewayObserver;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * Parses JSON request bodies once, for the filters that come after it (authentication, validation,
 * logging), and hands the body on to the proxy intact.
 *
 * <ul>
 *   <li>A JSON body ({@code application/json}, {@code application/*+json}) is read up to
 *   {@code maxBodyBytes}; a larger one is answered 413 without being read further. Malformed JSON is
 *   answered 400 with the line and column of the error, or forwarded unparsed when
 *   {@code malformedJson} is {@code forward}.</li>
 *   <li>The parsed tree is the request attribute {@link #PARSED_BODY} of the request passed down the
 *   chain, built when it is first read (the body is only checked up front, to reject malformed
 *   JSON). The upstream receives the client's bytes unchanged unless a later filter sets that
 *   attribute again, to a new tree or to the same tree after changing it; then it receives the value
 *   as serialised when it was set, with a corrected {@code Content-Length} and no
 *   {@code Transfer-Encoding}.</li>
 *   <li>A form body ({@code application/x-www-form-urlencoded}) is buffered under the same limit, so a
 *   later filter may call {@code getParameter()} and the upstream still receives the whole body.</li>
 *   <li>Every other body, and any body with a {@code Content-Encoding}, streams through untouched.</li>
 *   <li>A body that has not fully arrived with the request head holds no thread: the request goes on
 *   down the chain at once, a filter that asks for the tree or the parameters waits for the body,
 *   and the route servlet reads it without blocking, judges it the same way, and answers 408 when it
 *   stops arriving for {@code bodyIdleTimeout}.</li>
 * </ul>
 *
 * <p>Map it before the proxy servlets, with {@code <async-supported>true</async-supported>}. Its
 * init-params are in the README.
 */
public class JsonBodyFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    /** Request attribute holding the parsed body, a Jackson {@code JsonNode}; set it to change the body. */
    public static final String PARSED_BODY = JsonBody.TREE_ATTRIBUTE;

    public static final String MAX_BODY_BYTES = "maxBodyBytes";
    public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    public static final String MALFORMED_JSON = "malformedJson";
    public static final String MALFORMED_REJECT = "reject";
    public static final String MALFORMED_FORWARD = "forward";
    public static final String DEFAULT_MALFORMED_JSON = MALFORMED_REJECT;
    public static final String BODY_IDLE_TIMEOUT = "bodyIdleTimeout";
    public static final long DEFAULT_BODY_IDLE_TIMEOUT_MS = 30_000;

    /** Every init-param name the filter accepts. */
    public static final Set<String> KNOWN_PARAMS = Set.of(MAX_BODY_BYTES, MALFORMED_JSON, BODY_IDLE_TIMEOUT);

    private transient BufferingPolicy policy;
    private transient GatewayObserver observer;

    @Override
    public void init(FilterConfig config) throws ServletException {
        InitParamReader params = new InitParamReader("filter '" + config.getFilterName() + "'", config::getInitParameter);
        params.rejectUnknown(Collections.list(config.getInitParameterNames()), KNOWN_PARAMS, Map.of());
        int max = params.positiveInt(MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES, "bytes");
        String malformed = params.oneOf(MALFORMED_JSON, DEFAULT_MALFORMED_JSON, Set.of(MALFORMED_REJECT, MALFORMED_FORWARD));
        long idleTimeout = params.positiveLong(BODY_IDLE_TIMEOUT, DEFAULT_BODY_IDLE_TIMEOUT_MS, "milliseconds");
        params.throwIfInvalid();
        this.policy = new BufferingPolicy(max, malformed.equals(MALFORMED_REJECT), idleTimeout);
        this.observer = GatewayObserver.open(config.getServletContext());
        super.init(config);
    }

    @Override
    public void destroy() {
        if (observer != null) {
            observer.close();
            observer = null;
        }
        super.destroy();
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        BodyKind kind = BodyKind.of(request);
        if (kind == BodyKind.OTHER || !hasBody(request)) {
            chain.doFilter(request, response);
            return;
        }
        long length = request.getContentLengthLong();
        if (length > policy.maxBodyBytes()) {
            refuse(request, response, policy.tooLarge());
            return;
        }
        ServletInputStream in = request.getInputStream();
        Exchange exchange = Exchange.of(request);
        ArrivedBody arrived = null;
        BodyVerdict verdict = null;
        try {
            arrived = length >= 0 ? ArrivedBody.read(in, length) : null;
        } catch (IOException e) {
            verdict = BodyVerdict.Refused.forClientFailure(e);
        }
        if (verdict == null && arrived != null && arrived.complete()) {
            // It has all arrived with the head: judged now, without waiting.
            exchange.received(arrived.size());
            verdict = policy.judge(request, kind, arrived.bytes());
        }
        if (verdict != null) {
            if (verdict instanceof BodyVerdict.Refused refused) {
                refuse(request, response, refused);
                return;
            }
            BufferedBodyRequest buffered = ((BodyVerdict.Accepted) verdict).request();
            exchange.bodyBuffered(buffered, buffered.body());
            chain.doFilter(buffered, response);
            return;
        }
        // Still arriving: the chain goes on now, and nothing waits for the body unless it asks for it.
        PendingBodyRequest pending = new PendingBodyRequest(request, kind, new PendingBody(request, kind, policy, arrived));
        exchange.bodyPending(pending, pending.pending());
        chain.doFilter(pending, response);
    }

    private static boolean hasBody(HttpServletRequest request) {
        return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    }

    /** Answers a body the gateway will not forward; the exchange ends here, before any route. */
    private void refuse(HttpServletRequest request, HttpServletResponse response, BodyVerdict.Refused refused)
            throws IOException {
        Exchange exchange = Exchange.of(request);
        exchange.bodyRefused(refused);
        if (refused.clientFailure() != null) {
            exchange.clientFailed(refused.clientFailure());
        }
        try {
            JsonErrorResponse.send(response, refused.status(), refused.message(), exchange, refused.closeConnection());
        } finally {
            observer.recorder().ended(exchange, response);
        }
    }
}
