package dev.llmqueue.camel.queue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A clock and a timer that move only when the test says so: {@link #advance} sets the time forward and runs, in time
 * order, what came due. Deadlines, back-offs and aging become deterministic.
 */
final class ManualTimer extends AbstractExecutorService implements ScheduledExecutorService {

    private long now = 1_000_000_000L;
    private final List<Scheduled> scheduled = new ArrayList<>();

    long now() {
        return now;
    }

    /** Moves the clock forward and runs every task that came due, in time order. */
    void advance(long amount, TimeUnit unit) {
        long until = now + unit.toNanos(amount);
        while (true) {
            Scheduled next = scheduled.stream().filter(s -> !s.cancelled && s.at <= until)
                    .min(Comparator.comparingLong(s -> s.at)).orElse(null);
            if (next == null) {
                break;
            }
            scheduled.remove(next);
            now = Math.max(now, next.at);
            next.task.run();
        }
        now = until;
    }

    /** Timers armed and not cancelled. */
    long pending() {
        return scheduled.stream().filter(s -> !s.cancelled).count();
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        Scheduled s = new Scheduled(now + unit.toNanos(delay), command);
        scheduled.add(s);
        return s;
    }

    private final class Scheduled implements ScheduledFuture<Object> {
        final long at;
        final Runnable task;
        boolean cancelled;

        Scheduled(long at, Runnable task) {
            this.at = at;
            this.task = task;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(at - now, TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            cancelled = true;
            return scheduled.remove(this);
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return cancelled || !scheduled.contains(this);
        }

        @Override
        public Object get() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            throw new UnsupportedOperationException();
        }
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void shutdown() {
    }

    @Override
    public List<Runnable> shutdownNow() {
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return false;
    }

    @Override
    public boolean isTerminated() {
        return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return true;
    }

    @Override
    public void execute(Runnable command) {
        throw new UnsupportedOperationException();
    }
}
