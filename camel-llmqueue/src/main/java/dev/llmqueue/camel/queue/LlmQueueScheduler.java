package dev.llmqueue.camel.queue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;

import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueRejectedException.Reason;

/**
 * Two LIFO stacks and a number of slots, shared by every endpoint of a component.
 * <p>
 * Modelled on OkHttp's {@code Dispatcher}: {@link #promoteAndExecute()} moves tasks from the stacks to running under
 * the lock and hands them to the call executor outside it; it runs when a task is submitted, when a call finishes and
 * when the limit is raised. There is no dispatcher thread and no polling: a waiting task costs no thread. A task is
 * popped only at the moment a slot is free, so the choice is always made with everything that has arrived by then.
 * <p>
 * Every accepted task ends exactly once: {@code execute()} + {@code complete()} on the normal path, or
 * {@code reject()} when it is drained (stop, background disabled) or the executor refuses it.
 */
public final class LlmQueueScheduler {

    private final ReentrantLock lock = new ReentrantLock();
    private final Deque<QueuedTask> high = new ArrayDeque<>();
    private final Deque<QueuedTask> low = new ArrayDeque<>();

    // guarded by lock
    private Executor callExecutor;
    private int running;
    private int maxConcurrentRequests;
    private int maxHighQueueSize;
    private int maxLowQueueSize;
    private boolean disableBackground;

    public LlmQueueScheduler(int maxConcurrentRequests, int maxHighQueueSize, int maxLowQueueSize,
                             boolean disableBackground) {
        this.maxConcurrentRequests = requirePositive(maxConcurrentRequests, "maxConcurrentRequests");
        this.maxHighQueueSize = requirePositive(maxHighQueueSize, "maxHighQueueSize");
        this.maxLowQueueSize = requirePositive(maxLowQueueSize, "maxLowQueueSize");
        this.disableBackground = disableBackground;
    }

    /**
     * Opens the queue: from now on accepted tasks run on {@code callExecutor}.
     */
    public void start(Executor callExecutor) {
        lock.lock();
        try {
            this.callExecutor = callExecutor;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Puts a task on its stack, or refuses it.
     *
     * @throws QueueRejection when the task is refused; the task was not accepted and none of its methods was called
     */
    public void submit(QueuedTask task) {
        lock.lock();
        try {
            if (callExecutor == null) {
                throw new QueueRejection(Reason.SHUTTING_DOWN, "the llmqueue component is not started or is shutting down");
            }
            if (task.priority() == LlmQueuePriority.LOW) {
                if (disableBackground) {
                    throw new QueueRejection(Reason.BACKGROUND_DISABLED,
                            "background (LOW priority) LLM work is disabled (disableBackground=true)");
                }
                checkRoom(low, maxLowQueueSize, "LOW", "maxLowQueueSize");
                low.addFirst(task);
            } else {
                checkRoom(high, maxHighQueueSize, "HIGH", "maxHighQueueSize");
                high.addFirst(task);
            }
        } finally {
            lock.unlock();
        }
        promoteAndExecute();
    }

    private static void checkRoom(Deque<QueuedTask> stack, int limit, String stackName, String optionName) {
        if (stack.size() >= limit) {
            throw new QueueRejection(Reason.QUEUE_FULL,
                    "the " + stackName + " priority stack is full: " + limit + " requests waiting (" + optionName + "=" + limit
                                                        + ")");
        }
    }

    /**
     * While a slot is free and a task waits, pops the next one (HIGH first, newest first) and starts it.
     */
    private void promoteAndExecute() {
        List<QueuedTask> ready = null;
        Executor executor;
        lock.lock();
        try {
            executor = callExecutor;
            while (executor != null && running < maxConcurrentRequests) {
                QueuedTask next = high.pollFirst();
                if (next == null) {
                    next = low.pollFirst();
                }
                if (next == null) {
                    break;
                }
                running++;
                if (ready == null) {
                    ready = new ArrayList<>(2);
                }
                ready.add(next);
            }
        } finally {
            lock.unlock();
        }
        if (ready == null) {
            return;
        }
        for (QueuedTask task : ready) {
            try {
                executor.execute(() -> run(task));
            } catch (RejectedExecutionException e) {
                // the pool is going down with the context: give the slot back without dispatching more
                releaseSlot();
                task.reject(Reason.SHUTTING_DOWN, "the llmqueue component is shutting down");
            }
        }
    }

    private void run(QueuedTask task) {
        try {
            task.execute();
        } finally {
            // the slot goes back, and the next task starts, before this one's route resumes
            releaseSlot();
            promoteAndExecute();
            task.complete();
        }
    }

    private void releaseSlot() {
        lock.lock();
        try {
            running--;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the queue and fails every waiting task with {@link Reason#SHUTTING_DOWN}. Calls in flight go on; their
     * tasks complete as usual.
     */
    public void stop() {
        List<QueuedTask> drained = new ArrayList<>();
        lock.lock();
        try {
            callExecutor = null;
            drained.addAll(high);
            drained.addAll(low);
            high.clear();
            low.clear();
        } finally {
            lock.unlock();
        }
        for (QueuedTask task : drained) {
            task.reject(Reason.SHUTTING_DOWN, "the llmqueue component was stopped while the request was waiting");
        }
    }

    /**
     * Changes the number of slots. Raising it starts waiting tasks at once; lowering it lets calls in flight finish
     * and starts nothing until fewer than the new limit are running.
     */
    public void setMaxConcurrentRequests(int maxConcurrentRequests) {
        requirePositive(maxConcurrentRequests, "maxConcurrentRequests");
        lock.lock();
        try {
            this.maxConcurrentRequests = maxConcurrentRequests;
        } finally {
            lock.unlock();
        }
        promoteAndExecute();
    }

    /**
     * Turns background work off or on. Turning it off fails every LOW task already waiting, so none hangs.
     */
    public void setDisableBackground(boolean disableBackground) {
        List<QueuedTask> drained;
        lock.lock();
        try {
            this.disableBackground = disableBackground;
            if (!disableBackground || low.isEmpty()) {
                return;
            }
            drained = new ArrayList<>(low);
            low.clear();
        } finally {
            lock.unlock();
        }
        for (QueuedTask task : drained) {
            task.reject(Reason.BACKGROUND_DISABLED,
                    "background (LOW priority) LLM work was disabled while the request was waiting");
        }
    }

    public void setMaxHighQueueSize(int size) {
        lock.lock();
        try {
            maxHighQueueSize = requirePositive(size, "maxHighQueueSize");
        } finally {
            lock.unlock();
        }
    }

    public void setMaxLowQueueSize(int size) {
        lock.lock();
        try {
            maxLowQueueSize = requirePositive(size, "maxLowQueueSize");
        } finally {
            lock.unlock();
        }
    }

    public int getHighPriorityQueueSize() {
        lock.lock();
        try {
            return high.size();
        } finally {
            lock.unlock();
        }
    }

    public int getLowPriorityQueueSize() {
        lock.lock();
        try {
            return low.size();
        } finally {
            lock.unlock();
        }
    }

    /** Calls in flight: tasks holding a slot. */
    public int getActiveRequests() {
        lock.lock();
        try {
            return running;
        } finally {
            lock.unlock();
        }
    }

    public int getMaxConcurrentRequests() {
        lock.lock();
        try {
            return maxConcurrentRequests;
        } finally {
            lock.unlock();
        }
    }

    private static int requirePositive(int value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, was " + value);
        }
        return value;
    }

    /**
     * A task refused at the door; the caller turns it into an {@code LlmQueueRejectedException} on its exchange.
     */
    public static final class QueueRejection extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final Reason reason;

        QueueRejection(Reason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }

        public Reason getReason() {
            return reason;
        }
    }
}
