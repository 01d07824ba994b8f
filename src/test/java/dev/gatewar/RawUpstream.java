package dev.gatewar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

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
        return RawUpstream::drain;
    }

    /** Reads the request head, then resets the connection (TCP RST, no response). */
    static Behaviour resetsAfterHead() {
        return socket -> {
            RawHttp.readHead(socket.getInputStream());
            socket.setSoLinger(true, 0);
            socket.close();
        };
    }

    /** As {@link #resetsAfterHead()}, adding each request head to {@code heads} before the reset. */
    static Behaviour resetsAfterHead(Queue<String> heads) {
        return socket -> {
            heads.add(RawHttp.readHead(socket.getInputStream()));
            socket.setSoLinger(true, 0);
            socket.close();
        };
    }

    /**
     * Reads the whole request (head and body, sized or chunked), adds it to {@code requests} as the
     * head followed by the body in UTF-8, then resets the connection (TCP RST, no response): the
     * request certainly reached the upstream.
     */
    static Behaviour resetsAfterBody(Queue<String> requests) {
        return socket -> {
            InputStream in = socket.getInputStream();
            String head = RawHttp.readHead(in);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            RawHttp.readBody(in, head, body, false);
            requests.add(head + body.toString(StandardCharsets.UTF_8));
            socket.setSoLinger(true, 0);
            socket.close();
        };
    }

    /**
     * Answers every request on the connection, kept alive, with what {@code answer} gives for its
     * head (the request's body, if any, is read and dropped), each answer in one write.
     */
    static Behaviour answersEach(Function<String, byte[]> answer) {
        return socket -> {
            InputStream in = socket.getInputStream();
            while (true) {
                String head;
                try {
                    head = RawHttp.readHead(in);
                } catch (IOException closed) {
                    return; // the gateway closed its kept-alive connection
                }
                RawHttp.readBody(in, head, new ByteArrayOutputStream(), false);
                socket.getOutputStream().write(answer.apply(head));
                socket.getOutputStream().flush();
            }
        };
    }

    /**
     * Starts a chunked 200 response and sends one chunk; once {@code clientSawChunk} opens (the
     * client received that chunk through the gateway), resets the connection.
     */
    static Behaviour diesMidBody(CountDownLatch clientSawChunk) {
        return socket -> {
            if (answerInPart(socket, clientSawChunk,
                    RawMessage.ok("text/event-stream", "").chunked().head(), RawMessage.chunk("data: hello\n\n"))) {
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
            if (answerInPart(socket, clientSawFirstPart,
                    RawMessage.ok("text/plain", "helloworld").head(), "hello".getBytes(StandardCharsets.US_ASCII))) {
                socket.getOutputStream().write("world".getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
            }
            drain(socket);
        };
    }

    /**
     * Reads a request head and opens {@code headArrived}, then reads the body and answers 200 with
     * that body echoed.
     */
    static Behaviour echoesBodyAfterHead(CountDownLatch headArrived) {
        return socket -> {
            InputStream in = socket.getInputStream();
            String head = RawHttp.readHead(in);
            headArrived.countDown();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            RawHttp.readBody(in, head, body, false);
            socket.getOutputStream().write(RawMessage.ok("text/plain", body.toByteArray()).bytes());
            socket.getOutputStream().flush();
            drain(socket);
        };
    }

    /**
     * Reads a request head with a {@code Content-Length} and the first {@code firstBytes} of its body,
     * opens {@code firstBytesArrived}, then reads the rest and answers 200 with the whole body echoed.
     */
    static Behaviour echoesBodyAfterFirstBytes(int firstBytes, CountDownLatch firstBytesArrived) {
        return socket -> {
            InputStream in = socket.getInputStream();
            String head = RawHttp.readHead(in);
            int length = Integer.parseInt(RawHttp.header(head, "Content-Length").trim());
            byte[] first = in.readNBytes(firstBytes);
            firstBytesArrived.countDown();
            byte[] rest = in.readNBytes(length - first.length);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.write(first);
            body.write(rest);
            socket.getOutputStream().write(RawMessage.ok("text/plain", body.toByteArray()).bytes());
            socket.getOutputStream().flush();
            drain(socket);
        };
    }

    /**
     * Reads the request head, sends {@code parts} of an answer, and waits until {@code clientSaw}
     * opens (the client received them through the gateway); false if it never does.
     */
    private static boolean answerInPart(Socket socket, CountDownLatch clientSaw, byte[]... parts)
            throws IOException, InterruptedException {
        RawHttp.readHead(socket.getInputStream());
        OutputStream out = socket.getOutputStream();
        for (byte[] part : parts) {
            out.write(part);
        }
        out.flush();
        return clientSaw.await(20, TimeUnit.SECONDS);
    }

    /** Reads and drops whatever else arrives, until the gateway or the test closes the connection. */
    private static void drain(Socket socket) throws IOException {
        socket.getInputStream().transferTo(OutputStream.nullOutputStream());
    }

    String url() {
        return "http://127.0.0.1:" + port();
    }

    int port() {
        return serverSocket.getLocalPort();
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

    /**
     * A port where connecting times out: it listens but never accepts, and its accept queue is
     * filled by connections of its own, so the kernel drops further connection attempts (Linux
     * drops a SYN to a full accept queue): the gateway's {@code connectTimeout} decides.
     */
    static final class FullBacklog implements AutoCloseable {
        private final ServerSocket serverSocket;
        private final List<Socket> fillers = new ArrayList<>();

        FullBacklog() throws IOException {
            serverSocket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            try {
                while (true) {
                    if (fillers.size() > 16) {
                        throw new IllegalStateException("connecting to a full accept queue does not time out here");
                    }
                    Socket filler = new Socket();
                    try {
                        filler.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port()), 200);
                        fillers.add(filler);
                    } catch (SocketTimeoutException full) {
                        filler.close();
                        return;
                    }
                }
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
        }

        int port() {
            return serverSocket.getLocalPort();
        }

        String url() {
            return "http://127.0.0.1:" + port();
        }

        @Override
        public void close() throws IOException {
            for (Socket filler : fillers) {
                filler.close();
            }
            serverSocket.close();
        }
    }
}
