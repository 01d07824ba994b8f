package dev.gatewar.body;

import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.Enumeration;
import java.util.Map;

/**
 * A request whose body to buffer had not fully arrived when it went on down the chain. Headers and
 * other attributes answer at once. What needs the body (the JSON tree, form parameters, the stream)
 * waits for it on the calling thread and then answers as {@link JsonBodyRequest} or
 * {@link FormBodyRequest} would; the route servlet instead reads it without a thread through
 * {@link #pending()}. A refused body has no tree and no parameters, and its stream fails.
 */
public final class PendingBodyRequest extends HttpServletRequestWrapper {
    private final PendingBody pending;
    private final BodyKind kind;

    public PendingBodyRequest(HttpServletRequest request, BodyKind kind, PendingBody pending) {
        super(request);
        this.kind = kind;
        this.pending = pending;
    }

    public PendingBody pending() {
        return pending;
    }

    /** The request that hands the body on once it has arrived; null when the body was refused. */
    private BufferedBodyRequest arrived() {
        return pending.awaitVerdict() instanceof BodyVerdict.Accepted accepted ? accepted.request() : null;
    }

    /** The arrived request when the body has already been judged and accepted, without waiting. */
    private BufferedBodyRequest arrivedIfDecided() {
        return pending.verdict() instanceof BodyVerdict.Accepted accepted ? accepted.request() : null;
    }

    private static boolean isTree(String name) {
        return JsonBody.TREE_ATTRIBUTE.equals(name);
    }

    @Override
    public Object getAttribute(String name) {
        if (!isTree(name)) {
            return super.getAttribute(name);
        }
        BufferedBodyRequest arrived = arrived();
        return arrived == null ? null : arrived.getAttribute(name);
    }

    @Override
    public Enumeration<String> getAttributeNames() {
        BufferedBodyRequest arrived = arrivedIfDecided();
        if (arrived != null) {
            return arrived.getAttributeNames();
        }
        if (kind != BodyKind.JSON || pending.verdict() != null) {
            return super.getAttributeNames();
        }
        // Listed before the body arrives, as for a body that arrived with the head.
        return JsonBody.withTreeListed(super.getAttributeNames());
    }

    @Override
    public void setAttribute(String name, Object value) {
        BufferedBodyRequest arrived = isTree(name) ? arrived() : null;
        if (arrived != null) {
            arrived.setAttribute(name, value);
        } else {
            super.setAttribute(name, value);
        }
    }

    @Override
    public void removeAttribute(String name) {
        BufferedBodyRequest arrived = isTree(name) ? arrived() : null;
        if (arrived != null) {
            arrived.removeAttribute(name);
        } else {
            super.removeAttribute(name);
        }
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
        return bodyReader().getInputStream();
    }

    @Override
    public BufferedReader getReader() throws IOException {
        return bodyReader().getReader();
    }

    private BufferedBodyRequest bodyReader() throws IOException {
        BufferedBodyRequest arrived = arrived();
        if (arrived == null) {
            BodyVerdict.Refused refused = (BodyVerdict.Refused) pending.verdict();
            throw new IOException("The request body was refused: " + refused.message());
        }
        return arrived;
    }

    // Form parameters come from the body; a JSON request's come from the query, as the container has them.

    private HttpServletRequest parameterSource() {
        if (kind != BodyKind.FORM) {
            return (HttpServletRequest) getRequest();
        }
        BufferedBodyRequest arrived = arrived();
        return arrived != null ? arrived : new FormBodyRequest((HttpServletRequest) getRequest(), new byte[0]);
    }

    @Override
    public String getParameter(String name) {
        return parameterSource().getParameter(name);
    }

    @Override
    public Map<String, String[]> getParameterMap() {
        return parameterSource().getParameterMap();
    }

    @Override
    public Enumeration<String> getParameterNames() {
        return parameterSource().getParameterNames();
    }

    @Override
    public String[] getParameterValues(String name) {
        return parameterSource().getParameterValues(name);
    }

    // Framing headers: the client's until the body is judged, then those of the body handed on.

    @Override
    public int getContentLength() {
        BufferedBodyRequest arrived = arrivedIfDecided();
        return arrived != null ? arrived.getContentLength() : super.getContentLength();
    }

    @Override
    public long getContentLengthLong() {
        BufferedBodyRequest arrived = arrivedIfDecided();
        return arrived != null ? arrived.getContentLengthLong() : super.getContentLengthLong();
    }

    @Override
    public String getHeader(String name) {
        BufferedBodyRequest arrived = arrivedIfDecided();
        return arrived != null ? arrived.getHeader(name) : super.getHeader(name);
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
        BufferedBodyRequest arrived = arrivedIfDecided();
        return arrived != null ? arrived.getHeaders(name) : super.getHeaders(name);
    }

    @Override
    public Enumeration<String> getHeaderNames() {
        BufferedBodyRequest arrived = arrivedIfDecided();
        return arrived != null ? arrived.getHeaderNames() : super.getHeaderNames();
    }

    @Override
    public int getIntHeader(String name) {
        BufferedBodyRequest arrived = arrivedIfDecided();
        return arrived != null ? arrived.getIntHeader(name) : super.getIntHeader(name);
    }
}
