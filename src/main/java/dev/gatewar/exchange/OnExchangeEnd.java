package dev.gatewar.exchange;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;

import java.util.function.Consumer;

/**
 * Runs an action when a request's async cycle completes, however it completes: the container calls
 * {@code onComplete} after a timeout or an error too, so that is the one event acted on.
 */
public final class OnExchangeEnd implements AsyncListener {
    private final Consumer<AsyncEvent> action;

    public OnExchangeEnd(Consumer<AsyncEvent> action) {
        this.action = action;
    }

    @Override
    public void onComplete(AsyncEvent event) {
        action.accept(event);
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        // onComplete follows
    }

    @Override
    public void onError(AsyncEvent event) {
        // onComplete follows
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // the proxy's cycle is never restarted
    }
}
