package dev.gatewar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A deliberately plain HTTP/1.1 client over a socket, for what {@code java.net.http} will not send
 * or will hide: raw targets, chunked bodies, hop-by-hop headers, incomplete responses.
 */
final class RawHttp {
    /** A response as bytes on the wire; {@code complete} says whether its framing finished. */
    record Reply(int status, String head, byte[] body, boolean complete) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private RawHttp() {
    }

    /** Sends {@code request} as is on a new connection and reads one response. */
    static Reply exchange(int port, byte[] request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            return read(socket.getInputStream());
        }
    }

    static Reply exchange(int port, String request) throws IOException {
        return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1));
    }

    static Reply read(InputStream in) throws IOException {
        String head = readHead(in);
        int status = Integer.parseInt(head.substring(9, 12));
        String lower = head.toLowerCase(Locale.ROOT);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean complete;
        try {
            if (lower.contains("\r\ntransfer-encoding: chunked")) {
                complete = readChunked(in, body);
            } else {
                Reply partial = new Reply(status, head, new byte[0], true);
                String length = partial.header("Content-Length");
                if (length != null) {
                    long expected = Long.parseLong(length);
                    complete = copy(in, body, expected) == expected;
                } else {
                    in.transferTo(body);
                    complete = true;
                }
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            complete = false;
        }
        return new Reply(status, head, body.toByteArray(), complete);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before a complete response head: " + head);
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
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
