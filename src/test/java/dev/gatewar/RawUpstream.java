package dev.gatewar;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An upstream that misbehaves on purpose at the socket level: it accepts connections on 127.0.0.1
 * and hands each one to a behaviour (never answer, reset, die mid-body). Sockets it holds open are
 * closed when the test ends, never by a timer.
 */
final class RawUpstream implements AutoCloseable {
    /** What to do with an accepted connection. */
    interface Behaviour {
        void handle(Socket socket) throws IOException, InterruptedException;
    }

    private final ServerSocket serverSocket;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final CountDownLatch accepted = new CountDownLatch(1);
    private final Thread acceptor;

    RawUpstream(Behaviour behaviour) throws IOException {
        serverSocket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!serverSocket.isClosed()) {
                try {
                    Socket socket = serverSocket.accept();
                    sockets.add(socket);
                    accepted.countDown();
                    Thread worker = new Thread(() -> {
                        try {
                            behaviour.handle(socket);
                        } catch (IOException | InterruptedException ignored) {
                            // the peer went away, or the test ended
                        }
                    }, "raw-upstream-conn");
                    worker.setDaemon(true);
                    worker.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "raw-upstream-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Accepts and keeps the connection open without ever answering. */
    static Behaviour neverAnswers() {
        return socket -> socket.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
    }

    /** Reads the request head, then resets the connection (TCP RST, no response). */
    static Behaviour resetsAfterHead() {
        return socket -> {
            readHead(socket);
            socket.setSoLinger(true, 0);
            socket.close();
        };
    }

    /**
     * Starts a chunked 200 response and sends one chunk; once {@code clientSawChunk} opens (the
     * client received that chunk through the gateway), resets the connection.
     */
    static Behaviour diesMidBody(CountDownLatch clientSawChunk) {
        return socket -> {
            readHead(socket);
            socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "d\r\ndata: hello\n\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            if (clientSawChunk.await(20, TimeUnit.SECONDS)) {
                socket.setSoLinger(true, 0);
            }
            socket.close();
        };
    }

    /**
     * Answers 200 with {@code Content-Length: 10}, sends {@code hello}, and sends {@code world} only
     * once {@code clientSawFirstPart} opens (the client received the first part through the gateway).
     */
    static Behaviour sendsSizedBodyInTwoParts(CountDownLatch clientSawFirstPart) {
        return socket -> {
            readHead(socket);
            var out = socket.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhello"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            if (clientSawFirstPart.await(20, TimeUnit.SECONDS)) {
                out.write("world".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
            }
            socket.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        };
    }

    /**
     * Reads a request head and opens {@code headArrived}, then reads the {@code Content-Length} body
     * and answers 200 with that body echoed.
     */
    static Behaviour echoesBodyAfterHead(CountDownLatch headArrived) {
        return socket -> {
            String head = readHeadText(socket);
            headArrived.countDown();
            int length = 0;
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            byte[] body = socket.getInputStream().readNBytes(length);
            var out = socket.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            socket.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        };
    }

    static void readHead(Socket socket) throws IOException {
        var in = socket.getInputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                return;
            }
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
    }

    private static String readHeadText(Socket socket) throws IOException {
        var in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || head.lastIndexOf("\r\n\r\n") != head.length() - 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }

    String url() {
        return "http://127.0.0.1:" + serverSocket.getLocalPort();
    }

    boolean awaitAccepted() throws InterruptedException {
        return accepted.await(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws IOException {
        serverSocket.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
