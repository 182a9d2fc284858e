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
        FAILED,
        /**
         * The scheduler took the slot back ({@link CallHandle#isPreempted()}) and the call was aborted before it
         * delivered anything: the task goes back on top of its stack, keeping its deadline; the attempt does not count.
         * A call that ended some other way while it was being preempted reports that ending instead.
         */
        PREEMPTED
    }

    /**
     * One start of a task, as the scheduler and the call share it: the scheduler may take the slot back (preempt) until
     * the call commits (a streamed answer delivered its first token). Preempting runs the abort action the call
     * registered, on the preempting thread, outside the scheduler's lock; a handle belongs to one start only, so a late
     * abort never reaches a later attempt.
     */
    public static final class CallHandle {
        private static final int OPEN = 0;
        private static final int PREEMPTED = 1;
        private static final int COMMITTED = 2;

        private final java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger();
        private volatile Runnable abort;

        /**
         * Registers how to abort the call (cancel its HTTP request); runs it at once if the call was already preempted.
         */
        public void onAbort(Runnable abort) {
            this.abort = abort;
            if (isPreempted()) {
                abort.run();
            }
        }

        /**
         * The call delivered something the route sees and may no longer be preempted.
         *
         * @return false when it was preempted first: the call must stop without delivering
         */
        public boolean commit() {
            return state.compareAndSet(OPEN, COMMITTED) || state.get() == COMMITTED;
        }

        /** Whether the call committed: it may no longer be preempted. */
        public boolean isCommitted() {
            return state.get() == COMMITTED;
        }

        /** Whether the scheduler took this start's slot back. */
        public boolean isPreempted() {
            return state.get() == PREEMPTED;
        }

        /** Under the scheduler's lock: marks the start preempted unless it committed first. */
        boolean tryPreempt() {
            return state.compareAndSet(OPEN, PREEMPTED);
        }

        /** Outside the scheduler's lock: aborts the call, if it registered how. */
        void abort() {
            Runnable action = abort;
            if (action != null) {
                action.run();
            }
        }
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
    /** Orders the starts of tasks: a higher number started later. */
    long startSequence;
    /** How many times the task's slot was taken back. */
    int preemptions;
    /** Whether the scheduler is taking this start's slot back. */
    boolean preempting;
    /** The authority's ticket while waiting for its grant and while running on it; 0 for none. */
    long ticket;
    /** The current start; replaced under the lock before each start is handed to the call executor. */
    private CallHandle handle = new CallHandle();

    public abstract String id();

    /**
     * The current start's handle, for the call: {@link CallHandle#onAbort} before the request goes out,
     * {@link CallHandle#commit()} before delivering anything the route sees. Read on the call thread.
     */
    public final CallHandle callHandle() {
        return handle;
    }

    /** Under the scheduler's lock, before the start is handed to the call executor. */
    final void newStart() {
        handle = new CallHandle();
    }

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
