package dev.llmqueue.benchmarks;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.llmqueue.benchmarks.Harness.Target;
import dev.llmqueue.benchmarks.Harness.Ticket;
import org.apache.camel.Exchange;

/**
 * The end-to-end load patterns: one request in flight (closed loop), a fixed arrival rate (open loop, latency from
 * the intended send time, so a slow contender cannot hide its queueing), and saturation at a given concurrency.
 * Every loop is bounded in count and time.
 */
public final class LoadDriver implements AutoCloseable {

    private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(30);

    /** Sends open-loop requests, so that a contender that blocks its caller (direct) does not delay the next send. */
    private final ExecutorService senders;

    public LoadDriver() {
        AtomicInteger n = new AtomicInteger();
        senders = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "bench-sender-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * What a latency run measured. At 1 in flight also the parts: {@code dispatch}, sent → the thread that makes the
     * call has the request (llmqueue: a call thread; fifo: a seda consumer; none for direct), and {@code call}, from
     * then (direct: from sending) → the HTTP reply's head at the client; {@code handoff} is reply → route resumed.
     */
    public record Latencies(Samples latency, Samples handoff, int failures, Samples dispatch, Samples call,
                            Samples[] steps) {

        Latencies(Samples latency, Samples handoff, int failures) {
            this(latency, handoff, failures, new Samples(16), new Samples(16), Steps.none());
        }
    }

    /**
     * llmqueue's reply → route resumed, in the steps its listeners report: reply at the client → call ended (body read,
     * JSON parsed); → request ended (slot given back, next request dispatched); → route resumed.
     */
    enum Steps {
        readAndParse, releaseAndDispatch, resume;

        static Samples[] none() {
            Samples[] s = new Samples[values().length];
            for (int i = 0; i < s.length; i++) {
                s[i] = new Samples(16);
            }
            return s;
        }
    }

    /**
     * Sends {@code count} requests one after the other: each is sent when the previous one's route has resumed.
     * Latency: send to route resumed. Hand-off: HTTP reply at the client to route resumed.
     */
    public Latencies serial(Target target, String tag, int count) {
        Samples latency = new Samples(count);
        Samples handoff = new Samples(count);
        Samples dispatch = new Samples(count);
        Samples call = new Samples(count);
        Samples[] steps = Steps.none();
        int failures = 0;
        byte[][] payloads = payloads(target, tag, count);
        ReplyClock.arm(count);
        CallClock.arm();
        try {
            for (int i = 0; i < count; i++) {
                Ticket ticket = new Ticket(i, "HIGH", null);
                Exchange exchange = target.prepare(ticket, Harness.prompt(tag, i), payloads[i]);
                ticket.start = System.nanoTime();
                target.send(exchange);
                if (!ticket.await(TIMEOUT)) {
                    throw new IllegalStateException(target.contender() + ": request " + i + " did not complete in 30 s");
                }
                if (ticket.failure != null) {
                    failures++;
                    continue;
                }
                latency.add(ticket.latencyNanos());
                long reply = ReplyClock.replyNanos(i);
                if (reply != 0) {
                    handoff.add(ticket.end - reply);
                }
                long dispatched = ticket.dispatched;
                if (dispatched != 0) {
                    dispatch.add(dispatched - ticket.start);
                }
                if (reply != 0) {
                    call.add(reply - (dispatched != 0 ? dispatched : ticket.start));
                    CallClock.Steps st = ticket.steps;
                    if (st.callEnded() != 0 && st.ended() != 0) {
                        steps[Steps.readAndParse.ordinal()].add(st.callEnded() - reply);
                        steps[Steps.releaseAndDispatch.ordinal()].add(st.ended() - st.callEnded());
                        steps[Steps.resume.ordinal()].add(ticket.end - st.ended());
                    }
                }
            }
        } finally {
            ReplyClock.disarm();
            CallClock.disarm();
        }
        return new Latencies(latency, handoff, failures, dispatch, call, steps);
    }

    /**
     * Sends {@code count} requests at {@code perSecond}, each at its due time whatever happened to the others.
     * Latency: due time to route resumed.
     */
    public Latencies rate(Target target, String tag, int count, int perSecond) throws InterruptedException {
        Samples latency = new Samples(count);
        Samples handoff = new Samples(count);
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        byte[][] payloads = payloads(target, tag, count);
        Harness.Listener listener = ticket -> {
            if (ticket.failure != null) {
                failures.incrementAndGet();
            } else {
                latency.add(ticket.end - ticket.start);
                long reply = ReplyClock.replyNanos(ticket.id);
                if (reply != 0) {
                    handoff.add(ticket.end - reply);
                }
            }
            finished.incrementAndGet();
        };
        Ticket[] tickets = new Ticket[count];
        Exchange[] exchanges = new Exchange[count];
        for (int i = 0; i < count; i++) {
            tickets[i] = new Ticket(i, "HIGH", listener);
            exchanges[i] = target.prepare(tickets[i], Harness.prompt(tag, i), payloads[i]);
        }
        ReplyClock.arm(count);
        try {
            long period = TimeUnit.SECONDS.toNanos(1) / perSecond;
            long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
            for (int i = 0; i < count; i++) {
                long due = t0 + i * period;
                sleepUntil(due);
                Ticket ticket = tickets[i];
                Exchange exchange = exchanges[i];
                exchanges[i] = null;
                senders.execute(() -> {
                    ticket.start = due;
                    target.send(exchange);
                });
            }
            long deadline = System.nanoTime() + TIMEOUT;
            while (finished.get() < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(target.contender() + ": " + (count - finished.get())
                                                    + " requests did not complete in 30 s");
                }
                Thread.sleep(2);
            }
        } finally {
            ReplyClock.disarm();
        }
        return new Latencies(latency, handoff, failures.get());
    }

    /**
     * Keeps the contender saturated at {@code concurrency} for warm-up plus measurement and returns the completions per
     * second during the measurement. direct: {@code concurrency} threads each calling in a loop. llmqueue and fifo:
     * one thread keeping {@code 2 x concurrency} (at least 4) requests outstanding, so that a slot or consumer never
     * waits for work.
     */
    public double throughput(Target target, int concurrency, long warmupNanos, long measureNanos)
            throws InterruptedException {
        String prompt = "throughput: what is the answer?";
        byte[] payload = Harness.payload(prompt);
        AtomicLong completed = new AtomicLong();
        AtomicInteger failures = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        Thread[] threads;
        Semaphore window;
        if (target.blocking()) {
            window = null;
            threads = new Thread[concurrency];
            for (int t = 0; t < concurrency; t++) {
                threads[t] = new Thread(() -> {
                    while (!stop.get()) {
                        Ticket ticket = new Ticket(0, "HIGH", null);
                        target.send(target.prepare(ticket, prompt, payload));
                        if (ticket.failure != null) {
                            failures.incrementAndGet();
                        }
                        completed.incrementAndGet();
                    }
                }, "bench-direct-" + t);
            }
        } else {
            int outstanding = Math.max(4, 2 * concurrency);
            window = new Semaphore(outstanding);
            Harness.Listener listener = ticket -> {
                if (ticket.failure != null) {
                    failures.incrementAndGet();
                }
                completed.incrementAndGet();
                window.release();
            };
            threads = new Thread[] {new Thread(() -> {
                try {
                    while (!stop.get()) {
                        if (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                            continue;
                        }
                        Ticket ticket = new Ticket(0, "HIGH", listener);
                        target.send(target.prepare(ticket, prompt, payload));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bench-feeder")};
        }
        for (Thread t : threads) {
            t.setDaemon(true);
            t.start();
        }
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(warmupNanos));
        long c0 = completed.get();
        long t0 = System.nanoTime();
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(measureNanos));
        long c1 = completed.get();
        long t1 = System.nanoTime();
        stop.set(true);
        for (Thread t : threads) {
            t.join(TimeUnit.NANOSECONDS.toMillis(TIMEOUT));
        }
        if (window != null) {
            // let the outstanding requests finish, so the next run starts on an idle contender
            int outstanding = Math.max(4, 2 * concurrency);
            if (!window.tryAcquire(outstanding, 30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(target.contender() + ": requests still outstanding after 30 s");
            }
        }
        if (failures.get() > 0) {
            throw new IllegalStateException(target.contender() + ": " + failures.get() + " requests failed");
        }
        return (c1 - c0) * 1e9 / (t1 - t0);
    }

    private static byte[][] payloads(Target target, String tag, int count) {
        byte[][] payloads = new byte[count][];
        if (target.contender() != Contender.llmqueue) {
            for (int i = 0; i < count; i++) {
                payloads[i] = Harness.payload(Harness.prompt(tag, i));
            }
        }
        return payloads;
    }

    static void sleepUntil(long due) {
        long now;
        while ((now = System.nanoTime()) < due) {
            long left = due - now;
            if (left > 100_000) {
                LockSupport.parkNanos(left - 50_000);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    @Override
    public void close() {
        senders.shutdownNow();
    }
}
