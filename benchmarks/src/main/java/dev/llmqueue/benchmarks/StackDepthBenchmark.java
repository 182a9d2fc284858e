package dev.llmqueue.benchmarks;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueRejectedException;
import dev.llmqueue.camel.queue.LlmQueueScheduler;
import dev.llmqueue.camel.queue.QueuedTask;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.seda.SedaEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Measurement 4a: the cost of one enqueue plus one dispatch with {@code depth} requests already waiting.
 * <p>
 * {@code llmqueue}: the component's {@link LlmQueueScheduler} with one slot, held; each operation submits a LOW task
 * and then finishes the running one, which releases the slot and makes the scheduler pop the next task (the newest:
 * LIFO) and hand it to the call executor — here an executor that only keeps the runnable, so no thread is involved.
 * The stack stays at {@code depth}.
 * <p>
 * {@code llmqueue-throttled}: the same scheduler shared by two servers (targets), A and B, with 2 slots. A said it was
 * overloaded (one 429: adaptive concurrency halves its limit to 1) and has its one call in flight; the {@code depth}
 * waiting tasks are all for A. Each operation submits a task for B, which is dispatched, and finishes it.
 * <p>
 * {@code fifo}: the queue of a seda endpoint (what seda's producer offers to and its consumers poll from) with
 * {@code depth} exchanges in it; each operation offers one and polls one (the oldest: FIFO).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StackDepthBenchmark {

    @Param({"1000", "100000", "1000000"})
    public int depth;

    @Param({"llmqueue", "llmqueue-throttled", "fifo"})
    public String contender;

    private LlmQueueScheduler scheduler;
    private ScheduledExecutorService timer;
    private Runnable dispatched;
    private boolean throttled;

    private CamelContext context;
    private BlockingQueue<Exchange> queue;
    private Exchange exchange;

    /** A LOW request for one server, as the scheduler sees it; its call does nothing. */
    static final class Task extends QueuedTask {
        private final String target;
        Signal signal = Signal.SUCCESS;

        Task(String target) {
            this.target = target;
        }

        @Override
        public String id() {
            return "task";
        }

        @Override
        public LlmQueuePriority priority() {
            return LlmQueuePriority.LOW;
        }

        @Override
        public Object target() {
            return target;
        }

        @Override
        public long deadlineNanos() {
            return 0;
        }

        @Override
        public boolean isAbandoned() {
            return false;
        }

        @Override
        public Signal execute() {
            return signal;
        }

        @Override
        public long retryDelayNanos() {
            return -1;
        }

        @Override
        public void complete() {
        }

        @Override
        public void reject(LlmQueueRejectedException.Reason reason, String message) {
        }

        @Override
        public void expire() {
        }

        @Override
        public void cancel() {
        }

        @Override
        public void skip() {
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        if (contender.startsWith("llmqueue")) {
            throttled = contender.equals("llmqueue-throttled");
            timer = Executors.newSingleThreadScheduledExecutor();
            scheduler = new LlmQueueScheduler(throttled ? 2 : 1, Integer.MAX_VALUE, Integer.MAX_VALUE, false);
            Executor keep = runnable -> dispatched = runnable;
            scheduler.start(keep, timer);
            if (throttled) {
                Task overloaded = new Task("A");
                overloaded.signal = QueuedTask.Signal.OVERLOADED;
                scheduler.submit(overloaded);
                Runnable first = take();
                scheduler.submit(new Task("A")); // A's second call: holds a slot for the whole run
                take();
                first.run(); // the first call answers 429: A's limit drops to 1, and A is at it
            } else {
                scheduler.submit(new Task("A")); // takes the slot
            }
            for (int i = 0; i < depth; i++) {
                scheduler.submit(new Task("A"));
            }
            if (throttled) {
                scheduler.submit(new Task("B")); // B becomes known, with room
                take().run();
            }
            if (scheduler.getLowPriorityQueueSize() != depth || (!throttled && dispatched == null)) {
                throw new IllegalStateException("setup: stack is " + scheduler.getLowPriorityQueueSize());
            }
        } else {
            context = new DefaultCamelContext();
            context.start();
            SedaEndpoint seda = context.getEndpoint("seda:depth?size=" + (depth + 16), SedaEndpoint.class);
            queue = seda.getQueue();
            exchange = seda.createExchange();
            for (int i = 0; i < depth; i++) {
                queue.offer(seda.createExchange());
            }
        }
    }

    private Runnable take() {
        Runnable r = dispatched;
        dispatched = null;
        if (r == null) {
            throw new IllegalStateException("setup: nothing was dispatched");
        }
        return r;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (scheduler != null) {
            scheduler.stop();
            timer.shutdownNow();
        }
        if (context != null) {
            context.stop();
        }
    }

    @Benchmark
    public Object enqueueAndDispatch() {
        if (scheduler != null) {
            if (throttled) {
                // B's request: dispatched at once (B has room), then it finishes
                scheduler.submit(new Task("B"));
            } else {
                scheduler.submit(new Task("A")); // a task is accepted once: a new one each time, as in the component
            }
            Runnable running = dispatched;
            dispatched = null;
            running.run(); // the running task finishes: slot released, the next one popped and dispatched
            return dispatched;
        }
        queue.offer(exchange);
        return queue.poll();
    }
}
