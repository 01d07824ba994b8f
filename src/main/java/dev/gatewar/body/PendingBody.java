package dev.gatewar.body;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A body to buffer that had not fully arrived when the request went on down the filter chain. It is
 * read in one of two ways, never both: {@link #collect} reads it without holding a thread (the route
 * servlet does this, so that a slow client parks nothing), {@link #awaitVerdict} on the calling
 * thread (a filter that asks for the tree or the parameters waits for them). Either way the body is
 * judged once, by the same {@link BufferingPolicy}.
 */
public final class PendingBody implements ReadListener {
    /** Bodies up to this many bytes get an array of their declared length; larger ones grow as they arrive. */
    private static final int EXACT_ALLOCATION_MAX = 64 * 1024;
    private static final int FIRST_GROWTH = 8 * 1024;

    private final HttpServletRequest request;
    private final ServletInputStream in;
    private final BodyKind kind;
    private final BufferingPolicy policy;
    private final AtomicReference<BodyVerdict> verdict = new AtomicReference<>();
    private byte[] bytes;
    private int size;
    private Consumer<BodyVerdict> whenDecided;
    private volatile long lastProgressNanos;

    /**
     * @param request the client's request, unwrapped by this filter: the accepted body wraps it
     * @param arrived what was already read of the body, or null
     */
    public PendingBody(HttpServletRequest request, BodyKind kind, BufferingPolicy policy, ArrivedBody arrived)
            throws IOException {
        this.request = request;
        this.in = request.getInputStream();
        this.kind = kind;
        this.policy = policy;
        if (arrived != null) {
            this.bytes = arrived.bytes();
            this.size = arrived.size();
        } else {
            long declared = request.getContentLengthLong();
            // A client announcing a large body it never sends must not make the gateway reserve it.
            this.bytes = new byte[declared >= 0 && declared <= EXACT_ALLOCATION_MAX ? (int) declared : 0];
        }
    }

    /** The verdict, once the body has been read and judged; null before. */
    public BodyVerdict verdict() {
        return verdict.get();
    }

    /** Body bytes read from the client so far. */
    public int bytesRead() {
        return size;
    }

    /** Reads the rest of the body on this thread, waiting for it, and returns the verdict. */
    public BodyVerdict awaitVerdict() {
        BodyVerdict decided = verdict.get();
        if (decided != null) {
            return decided;
        }
        if (whenDecided != null) {
            throw new IllegalStateException("The request body is being read without blocking");
        }
        try {
            while (verdict.get() == null) {
                if (!makeRoom()) {
                    return verdict.get();
                }
                int n = in.read(bytes, size, bytes.length - size);
                if (n < 0) {
                    decide(policy.judge(request, kind, Arrays.copyOf(bytes, size)));
                } else {
                    size += n;
                }
            }
        } catch (IOException e) {
            decide(BodyVerdict.Refused.forClientFailure(e));
        }
        return verdict.get();
    }

    /**
     * Reads the body without holding a thread while it waits for bytes; {@code whenDecided} gets the
     * verdict once, on a container or timer thread. Call {@link #checkIdle} from a timer meanwhile.
     */
    public void collect(Consumer<BodyVerdict> whenDecided) {
        this.whenDecided = whenDecided;
        this.lastProgressNanos = System.nanoTime();
        in.setReadListener(this);
    }

    @Override
    public void onDataAvailable() throws IOException {
        lastProgressNanos = System.nanoTime();
        while (verdict.get() == null && in.isReady()) {
            if (!makeRoom()) {
                return;
            }
            int n = in.read(bytes, size, bytes.length - size);
            if (n < 0) {
                return; // onAllDataRead follows
            }
            size += n;
        }
    }

    @Override
    public void onAllDataRead() {
        decide(policy.judge(request, kind, Arrays.copyOf(bytes, size)));
    }

    @Override
    public void onError(Throwable failure) {
        decide(BodyVerdict.Refused.forClientFailure(failure));
    }

    /**
     * Refuses the body when it has sent nothing for the policy's idle timeout.
     *
     * @return milliseconds until the next check is due, or -1 when the body is decided
     */
    public long checkIdle() {
        if (verdict.get() != null) {
            return -1;
        }
        long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastProgressNanos);
        if (idleMs >= policy.idleTimeoutMs()) {
            decide(BodyVerdict.Refused.tooSlow(new TimeoutException("No request body bytes for " + idleMs + " ms")));
            return -1;
        }
        return policy.idleTimeoutMs() - idleMs;
    }

    /** Ensures room for the next read; false (and the body refused) once it is over the limit. */
    private boolean makeRoom() {
        if (size < bytes.length) {
            return true;
        }
        int limit = policy.maxBodyBytes();
        if (size > limit) {
            decide(policy.tooLarge());
            return false;
        }
        // One byte past the limit proves a body too large without reading more of it.
        int capacity = (int) Math.min((long) limit + 1, Math.max(FIRST_GROWTH, 2L * bytes.length));
        bytes = Arrays.copyOf(bytes, capacity);
        return true;
    }

    private void decide(BodyVerdict decided) {
        if (verdict.compareAndSet(null, decided) && whenDecided != null) {
            whenDecided.accept(decided);
        }
    }
}
