package dev.llmqueue.examples;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueueListener;
import dev.llmqueue.dashboard.LlmQueueDashboard;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The seed's scenario, and more: background jobs (LOW) flood the queue while a user asks questions (HIGH). Prints a
 * live progress line while it runs, then the order the requests were served in, each one's wait, and a timeline.
 */
public final class Demo {

    /** One request of the scenario: who sends it, when (ms after the start), and what. */
    record Step(long atMillis, String name, String priority, String prompt) {
    }

    /** What happened to one request. */
    /**
     * @param dispatchRank the order the queue started the calls in (1 = first), as its listener saw it
     */
    record Outcome(Step step, long sentMillis, long waitMillis, long callMillis, String reply, String error,
                   int dispatchRank) {
        long startMillis() {
            return sentMillis + waitMillis;
        }

        long endMillis() {
            return startMillis() + callMillis;
        }
    }

    static final List<Step> SCENARIO = List.of(
            new Step(0, "learning-1", "LOW", "Learn from yesterday's tickets, batch 1"),
            new Step(0, "learning-2", "LOW", "Learn from yesterday's tickets, batch 2"),
            new Step(0, "learning-3", "LOW", "Learn from yesterday's tickets, batch 3"),
            new Step(0, "learning-4", "LOW", "Learn from yesterday's tickets, batch 4"),
            new Step(0, "learning-5", "LOW", "Learn from yesterday's tickets, batch 5"),
            new Step(0, "learning-6", "LOW", "Learn from yesterday's tickets, batch 6"),
            new Step(100, "user-A", "HIGH", "What is 2+2?"),
            new Step(200, "knowledge-B", "LOW", "Grow the knowledge base: topic B"),
            new Step(300, "user-C", "HIGH", "And what is 3+3?"),
            new Step(350, "knowledge-D", "LOW", "Grow the knowledge base: topic D"),
            new Step(900, "user-E", "HIGH", "Summarise our conversation."),
            new Step(900, "user-F", "HIGH", "Translate that to French."),
            new Step(1000, "knowledge-G", "LOW", "Grow the knowledge base: topic G"),
            new Step(1000, "knowledge-H", "LOW", "Grow the knowledge base: topic H"),
            new Step(1700, "user-I", "HIGH", "Thanks, goodbye!"));

    /** The simulated LLM's time per request: long enough for a queue to form. */
    static final Duration SERVICE_TIME = Duration.ofMillis(400);

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        List<Outcome> outcomes = play(env::get, System.out);
        if (outcomes.stream().anyMatch(o -> o.error() != null)) {
            System.exit(1);
        }
    }

    static List<Outcome> play(Function<String, String> env, PrintStream out) throws Exception {
        try (LlmBackend backend = LlmBackend.start(env, SERVICE_TIME, 2)) {
            out.println(backend.describe());
            CamelContext context = new DefaultCamelContext();
            LlmQueueComponent queue = new LlmQueueComponent();
            context.addComponent("llmqueue", queue);
            // the live dashboard (camel-llmqueue-dashboard) on an embedded HTTP server: DASHBOARD_PORT, default 8080
            VertxPlatformHttpServerConfiguration http = new VertxPlatformHttpServerConfiguration();
            http.setBindPort(Integer.parseInt(Objects.requireNonNullElse(env.apply("DASHBOARD_PORT"), "8080")));
            VertxPlatformHttpServer server = new VertxPlatformHttpServer(http);
            context.addService(server);
            context.addRoutes(new LlmQueueDashboard());
            context.getPropertiesComponent().setInitialProperties(backend.properties());
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:ask").routeId("ask")
                            .to("llmqueue:{{llm.provider}}?model={{llm.model}}&baseUrl={{llm.baseUrl}}"
                                + (env.apply("OPENAI_API_KEY") != null ? "&apiKey=RAW(" + env.apply("OPENAI_API_KEY") + ")" : ""));
                }
            });
            context.start();
            long keepOpen = Long.parseLong(Objects.requireNonNullElse(env.apply("DEMO_KEEP_OPEN"), "0"));
            out.printf("Dashboard: http://localhost:%d/llmqueue (live while the demo runs; DEMO_KEEP_OPEN=60 keeps it"
                       + " open 60 s after)%n", server.getPort());
            try {
                out.printf("Queue: %d slots (maxConcurrentRequests); %d requests: %d HIGH (user), %d LOW (background)%n%n",
                        queue.getMaxConcurrentRequests(), SCENARIO.size(),
                        SCENARIO.stream().filter(s -> s.priority().equals("HIGH")).count(),
                        SCENARIO.stream().filter(s -> s.priority().equals("LOW")).count());
                warmUp(context, backend);
                List<Outcome> outcomes = replay(context, queue, out);
                report(outcomes, out);
                if (keepOpen > 0) {
                    out.printf("%nThe dashboard stays open for %d s: http://localhost:%d/llmqueue%n", keepOpen,
                            server.getPort());
                    TimeUnit.SECONDS.sleep(keepOpen);
                }
                return outcomes;
            } finally {
                context.stop();
            }
        }
    }

    /** One call first, so that connecting and class loading do not show up as the scenario's first wait. */
    private static void warmUp(CamelContext context, LlmBackend backend) {
        if (backend.simulator != null) {
            backend.simulator.setServiceTime(Duration.ZERO);
        }
        Exchange warm = context.createProducerTemplate().send("direct:ask", e -> e.getMessage().setBody("warm-up"));
        if (warm.getException() != null) {
            throw new IllegalStateException("The LLM server does not answer: " + warm.getException().getMessage(),
                    warm.getException());
        }
        if (backend.simulator != null) {
            backend.simulator.setServiceTime(SERVICE_TIME);
        }
    }

    private static List<Outcome> replay(CamelContext context, LlmQueueComponent queue, PrintStream out)
            throws Exception {
        // the route's own producer, called on this one thread: each request reaches the queue in script order, and
        // process() returns as soon as the request is on its stack
        AsyncProducer ask = context.getEndpoint("direct:ask").createAsyncProducer();
        ask.start();
        // the exact order the queue starts the calls in, from its listener (wait times are whole milliseconds)
        List<String> dispatched = new CopyOnWriteArrayList<>();
        LlmQueueListener dispatchOrder = new LlmQueueListener() {
            @Override
            public void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
                if (attempt == 1) {
                    dispatched.add(request.requestId());
                }
            }
        };
        queue.addListener(dispatchOrder);
        long start = System.nanoTime();
        List<CompletableFuture<Outcome>> results = new ArrayList<>();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "demo-progress");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleAtFixedRate(() -> progress(queue, results, start, out), 250, 250, TimeUnit.MILLISECONDS);
        try {
            for (Step step : SCENARIO) {
                long due = start + TimeUnit.MILLISECONDS.toNanos(step.atMillis());
                long now;
                while ((now = System.nanoTime()) < due) {
                    // the scenario's clock: requests arrive at their scripted times
                    TimeUnit.NANOSECONDS.sleep(due - now);
                }
                long sent = elapsedMillis(start);
                Exchange exchange = ask.getEndpoint().createExchange();
                exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, step.priority());
                exchange.getMessage().setBody(step.prompt());
                CompletableFuture<Outcome> result = new CompletableFuture<>();
                synchronized (results) {
                    results.add(result);
                }
                ask.process(exchange, doneSync -> result.complete(outcome(step, sent, exchange, dispatched)));
            }
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
        } finally {
            ticker.shutdownNow();
            ask.stop();
            queue.removeListener(dispatchOrder);
        }
        progress(queue, results, start, out);
        out.println();
        List<Outcome> outcomes = new ArrayList<>();
        for (CompletableFuture<Outcome> result : results) {
            outcomes.add(result.get());
        }
        return outcomes;
    }

    private static void progress(LlmQueueComponent queue, List<CompletableFuture<Outcome>> results, long start,
                                 PrintStream out) {
        long done;
        synchronized (results) {
            done = results.stream().filter(CompletableFuture::isDone).count();
        }
        out.printf("[%5.2fs] queued HIGH=%d LOW=%d | in flight=%d | done=%d/%d%n", elapsedMillis(start) / 1000.0,
                queue.getHighPriorityQueueSize(), queue.getLowPriorityQueueSize(), queue.getActiveRequests(), done,
                SCENARIO.size());
    }

    private static Outcome outcome(Step step, long sent, Exchange exchange, List<String> dispatched) {
        Long wait = exchange.getMessage().getHeader(LlmQueueConstants.WAIT_TIME, Long.class);
        Long call = exchange.getMessage().getHeader(LlmQueueConstants.CALL_TIME, Long.class);
        String error = exchange.getException() != null ? exchange.getException().getMessage() : null;
        String id = exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID, String.class);
        return new Outcome(step, sent, wait == null ? 0 : wait, call == null ? 0 : call,
                exchange.getMessage().getBody(String.class), error, dispatched.indexOf(id) + 1);
    }

    static void report(List<Outcome> outcomes, PrintStream out) {
        List<Outcome> served = new ArrayList<>(outcomes);
        served.sort(Comparator.comparingInt(Outcome::dispatchRank));
        long end = outcomes.stream().mapToLong(Outcome::endMillis).max().orElse(0);
        int columnMillis = (int) Math.max(50, (end + 59) / 60);
        out.printf("Served in this order (timeline: 1 column = %d ms; '.' waiting on the stack, '#' LLM call):%n",
                columnMillis);
        out.printf("%3s  %-12s %-4s %7s %7s  %s%n", "#", "request", "prio", "wait", "call", "timeline");
        int rank = 1;
        for (Outcome o : served) {
            StringBuilder bar = new StringBuilder();
            for (long t = 0; t < o.endMillis(); t += columnMillis) {
                long mid = t + columnMillis / 2;
                bar.append(mid < o.sentMillis() ? ' ' : mid < o.startMillis() ? '.' : '#');
            }
            out.printf("%3d  %-12s %-4s %5dms %5dms  %s%s%n", rank++, o.step().name(), o.step().priority(),
                    o.waitMillis(), o.callMillis(), bar, o.error() != null ? "  FAILED: " + o.error() : "");
        }
        out.println();
        summary(outcomes, "HIGH", out);
        summary(outcomes, "LOW", out);
        outcomes.stream().filter(o -> o.step().name().equals("user-A")).findFirst()
                .ifPresent(o -> out.println("\nuser-A asked \"" + o.step().prompt() + "\" and got: " + o.reply()));
        out.println("\nHIGH requests never wait behind LOW ones; within a priority the newest is served first (LIFO).");
    }

    private static void summary(List<Outcome> outcomes, String priority, PrintStream out) {
        List<Outcome> of = outcomes.stream().filter(o -> o.step().priority().equals(priority)).toList();
        long max = of.stream().mapToLong(Outcome::waitMillis).max().orElse(0);
        double avg = of.stream().mapToLong(Outcome::waitMillis).average().orElse(0);
        out.printf("%-4s: %2d requests, wait avg %6.0f ms, max %5d ms%n", priority, of.size(), avg, max);
    }

    private static long elapsedMillis(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
