package dev.gatewar.body;

/** What becomes of a body the gateway reads into memory: it is passed on, or the request is refused. */
public sealed interface BodyVerdict {
    /** The body is passed on by {@code request}, which wraps the client's request. */
    record Accepted(BufferedBodyRequest request) implements BodyVerdict {
    }

    /**
     * The gateway answers the request itself.
     *
     * @param status          the status code
     * @param message         the sentence for the client
     * @param closeConnection the body was not read to its end, so the connection cannot carry another request
     */
    record Refused(int status, String message, boolean closeConnection) implements BodyVerdict {
        static Refused unreadable() {
            return new Refused(400, "The request body could not be read.", true);
        }

        static Refused tooSlow() {
            return new Refused(408, "The request body did not arrive in time.", true);
        }
    }
}
