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
import dev.llmqueue.camel.LlmStream;
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
 * live progress line while it runs, then the order the requests were served in, each one's wait, and a timeline; then
 * a user's streamed answer, printed token by token while background jobs flood the queue.
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

    /**
     * The streaming part: a user's question at HIGH priority with {@code streaming=true}, sent while this many
     * background jobs (LOW) flood the queue.
     *
     * @param lowQueuedBefore LOW requests queued (waiting or in a call) when the user asked, in the order they were sent
     * @param lowStartedAfter of those, the ones the queue started after the user's question
     * @param deltas          the answer's pieces, in the order they were printed
     */
    record Streamed(String question, List<String> lowQueuedBefore, List<String> lowStartedAfter, long waitMillis,
                    long timeToFirstTokenMillis, long answerMillis, int lowWaitingAtFirstToken, List<String> deltas,
                    String error) {
        String answer() {
            return String.join("", deltas);
        }
    }

    /** What the demo showed: the scenario's requests, then the streamed answer under a flood. */
    record Run(List<Outcome> outcomes, Streamed streamed) {
        boolean failed() {
            return streamed.error() != null || outcomes.stream().anyMatch(o -> o.error() != null);
        }
    }

    static final int FLOOD = 6;
    static final String STREAMED_QUESTION = "Why is the sky blue?";

    /** The simulated LLM's time per request: long enough for a queue to form. */
    static final Duration SERVICE_TIME = Duration.ofMillis(400);

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        if (play(env::get, System.out).failed()) {
            System.exit(1);
        }
    }

    static Run play(Function<String, String> env, PrintStream out) throws Exception {
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
            String apiKey = env.apply("OPENAI_API_KEY") != null ? "&apiKey=RAW(" + env.apply("OPENAI_API_KEY") + ")" : "";
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:ask").routeId("ask")
                            .to("llmqueue:{{llm.provider}}?model={{llm.model}}&baseUrl={{llm.baseUrl}}" + apiKey);
                    // resumes at the first token with an LlmStream body: the answer as it is generated
                    from("direct:ask-streamed").routeId("ask-streamed")
                            .to("llmqueue:{{llm.provider}}?model={{llm.model}}&baseUrl={{llm.baseUrl}}&priority=HIGH"
                                + "&streaming=true" + apiKey);
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
                Streamed streamed = streamUnderFlood(context, queue, out);
                if (keepOpen > 0) {
                    out.printf("%nThe dashboard stays open for %d s: http://localhost:%d/llmqueue%n", keepOpen,
                            server.getPort());
                    TimeUnit.SECONDS.sleep(keepOpen);
                }
                return new Run(outcomes, streamed);
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

    /**
     * {@link #FLOOD} background jobs (LOW) are queued at once, then a user asks at HIGH priority with
     * {@code streaming=true}: the answer is printed token by token as the LLM generates it, while the LOW work waits
     * and then goes on in the other slot.
     */
    static Streamed streamUnderFlood(CamelContext context, LlmQueueComponent queue, PrintStream out) throws Exception {
        out.printf("%nStreaming: %d background jobs (LOW) flood the queue, then a user asks \"%s\" at HIGH priority"
                   + " with streaming=true:%n", FLOOD, STREAMED_QUESTION);
        AsyncProducer ask = context.getEndpoint("direct:ask").createAsyncProducer();
        ask.start();
        List<String> started = new CopyOnWriteArrayList<>();
        LlmQueueListener startOrder = new LlmQueueListener() {
            @Override
            public void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
                if (attempt == 1) {
                    started.add(request.requestId());
                }
            }
        };
        queue.addListener(startOrder);
        List<CompletableFuture<Exchange>> flood = new ArrayList<>();
        List<String> lowIds = new ArrayList<>();
        try {
            for (int i = 1; i <= FLOOD; i++) {
                Exchange exchange = ask.getEndpoint().createExchange();
                exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, "LOW");
                exchange.getMessage().setBody("Background job " + i + ": summarise yesterday's tickets");
                CompletableFuture<Exchange> done = new CompletableFuture<>();
                flood.add(done);
                // returns once the request is on its stack (or in a call): the request id is set by then
                ask.process(exchange, doneSync -> done.complete(exchange));
                lowIds.add(exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID, String.class));
            }
            long sent = System.nanoTime();
            out.print("user-S> ");
            out.flush();
            Exchange user = context.createProducerTemplate().send("direct:ask-streamed",
                    e -> e.getMessage().setBody(STREAMED_QUESTION));
            int lowWaiting = queue.getLowPriorityQueueSize();
            String userId = user.getMessage().getHeader(LlmQueueConstants.REQUEST_ID, String.class);
            List<String> deltas = new ArrayList<>();
            String error = null;
            if (user.getException() != null) {
                error = user.getException().getMessage();
            } else {
                try (LlmStream answer = user.getMessage().getBody(LlmStream.class)) {
                    while (answer.hasNext()) {
                        String delta = answer.next();
                        deltas.add(delta);
                        out.print(delta);
                        out.flush();
                    }
                } catch (Exception e) {
                    error = e.getMessage();
                }
            }
            long answerMillis = elapsedMillis(sent);
            out.println(error != null ? "  FAILED: " + error : "");
            CompletableFuture.allOf(flood.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
            int userRank = started.indexOf(userId);
            List<String> startedAfter = lowIds.stream()
                    .filter(id -> userRank >= 0 && started.indexOf(id) > userRank).toList();
            long wait = header(user, LlmQueueConstants.WAIT_TIME);
            long ttft = header(user, LlmQueueConstants.TIME_TO_FIRST_TOKEN);
            out.printf("        %d pieces as they were generated; the first after %d ms (%d ms queued, then %d ms to the"
                       + " first token), the last after %d ms.%n", deltas.size(), wait + ttft, wait, ttft, answerMillis);
            out.printf("        The question went ahead of %d of the %d LOW jobs sent before it; %d were still waiting"
                       + " at its first token.%n", startedAfter.size(), FLOOD, lowWaiting);
            for (CompletableFuture<Exchange> low : flood) {
                Exception failure = low.get().getException();
                if (failure != null && error == null) {
                    error = "a LOW job failed: " + failure.getMessage();
                }
            }
            return new Streamed(STREAMED_QUESTION, lowIds, startedAfter, wait, ttft, answerMillis, lowWaiting, deltas,
                    error);
        } finally {
            ask.stop();
            queue.removeListener(startOrder);
        }
    }

    private static long header(Exchange exchange, String name) {
        Long value = exchange.getMessage().getHeader(name, Long.class);
        return value == null ? 0 : value;
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
