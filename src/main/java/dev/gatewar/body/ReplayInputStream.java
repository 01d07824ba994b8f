package dev.gatewar.body;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;

import java.io.IOException;

/**
 * Replays a body that is already in memory, through the blocking API and through the async
 * {@link ReadListener} API that Jetty's proxy servlets use. The data is always ready, so a listener
 * is told once that data is available and once, when a read reaches the end, that all of it was read.
 */
final class ReplayInputStream extends ServletInputStream {
    private final byte[] data;
    private int position;
    private ReadListener listener;
    private boolean allDataReadNotified;

    ReplayInputStream(byte[] data) {
        this.data = data;
    }

    @Override
    public int read() {
        if (position < data.length) {
            return data[position++] & 0xff;
        }
        endReached();
        return -1;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, buffer.length);
        if (length == 0) {
            return 0;
        }
        if (position >= data.length) {
            endReached();
            return -1;
        }
        int count = Math.min(length, data.length - position);
        System.arraycopy(data, position, buffer, offset, count);
        position += count;
        return count;
    }

    @Override
    public int available() {
        return data.length - position;
    }

    @Override
    public boolean isFinished() {
        return position >= data.length;
    }

    @Override
    public boolean isReady() {
        return true;
    }

    @Override
    public void setReadListener(ReadListener readListener) {
        if (readListener == null) {
            throw new NullPointerException("readListener");
        }
        if (listener != null) {
            throw new IllegalStateException("A ReadListener is already set");
        }
        listener = readListener;
        try {
            if (isFinished()) {
                endReached();
            } else {
                readListener.onDataAvailable();
            }
        } catch (IOException | RuntimeException e) {
            readListener.onError(e);
        }
    }

    private void endReached() {
        if (listener == null || allDataReadNotified) {
            return;
        }
        allDataReadNotified = true;
        try {
            listener.onAllDataRead();
        } catch (IOException | RuntimeException e) {
            listener.onError(e);
        }
    }
}
