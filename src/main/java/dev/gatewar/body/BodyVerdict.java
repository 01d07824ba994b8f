package dev.gatewar.body;

import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeoutException;

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
     * @param clientFailure   what failed on the client's side (it went away, stalled); null when the
     *                        body itself was refused
     */
    record Refused(int status, String message, boolean closeConnection, Throwable clientFailure) implements BodyVerdict {
        Refused(int status, String message, boolean closeConnection) {
            this(status, message, closeConnection, null);
        }

        /** The refusal of a body whose reading failed: 408 when it stalled, 400 otherwise. */
        public static Refused forClientFailure(Throwable failure) {
            for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (t instanceof TimeoutException || t instanceof SocketTimeoutException || t instanceof InterruptedIOException) {
                    return tooSlow(failure);
                }
            }
            return unreadable(failure);
        }

        static Refused unreadable(Throwable failure) {
            return new Refused(400, "The request body could not be read.", true, failure);
        }

        static Refused tooSlow(Throwable failure) {
            return new Refused(408, "The request body did not arrive in time.", true, failure);
        }
    }
}
