package dev.gatewar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One HTTP/1.1 message as the bytes a test puts on the wire: a request a client sends the gateway, or
 * a response a {@link RawUpstream} sends back. Targets and field values go out exactly as given.
 * Requests carry {@code Host: gw} unless {@link #host} says otherwise. A body is framed by a
 * {@code Content-Length} computed from it, unless the message is {@link #chunked} or
 * {@linkplain #contentLength declares} another length.
 */
final class RawMessage {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private final String startLine;
    private String host;
    private final List<String> fields = new ArrayList<>();
    private final byte[] body;
    private Long declaredLength;
    /** Sizes of the chunks before the last; null: framed by Content-Length, if there is a body. */
    private int[] chunkSizes;

    private RawMessage(String startLine, String host, byte[] body) {
        this.startLine = startLine;
        this.host = host;
        this.body = body;
    }

    static RawMessage get(String target) {
        return new RawMessage("GET " + target + " HTTP/1.1", "gw", null);
    }

    static RawMessage post(String target, String contentType, byte[] body) {
        return new RawMessage("POST " + target + " HTTP/1.1", "gw", body).header("Content-Type", contentType);
    }

    /** A request of any method with a body, e.g. a PUT. */
    static RawMessage withBody(String method, String target, String contentType, byte[] body) {
        return new RawMessage(method + " " + target + " HTTP/1.1", "gw", body).header("Content-Type", contentType);
    }

    /** A POST of {@code body} in UTF-8. */
    static RawMessage post(String target, String contentType, String body) {
        return post(target, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    /** A {@code 200 OK} response of {@code body} in UTF-8. */
    static RawMessage ok(String contentType, String body) {
        return ok(contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    static RawMessage ok(String contentType, byte[] body) {
        return new RawMessage("HTTP/1.1 200 OK", null, body).header("Content-Type", contentType);
    }

    /** One chunk of a chunked body: its size line, the data and the CRLF after it. */
    static byte[] chunk(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        out.writeBytes(CRLF);
        return out.toByteArray();
    }

    static byte[] chunk(String data) {
        return chunk(data.getBytes(StandardCharsets.UTF_8));
    }

    RawMessage header(String name, String value) {
        fields.add(name + ": " + value);
        return this;
    }

    RawMessage host(String value) {
        this.host = value;
        return this;
    }

    /** Asks the peer to close the connection after this exchange ({@code Connection: close}). */
    RawMessage connectionClose() {
        return header("Connection", "close");
    }

    /**
     * Sends the body as chunks of {@code sizes} bytes, then one chunk of the rest (when any is left),
     * then the last chunk; with no sizes, one chunk of it all.
     */
    RawMessage chunked(int... sizes) {
        this.chunkSizes = sizes;
        return this;
    }

    /** Declares {@code length} bytes, whatever the body holds: for a head whose body comes later or never. */
    RawMessage contentLength(long length) {
        this.declaredLength = length;
        return this;
    }

    /** The start line and the fields, up to and with the blank line. */
    byte[] head() {
        StringBuilder head = new StringBuilder(startLine).append("\r\n");
        if (host != null) {
            head.append("Host: ").append(host).append("\r\n");
        }
        for (String field : fields) {
            head.append(field).append("\r\n");
        }
        if (chunkSizes != null) {
            head.append("Transfer-Encoding: chunked\r\n");
        } else if (declaredLength != null || body != null) {
            head.append("Content-Length: ").append(declaredLength != null ? declaredLength : body.length).append("\r\n");
        }
        return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The whole message: head, then the body as framed. */
    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head());
        byte[] content = body == null ? new byte[0] : body;
        if (chunkSizes == null) {
            out.writeBytes(content);
            return out.toByteArray();
        }
        int at = 0;
        for (int size : chunkSizes) {
            out.writeBytes(chunk(Arrays.copyOfRange(content, at, at + size)));
            at += size;
        }
        if (at < content.length) {
            out.writeBytes(chunk(Arrays.copyOfRange(content, at, content.length)));
        }
        out.writeBytes(LAST_CHUNK);
        return out.toByteArray();
    }
}
