package dev.gatewar.exchange;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import jakarta.servlet.http.HttpServletResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one shape of every response the gateway makes itself:
 * {@code {"message": "...", "requestId": "..."}} with {@code Content-Type: application/json}. The
 * message is a sentence for a person; it never holds a stack trace or an upstream address.
 */
public final class JsonErrorResponse {
    private static final JsonFactory JSON = new JsonFactory();

    private JsonErrorResponse() {
    }

    /**
     * Replaces whatever the response holds (status, headers, buffered bytes) with the error. Does
     * nothing once the response is committed: bytes are on their way, or the container answered
     * itself (Tomcat does when reading the body failed).
     *
     * @param closeConnection true when the request body was not read, so the connection cannot be reused
     */
    public static void send(HttpServletResponse response, int status, String message, Exchange exchange, boolean closeConnection)
            throws IOException {
        send(response, status, message, exchange, closeConnection, null);
    }

    /** As {@link #send(HttpServletResponse, int, String, Exchange, boolean)}, with an {@code Allow} header (for 405). */
    public static void send(HttpServletResponse response, int status, String message, Exchange exchange, boolean closeConnection,
                            String allow) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        String requestId = exchange.requestId();
        byte[] body = body(message, requestId);
        response.reset();
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(body.length);
        response.setHeader("Cache-Control", "no-store");
        response.setHeader(RequestId.HEADER, requestId);
        if (closeConnection) {
            response.setHeader("Connection", "close");
        }
        if (allow != null) {
            response.setHeader("Allow", allow);
        }
        exchange.sent(body.length);
        response.getOutputStream().write(body);
        response.flushBuffer();
    }

    static byte[] body(String message, String requestId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("message", message);
            json.writeStringField("requestId", requestId);
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }
}
