package dev.llmqueue.camel.queue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import dev.llmqueue.camel.LlmQueueWhenFull;
import dev.llmqueue.camel.queue.QueuedTask.Signal;
import dev.llmqueue.camel.queue.QueuedTask.State;

/**
 * Two LIFO stacks and a number of slots, shared by every endpoint of a component.
 * <p>
 * Modelled on OkHttp's {@code Dispatcher}: {@link #promoteAndExecute()} moves tasks from the stacks to running under
 * the lock and hands them to the call executor outside it; it runs when a task is submitted or comes back for a retry,
 * when a call finishes and when the limit is raised. There is no dispatcher thread and no polling: a waiting task
 * costs no thread. A task is popped only at the moment a slot is free, so the choice is always made with everything
 * that has arrived by then: HIGH first, newest first, except a LOW task that has waited {@code lowPriorityMaxWait}
 * (aging). A task between two attempts holds no slot and sits on no stack.
 * <p>
 * With adaptive concurrency each target (a server's base URL) has its own limit under {@code maxConcurrentRequests}:
 * halved when the server says it is overloaded, raised by one after as many successes as the limit (AIMD). So that a
 * target at its limit never makes dispatch walk the stacks, each target keeps its own pair of stacks; a push sequence
 * number orders them into the component's two logical stacks, and choosing the next task costs one look per target.
 * <p>
 * Every accepted task ends exactly once; the task's own methods are always called outside the lock.
 */
public final class LlmQueueScheduler {

    private final ReentrantLock lock = new ReentrantLock();
    private final Set<QueuedTask> retrying = new HashSet<>();
    /** The tasks holding a slot; their number is the slots in use. */
    private final Set<QueuedTask> running = new HashSet<>();
    private final Map<Object, Target> targets = new HashMap<>();

    /** System.nanoTime, or a test's clock. */
    private LongSupplier clock = System::nanoTime;

    // guarded by lock
    private Executor callExecutor;
    private ScheduledExecutorService timer;
    private int highSize;
    private int lowSize;
    /** Orders pushes across the targets' stacks: a higher number is newer. */
    private long pushes;
    private int maxConcurrentRequests;
    private int maxHighQueueSize;
    private int maxLowQueueSize;
    private boolean disableBackground;
    private boolean adaptiveConcurrency = true;
    private long lowPriorityMaxWaitNanos;
    private LlmQueueWhenFull whenFull = LlmQueueWhenFull.rejectNew;

    /** One server's waiting tasks, its calls in flight, and its adaptive limit. */
    private static final class Target {
        final TaskStack high = new TaskStack();
        final TaskStack low = new TaskStack();
        int running;
        /** Integer.MAX_VALUE while the server has not said it is overloaded. */
        int limit = Integer.MAX_VALUE;
        int successes;
    }

    public LlmQueueScheduler(int maxConcurrentRequests, int maxHighQueueSize, int maxLowQueueSize,
                             boolean disableBackground) {
        this.maxConcurrentRequests = requirePositive(maxConcurrentRequests, "maxConcurrentRequests");
        this.maxHighQueueSize = requirePositive(maxHighQueueSize, "maxHighQueueSize");
        this.maxLowQueueSize = requirePositive(maxLowQueueSize, "maxLowQueueSize");
        this.disableBackground = disableBackground;
    }

    /**
     * Opens the queue: from now on accepted tasks run on {@code callExecutor}; deadlines and retry back-offs are timed
     * on {@code timer}.
     */
    public void start(Executor callExecutor, ScheduledExecutorService timer) {
        lock.lock();
        try {
            this.callExecutor = callExecutor;
            this.timer = timer;
        } finally {
            lock.unlock();
        }
    }

    /** For tests: the clock deadlines, back-offs and aging are measured on. */
    void setClock(LongSupplier clock) {
        this.clock = clock;
    }

    /**
     * Puts a task on its stack, or refuses it.
     *
     * @throws QueueRejection when the task is refused; the task was not accepted and none of its methods was called
     */
    public void submit(QueuedTask task) {
        QueuedTask dropped = null;
        boolean expiredOnArrival = false;
        lock.lock();
        try {
            if (callExecutor == null) {
                throw new QueueRejection(Reason.SHUTTING_DOWN, "the llmqueue component is not started or is shutting down");
            }
            int size;
            int limit;
            String option;
            if (task.priority() == LlmQueuePriority.LOW) {
                if (disableBackground) {
                    throw new QueueRejection(Reason.BACKGROUND_DISABLED,
                            "background (LOW priority) LLM work is disabled (disableBackground=true)");
                }
                size = lowSize;
                limit = maxLowQueueSize;
                option = "maxLowQueueSize";
            } else {
                size = highSize;
                limit = maxHighQueueSize;
                option = "maxHighQueueSize";
            }
            long deadline = task.deadlineNanos();
            long remaining = deadline - clock.getAsLong();
            expiredOnArrival = deadline != 0 && remaining <= 0;
            if (expiredOnArrival) {
                task.state = State.ENDED;
            } else {
                if (size >= limit) {
                    if (whenFull == LlmQueueWhenFull.rejectNew) {
                        throw new QueueRejection(Reason.QUEUE_FULL, "the " + task.priority() + " priority stack is full: "
                                                                    + limit + " requests waiting (" + option + "=" + limit
                                                                    + ")");
                    }
                    dropped = oldest(task.priority());
                    end(dropped);
                }
                if (deadline != 0) {
                    task.deadlineTimer = timer.schedule(() -> expire(task), remaining, TimeUnit.NANOSECONDS);
                }
                push(task);
            }
        } finally {
            lock.unlock();
        }
        if (dropped != null) {
            dropped.reject(Reason.QUEUE_FULL, "dropped as the oldest request of the full " + dropped.priority()
                                              + " priority stack to make room for a newer one (whenFull=dropOldest)");
        }
        if (expiredOnArrival) {
            // its deadline had passed before it arrived (task.state may not be read here: once pushed, the task
            // belongs to whichever thread dispatches it)
            task.expire();
            return;
        }
        promoteAndExecute();
    }

    /** On top of its own stack. Under the lock. */
    private void push(QueuedTask task) {
        Target target = targets.computeIfAbsent(task.target(), t -> new Target());
        task.state = State.WAITING;
        task.pushedNanos = clock.getAsLong();
        task.pushSequence = ++pushes;
        if (task.priority() == LlmQueuePriority.LOW) {
            target.low.push(task);
            lowSize++;
        } else {
            target.high.push(task);
            highSize++;
        }
    }

    /** Off its stack. Under the lock. */
    private void unstack(QueuedTask task) {
        task.stack.remove(task);
        if (task.priority() == LlmQueuePriority.LOW) {
            lowSize--;
        } else {
            highSize--;
        }
    }

    /** The oldest waiting task of a priority, across every target. Under the lock. */
    private QueuedTask oldest(LlmQueuePriority priority) {
        QueuedTask oldest = null;
        for (Target target : targets.values()) {
            QueuedTask tail = (priority == LlmQueuePriority.LOW ? target.low : target.high).tail();
            if (tail != null && (oldest == null || tail.pushSequence < oldest.pushSequence)) {
                oldest = tail;
            }
        }
        return oldest;
    }

    /** Takes a task out of whatever waiting state it is in and marks it ended. Under the lock. */
    private void end(QueuedTask task) {
        if (task.stack != null) {
            unstack(task);
        }
        if (task.state == State.RETRY_WAIT) {
            retrying.remove(task);
        }
        cancelTimer(task.deadlineTimer);
        cancelTimer(task.retryTimer);
        task.deadlineTimer = null;
        task.retryTimer = null;
        task.state = State.ENDED;
    }

    private static void cancelTimer(java.util.concurrent.Future<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    /**
     * While a slot is free and a task waits, takes the next one and starts it.
     */
    private void promoteAndExecute() {
        List<QueuedTask> ready = null;
        List<QueuedTask> abandoned = null;
        Executor executor;
        lock.lock();
        try {
            executor = callExecutor;
            long now = clock.getAsLong();
            while (executor != null && running.size() < maxConcurrentRequests) {
                QueuedTask next = next(now);
                if (next == null) {
                    break;
                }
                unstack(next);
                if (next.isAbandoned()) {
                    end(next);
                    abandoned = add(abandoned, next);
                    continue;
                }
                cancelTimer(next.deadlineTimer);
                next.deadlineTimer = null;
                next.state = State.RUNNING;
                running.add(next);
                targets.get(next.target()).running++;
                ready = add(ready, next);
            }
        } finally {
            lock.unlock();
        }
        if (abandoned != null) {
            abandoned.forEach(QueuedTask::skip);
        }
        if (ready == null) {
            return;
        }
        for (QueuedTask task : ready) {
            try {
                executor.execute(() -> run(task));
            } catch (RejectedExecutionException e) {
                // the pool is going down with the context: give the slot back without dispatching more
                lock.lock();
                try {
                    release(task, null);
                    task.state = State.ENDED;
                } finally {
                    lock.unlock();
                }
                task.reject(Reason.SHUTTING_DOWN, "the llmqueue component is shutting down");
            }
        }
    }

    private static List<QueuedTask> add(List<QueuedTask> list, QueuedTask task) {
        List<QueuedTask> result = list == null ? new ArrayList<>(2) : list;
        result.add(task);
        return result;
    }

    /**
     * The task to run next, or null: the oldest LOW one if it has waited lowPriorityMaxWait, else the newest HIGH one,
     * else the newest LOW one, among the targets with room. One look per target. Under the lock.
     */
    private QueuedTask next(long now) {
        QueuedTask oldestLow = null;
        QueuedTask newestHigh = null;
        QueuedTask newestLow = null;
        for (Target target : targets.values()) {
            if (!hasRoom(target)) {
                continue;
            }
            QueuedTask tail = target.low.tail();
            if (tail != null && (oldestLow == null || tail.pushSequence < oldestLow.pushSequence)) {
                oldestLow = tail;
            }
            newestHigh = newer(newestHigh, target.high.head());
            newestLow = newer(newestLow, target.low.head());
        }
        if (lowPriorityMaxWaitNanos > 0 && oldestLow != null && now - oldestLow.pushedNanos >= lowPriorityMaxWaitNanos) {
            return oldestLow;
        }
        return newestHigh != null ? newestHigh : newestLow;
    }

    private static QueuedTask newer(QueuedTask a, QueuedTask b) {
        if (a == null) {
            return b;
        }
        return b != null && b.pushSequence > a.pushSequence ? b : a;
    }

    private boolean hasRoom(Target target) {
        return target.running < Math.min(target.limit, maxConcurrentRequests);
    }

    private void run(QueuedTask task) {
        Signal signal = Signal.FAILED;
        long retryDelay = -1;
        try {
            signal = task.execute();
            retryDelay = task.retryDelayNanos();
        } finally {
            boolean retry;
            lock.lock();
            try {
                release(task, signal);
                long deadline = task.deadlineNanos();
                retry = retryDelay >= 0 && callExecutor != null
                        && (deadline == 0 || clock.getAsLong() + retryDelay < deadline)
                        && !(disableBackground && task.priority() == LlmQueuePriority.LOW);
                if (retry) {
                    // between attempts the task holds no slot and sits on no stack
                    task.state = State.RETRY_WAIT;
                    retrying.add(task);
                    task.retryTimer = timer.schedule(() -> retry(task), retryDelay, TimeUnit.NANOSECONDS);
                    if (deadline != 0) {
                        task.deadlineTimer = timer.schedule(() -> expire(task), deadline - clock.getAsLong(),
                                TimeUnit.NANOSECONDS);
                    }
                } else {
                    task.state = State.ENDED;
                }
            } finally {
                lock.unlock();
            }
            // the slot goes back, and the next task starts, before this one's route resumes
            try {
                promoteAndExecute();
            } finally {
                if (!retry) {
                    task.complete();
                }
            }
        }
    }

    /** Gives a running task's slot back and adapts its target's limit. Under the lock. */
    private void release(QueuedTask task, Signal signal) {
        running.remove(task);
        Target target = targets.get(task.target());
        target.running--;
        if (!adaptiveConcurrency || signal == null) {
            return;
        }
        if (signal == Signal.OVERLOADED) {
            target.limit = Math.max(1, Math.min(target.limit, maxConcurrentRequests) / 2);
            target.successes = 0;
        } else if (signal == Signal.SUCCESS && target.limit != Integer.MAX_VALUE && ++target.successes >= target.limit) {
            target.limit = target.limit + 1 >= maxConcurrentRequests ? Integer.MAX_VALUE : target.limit + 1;
            target.successes = 0;
        }
    }

    private void retry(QueuedTask task) {
        lock.lock();
        try {
            // stop() and setDisableBackground() end a task between attempts under this lock, so a task still in
            // RETRY_WAIT here belongs to an open queue
            if (task.state != State.RETRY_WAIT) {
                return;
            }
            retrying.remove(task);
            task.retryTimer = null;
            // back on its own stack, on top: it is the newest there
            push(task);
        } finally {
            lock.unlock();
        }
        promoteAndExecute();
    }

    private void expire(QueuedTask task) {
        lock.lock();
        try {
            if (task.state != State.WAITING && task.state != State.RETRY_WAIT) {
                return;
            }
            end(task);
        } finally {
            lock.unlock();
        }
        task.expire();
    }

    /**
     * Removes a waiting task (on a stack or between attempts) and fails it as cancelled.
     *
     * @return whether a waiting task had that id
     */
    public boolean cancel(String id) {
        QueuedTask found = null;
        lock.lock();
        try {
            for (QueuedTask task : waitingTasks()) {
                if (task.id().equals(id)) {
                    found = task;
                    end(task);
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
        if (found == null) {
            return false;
        }
        found.cancel();
        return true;
    }

    /** HIGH then LOW, newest first, then the tasks between attempts. Under the lock. */
    private List<QueuedTask> waitingTasks() {
        List<QueuedTask> high = new ArrayList<>(highSize);
        List<QueuedTask> low = new ArrayList<>(lowSize);
        for (Target target : targets.values()) {
            high.addAll(target.high.snapshot());
            low.addAll(target.low.snapshot());
        }
        Comparator<QueuedTask> newestFirst = Comparator.comparingLong((QueuedTask t) -> t.pushSequence).reversed();
        high.sort(newestFirst);
        low.sort(newestFirst);
        high.addAll(low);
        high.addAll(retrying);
        return high;
    }

    /**
     * Calls {@code action} with every waiting task, HIGH then LOW, newest first, then those between attempts. Under the
     * lock: the action must be quick and must not call back into the scheduler.
     */
    public void forEachWaiting(Consumer<QueuedTask> action) {
        lock.lock();
        try {
            waitingTasks().forEach(action);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Calls {@code action} with every task holding a slot. Under the lock: the action must be quick and must not call
     * back into the scheduler.
     */
    public void forEachRunning(Consumer<QueuedTask> action) {
        lock.lock();
        try {
            running.forEach(action);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the queue and fails every waiting task with {@link Reason#SHUTTING_DOWN}. Calls in flight go on; their
     * tasks complete as usual, without retries.
     */
    public void stop() {
        List<QueuedTask> drained;
        lock.lock();
        try {
            callExecutor = null;
            drained = waitingTasks();
            drained.forEach(this::end);
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
        List<QueuedTask> drained = new ArrayList<>();
        lock.lock();
        try {
            this.disableBackground = disableBackground;
            if (disableBackground) {
                for (QueuedTask task : waitingTasks()) {
                    if (task.priority() == LlmQueuePriority.LOW) {
                        end(task);
                        drained.add(task);
                    }
                }
            }
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

    public void setAdaptiveConcurrency(boolean adaptiveConcurrency) {
        lock.lock();
        try {
            this.adaptiveConcurrency = adaptiveConcurrency;
            if (!adaptiveConcurrency) {
                targets.values().forEach(t -> t.limit = Integer.MAX_VALUE);
            }
        } finally {
            lock.unlock();
        }
        promoteAndExecute();
    }

    /** A LOW task that has waited this long is served before HIGH ones; 0 for strict priority. */
    public void setLowPriorityMaxWait(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("lowPriorityMaxWait must not be negative, was " + millis);
        }
        lock.lock();
        try {
            lowPriorityMaxWaitNanos = TimeUnit.MILLISECONDS.toNanos(millis);
        } finally {
            lock.unlock();
        }
    }

    public void setWhenFull(LlmQueueWhenFull whenFull) {
        lock.lock();
        try {
            this.whenFull = whenFull;
        } finally {
            lock.unlock();
        }
    }

    public int getHighPriorityQueueSize() {
        lock.lock();
        try {
            return highSize;
        } finally {
            lock.unlock();
        }
    }

    public int getLowPriorityQueueSize() {
        lock.lock();
        try {
            return lowSize;
        } finally {
            lock.unlock();
        }
    }

    /** Requests between two attempts: they hold no slot and sit on no stack. */
    public int getRetryingCount() {
        lock.lock();
        try {
            return retrying.size();
        } finally {
            lock.unlock();
        }
    }

    /** Calls in flight: tasks holding a slot. */
    public int getActiveRequests() {
        lock.lock();
        try {
            return running.size();
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

    /** Each target's effective limit: {@code maxConcurrentRequests}, or less after the server said it is overloaded. */
    public Map<String, Integer> getEffectiveLimits() {
        lock.lock();
        try {
            Map<String, Integer> limits = new LinkedHashMap<>();
            targets.forEach((target, t) -> limits.put(String.valueOf(target), Math.min(t.limit, maxConcurrentRequests)));
            return limits;
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
