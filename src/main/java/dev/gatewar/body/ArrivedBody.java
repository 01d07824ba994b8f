package dev.gatewar.body;

import jakarta.servlet.ServletInputStream;

import java.io.IOException;

/**
 * The part of a small body of declared length that came with the request head, read at once and
 * without blocking.
 *
 * <p>{@link ServletInputStream#available()} is only a hint, and the containers differ: Jetty gives
 * the bytes it holds, Tomcat gives 1 when its connector holds bytes that its own buffer has not
 * taken yet. Asking {@code available() >= length} therefore never held on Tomcat, and every body
 * there took a {@code ReadListener} round trip through a container dispatch. A read after
 * {@code available() > 0} returns what is buffered without waiting, on both; so this reads while
 * anything is buffered, and leaves what has not arrived to the non-blocking path.
 */
public final class ArrivedBody {
    /** Larger bodies are only taken when all of them is reported buffered (no large array for a few bytes). */
    public static final int MAX_BYTES = 64 * 1024;

    private final byte[] bytes;
    private final int size;

    private ArrivedBody(byte[] bytes, int size) {
        this.bytes = bytes;
        this.size = size;
    }

    /**
     * Reads what has arrived of a body of {@code length} bytes; null when nothing has (nothing read).
     *
     * @param length the declared length, 0 to {@link #MAX_BYTES}, or larger when {@code available()}
     *               already reports all of it
     */
    public static ArrivedBody read(ServletInputStream in, long length) throws IOException {
        int available = in.available();
        if (available <= 0 || length <= 0 || (length > MAX_BYTES && available < length)) {
            return null;
        }
        byte[] bytes = new byte[(int) length];
        int size = 0;
        while (size < bytes.length && available > 0) {
            int n = in.read(bytes, size, bytes.length - size);
            if (n < 0) {
                break; // ended before its declared length: the non-blocking path reports it
            }
            size += n;
            available = in.available();
        }
        return new ArrivedBody(bytes, size);
    }

    /** True when the whole body has been read: {@link #bytes()} is all of it. */
    public boolean complete() {
        return size == bytes.length;
    }

    /** The bytes read, in an array of the declared length; only the first {@link #size()} are filled. */
    public byte[] bytes() {
        return bytes;
    }

    public int size() {
        return size;
    }
}
