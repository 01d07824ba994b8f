package dev.gatewar;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
 *   attribute again, with a new tree or the same tree changed; then it receives the value
 *   serialised, with a corrected {@code Content-Length} and no {@code Transfer-Encoding}.</li>
 *   <li>A form body ({@code application/x-www-form-urlencoded}) is buffered under the same limit, so a
 *   later filter may call {@code getParameter()} and the upstream still receives the whole body.</li>
 *   <li>Every other body, and any body with a {@code Content-Encoding}, streams through untouched.</li>
 * </ul>
 *
 * <p>Map it before the proxy servlets, with {@code <async-supported>true</async-supported>}.
 *
 * <table>
 *   <caption>Init-params</caption>
 *   <tr><th>name</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>maxBodyBytes</td><td>largest JSON or form body read into memory, in bytes</td><td>1048576</td></tr>
 *   <tr><td>malformedJson</td><td>{@code reject} (400) or {@code forward} (unparsed, no attribute)</td><td>reject</td></tr>
 * </table>
 */
public class JsonBodyFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    /** Request attribute holding the parsed body, a Jackson {@code JsonNode}; set it to change the body. */
    public static final String PARSED_BODY = "dev.gatewar.json.body";

    public static final String MAX_BODY_BYTES = "maxBodyBytes";
    public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    public static final String MALFORMED_JSON = "malformedJson";
    public static final String MALFORMED_REJECT = "reject";
    public static final String MALFORMED_FORWARD = "forward";
    public static final String DEFAULT_MALFORMED_JSON = MALFORMED_REJECT;

    /** Every init-param name the filter accepts. */
    public static final Set<String> KNOWN_PARAMS = Set.of(MAX_BODY_BYTES, MALFORMED_JSON);

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            // Exact numbers, so that a replaced tree keeps 20-digit integers and 1.0 as written.
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            // The error message goes to the client: no echo of its document inside it.
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();

    /** Bodies up to this many bytes are read into an array of their declared length. */
    private static final int EXACT_READ_MAX = 64 * 1024;

    private static final StreamReadConstraints READ_LIMITS = MAPPER.getFactory().streamReadConstraints();

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
                    "The request body could not be read.", RequestId.of(request), true);
            return;
        }
        if (body == null) {
            tooLarge(request, response);
            return;
        }
        if (kind == BodyKind.FORM) {
            chain.doFilter(RestoredBodyRequest.form(request, body), response);
            return;
        }
        if (body.length > 0) {
            try {
                checkWellFormed(body);
            } catch (JsonProcessingException e) {
                if (rejectMalformed) {
                    JsonErrorResponse.send(response, HttpServletResponse.SC_BAD_REQUEST, malformedMessage(e),
                            RequestId.of(request), false);
                    return;
                }
                chain.doFilter(RestoredBodyRequest.unparsedJson(request, body), response);
                return;
            }
        }
        chain.doFilter(body.length > 0 ? RestoredBodyRequest.json(request, body, MAPPER)
                : RestoredBodyRequest.unparsedJson(request, body), response);
    }

    /**
     * Checks the document without building it: syntax, strings, escapes and number formats are
     * checked here, once, and the tree is built only if a later filter asks for it. The common, valid
     * case is settled by {@link StrictJsonScanner} at about half the cost of a Jackson tokenization;
     * anything it is not certain of is tokenized by Jackson, whose verdict and message stand.
     */
    static void checkWellFormed(byte[] body) throws IOException {
        if (!StrictJsonScanner.certainlyWellFormed(body, READ_LIMITS)) {
            tokenize(body);
        }
    }

    /** Jackson's verdict: exactly one JSON value, or the exception that says where it went wrong. */
    static void tokenize(byte[] body) throws IOException {
        try (JsonParser parser = MAPPER.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new JsonParseException(parser, "No content: the body holds no JSON value");
            }
            parser.skipChildren();
            if (parser.nextToken() != null) {
                throw new JsonParseException(parser, "Trailing token (" + parser.currentToken()
                        + ") after the first JSON value");
            }
        }
    }

    private static boolean hasBody(HttpServletRequest request) {
        return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    }

    private void tooLarge(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // The rest of the body is never read, so the connection cannot carry another request.
        JsonErrorResponse.send(response, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                "The request body is larger than the gateway accepts for this content type (" + maxBodyBytes + " bytes).",
                RequestId.of(request), true);
    }

    static String malformedMessage(JsonProcessingException e) {
        JsonLocation location = e.getLocation();
        String where = location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
        return "The request body is not valid JSON" + where + ": " + e.getOriginalMessage();
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
