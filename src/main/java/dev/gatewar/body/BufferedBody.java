package dev.gatewar.body;

/**
 * A request body the gateway read into memory before forwarding it. The proxy asks it for the bytes
 * to send, and asks again for every further try: from the first call of {@link #content()} on, the
 * answer no longer changes.
 */
public interface BufferedBody {
    /** The bytes the upstream is to receive; the same array on every call from the first one on. */
    byte[] content();

    /** The length of what {@link #content()} returns (or would return now): the Content-Length to send. */
    int length();

    /** True when a filter changed the body, so the upstream receives other bytes than the client sent. */
    default boolean replaced() {
        return false;
    }
}
