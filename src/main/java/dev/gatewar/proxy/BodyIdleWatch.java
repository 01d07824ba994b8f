package dev.gatewar.proxy;

import dev.gatewar.body.PendingBody;
import org.eclipse.jetty.util.thread.Scheduler;

import java.util.concurrent.TimeUnit;

/**
 * Refuses a body still arriving once it has sent nothing for the filter's idle timeout: one timer
 * task at a time, re-armed for the time left, on the route client's scheduler (no thread of its own).
 */
public final class BodyIdleWatch implements Runnable {
    private final PendingBody pending;
    private final Scheduler scheduler;
    private volatile Scheduler.Task task;

    public BodyIdleWatch(PendingBody pending, Scheduler scheduler) {
        this.pending = pending;
        this.scheduler = scheduler;
    }

    public void start() {
        scheduleIn(pending.checkIdle());
    }

    @Override
    public void run() {
        scheduleIn(pending.checkIdle());
    }

    private void scheduleIn(long delayMs) {
        if (delayMs > 0) {
            task = scheduler.schedule(this, delayMs, TimeUnit.MILLISECONDS);
        }
    }

    /** The body was decided: no more checks. */
    public void stop() {
        Scheduler.Task current = task;
        if (current != null) {
            current.cancel();
        }
    }
}
