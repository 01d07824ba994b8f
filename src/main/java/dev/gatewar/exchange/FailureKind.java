package dev.gatewar.exchange;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/** Why an upstream call failed, as far as the client and the log need to know. */
public enum FailureKind {
    REFUSED("refused", "refused", "the service refused the connection"),
    UNKNOWN_HOST("unknown-host", "dns", "the service's address could not be resolved"),
    TIMEOUT("timeout", "timeout", "the service did not answer in time"),
    TLS("tls", "tls", "the secure connection to the service could not be established"),
    RESET("reset", "reset", "the service closed the connection before it answered"),
    OTHER("io", "other", "the service could not be reached");

    private final String logName;
    private final String errorType;
    private final String reason;

    FailureKind(String logName, String errorType, String reason) {
        this.logName = logName;
        this.errorType = errorType;
        this.reason = reason;
    }

    /** The metrics' {@code error.type} label. */
    public String errorType() {
        return errorType;
    }

    public String logName() {
        return logName;
    }

    /** The client-facing sentence for a route. */
    public String message(String route) {
        return "Service '" + route + "' is unavailable: " + reason + ".";
    }

    public static FailureKind of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
                return REFUSED;
            }
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
                return UNKNOWN_HOST;
            }
            if (t instanceof TimeoutException || t instanceof SocketTimeoutException) {
                return TIMEOUT;
            }
            if (t instanceof SSLException) {
                return TLS;
            }
            if (t instanceof EOFException || t instanceof ClosedChannelException
                    || (t.getMessage() != null && t.getMessage().toLowerCase(java.util.Locale.ROOT).contains("reset"))) {
                return RESET;
            }
        }
        return OTHER;
    }
}
