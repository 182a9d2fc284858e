package dev.llmqueue.camel.queue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import dev.llmqueue.camel.LlmQueueWhenFull;
import dev.llmqueue.camel.queue.QueuedTask.Signal;
import dev.llmqueue.camel.queue.QueuedTask.State;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * Only servers with work waiting or running have a target, so dispatch costs one look per active server, however many
 * servers were ever seen; an idle server's lowered limit is remembered for the {@value #REMEMBERED_LIMITS} most
 * recently idle ones.
 * <p>
 * Waiting costs no bounded resource: deadlines and retry times sit in two heaps inside the scheduler, and one timer
 * entry is armed for the earliest of them. A million waiting requests with deadlines arm one timer.
 * <p>
 * Every accepted task ends exactly once; the task's ending methods ({@code complete}, {@code reject}...) are always
 * called outside the lock, and a task's failure to end never stops the others from ending.
 */
public final class LlmQueueScheduler {

    private static final Logger LOG = LoggerFactory.getLogger(LlmQueueScheduler.class);

    /**
     * A deadline further away than this (a century) counts as none: every instant the scheduler compares then lies
     * within a century of now, so no difference of two {@code nanoTime} values can overflow.
     */
    public static final long MAX_DEADLINE_NANOS = TimeUnit.DAYS.toNanos(36_500);
    /** How many idle servers keep a lowered adaptive limit; the least recently idle is forgotten first. */
    static final int REMEMBERED_LIMITS = 1000;

    private final ReentrantLock lock = new ReentrantLock();
    /** The tasks holding a slot; their number is the slots in use. */
    private final Set<QueuedTask> running = new HashSet<>();
    /** The servers with tasks waiting on their stacks or running. */
    private final Map<Object, Target> targets = new HashMap<>();
    /** Idle servers whose limit was lowered, least recently idle first. */
    private final Map<Object, Target> idleLimits = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Object, Target> eldest) {
            return size() > REMEMBERED_LIMITS;
        }
    };
    /** Waiting tasks with a deadline, earliest first. */
    private final TaskHeap deadlines = new TaskHeap(TaskHeap.Key.DEADLINE);
    /** Tasks between two attempts, earliest retry first: they hold no slot and sit on no stack. */
    private final TaskHeap retries = new TaskHeap(TaskHeap.Key.RETRY);

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
    /** LOW calls in flight: at most maxConcurrentRequests - reservedHighSlots. */
    private int runningLow;
    private int reservedHighSlots;
    private boolean preemptLow;
    private int maxPreemptions = 3;
    /** What one target may hold at most; 0 for no cap under maxConcurrentRequests. */
    private int maxConcurrentRequestsPerServer;
    /** Orders the starts: the LOW call that started last is the one preempted. */
    private long starts;
    /** Calls whose slot is being taken back and which have not returned yet: each serves one waiting HIGH. */
    private int preemptsInFlight;
    /** The one timer entry, armed for {@link #wakeUpAt}: the earliest deadline or retry. */
    private ScheduledFuture<?> wakeUp;
    private long wakeUpAt;
    /** Tells the armed wake-up from one that was replaced but fires anyway. */
    private long wakeUps;
    /** With coordination=redis, who grants the slots; null when this scheduler decides alone. */
    private SlotAuthority authority;
    /** The tasks with a ticket (waiting, or running on a grant), by ticket. */
    private final Map<Long, QueuedTask> ticketed = new HashMap<>();
    private long lastTicket;
    /** Bumped by each rejoin: grants made before it are stale. */
    private long epoch;

    /** One server's waiting tasks, its calls in flight, and its adaptive limit. */
    private static final class Target {
        final Object key;
        final TaskStack high = new TaskStack();
        final TaskStack low = new TaskStack();
        int running;
        /** Integer.MAX_VALUE while the server has not said it is overloaded. */
        int limit = Integer.MAX_VALUE;
        int successes;

        Target(Object key) {
            this.key = key;
        }

        boolean isIdle() {
            return running == 0 && high.size() == 0 && low.size() == 0;
        }
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

    /**
     * Lets {@code authority} decide which task gets the next slot: the component's several instances then share one
     * queue. Before {@link #start}.
     */
    public void coordinate(SlotAuthority authority) {
        lock.lock();
        try {
            this.authority = authority;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the authority decides now (false in local mode and while it is unreachable and we fall back). */
    private boolean coordinated() {
        return authority != null && authority.decides();
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
            String refusal = authority == null ? null : authority.refusal();
            if (refusal != null) {
                throw new QueueRejection(Reason.COORDINATION_UNAVAILABLE, refusal);
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
            long now = clock.getAsLong();
            long deadline = task.deadlineNanos();
            // a duration, never an instant, is compared: nanoTime values may have any sign
            long remaining = deadline - now;
            expiredOnArrival = deadline != 0 && remaining <= 0;
            if (expiredOnArrival) {
                task.state = State.ENDED;
            } else {
                // with a deciding authority the bounds count every instance's waiting requests: it applies them
                if (size >= limit && !coordinated()) {
                    if (whenFull == LlmQueueWhenFull.rejectNew) {
                        throw new QueueRejection(Reason.QUEUE_FULL, "the " + task.priority() + " priority stack is full: "
                                                                    + limit + " requests waiting (" + option + "=" + limit
                                                                    + ")");
                    }
                    dropped = oldest(task.priority());
                    end(dropped);
                }
                push(task);
                if (deadline != 0 && remaining <= MAX_DEADLINE_NANOS) {
                    task.deadlineAt = deadline;
                    deadlines.add(task);
                    arm(now);
                }
            }
        } finally {
            lock.unlock();
        }
        if (dropped != null) {
            QueuedTask oldest = dropped;
            safely(oldest, () -> oldest.reject(Reason.QUEUE_FULL, "dropped as the oldest request of the full "
                                                                  + oldest.priority() + " priority stack to make room"
                                                                  + " for a newer one (whenFull=dropOldest)"));
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
        Target target = target(task);
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
        if (authority != null) {
            // a new ticket for each push: a task back from a retry or a preemption re-enters on top
            task.ticket = ++lastTicket;
            ticketed.put(task.ticket, task);
            authority.request(task.ticket, task.priority(), String.valueOf(task.target()));
        }
    }

    /** The task no longer waits for the authority's grant: withdraws its ticket. Under the lock. */
    private void withdraw(QueuedTask task) {
        if (task.ticket != 0) {
            ticketed.remove(task.ticket);
            authority.withdraw(task.ticket);
            task.ticket = 0;
        }
    }

    /** The task's server, made active again if it was idle. Under the lock. */
    private Target target(QueuedTask task) {
        Object key = task.target();
        Target target = targets.get(key);
        if (target == null) {
            target = idleLimits.remove(key);
            if (target == null) {
                target = new Target(key);
            }
            targets.put(key, target);
        }
        return target;
    }

    /** Forgets a server with nothing waiting or running; remembers its limit while it is lowered. Under the lock. */
    private void retireIfIdle(Target target) {
        if (target.isIdle()) {
            targets.remove(target.key);
            if (target.limit != Integer.MAX_VALUE) {
                idleLimits.put(target.key, target);
            }
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
        retireIfIdle(targets.get(task.target()));
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
            withdraw(task);
            unstack(task);
        }
        retries.remove(task);
        forgetDeadline(task);
        task.state = State.ENDED;
    }

    /** Takes a task out of the deadline heap; no timer stays armed for nothing. Under the lock. */
    private void forgetDeadline(QueuedTask task) {
        deadlines.remove(task);
        if (deadlines.isEmpty() && retries.isEmpty() && wakeUp != null) {
            wakeUp.cancel(false);
            wakeUp = null;
        }
    }

    /**
     * Arms the timer for the earliest deadline or retry, unless it is already armed for that moment or earlier. A
     * task leaving a heap never re-arms: a wake-up with nothing due only arms the next one. Under the lock.
     */
    private void arm(long now) {
        QueuedTask deadline = deadlines.peek();
        QueuedTask retry = retries.peek();
        if (deadline == null && retry == null || timer == null) {
            return;
        }
        long at;
        if (deadline == null) {
            at = retry.retryAt;
        } else if (retry == null) {
            at = deadline.deadlineAt;
        } else {
            at = retry.retryAt - deadline.deadlineAt < 0 ? retry.retryAt : deadline.deadlineAt;
        }
        if (wakeUp != null && wakeUpAt - at <= 0) {
            return;
        }
        if (wakeUp != null) {
            wakeUp.cancel(false);
            wakeUp = null;
        }
        long generation = ++wakeUps;
        try {
            wakeUp = timer.schedule(() -> wakeUp(generation), Math.max(0, at - now), TimeUnit.NANOSECONDS);
            wakeUpAt = at;
        } catch (RejectedExecutionException e) {
            // only a timer shut down with the context refuses; stop() ends whatever still waits
            LOG.debug("llmqueue timer refused a wake-up: {}", e.toString());
        }
    }

    /** Fails the tasks whose deadline has come and puts back on their stacks those whose back-off is over. */
    private void wakeUp(long generation) {
        List<QueuedTask> expired = null;
        boolean retried = false;
        lock.lock();
        try {
            if (generation == wakeUps) {
                wakeUp = null;
            }
            long now = clock.getAsLong();
            for (QueuedTask task = deadlines.peek(); task != null && task.deadlineAt - now <= 0; task = deadlines.peek()) {
                end(task);
                expired = add(expired, task);
            }
            for (QueuedTask task = retries.peek(); task != null && task.retryAt - now <= 0; task = retries.peek()) {
                retries.remove(task);
                // back on its own stack, on top: it is the newest there
                push(task);
                retried = true;
            }
            arm(now);
        } finally {
            lock.unlock();
        }
        if (expired != null) {
            endEach(expired, QueuedTask::expire);
        }
        if (retried) {
            promoteAndExecute();
        }
    }

    /** Ends each task; one that throws (a bug) is logged and does not keep the others from ending. */
    private static void endEach(List<QueuedTask> tasks, java.util.function.Consumer<QueuedTask> ending) {
        for (QueuedTask task : tasks) {
            safely(task, () -> ending.accept(task));
        }
    }

    private static void safely(QueuedTask task, Runnable ending) {
        try {
            ending.run();
        } catch (Throwable t) {
            LOG.error("llmqueue request {} failed to end; the other requests go on", task.id(), t);
        }
    }

    /**
     * While a slot is free and a task waits, takes the next one and starts it.
     */
    private void promoteAndExecute() {
        List<QueuedTask> ready = null;
        List<QueuedTask> abandoned = null;
        List<QueuedTask.CallHandle> preempted = null;
        Executor executor;
        lock.lock();
        try {
            executor = callExecutor;
            long now = clock.getAsLong();
            boolean alone = !coordinated();
            while (alone && executor != null && running.size() < maxConcurrentRequests) {
                QueuedTask next = next(now);
                if (next == null) {
                    break;
                }
                if (next.isAbandoned()) {
                    end(next);
                    abandoned = add(abandoned, next);
                    continue;
                }
                startLocked(next);
                ready = add(ready, next);
            }
            // preempting another instance's call is not ours to do: with an authority only reservedHighSlots applies
            if (alone && executor != null && preemptLow) {
                preempted = preemptForWaitingHigh();
            }
        } finally {
            lock.unlock();
        }
        if (preempted != null) {
            // outside the lock: cancelling an HTTP request may take a while; the call's own thread hands the slot over
            for (QueuedTask.CallHandle handle : preempted) {
                try {
                    handle.abort();
                } catch (Throwable t) {
                    LOG.warn("llmqueue could not abort a preempted call; it runs to its end", t);
                }
            }
        }
        if (abandoned != null) {
            endEach(abandoned, QueuedTask::skip);
        }
        if (ready != null) {
            dispatch(ready, executor);
        }
    }

    /** Moves a waiting task to running. Under the lock. */
    private void startLocked(QueuedTask next) {
        // counted as running first, so that leaving its stack does not retire its server
        targets.get(next.target()).running++;
        unstack(next);
        forgetDeadline(next);
        next.state = State.RUNNING;
        next.startSequence = ++starts;
        next.preempting = false;
        next.newStart();
        if (next.priority() == LlmQueuePriority.LOW) {
            runningLow++;
        }
        running.add(next);
    }

    /** Hands started tasks to the call executor. Outside the lock. */
    private void dispatch(List<QueuedTask> ready, Executor executor) {
        for (QueuedTask task : ready) {
            try {
                executor.execute(() -> run(task));
            } catch (Throwable t) {
                // the pool is going down with the context, or cannot start a thread: give the slot back without
                // dispatching more, and fail the task rather than leave it hanging
                lock.lock();
                try {
                    release(task, null);
                    task.state = State.ENDED;
                } finally {
                    lock.unlock();
                }
                safely(task, () -> task.reject(Reason.SHUTTING_DOWN, t instanceof RejectedExecutionException
                        ? "the llmqueue component is shutting down"
                        : "the llmqueue component could not start the call: " + t));
            }
        }
    }

    private static List<QueuedTask> add(List<QueuedTask> list, QueuedTask task) {
        List<QueuedTask> result = list == null ? new ArrayList<>(2) : list;
        result.add(task);
        return result;
    }

    /**
     * While a HIGH task waits that no slot serves, neither free nor already being taken back, takes back the slot of
     * the LOW call that started last among those that may be preempted: not yet preempted {@code maxPreemptions}
     * times, not committed (a streamed answer that delivered tokens), and either any LOW call when a waiting HIGH
     * task's server has room, or one to a server a HIGH task waits for. Marks them; the caller aborts their calls
     * outside the lock. Under the lock.
     *
     * @return the handles of the calls to abort, or null
     */
    private List<QueuedTask.CallHandle> preemptForWaitingHigh() {
        List<QueuedTask.CallHandle> preempted = null;
        if (highSize <= preemptsInFlight || runningLow == 0) {
            return null;
        }
        boolean highWithRoom = false;
        for (Target target : targets.values()) {
            if (target.high.size() > 0 && hasRoom(target)) {
                highWithRoom = true;
                break;
            }
        }
        while (highSize > preemptsInFlight && running.size() >= maxConcurrentRequests) {
            QueuedTask victim = null;
            for (QueuedTask task : running) {
                if (task.priority() == LlmQueuePriority.LOW && !task.preempting && task.preemptions < maxPreemptions
                    && (victim == null || task.startSequence > victim.startSequence)
                    && (highWithRoom || targets.get(task.target()).high.size() > 0)
                    && !task.callHandle().isCommitted()) {
                    victim = task;
                }
            }
            if (victim == null || !victim.callHandle().tryPreempt()) {
                // none left, or it committed (first token) just now: it runs on; the next promotion looks again
                break;
            }
            victim.preempting = true;
            victim.preemptions++;
            preemptsInFlight++;
            LOG.debug("llmqueue preempts LOW request {} (started last, preemption {} of at most {}) for a waiting HIGH"
                      + " request", victim.id(), victim.preemptions, maxPreemptions);
            preempted = preempted == null ? new ArrayList<>(1) : preempted;
            preempted.add(victim.callHandle());
        }
        return preempted;
    }

    /**
     * The task to run next, or null: the oldest LOW one if it has waited lowPriorityMaxWait, else the newest HIGH one,
     * else the newest LOW one, among the targets with room. One look per target. Under the lock.
     */
    private QueuedTask next(long now) {
        QueuedTask oldestLow = null;
        QueuedTask newestHigh = null;
        QueuedTask newestLow = null;
        boolean lowMayStart = runningLow < maxConcurrentRequests - reservedHighSlots;
        for (Target target : targets.values()) {
            if (!hasRoom(target)) {
                continue;
            }
            newestHigh = newer(newestHigh, target.high.head());
            if (!lowMayStart) {
                continue;
            }
            QueuedTask tail = target.low.tail();
            if (tail != null && (oldestLow == null || tail.pushSequence < oldestLow.pushSequence)) {
                oldestLow = tail;
            }
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
        return target.running < targetCap(target);
    }

    /** What one target may hold: its adaptive limit, under maxConcurrentRequestsPerServer and maxConcurrentRequests. */
    private int targetCap(Target target) {
        int cap = Math.min(target.limit, maxConcurrentRequests);
        return maxConcurrentRequestsPerServer > 0 ? Math.min(cap, maxConcurrentRequestsPerServer) : cap;
    }

    private void run(QueuedTask task) {
        Signal signal = Signal.FAILED;
        long retryDelay = -1;
        boolean preempted = false;
        try {
            signal = task.execute();
            if (signal == Signal.PREEMPTED && task.callHandle().isPreempted()) {
                preempted = true;
            }
            if (signal == Signal.PREEMPTED && !preempted) {
                // a task may only report a preemption the scheduler asked for
                signal = Signal.FAILED;
            }
            if (!preempted) {
                retryDelay = Math.min(task.retryDelayNanos(), MAX_DEADLINE_NANOS);
            }
        } finally {
            if (preempted) {
                resumeLater(task);
            } else {
                finish(task, signal, retryDelay);
            }
        }
    }

    /** After a call that was not preempted: gives the slot back, then retries the task or completes it. */
    private void finish(QueuedTask task, Signal signal, long retryDelay) {
        boolean retry;
        lock.lock();
        try {
            // the slot goes back, and the next task starts, before this one retries or its route resumes
            release(task, signal);
            retry = mayRetry(task, retryDelay, clock.getAsLong());
            if (!retry) {
                task.state = State.ENDED;
            }
        } finally {
            lock.unlock();
        }
        try {
            promoteAndExecute();
        } finally {
            if (retry) {
                retryLater(task, retryDelay);
            } else {
                task.complete();
            }
        }
    }

    /**
     * After a preempted call: gives its slot to the waiting HIGH task, and puts the task back on top of its stack with
     * its deadline, as the newest of its priority, without a back-off. A task that may not wait again (queue stopped,
     * background disabled, deadline passed meanwhile) ends as it would have while waiting.
     */
    private void resumeLater(QueuedTask task) {
        Runnable ending = null;
        lock.lock();
        try {
            release(task, Signal.PREEMPTED);
            long now = clock.getAsLong();
            long deadline = task.deadlineNanos();
            if (callExecutor == null) {
                task.state = State.ENDED;
                ending = () -> task.reject(Reason.SHUTTING_DOWN,
                        "the llmqueue component was stopped while the preempted request waited to run again");
            } else if (disableBackground && task.priority() == LlmQueuePriority.LOW) {
                task.state = State.ENDED;
                ending = () -> task.reject(Reason.BACKGROUND_DISABLED,
                        "background (LOW priority) LLM work was disabled while the request was preempted");
            } else if (deadline != 0 && deadline - now <= 0) {
                task.state = State.ENDED;
                ending = task::expire;
            } else {
                push(task);
                if (deadline != 0 && deadline - now <= MAX_DEADLINE_NANOS) {
                    task.deadlineAt = deadline;
                    deadlines.add(task);
                    arm(now);
                }
            }
        } finally {
            lock.unlock();
        }
        try {
            promoteAndExecute();
        } finally {
            if (ending != null) {
                safely(task, ending);
            }
        }
    }

    /** Whether a task whose attempt just ended may try again after {@code retryDelay}. Under the lock. */
    private boolean mayRetry(QueuedTask task, long retryDelay, long now) {
        long deadline = task.deadlineNanos();
        // durations compared, never instants; a deadline beyond the horizon counts as none
        long remaining = deadline == 0 || deadline - now > MAX_DEADLINE_NANOS ? Long.MAX_VALUE : deadline - now;
        return retryDelay >= 0 && retryDelay < remaining && callExecutor != null
               && !(disableBackground && task.priority() == LlmQueuePriority.LOW);
    }

    /**
     * Announces the retry, then puts the task between attempts. The announcement comes first, while no other thread
     * can see the task: with a short back-off its next attempt could otherwise start, and even end, before listeners
     * heard of this one. A queue closed (or background switched off) meanwhile ends the task with its last outcome.
     */
    private void retryLater(QueuedTask task, long retryDelay) {
        safely(task, () -> task.retryScheduled(retryDelay));
        boolean retry;
        lock.lock();
        try {
            long now = clock.getAsLong();
            retry = mayRetry(task, retryDelay, now);
            if (retry) {
                // between attempts the task holds no slot and sits on no stack
                task.state = State.RETRY_WAIT;
                task.retryAt = now + retryDelay;
                retries.add(task);
                long deadline = task.deadlineNanos();
                if (deadline != 0 && deadline - now <= MAX_DEADLINE_NANOS) {
                    task.deadlineAt = deadline;
                    deadlines.add(task);
                }
                arm(now);
            } else {
                task.state = State.ENDED;
            }
        } finally {
            lock.unlock();
        }
        if (!retry) {
            task.complete();
        }
    }

    /** Gives a running task's slot back and adapts its target's limit. Under the lock. */
    private void release(QueuedTask task, Signal signal) {
        running.remove(task);
        if (task.ticket != 0) {
            ticketed.remove(task.ticket);
            authority.release(task.ticket, signal);
            task.ticket = 0;
        }
        if (task.priority() == LlmQueuePriority.LOW) {
            runningLow--;
        }
        if (task.preempting) {
            task.preempting = false;
            preemptsInFlight--;
        }
        Target target = targets.get(task.target());
        target.running--;
        if (adaptiveConcurrency && signal == Signal.OVERLOADED) {
            target.limit = Math.max(1, targetCap(target) / 2);
            target.successes = 0;
        } else if (adaptiveConcurrency && signal == Signal.SUCCESS && target.limit != Integer.MAX_VALUE
                   && ++target.successes >= target.limit) {
            target.limit = target.limit + 1 >= maxConcurrentRequests ? Integer.MAX_VALUE : target.limit + 1;
            target.successes = 0;
        }
        retireIfIdle(target);
    }

    /**
     * The authority granted a slot to {@code ticket}: starts its task, or, when no task waits with that ticket any more
     * (it was cancelled or expired while the grant was on its way), gives the slot straight back. A grant from before
     * the last {@link #rejoin()} is ignored: the rejoin told the authority that task's state anew.
     */
    public void granted(long epoch, long ticket) {
        QueuedTask task;
        Executor executor;
        boolean abandoned = false;
        lock.lock();
        try {
            if (epoch != this.epoch || authority == null) {
                return;
            }
            task = ticketed.get(ticket);
            executor = callExecutor;
            if (task == null) {
                authority.release(ticket, null);
                return;
            }
            if (task.stack == null) {
                // a running task's ticket is granted once per epoch: nothing else can reach here
                LOG.debug("llmqueue ignores a second grant of ticket {} (request {})", ticket, task.id());
                return;
            }
            if (task.isAbandoned()) {
                end(task);
                abandoned = true;
            } else {
                startLocked(task);
            }
        } finally {
            lock.unlock();
        }
        if (abandoned) {
            safely(task, task::skip);
        } else {
            dispatch(List.of(task), executor);
        }
    }

    /**
     * The authority refused the ticket of a waiting task (its bounds are full, background is disabled, or it cannot be
     * reached and does not fall back): the task fails with {@code reason}. Nothing happens when the task no longer
     * waits.
     */
    public void refused(long ticket, Reason reason, String message) {
        QueuedTask task;
        lock.lock();
        try {
            task = endUnticketed(ticket);
        } finally {
            lock.unlock();
        }
        if (task != null) {
            safely(task, () -> task.reject(reason, message));
        }
    }

    /** The authority dropped a waiting ticket to make room for a newer one (whenFull=dropOldest, on any instance). */
    public void dropped(long epoch, long ticket) {
        QueuedTask task;
        lock.lock();
        try {
            task = epoch == this.epoch ? endUnticketed(ticket) : null;
        } finally {
            lock.unlock();
        }
        if (task != null) {
            safely(task, () -> task.reject(Reason.QUEUE_FULL, "dropped as the oldest request of the full "
                                                              + task.priority() + " priority stack of all instances"
                                                              + " to make room for a newer one (whenFull=dropOldest)"));
        }
    }

    /**
     * Ends the waiting task of a ticket the authority no longer holds (refused, dropped): nothing to withdraw. Under the
     * lock.
     *
     * @return the task, or null when no task waits with that ticket
     */
    private QueuedTask endUnticketed(long ticket) {
        QueuedTask task = ticketed.get(ticket);
        if (task == null || task.stack == null) {
            return null;
        }
        ticketed.remove(ticket);
        task.ticket = 0;
        end(task);
        return task;
    }

    /**
     * Tells the authority everything this scheduler holds (calls in flight, waiting tasks oldest first), replacing what
     * it knew: at start, after the authority lost this instance (its lease ran out), and when it is back after an
     * outage. Tasks started locally meanwhile count as running at once.
     */
    public void rejoin() {
        lock.lock();
        try {
            if (authority == null) {
                return;
            }
            epoch++;
            List<SlotAuthority.Ticket> holding = new ArrayList<>(running.size());
            for (QueuedTask task : running) {
                if (task.ticket == 0) {
                    task.ticket = ++lastTicket;
                    ticketed.put(task.ticket, task);
                }
                holding.add(new SlotAuthority.Ticket(task.ticket, task.priority(), String.valueOf(task.target())));
            }
            List<QueuedTask> stacked = new ArrayList<>(highSize + lowSize);
            for (Target target : targets.values()) {
                stacked.addAll(target.high.snapshot());
                stacked.addAll(target.low.snapshot());
            }
            stacked.sort(Comparator.comparingLong(t -> t.pushSequence));
            List<SlotAuthority.Ticket> waiting = new ArrayList<>(stacked.size());
            for (QueuedTask task : stacked) {
                waiting.add(new SlotAuthority.Ticket(task.ticket, task.priority(), String.valueOf(task.target())));
            }
            authority.rejoin(epoch, holding, waiting);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The authority stopped or resumed deciding ({@link SlotAuthority#decides()}): when it stopped, waiting tasks start
     * here under the local limit.
     */
    public void coordinationChanged() {
        promoteAndExecute();
    }

    /**
     * Removes a waiting task (on a stack or between attempts) and fails it as cancelled.
     *
     * @return whether a waiting task had that id
     */
    public boolean cancel(String id) {
        QueuedTask found;
        lock.lock();
        try {
            found = findWaiting(id);
            if (found != null) {
                end(found);
            }
        } finally {
            lock.unlock();
        }
        if (found == null) {
            return false;
        }
        QueuedTask cancelled = found;
        safely(cancelled, cancelled::cancel);
        return true;
    }

    /** The waiting task with that id, found by walking the stacks and the retry heap: no copy, no sort. Under the lock. */
    private QueuedTask findWaiting(String id) {
        for (Target target : targets.values()) {
            for (TaskStack stack : new TaskStack[] { target.high, target.low }) {
                for (QueuedTask task = stack.head(); task != null; task = task.next) {
                    if (task.id().equals(id)) {
                        return task;
                    }
                }
            }
        }
        return retries.find(id);
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
        high.addAll(retries.snapshot());
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
     * The newest {@code limit} tasks waiting on the stacks of one priority, newest first, across every server. Each
     * server's stack is already newest first, so this merges the stacks' tops by push order and touches only the tasks
     * it returns plus one top per server: its cost does not grow with the number waiting (an operator's view of a
     * million waiting requests reads a hundred). Tasks between two attempts are not on a stack and not included.
     */
    public List<QueuedTask> newestWaiting(LlmQueuePriority priority, int limit) {
        if (limit < 1) {
            return List.of();
        }
        lock.lock();
        try {
            List<QueuedTask> newest = new ArrayList<>(Math.min(limit, priority == LlmQueuePriority.LOW ? lowSize : highSize));
            if (targets.size() == 1) {
                Target only = targets.values().iterator().next();
                for (QueuedTask t = stackOf(only, priority).head(); t != null && newest.size() < limit; t = t.next) {
                    newest.add(t);
                }
                return newest;
            }
            // a k-way merge: the newest among the servers' current tops, then that server's next one
            PriorityQueue<QueuedTask> tops = new PriorityQueue<>(Math.max(1, targets.size()),
                    (a, b) -> Long.compare(b.pushSequence, a.pushSequence));
            for (Target target : targets.values()) {
                QueuedTask head = stackOf(target, priority).head();
                if (head != null) {
                    tops.add(head);
                }
            }
            while (newest.size() < limit && !tops.isEmpty()) {
                QueuedTask t = tops.poll();
                newest.add(t);
                if (t.next != null) {
                    tops.add(t.next);
                }
            }
            return newest;
        } finally {
            lock.unlock();
        }
    }

    /**
     * How long, in nanoseconds, the oldest task of a priority has been on its stack (since it was pushed, or pushed
     * back after a retry back-off); 0 when none waits. One look per server.
     */
    public long oldestWaitingNanos(LlmQueuePriority priority) {
        lock.lock();
        try {
            QueuedTask oldest = oldest(priority);
            return oldest == null ? 0 : Math.max(0, clock.getAsLong() - oldest.pushedNanos);
        } finally {
            lock.unlock();
        }
    }

    private static TaskStack stackOf(Target target, LlmQueuePriority priority) {
        return priority == LlmQueuePriority.LOW ? target.low : target.high;
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
        endEach(drained, task -> task.reject(Reason.SHUTTING_DOWN,
                "the llmqueue component was stopped while the request was waiting"));
    }

    /**
     * Changes the number of slots. Raising it starts waiting tasks at once; lowering it lets calls in flight finish
     * and starts nothing until fewer than the new limit are running.
     */
    public void setMaxConcurrentRequests(int maxConcurrentRequests) {
        requirePositive(maxConcurrentRequests, "maxConcurrentRequests");
        lock.lock();
        try {
            checkReservation(reservedHighSlots, maxConcurrentRequests);
            this.maxConcurrentRequests = maxConcurrentRequests;
        } finally {
            lock.unlock();
        }
        promoteAndExecute();
    }

    /**
     * @throws IllegalArgumentException unless {@code 0 <= reservedHighSlots < maxConcurrentRequests}, naming both
     */
    public static void checkReservation(int reservedHighSlots, int maxConcurrentRequests) {
        if (reservedHighSlots < 0 || reservedHighSlots >= maxConcurrentRequests) {
            throw new IllegalArgumentException("reservedHighSlots (" + reservedHighSlots + ") must be at least 0 and"
                                               + " less than maxConcurrentRequests (" + maxConcurrentRequests
                                               + "): LOW requests need at least one slot");
        }
    }

    /**
     * Keeps this many slots for HIGH requests: LOW calls hold at most {@code maxConcurrentRequests - reservedHighSlots}.
     * Lowering it starts waiting LOW tasks at once; raising it lets LOW calls in flight finish.
     */
    public void setReservedHighSlots(int reservedHighSlots) {
        lock.lock();
        try {
            checkReservation(reservedHighSlots, maxConcurrentRequests);
            this.reservedHighSlots = reservedHighSlots;
        } finally {
            lock.unlock();
        }
        promoteAndExecute();
    }

    /** Whether a waiting HIGH request takes the slot of the LOW call that started last when no slot is free. */
    public void setPreemptLow(boolean preemptLow) {
        lock.lock();
        try {
            this.preemptLow = preemptLow;
        } finally {
            lock.unlock();
        }
        promoteAndExecute();
    }

    /** How many times one request may be preempted; after that its call runs to the end. */
    public void setMaxPreemptions(int maxPreemptions) {
        if (maxPreemptions < 0) {
            throw new IllegalArgumentException("maxPreemptions must not be negative, was " + maxPreemptions);
        }
        lock.lock();
        try {
            this.maxPreemptions = maxPreemptions;
        } finally {
            lock.unlock();
        }
        promoteAndExecute();
    }

    /** What one server may hold at most, under its adaptive limit; 0 for no cap under maxConcurrentRequests. */
    public void setMaxConcurrentRequestsPerServer(int maxConcurrentRequestsPerServer) {
        if (maxConcurrentRequestsPerServer < 0) {
            throw new IllegalArgumentException("maxConcurrentRequestsPerServer must not be negative (0 for no cap),"
                                               + " was " + maxConcurrentRequestsPerServer);
        }
        lock.lock();
        try {
            this.maxConcurrentRequestsPerServer = maxConcurrentRequestsPerServer;
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
        endEach(drained, task -> task.reject(Reason.BACKGROUND_DISABLED,
                "background (LOW priority) LLM work was disabled while the request was waiting"));
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
                idleLimits.clear();
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
            return retries.size();
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
            targets.forEach((target, t) -> limits.put(String.valueOf(target), targetCap(t)));
            idleLimits.forEach((target, t) -> limits.put(String.valueOf(target), targetCap(t)));
            return limits;
        } finally {
            lock.unlock();
        }
    }

    /** For tests: the servers with work waiting or running, and the idle ones whose lowered limit is remembered. */
    int[] serverCounts() {
        lock.lock();
        try {
            return new int[] { targets.size(), idleLimits.size() };
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
