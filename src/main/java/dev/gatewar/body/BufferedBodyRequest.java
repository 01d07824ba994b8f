package dev.gatewar.body;

import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * A request whose body was read into memory: it hands the body on again, as often as asked, with
 * framing headers that match it. The body has a length, so {@code Content-Length} is its length and
 * {@code Transfer-Encoding} is hidden. What a reader gets is fixed the moment it first opens the body.
 */
public class BufferedBodyRequest extends HttpServletRequestWrapper {
    private static final String CONTENT_LENGTH = "Content-Length";
    private static final String TRANSFER_ENCODING = "Transfer-Encoding";

    private final BufferedBody body;
    private ReplayInputStream stream;
    private BufferedReader reader;

    public BufferedBodyRequest(HttpServletRequest request, BufferedBody body) {
        super(request);
        this.body = body;
    }

    /** The body this request hands on. */
    public final BufferedBody body() {
        return body;
    }

    @Override
    public ServletInputStream getInputStream() {
        if (reader != null) {
            throw new IllegalStateException("getReader() has already been called for this request");
        }
        if (stream == null) {
            stream = new ReplayInputStream(body.content());
        }
        return stream;
    }

    @Override
    public BufferedReader getReader() {
        if (stream != null) {
            throw new IllegalStateException("getInputStream() has already been called for this request");
        }
        if (reader == null) {
            reader = new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body.content()), charset()));
        }
        return reader;
    }

    /** The request's declared charset, UTF-8 when it names none or one this JVM lacks. */
    protected final Charset charset() {
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
        return body.length();
    }

    @Override
    public long getContentLengthLong() {
        return body.length();
    }

    @Override
    public String getHeader(String name) {
        if (name.equalsIgnoreCase(CONTENT_LENGTH)) {
            return Integer.toString(body.length());
        }
        return name.equalsIgnoreCase(TRANSFER_ENCODING) ? null : super.getHeader(name);
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
        if (name.equalsIgnoreCase(CONTENT_LENGTH)) {
            return Collections.enumeration(List.of(Integer.toString(body.length())));
        }
        return name.equalsIgnoreCase(TRANSFER_ENCODING) ? Collections.emptyEnumeration() : super.getHeaders(name);
    }

    @Override
    public int getIntHeader(String name) {
        if (name.equalsIgnoreCase(CONTENT_LENGTH)) {
            return body.length();
        }
        return name.equalsIgnoreCase(TRANSFER_ENCODING) ? -1 : super.getIntHeader(name);
    }

    @Override
    public Enumeration<String> getHeaderNames() {
        List<String> names = new ArrayList<>();
        boolean hasLength = false;
        for (Enumeration<String> e = super.getHeaderNames(); e.hasMoreElements(); ) {
            String name = e.nextElement();
            if (!name.equalsIgnoreCase(TRANSFER_ENCODING)) {
                hasLength |= name.equalsIgnoreCase(CONTENT_LENGTH);
                names.add(name);
            }
        }
        if (!hasLength) {
            names.add(CONTENT_LENGTH);
        }
        return Collections.enumeration(names);
    }
}
