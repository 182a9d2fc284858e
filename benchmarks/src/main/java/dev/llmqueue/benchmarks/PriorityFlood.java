package dev.llmqueue.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.llmqueue.benchmarks.Harness.Server;
import dev.llmqueue.benchmarks.Harness.Target;
import dev.llmqueue.benchmarks.Harness.Ticket;
import dev.llmqueue.simulator.LlmSimulator;
import dev.llmqueue.simulator.RecordedCall;
import org.apache.camel.component.seda.SedaEndpoint;

/**
 * Measurement 3, the reason llmqueue exists: HIGH requests arriving at a steady rate while a backlog of LOW requests
 * is kept at a fixed depth (each LOW that completes is replaced by a new one), against the slow simulator (50 ms per
 * request, parallelism 2) with 2 slots (llmqueue) or 2 consumers (fifo).
 * <p>
 * A HIGH request's wait is measured from the moment it is sent to the moment it arrives at the simulator (the
 * simulator's own arrival stamp; same JVM, same clock), so it is the time spent queued in front of the server. A HIGH
 * request that has not reached the server when the run ends is censored: it is known to have waited at least until
 * then, and is reported as such.
 */
public final class PriorityFlood {

    /** One HIGH request: sent at, reached the server at (0 = not by the end of the run). */
    public record HighWait(double sentSeconds, long waitNanos, boolean censored) {
    }

    /** What one contender's run measured. */
    public record Result(Contender contender, int backlog, double highPerSecond, double seconds, List<HighWait> high,
                         Samples highWait, int highCensored, long censoredMinNanos, Samples lowWait,
                         double lowPerSecond, double totalPerSecond, double oldestLowAgeSeconds, int failures) {

        /** The HIGH p-quantile wait, counting censored requests at their lower bound; lower bound if any censored. */
        public long highPercentile(double q) {
            Samples all = new Samples(high.size());
            for (HighWait w : high) {
                all.add(w.waitNanos());
            }
            return all.percentile(q);
        }

        /** Whether the p-quantile is only a lower bound (it falls on or above a censored request). */
        public boolean highPercentileCensored(double q) {
            if (highCensored == 0) {
                return false;
            }
            long value = highPercentile(q);
            return value >= censoredMinNanos;
        }
    }

    private PriorityFlood() {
    }

    /**
     * @param backlog      LOW requests kept waiting
     * @param highPerSec   HIGH arrival rate
     * @param seconds      how long HIGH requests arrive
     */
    public static Result run(Harness harness, Contender contender, int backlog, double highPerSec, double seconds)
            throws InterruptedException {
        if (contender == Contender.direct) {
            throw new IllegalArgumentException("direct has no queue to keep a backlog in");
        }
        LlmSimulator sim = harness.simulator(Server.slow);
        Target target = harness.target(Server.slow, contender, harness.slowParallelism());
        sim.clearRecorded();
        AtomicBoolean feeding = new AtomicBoolean(true);
        AtomicLong lowIds = new AtomicLong(1_000_000);
        AtomicLong lowDone = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        List<long[]> lowSent = new ArrayList<>();
        Object lock = new Object();
        Harness.Listener[] lowListener = new Harness.Listener[1];
        lowListener[0] = ticket -> {
            if (ticket.failure != null) {
                if (feeding.get()) {
                    failures.incrementAndGet();
                }
                return;
            }
            lowDone.incrementAndGet();
            if (feeding.get()) {
                sendLow(target, lowIds.incrementAndGet(), lowListener[0], lowSent, lock);
            }
        };
        // the backlog: LOW requests sent before the first HIGH
        long fillStart = System.nanoTime();
        for (int i = 0; i < backlog; i++) {
            sendLow(target, lowIds.incrementAndGet(), lowListener[0], lowSent, lock);
        }
        // let the queue settle into its steady state (both slots busy, backlog topped up)
        Thread.sleep(300);
        long lowDone0 = lowDone.get();
        long received0 = sim.stats().received();

        int count = (int) Math.round(highPerSec * seconds);
        long period = (long) (1e9 / highPerSec);
        Ticket[] tickets = new Ticket[count];
        long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
        for (int k = 0; k < count; k++) {
            long due = t0 + k * period;
            LoadDriver.sleepUntil(due);
            Ticket ticket = new Ticket(k, "HIGH", null);
            tickets[k] = ticket;
            var exchange = target.prepare(ticket, Harness.prompt("HIGH", k), null);
            ticket.start = System.nanoTime();
            target.send(exchange);
        }
        // the window closes one period after the last HIGH was sent: what has not reached the server by then is censored
        LoadDriver.sleepUntil(t0 + count * period);
        long windowEnd = System.nanoTime();
        long lowDone1 = lowDone.get();
        long received1 = sim.stats().received();
        List<RecordedCall> calls = sim.recorded();

        // stop: no more LOW, and drop what waits (llmqueue: the live background toggle fails waiting LOW at once)
        feeding.set(false);
        if (contender == Contender.llmqueue) {
            harness.queue().setDisableBackground(true);
            for (Ticket t : tickets) {
                t.await(TimeUnit.SECONDS.toNanos(5));
            }
            harness.queue().setDisableBackground(false);
        } else {
            String name = "seda:fifo-" + Server.slow + "-" + harness.slowParallelism();
            for (var endpoint : harness.context().getEndpoints()) {
                if (endpoint instanceof SedaEndpoint seda && seda.getEndpointUri().startsWith(name)) {
                    seda.getQueue().clear();
                }
            }
        }
        waitIdle(harness, sim);

        // HIGH waits from the simulator's arrival stamps
        long[] arrival = new long[count];
        List<RecordedCall> lowCalls = new ArrayList<>();
        for (RecordedCall call : calls) {
            int at = call.body().indexOf("HIGH #");
            if (at >= 0) {
                long id = ReplyClock.idIn(call.body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                if (id >= 0 && id < count) {
                    arrival[(int) id] = call.arrivalNanos();
                }
            } else {
                lowCalls.add(call);
            }
        }
        List<HighWait> high = new ArrayList<>(count);
        Samples highWait = new Samples(count);
        int censored = 0;
        long censoredMin = Long.MAX_VALUE;
        for (int k = 0; k < count; k++) {
            double sentAt = (tickets[k].start - t0) / 1e9;
            if (arrival[k] != 0 && arrival[k] <= windowEnd) {
                long wait = arrival[k] - tickets[k].start;
                high.add(new HighWait(sentAt, wait, false));
                highWait.add(wait);
            } else {
                long atLeast = windowEnd - tickets[k].start;
                high.add(new HighWait(sentAt, atLeast, true));
                censored++;
                censoredMin = Math.min(censoredMin, atLeast);
            }
        }
        // LOW waits: the ids are in the prompts; the send times were kept
        java.util.Map<Long, Long> lowSendTimes = new java.util.HashMap<>();
        synchronized (lock) {
            for (long[] s : lowSent) {
                lowSendTimes.put(s[0], s[1]);
            }
        }
        Samples lowWait = new Samples(lowCalls.size());
        long oldestWaitingSentAt = Long.MAX_VALUE;
        java.util.Set<Long> served = new java.util.HashSet<>();
        for (RecordedCall call : lowCalls) {
            long id = ReplyClock.idIn(call.body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            Long sent = lowSendTimes.get(id);
            if (sent != null && call.arrivalNanos() >= t0 && call.arrivalNanos() <= windowEnd) {
                lowWait.add(call.arrivalNanos() - sent);
            }
            served.add(id);
        }
        for (var e : lowSendTimes.entrySet()) {
            if (!served.contains(e.getKey())) {
                oldestWaitingSentAt = Math.min(oldestWaitingSentAt, e.getValue());
            }
        }
        double window = (windowEnd - t0) / 1e9;
        double oldestAge = oldestWaitingSentAt == Long.MAX_VALUE ? 0 : (windowEnd - oldestWaitingSentAt) / 1e9;
        return new Result(contender, backlog, highPerSec, window, high, highWait, censored,
                censored == 0 ? 0 : censoredMin, lowWait, (lowDone1 - lowDone0) / window,
                (received1 - received0) / window, Math.max(0, oldestAge), (int) failures.get());
    }

    private static void sendLow(Target target, long id, Harness.Listener listener, List<long[]> sent, Object lock) {
        Ticket ticket = new Ticket(id, "LOW", listener);
        var exchange = target.prepare(ticket, Harness.prompt("LOW", id), null);
        ticket.start = System.nanoTime();
        synchronized (lock) {
            sent.add(new long[] {id, ticket.start});
        }
        target.send(exchange);
    }

    /** Waits until the calls in flight have finished, so the next run starts on an idle simulator. */
    private static void waitIdle(Harness harness, LlmSimulator sim) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline
               && (sim.stats().currentlyServing() > 0 || sim.stats().currentlyWaiting() > 0
                   || harness.queue().getActiveRequests() > 0)) {
            Thread.sleep(20);
        }
        Thread.sleep(100);
    }
}
