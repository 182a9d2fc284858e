package dev.llmqueue.camel.queue;

import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueRejectedException;

/**
 * One request as the scheduler sees it. Once {@link LlmQueueScheduler#submit} has accepted a task, the scheduler ends
 * it exactly once: {@link #complete()} after its last {@link #execute()}, or one of {@link #reject}, {@link #expire},
 * {@link #cancel}, {@link #skip} without (or between) calls.
 */
public abstract class QueuedTask {

    /** How a call ended, as the scheduler's concurrency control needs to know it. */
    public enum Signal {
        SUCCESS,
        /** The server said it is overloaded (429 rate limit, 503 busy): the target's limit is halved. */
        OVERLOADED,
        FAILED
    }

    enum State {
        NEW,
        WAITING,
        RUNNING,
        RETRY_WAIT,
        ENDED
    }

    // scheduler state, guarded by the scheduler's lock
    QueuedTask prev;
    QueuedTask next;
    TaskStack stack;
    State state = State.NEW;
    long pushedNanos;
    long pushSequence;
    /** The deadline as the scheduler keeps it: within a century of now, so that differences never overflow. */
    long deadlineAt;
    /** When a task waiting out a back-off goes back on its stack. */
    long retryAt;
    /** Positions in the scheduler's deadline and retry heaps; -1 when not in them. */
    int deadlineIndex = -1;
    int retryIndex = -1;

    public abstract String id();

    public abstract LlmQueuePriority priority();

    /** The server the call goes to: concurrency is adapted per target. */
    public abstract Object target();

    /**
     * The {@link System#nanoTime()} after which the task must not wait any longer, or 0 for none. Compared with the
     * clock by difference; a deadline more than a century away counts as none.
     */
    public abstract long deadlineNanos();

    /** Whether the caller gave up (route stop, rollback, exception, interrupted): the call would be wasted. */
    public abstract boolean isAbandoned();

    /**
     * Makes one call. Runs on a call thread while the task holds a slot; must not throw.
     */
    public abstract Signal execute();

    /**
     * After {@link #execute()}: how long to wait before trying again, or a negative number to end with this attempt.
     */
    public abstract long retryDelayNanos();

    /**
     * Called when the scheduler has decided to try again after {@code delayNanos}, outside its lock; the task holds no
     * slot meanwhile. For logging: must not throw.
     */
    public void retryScheduled(long delayNanos) {
    }

    /** Delivers the outcome of the last {@link #execute()}. Called after the slot has been released. */
    public abstract void complete();

    /** Fails a task that will not execute again (full stack, shutdown, background disabled). */
    public abstract void reject(LlmQueueRejectedException.Reason reason, String message);

    /** Fails a task whose deadline passed while it waited. */
    public abstract void expire();

    /** Fails a task cancelled by an operator. */
    public abstract void cancel();

    /** Ends a task whose caller gave up, without a call and without touching the outcome. */
    public abstract void skip();
}
