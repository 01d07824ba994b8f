package dev.gatewar.observe;

import dev.gatewar.exchange.Exchange;

/** How an exchange ended, for the access log's {@code outcome} and the metrics' {@code outcome} label. */
public enum Outcome {
    /** An upstream answered, whatever its status; its response went to the client. */
    OK("ok"),
    /** No upstream answered (refused, reset, timed out...), or its response broke off. */
    UPSTREAM_ERROR("upstream_error"),
    /** The client went away, sent a body that could not be read, or stopped sending or reading. */
    CLIENT_ABORT("client_abort"),
    /** The gateway answered itself without asking an upstream: no route, a refused path or body. */
    REJECTED("rejected");

    private final String label;

    Outcome(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** Decided once the exchange is over: the client's failure first, as the proxy blames it first. */
    public static Outcome of(Exchange exchange) {
        if (exchange.clientFailure() != null) {
            return CLIENT_ABORT;
        }
        if (exchange.upstreamFailure() != null) {
            return UPSTREAM_ERROR;
        }
        return exchange.isResponseStarted() ? OK : REJECTED;
    }
}
