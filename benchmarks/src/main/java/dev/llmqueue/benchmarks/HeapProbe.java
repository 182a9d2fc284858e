package dev.llmqueue.benchmarks;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.simulator.LlmSimulator;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * Measurement 4b and 4c, run in a JVM of its own (the suite starts it with {@code -Xmx256m}): N requests waiting
 * behind a held slot (for llmqueue, each with a deadline: {@code maxQueueTime=1h}), and what they cost in heap (used heap after full GCs, minus the same N exchanges before they were
 * sent) and in live threads.
 * <p>
 * {@code java -Xmx256m -cp ... dev.llmqueue.benchmarks.HeapProbe llmqueue|fifo|direct route|producer N} prints
 * {@code key=value} lines.
 */
public final class HeapProbe {

    private HeapProbe() {
    }

    public static void main(String[] args) throws Exception {
        Contender contender = Contender.valueOf(args[0]);
        boolean viaRoute = args[1].equals("route");
        int n = Integer.parseInt(args[2]);
        // the slot is held by one request the simulator sits on for longer than the probe lives
        LlmSimulator sim = LlmSimulator.builder().serviceTime(Duration.ofMinutes(10)).parallelism(1)
                .maxQueue(n + 16).recordCalls(false).build().start();
        CamelContext context = new DefaultCamelContext();
        LlmQueueComponent queue = new LlmQueueComponent();
        queue.setMaxConcurrentRequests(1);
        queue.setMaxLowQueueSize(n + 16);
        queue.setMaxHighQueueSize(n + 16);
        context.addComponent("llmqueue", queue);
        // every waiting request has a deadline: waiting must cost no bounded resource, and deadlines no more heap
        String llmqueue = "llmqueue:ollama?model=" + Harness.MODEL + "&maxQueueTime=1h&baseUrl=" + sim.baseUrl();
        String seda = "seda:fifo?concurrentConsumers=1&size=" + (n + 16);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:llmqueue").to(llmqueue);
                from("direct:fifo").to(seda);
                from("direct:direct").to(Harness.httpUri(sim));
                from(seda).to(Harness.httpUri(sim));
            }
        });
        context.start();
        String entryUri = viaRoute ? "direct:" + contender : switch (contender) {
            case llmqueue -> llmqueue;
            case fifo -> seda;
            case direct -> Harness.httpUri(sim);
        };
        AsyncProducer entry = context.getEndpoint(entryUri).createAsyncProducer();
        entry.start();

        // hold the only slot (llmqueue) / the only consumer (fifo) / the server (direct)
        Thread holder = new Thread(() -> {
            Exchange hold = exchange(entry, contender, "hold the slot", "HIGH");
            entry.process(hold, doneSync -> {
            });
        }, "probe-holder");
        holder.setDaemon(true);
        holder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (sim.stats().currentlyServing() < 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the holding request never reached the simulator");
            }
            Thread.sleep(5);
        }
        Thread.sleep(200);

        long heapBase = usedAfterGc();
        int threadsBase = threads(false);
        int allThreadsBase = threads(true);
        Exchange[] exchanges = new Exchange[n];
        for (int i = 0; i < n; i++) {
            exchanges[i] = exchange(entry, contender, "background job " + i + " of the nightly batch", "LOW");
        }
        long heapExchanges = usedAfterGc();

        long sendStart = System.nanoTime();
        List<Thread> callers = new ArrayList<>();
        if (contender == Contender.direct) {
            // no queue: every waiting request is a blocked caller
            for (int i = 0; i < n; i++) {
                Exchange exchange = exchanges[i];
                Thread caller = new Thread(() -> entry.process(exchange, doneSync -> {
                }), "probe-caller-" + i);
                caller.setDaemon(true);
                caller.start();
                callers.add(caller);
            }
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (sim.stats().currentlyWaiting() < n && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } else {
            for (int i = 0; i < n; i++) {
                entry.process(exchanges[i], doneSync -> {
                });
            }
        }
        long sendNanos = System.nanoTime() - sendStart;
        Thread.sleep(300);
        long heapWaiting = usedAfterGc();
        int threadsWaiting = threads(false);
        int allThreadsWaiting = threads(true);
        int waiting = switch (contender) {
            case llmqueue -> queue.getLowPriorityQueueSize();
            case fifo -> context.getEndpoint(seda, org.apache.camel.component.seda.SedaEndpoint.class).getQueue().size();
            case direct -> sim.stats().currentlyWaiting();
        };
        long maxHeap = Runtime.getRuntime().maxMemory();
        System.out.printf(Locale.ROOT, "contender=%s%nvia=%s%nn=%d%nwaiting=%d%n", contender, args[1], n, waiting);
        System.out.printf(Locale.ROOT, "heapBase=%d%nheapExchanges=%d%nheapWaiting=%d%nmaxHeap=%d%n", heapBase,
                heapExchanges, heapWaiting, maxHeap);
        System.out.printf(Locale.ROOT, "bytesPerExchange=%.1f%nbytesPerWaiting=%.1f%n",
                (heapExchanges - heapBase) / (double) n, (heapWaiting - heapExchanges) / (double) n);
        System.out.printf(Locale.ROOT, "threadsBase=%d%nthreadsWaiting=%d%nallThreadsBase=%d%nallThreadsWaiting=%d%n",
                threadsBase, threadsWaiting, allThreadsBase, allThreadsWaiting);
        System.out.printf(Locale.ROOT, "sendMicrosPerRequest=%.2f%n", sendNanos / 1e3 / n);
        System.out.flush();
        // keep the exchanges reachable until measured
        if (exchanges.length > 0 && exchanges[0] == null) {
            System.out.println("unreachable");
        }
        Runtime.getRuntime().halt(0);
    }

    private static Exchange exchange(AsyncProducer entry, Contender contender, String prompt, String priority) {
        Exchange exchange = entry.getEndpoint().createExchange();
        if (contender == Contender.llmqueue) {
            exchange.getMessage().setBody(prompt);
            exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, priority);
        } else {
            exchange.getMessage().setBody(Harness.payload(prompt));
            exchange.getMessage().setHeader(Exchange.HTTP_METHOD, "POST");
            exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        }
        return exchange;
    }

    /** Used heap after full collections, until it stops shrinking. */
    static long usedAfterGc() throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            best = Math.min(best, used);
        }
        return best;
    }

    /** Live threads; without the simulator's own (it stands in for a remote server) unless {@code all}. */
    static int threads(boolean all) {
        int count = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (all || !t.getName().startsWith("llm-simulator-")) {
                count++;
            }
        }
        return count;
    }
}
