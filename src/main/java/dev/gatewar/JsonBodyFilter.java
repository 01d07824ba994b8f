package dev.gatewar;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.gatewar.body.BodyKind;
import dev.gatewar.body.BufferedBodyRequest;
import dev.gatewar.body.ExactBody;
import dev.gatewar.body.FormBodyRequest;
import dev.gatewar.body.JsonBody;
import dev.gatewar.body.JsonBodyRequest;
import dev.gatewar.body.JsonSyntax;
import dev.gatewar.config.InitParamReader;
import dev.gatewar.exchange.Exchange;
import dev.gatewar.exchange.JsonErrorResponse;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
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

    /** Every init-param name the filter accepts. */
    public static final Set<String> KNOWN_PARAMS = Set.of(MAX_BODY_BYTES, MALFORMED_JSON);

    /** Bodies up to this many bytes are read into an array of their declared length. */
    private static final int EXACT_READ_MAX = 64 * 1024;

    private transient int maxBodyBytes;
    private transient boolean rejectMalformed;

    @Override
    public void init(FilterConfig config) throws ServletException {
        InitParamReader params = new InitParamReader("filter '" + config.getFilterName() + "'", config::getInitParameter);
        params.rejectUnknown(Collections.list(config.getInitParameterNames()), KNOWN_PARAMS, Map.of());
        int max = params.positiveInt(MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES, "bytes");
        String malformed = params.oneOf(MALFORMED_JSON, DEFAULT_MALFORMED_JSON, Set.of(MALFORMED_REJECT, MALFORMED_FORWARD));
        params.throwIfInvalid();
        this.maxBodyBytes = max;
        this.rejectMalformed = malformed.equals(MALFORMED_REJECT);
        super.init(config);
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
        if (length > maxBodyBytes) {
            tooLarge(request, response);
            return;
        }
        byte[] body;
        try {
            // Only small bodies get their whole array up front: a client announcing a large body it
            // never sends must not make the gateway reserve maxBodyBytes for it.
            body = length >= 0 && length <= EXACT_READ_MAX ? readExactly(request.getInputStream(), (int) length)
                    : readAtMost(request.getInputStream(), maxBodyBytes);
        } catch (IOException e) {
            // The client went away or stalled mid-body; tell it, if it still listens.
            JsonErrorResponse.send(response, HttpServletResponse.SC_BAD_REQUEST,
                    "The request body could not be read.", Exchange.of(request).requestId(), true);
            return;
        }
        if (body == null) {
            tooLarge(request, response);
            return;
        }
        BufferedBodyRequest buffered;
        if (kind == BodyKind.FORM) {
            buffered = new FormBodyRequest(request, body);
        } else if (body.length == 0) {
            buffered = new BufferedBodyRequest(request, new ExactBody(body));
        } else {
            try {
                JsonSyntax.check(body);
                buffered = new JsonBodyRequest(request, new JsonBody(body));
            } catch (JsonProcessingException e) {
                if (rejectMalformed) {
                    JsonErrorResponse.send(response, HttpServletResponse.SC_BAD_REQUEST, JsonSyntax.malformedMessage(e),
                            Exchange.of(request).requestId(), false);
                    return;
                }
                buffered = new BufferedBodyRequest(request, new ExactBody(body));
            }
        }
        Exchange.of(request).bodyBuffered(buffered, buffered.body());
        chain.doFilter(buffered, response);
    }

    private static boolean hasBody(HttpServletRequest request) {
        return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    }

    private void tooLarge(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // The rest of the body is never read, so the connection cannot carry another request.
        JsonErrorResponse.send(response, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                "The request body is larger than the gateway accepts for this content type (" + maxBodyBytes + " bytes).",
                Exchange.of(request).requestId(), true);
    }

    /**
     * A body of known length, read straight into an array of that size: the container ends the stream
     * at {@code Content-Length}, so nothing is left to check after it.
     */
    static byte[] readExactly(InputStream in, int length) throws IOException {
        byte[] bytes = new byte[length];
        int read = in.readNBytes(bytes, 0, length);
        if (read < length) {
            throw new EOFException("The body ended after " + read + " of " + length + " bytes");
        }
        return bytes;
    }

    /** The whole stream, or null as soon as it proves longer than {@code limit}. */
    static byte[] readAtMost(InputStream in, int limit) throws IOException {
        byte[] bytes = in.readNBytes(limit);
        if (bytes.length == limit && in.read() >= 0) {
            return null;
        }
        return bytes;
    }
}
