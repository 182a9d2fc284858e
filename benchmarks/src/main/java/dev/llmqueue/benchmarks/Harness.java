package dev.llmqueue.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueueOperation;
import dev.llmqueue.camel.provider.LlmProvider;
import dev.llmqueue.camel.provider.LlmRequest;
import dev.llmqueue.simulator.LlmSimulator;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.component.http.HttpMethods;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * One CamelContext with the three contenders' routes, against simulators on 127.0.0.1:
 * <ul>
 * <li>{@code instant}: no service time, parallelism 256 — the server is never the bottleneck;</li>
 * <li>{@code slow}: 50 ms per request, parallelism 2 — the LOW flood scenario.</li>
 * </ul>
 * Every route ends with the same processor, which stamps the moment the route resumes after the LLM call and hands
 * the request's {@link Ticket} back to whoever measures.
 */
public final class Harness implements AutoCloseable {

    /** The model every request names. */
    public static final String MODEL = "llama3.2";
    /** The exchange property that carries a request's {@link Ticket}. */
    public static final String TICKET = "bench.ticket";
    /** The fifo (seda) consumer counts the harness builds routes for, on the instant simulator. */
    public static final int[] FIFO_LEVELS = {1, 8, 64};

    /** Where a request is sent. */
    public enum Server {
        instant, slow
    }

    private static final LlmProvider OLLAMA = LlmProvider.forName("ollama");
    static final Processor DONE = exchange -> {
        long now = System.nanoTime();
        Ticket ticket = exchange.getProperty(TICKET, Ticket.class);
        if (ticket != null) {
            if (ticket.dispatched == 0) {
                // llmqueue: its steps as the component reported them (only while armed, at 1 in flight)
                ticket.steps = CallClock.stepsOf(exchange);
                ticket.dispatched = ticket.steps.callStarted();
            }
            ticket.finish(now, null);
        }
    };
    /** First in a seda consumer's route: when the consumer thread took the exchange (the end of fifo's hand-off). */
    static final Processor DISPATCHED = exchange -> {
        Ticket ticket = exchange.getProperty(TICKET, Ticket.class);
        if (ticket != null) {
            ticket.dispatched = System.nanoTime();
        }
    };
    static final Processor FAILED = exchange -> {
        Ticket ticket = exchange.getProperty(TICKET, Ticket.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (ticket != null) {
            ticket.finish(System.nanoTime(), cause == null ? new IllegalStateException("failed") : cause);
        }
    };

    private final LlmSimulator instant;
    private final LlmSimulator slow;
    private final Duration slowServiceTime;
    private final int slowParallelism;
    private CamelContext context;
    private LlmQueueComponent queue;
    private final Map<Server, Map<Contender, AsyncProducer>> entries = new EnumMap<>(Server.class);
    private final Map<String, AsyncProducer> fifoEntries = new java.util.HashMap<>();
    private final List<AsyncProducer> producers = new ArrayList<>();

    public Harness(Duration slowServiceTime, int slowParallelism) throws Exception {
        this.slowServiceTime = slowServiceTime;
        this.slowParallelism = slowParallelism;
        // the simulator sets sun.net.httpserver.nodelay before the first JDK HttpServer of the JVM
        instant = LlmSimulator.builder().serviceTime(Duration.ZERO).parallelism(256).maxQueue(4096)
                .recordCalls(false).build().start();
        slow = LlmSimulator.builder().serviceTime(slowServiceTime).parallelism(slowParallelism).maxQueue(512)
                .recordCalls(true).build().start();
        try {
            context = new DefaultCamelContext();
            queue = new LlmQueueComponent();
            start();
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    private void start() throws Exception {
        context.getShutdownStrategy().setTimeout(2);
        context.getShutdownStrategy().setSuppressLoggingOnTimeout(true);
        queue.setMaxHighQueueSize(2_000_000);
        queue.setMaxLowQueueSize(2_000_000);
        queue.setMaxConcurrentRequests(8);
        queue.addListener(new CallClock());
        context.addComponent("llmqueue", queue);
        HttpComponent http = context.getComponent("http", HttpComponent.class);
        http.setHttpClientConfigurer(ReplyClock::install);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                onException(Exception.class).handled(true).process(FAILED);
                for (Server server : Server.values()) {
                    LlmSimulator sim = simulator(server);
                    from("direct:direct-" + server).routeId("direct-" + server)
                            .to(httpUri(sim)).process(DONE);
                    from("direct:llmqueue-" + server).routeId("llmqueue-" + server)
                            .to("llmqueue:ollama?model=" + MODEL + "&baseUrl=" + sim.baseUrl()).process(DONE);
                }
                for (int n : FIFO_LEVELS) {
                    fifoRoute(this, Server.instant, n);
                }
                fifoRoute(this, Server.slow, slowParallelism);
            }
        });
        context.start();
        for (Server server : Server.values()) {
            Map<Contender, AsyncProducer> byContender = new EnumMap<>(Contender.class);
            byContender.put(Contender.direct, producer("direct:direct-" + server));
            byContender.put(Contender.llmqueue, producer("direct:llmqueue-" + server));
            entries.put(server, byContender);
        }
        for (int n : FIFO_LEVELS) {
            fifoEntries.put(Server.instant + "-" + n, producer("direct:fifo-" + Server.instant + "-" + n));
        }
        fifoEntries.put(Server.slow + "-" + slowParallelism, producer("direct:fifo-" + Server.slow + "-" + slowParallelism));
    }

    private void fifoRoute(RouteBuilder builder, Server server, int consumers) {
        String name = "fifo-" + server + "-" + consumers;
        String seda = "seda:" + name + "?concurrentConsumers=" + consumers + "&size=2000000";
        builder.from("direct:" + name).routeId("enter-" + name).to(seda);
        builder.from(seda).routeId(name).process(DISPATCHED).to(httpUri(simulator(server))).process(DONE);
    }

    /**
     * The same camel-http options llmqueue gives its own endpoint (a pool larger than any concurrency used here, no
     * exception on non-2xx); {@code clearExpiredCookies=true} is the default and only makes it a separate endpoint, with
     * its own connection pool.
     */
    static String httpUri(LlmSimulator sim) {
        return sim.baseUrl() + "/api/chat?throwExceptionOnFailure=false"
               + "&responseTimeout=300000&connectTimeout=30000&maxTotalConnections=1000&connectionsPerRoute=1000"
               + "&clearExpiredCookies=true";
    }

    private AsyncProducer producer(String uri) throws Exception {
        AsyncProducer producer = context.getEndpoint(uri).createAsyncProducer();
        producer.start();
        producers.add(producer);
        return producer;
    }

    public LlmSimulator simulator(Server server) {
        return server == Server.instant ? instant : slow;
    }

    public Duration slowServiceTime() {
        return slowServiceTime;
    }

    public int slowParallelism() {
        return slowParallelism;
    }

    public CamelContext context() {
        return context;
    }

    public LlmQueueComponent queue() {
        return queue;
    }

    /**
     * Sets the concurrency of the contenders: llmqueue's maxConcurrentRequests, and which seda route (with that many
     * consumers) fifo uses. The direct contender's concurrency is the number of threads calling it.
     */
    public Target target(Server server, Contender contender, int concurrency) {
        AsyncProducer entry;
        if (contender == Contender.fifo) {
            entry = fifoEntries.get(server + "-" + concurrency);
            if (entry == null) {
                throw new IllegalArgumentException("no fifo route with " + concurrency + " consumers on " + server);
            }
        } else {
            entry = entries.get(server).get(contender);
        }
        if (contender == Contender.llmqueue) {
            queue.setMaxConcurrentRequests(concurrency);
        }
        return new Target(contender, entry);
    }

    /** The prompt of request {@code id}: the id between '#' lets {@link ReplyClock} find it in the request body. */
    static String prompt(String tag, long id) {
        return tag + " #" + id + "# what is the answer?";
    }

    /** Exactly the bytes llmqueue sends for a String chat body. */
    static byte[] payload(String prompt) {
        return OLLAMA.requestBody(new LlmRequest(LlmQueueOperation.chat, MODEL, prompt, null, null, null));
    }

    @Override
    public void close() {
        for (AsyncProducer producer : producers) {
            try {
                producer.stop();
            } catch (Exception e) {
                // closing anyway
            }
        }
        try {
            if (context != null) {
                context.stop();
            }
        } catch (Exception e) {
            // closing anyway
        }
        instant.close();
        slow.close();
    }

    /** One contender's entry point at one concurrency. */
    public static final class Target {
        private final Contender contender;
        private final AsyncProducer entry;

        Target(Contender contender, AsyncProducer entry) {
            this.contender = contender;
            this.entry = entry;
        }

        public Contender contender() {
            return contender;
        }

        /**
         * Builds the exchange of request {@code ticket}: a String prompt for llmqueue; for direct and fifo the very
         * JSON llmqueue would send for that prompt ({@code payload}, built by the caller before the clock starts, so
         * the floor does no JSON work at all).
         */
        public Exchange prepare(Ticket ticket, String prompt, byte[] payload) {
            Exchange exchange = entry.getEndpoint().createExchange();
            exchange.setProperty(TICKET, ticket);
            if (contender == Contender.llmqueue) {
                exchange.getMessage().setBody(prompt);
                exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, ticket.priority);
            } else {
                exchange.getMessage().setBody(payload != null ? payload : payload(prompt));
                // the enum, not the String "POST": camel-http asks for the header as HttpMethods, and converting a
                // String to it misses Camel's type converter cache and scans the registry on every request (about
                // 30 µs here), which the floor must not pay
                exchange.getMessage().setHeader(Exchange.HTTP_METHOD, HttpMethods.POST);
                exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
                exchange.getMessage().setHeader("Accept", "application/json");
            }
            return exchange;
        }

        /** Whether {@link #send} returns only after the call (the caller's thread makes it). */
        public boolean blocking() {
            return contender == Contender.direct;
        }

        /**
         * Sends a prepared exchange. Returns when the contender lets go of the calling thread: after the reply for
         * direct, at once for llmqueue and fifo. The ticket finishes when the route resumes after the call.
         */
        public void send(Exchange exchange) {
            entry.process(exchange, doneSync -> {
            });
        }
    }

    /** One request's clock. */
    public static final class Ticket {
        final long id;
        final String priority;
        volatile long start;
        volatile long end;
        /** When the thread that makes the call had the request (llmqueue: call thread; fifo: seda consumer); 0 if unknown. */
        volatile long dispatched;
        /** llmqueue at 1 in flight: the steps its listeners saw. */
        volatile CallClock.Steps steps = CallClock.Steps.NONE;
        /** Streaming: when the first delta was in the route's hands; 0 if none. */
        volatile long firstToken;
        volatile Throwable failure;
        private final Listener listener;
        private volatile Thread waiter;

        public Ticket(long id, String priority, Listener listener) {
            this.id = id;
            this.priority = priority;
            this.listener = listener;
        }

        void finish(long endNanos, Throwable failure) {
            this.failure = failure;
            this.end = endNanos;
            if (listener != null) {
                listener.finished(this);
            }
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }

        public boolean done() {
            return end != 0;
        }

        /** Parks the calling thread until the route resumed; false on timeout. */
        public boolean await(long timeoutNanos) {
            long deadline = System.nanoTime() + timeoutNanos;
            waiter = Thread.currentThread();
            while (end == 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
            }
            return true;
        }

        public long latencyNanos() {
            return end - start;
        }
    }

    /** Told when a request's route resumes after the call. */
    public interface Listener {
        void finished(Ticket ticket);
    }
}
