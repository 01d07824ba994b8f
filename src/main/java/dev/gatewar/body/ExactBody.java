package dev.gatewar.body;

/** A body forwarded exactly as the client sent it: a form, or JSON passed on unparsed. */
public final class ExactBody implements BufferedBody {
    private final byte[] bytes;

    public ExactBody(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public byte[] content() {
        return bytes;
    }

    @Override
    public int length() {
        return bytes.length;
    }
}
