package dev.gatewar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A request whose body {@link JsonBodyFilter} has already read: it hands the body on again, with
 * headers that match what is handed on.
 *
 * <p>The JSON tree is built the first time {@link JsonBodyFilter#PARSED_BODY} is read through this
 * request (the filter has already checked that the body parses), so a route where nobody looks at
 * the tree pays only for that check. While nobody replaced the tree, the body is exactly the bytes
 * the client sent. When a later filter sets the attribute (to a new tree, or to the same tree after
 * changing it), the body becomes that value serialised, and {@code Content-Length} follows. Either
 * way the body has a length, so {@code Transfer-Encoding} is hidden. What the proxy receives is fixed
 * the moment it first opens the body.
 */
final class RestoredBodyRequest extends HttpServletRequestWrapper {
    private static final String CONTENT_LENGTH = "content-length";
    private static final String TRANSFER_ENCODING = "transfer-encoding";

    private final byte[] original;
    /** Builds the JSON tree of {@link #original}; null for a form body or JSON forwarded unparsed. */
    private final ObjectMapper mapper;
    private final boolean form;
    /** The tree attribute has been built, set or removed: from now on it is what the attribute says. */
    private boolean treeSettled;
    private boolean treeSetAgain;
    private Object serialisedTree;
    private byte[] serialised;
    private byte[] handedOut;
    private ReplayInputStream stream;
    private BufferedReader reader;
    private Map<String, String[]> parameters;

    private RestoredBodyRequest(HttpServletRequest request, byte[] original, ObjectMapper mapper, boolean form) {
        super(request);
        this.original = original;
        this.mapper = mapper;
        this.form = form;
        this.treeSettled = mapper == null;
    }

    /** A JSON body known to parse with {@code mapper}, whose tree is built when first asked for. */
    static RestoredBodyRequest json(HttpServletRequest request, byte[] body, ObjectMapper mapper) {
        return new RestoredBodyRequest(request, body, mapper, false);
    }

    /** A JSON body forwarded unparsed: no tree attribute. */
    static RestoredBodyRequest unparsedJson(HttpServletRequest request, byte[] body) {
        return new RestoredBodyRequest(request, body, null, false);
    }

    /** A form body, whose parameters this request parses itself. */
    static RestoredBodyRequest form(HttpServletRequest request, byte[] body) {
        return new RestoredBodyRequest(request, body, null, true);
    }

    /** The body the upstream will receive, as things stand. */
    byte[] body() {
        if (handedOut != null) {
            return handedOut;
        }
        if (!treeSetAgain) {
            return original;
        }
        Object tree = super.getAttribute(JsonBodyFilter.PARSED_BODY);
        if (tree == null) {
            return original;
        }
        if (tree != serialisedTree || serialised == null) {
            try {
                serialised = mapper.writeValueAsBytes(tree);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("The value of request attribute " + JsonBodyFilter.PARSED_BODY
                        + " cannot be written as JSON: " + e.getOriginalMessage(), e);
            }
            serialisedTree = tree;
        }
        return serialised;
    }

    /**
     * Fixes the body as it stands and returns it, for a proxy that sends it without opening the
     * stream; later changes to the tree no longer count, as after {@link #getInputStream()}.
     */
    byte[] handOutBody() {
        handedOut = body();
        return handedOut;
    }

    @Override
    public Object getAttribute(String name) {
        if (!treeSettled && JsonBodyFilter.PARSED_BODY.equals(name)) {
            treeSettled = true;
            try {
                super.setAttribute(JsonBodyFilter.PARSED_BODY, mapper.readTree(original));
            } catch (IOException e) {
                // JsonBodyFilter parsed these very bytes before it made this request.
                throw new IllegalStateException("The request body no longer parses as JSON", e);
            }
        }
        return super.getAttribute(name);
    }

    @Override
    public Enumeration<String> getAttributeNames() {
        if (treeSettled) {
            return super.getAttributeNames();
        }
        List<String> names = Collections.list(super.getAttributeNames());
        names.add(JsonBodyFilter.PARSED_BODY);
        return Collections.enumeration(names);
    }

    @Override
    public void setAttribute(String name, Object value) {
        if (JsonBodyFilter.PARSED_BODY.equals(name)) {
            // Setting the tree again, even the same object, says "I changed it": serialise anew.
            treeSettled = true;
            treeSetAgain = mapper != null;
            serialised = null;
        }
        super.setAttribute(name, value);
    }

    @Override
    public void removeAttribute(String name) {
        if (JsonBodyFilter.PARSED_BODY.equals(name)) {
            treeSettled = true;
        }
        super.removeAttribute(name);
    }

    @Override
    public ServletInputStream getInputStream() {
        if (reader != null) {
            throw new IllegalStateException("getReader() has already been called for this request");
        }
        if (stream == null) {
            stream = new ReplayInputStream(handOutBody());
        }
        return stream;
    }

    @Override
    public BufferedReader getReader() {
        if (stream != null) {
            throw new IllegalStateException("getInputStream() has already been called for this request");
        }
        if (reader == null) {
            reader = new BufferedReader(new InputStreamReader(new ByteArrayInputStream(handOutBody()), charset()));
        }
        return reader;
    }

    private Charset charset() {
        String name = getCharacterEncoding();
        if (name == null) {
            return StandardCharsets.UTF_8;
        }
        try {
            return Charset.forName(name);
        } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
            return StandardCharsets.UTF_8;
        }
    }

    @Override
    public int getContentLength() {
        return body().length;
    }

    @Override
    public long getContentLengthLong() {
        return body().length;
    }

    @Override
    public String getHeader(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.equals(CONTENT_LENGTH)) {
            return Integer.toString(body().length);
        }
        if (lower.equals(TRANSFER_ENCODING)) {
            return null;
        }
        return super.getHeader(name);
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.equals(CONTENT_LENGTH)) {
            return Collections.enumeration(List.of(Integer.toString(body().length)));
        }
        if (lower.equals(TRANSFER_ENCODING)) {
            return Collections.emptyEnumeration();
        }
        return super.getHeaders(name);
    }

    @Override
    public int getIntHeader(String name) {
        if (name.equalsIgnoreCase(CONTENT_LENGTH)) {
            return body().length;
        }
        if (name.equalsIgnoreCase(TRANSFER_ENCODING)) {
            return -1;
        }
        return super.getIntHeader(name);
    }

    @Override
    public Enumeration<String> getHeaderNames() {
        List<String> names = new ArrayList<>();
        boolean hasLength = false;
        for (Enumeration<String> e = super.getHeaderNames(); e.hasMoreElements(); ) {
            String name = e.nextElement();
            if (name.equalsIgnoreCase(TRANSFER_ENCODING)) {
                continue;
            }
            hasLength |= name.equalsIgnoreCase(CONTENT_LENGTH);
            names.add(name);
        }
        if (!hasLength) {
            names.add("Content-Length");
        }
        return Collections.enumeration(names);
    }

    // Form parameters come from the buffered body, so the container never consumes the stream.

    private Map<String, String[]> parameters() {
        if (!form) {
            return null;
        }
        if (parameters == null) {
            parameters = FormParameters.parse(getQueryString(), original, charset());
        }
        return parameters;
    }

    @Override
    public String getParameter(String name) {
        Map<String, String[]> params = parameters();
        if (params == null) {
            return super.getParameter(name);
        }
        String[] values = params.get(name);
        return values == null ? null : values[0];
    }

    @Override
    public Map<String, String[]> getParameterMap() {
        Map<String, String[]> params = parameters();
        return params == null ? super.getParameterMap() : params;
    }

    @Override
    public Enumeration<String> getParameterNames() {
        Map<String, String[]> params = parameters();
        return params == null ? super.getParameterNames() : Collections.enumeration(params.keySet());
    }

    @Override
    public String[] getParameterValues(String name) {
        Map<String, String[]> params = parameters();
        if (params == null) {
            return super.getParameterValues(name);
        }
        String[] values = params.get(name);
        return values == null ? null : values.clone();
    }

}
