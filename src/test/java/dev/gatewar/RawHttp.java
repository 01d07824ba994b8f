package dev.gatewar;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Deliberately plain HTTP/1.1 over sockets, for both sides of the gateway: clients that send what
 * {@code java.net.http} will not send or would hide (raw targets, chunked bodies, hop-by-hop headers,
 * incomplete responses), and {@link RawUpstream}'s behaviours reading what the gateway forwarded.
 * Messages to send are built with {@link RawMessage}; this class reads them.
 */
final class RawHttp {
    /** How long a read may wait; a test that waits this long has failed. */
    private static final int READ_TIMEOUT_MS = 20_000;

    /** A response as bytes on the wire; {@code complete} says whether its framing finished. */
    record Reply(int status, String head, byte[] body, boolean complete) {
        String header(String name) {
            return RawHttp.header(head, name);
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A client connection to the gateway, for tests that read a response as it arrives. */
    static final class Connection implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        /** What {@link #readUntil} and {@link #readToEnd} read so far, a char a byte. */
        private final StringBuilder received = new StringBuilder();

        Connection(int port) throws IOException {
            this(port, null);
        }

        /** A connection from {@code localAddress} (any 127.x.y.z is this machine), or from the default when null. */
        Connection(int port, InetAddress localAddress) throws IOException {
            socket = localAddress == null ? new Socket(InetAddress.getLoopbackAddress(), port)
                    : new Socket(InetAddress.getLoopbackAddress(), port, localAddress, 0);
            socket.setSoTimeout(READ_TIMEOUT_MS);
            // Buffered: a read returns what has arrived, without a system call per byte.
            in = new BufferedInputStream(socket.getInputStream());
        }

        Connection send(byte[] bytes) throws IOException {
            output().write(bytes);
            output().flush();
            return this;
        }

        Connection send(RawMessage message) throws IOException {
            return send(message.bytes());
        }

        /** The raw output, for a writer that keeps sending while the test reads. */
        OutputStream output() throws IOException {
            return socket.getOutputStream();
        }

        /** Reads one whole response. */
        Reply readReply() throws IOException {
            return read(in);
        }

        /**
         * Reads until what arrived on this connection contains {@code marker}, and returns all of it;
         * fails if the connection closes first.
         */
        String readUntil(String marker) throws IOException {
            while (received.indexOf(marker) < 0) {
                int b = in.read();
                if (b < 0) {
                    throw new AssertionError("connection closed before '" + marker + "' arrived: " + received);
                }
                received.append((char) b);
            }
            return received.toString();
        }

        /** Reads until the gateway closes or resets the connection, and returns all that arrived on it. */
        String readToEnd() throws IOException {
            try {
                for (int b = in.read(); b >= 0; b = in.read()) {
                    received.append((char) b);
                }
            } catch (SocketException reset) {
                // an aborted connection may arrive as a reset: the end either way
            }
            return received.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private RawHttp() {
    }

    /** Sends {@code request} as is on a new connection and reads one response. */
    static Reply exchange(int port, byte[] request) throws IOException {
        try (Connection connection = new Connection(port)) {
            return connection.send(request).readReply();
        }
    }

    static Reply exchange(int port, RawMessage request) throws IOException {
        return exchange(port, request.bytes());
    }

    /** As {@link #exchange(int, RawMessage)}, from the client address {@code localAddress}. */
    static Reply exchangeFrom(InetAddress localAddress, int port, RawMessage request) throws IOException {
        try (Connection connection = new Connection(port, localAddress)) {
            return connection.send(request).readReply();
        }
    }

    /** Reads one response: its head, then its body as framed (chunked, sized, or up to the close). */
    private static Reply read(InputStream in) throws IOException {
        String head = readHead(in);
        int status = Integer.parseInt(head.substring(9, 12));
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean complete;
        try {
            complete = readBody(in, head, body, true);
        } catch (SocketTimeoutException | SocketException e) {
            complete = false;
        }
        return new Reply(status, head, body.toByteArray(), complete);
    }

    /** Reads a request or response head, up to and with its blank line. */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before a complete head: " + head);
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * Reads the body that {@code head} frames into {@code body}: chunked, {@code Content-Length},
     * or else (a response only) everything up to the close. Returns whether the framing finished.
     */
    static boolean readBody(InputStream in, String head, ByteArrayOutputStream body, boolean isResponse) throws IOException {
        String encoding = header(head, "Transfer-Encoding");
        if (encoding != null && encoding.toLowerCase(Locale.ROOT).endsWith("chunked")) {
            return readChunked(in, body);
        }
        String length = header(head, "Content-Length");
        if (length != null) {
            long expected = Long.parseLong(length);
            return copy(in, body, expected) == expected;
        }
        if (isResponse) {
            in.transferTo(body);
        }
        return true;
    }

    /** The value of the first field called {@code name} in a head, or null. */
    static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static boolean readChunked(InputStream in, ByteArrayOutputStream body) throws IOException {
        while (true) {
            String sizeLine = readLine(in);
            if (sizeLine == null) {
                return false;
            }
            int semicolon = sizeLine.indexOf(';');
            int size = Integer.parseInt((semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim(), 16);
            if (size == 0) {
                String trailer;
                do {
                    trailer = readLine(in);
                    if (trailer == null) {
                        return false;
                    }
                } while (!trailer.isEmpty());
                return true;
            }
            if (copy(in, body, size) < size || readLine(in) == null) {
                return false;
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            line.append((char) b);
        }
        return null;
    }

    private static long copy(InputStream in, ByteArrayOutputStream out, long count) throws IOException {
        byte[] buffer = new byte[8192];
        long copied = 0;
        while (copied < count) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, count - copied));
            if (n < 0) {
                break;
            }
            out.write(buffer, 0, n);
            copied += n;
        }
        return copied;
    }
}
