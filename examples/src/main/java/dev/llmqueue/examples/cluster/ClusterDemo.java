package dev.llmqueue.examples.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueueCoordination;
import dev.llmqueue.camel.LlmQueueListener;
import dev.llmqueue.simulator.LlmSimulator;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * Three Camel instances, one queue: three {@code CamelContext}s in this JVM (as three replicas of a service would be),
 * each with {@code coordination=redis} and the same unique {@code queueName}, sharing one LLM simulator and one Redis.
 * All three send background jobs (LOW) and users' questions (HIGH); the demo prints every call as it starts — which
 * instance, priority, prompt — with the number of calls in flight across all three at that moment, which never exceeds
 * {@code maxConcurrentRequests}: one global limit, one global priority order.
 * <p>
 * Redis: {@code LLM_QUEUE_REDIS_URI}, else redis://127.0.0.1:6379. Run from the repository root:
 *
 * <pre>
 * mvn -B -q install -DskipTests &amp;&amp; mvn -B -q -pl examples exec:java@cluster
 * </pre>
 */
public final class ClusterDemo {

    static final String[] INSTANCES = {"instance-A", "instance-B", "instance-C"};
    static final int MAX_CONCURRENT = 2;
    static final Duration SERVICE_TIME = Duration.ofMillis(300);

    /** One request of the scenario: which instance sends it, when (ms after the start), at what priority, what. */
    record Step(long atMillis, int instance, String priority, String prompt) {
    }

    /** One call as it started: the order across all instances, who, what, and the calls in flight then. */
    record Served(int rank, long atMillis, String instance, String priority, String prompt, int inFlight) {
    }

    /** What a run showed. */
    record Run(List<Served> served, int maxInFlight, int failures, String error) {
        boolean failed() {
            return error != null || failures > 0;
        }
    }

    static final List<Step> SCENARIO = scenario();
    /** The prompt being sent on this thread, for the listener's onQueued. */
    private static final ThreadLocal<String> SENDING = new ThreadLocal<>();

    private static List<Step> scenario() {
        List<Step> steps = new ArrayList<>();
        // every instance floods the shared queue with background jobs, 20 ms apart (A1, B1, C1, A2, ...) ...
        for (int j = 1; j <= 3; j++) {
            for (int i = 0; i < INSTANCES.length; i++) {
                steps.add(new Step(20L * steps.size(), i, "LOW", "Summarise yesterday's tickets, batch " + (char) ('A' + i)
                                                                  + j));
            }
        }
        // ... then users ask questions on each of them while the jobs wait
        steps.add(new Step(300, 1, "HIGH", "What is 2+2?"));
        steps.add(new Step(400, 2, "HIGH", "Where is my order?"));
        steps.add(new Step(550, 0, "LOW", "Grow the knowledge base: topic X"));
        steps.add(new Step(600, 0, "HIGH", "Reset my password, please."));
        steps.add(new Step(850, 2, "LOW", "Grow the knowledge base: topic Y"));
        steps.add(new Step(950, 1, "HIGH", "Translate that to French."));
        steps.add(new Step(1050, 0, "HIGH", "Thanks, goodbye!"));
        return List.copyOf(steps);
    }

    private ClusterDemo() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Run run = play(System.getenv()::get, System.out);
        System.exit(run.error() != null ? 2 : run.failed() ? 1 : 0);
    }

    /** The Redis to use: {@code LLM_QUEUE_REDIS_URI}, else redis://127.0.0.1:6379. */
    static String redisUri(Function<String, String> env) {
        String uri = env.apply("LLM_QUEUE_REDIS_URI");
        return uri != null && !uri.isBlank() ? uri.trim() : "redis://127.0.0.1:6379";
    }

    /** Whether a Redis answers PING at {@code uri} within a second (a password in the URI is sent with AUTH). */
    static boolean redisAnswers(String uri) {
        try {
            URI u = URI.create(uri);
            try (Socket socket = u.getScheme().equals("rediss") ? javax.net.ssl.SSLSocketFactory.getDefault().createSocket()
                    : new Socket()) {
                socket.connect(new InetSocketAddress(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort()), 1000);
                socket.setSoTimeout(1000);
                OutputStream out = socket.getOutputStream();
                String userInfo = u.getUserInfo();
                if (userInfo != null && !userInfo.isEmpty()) {
                    String password = userInfo.substring(userInfo.indexOf(':') + 1);
                    out.write(resp("AUTH", password));
                }
                out.write(resp("PING"));
                out.flush();
                InputStream in = socket.getInputStream();
                byte[] buf = new byte[256];
                int n = in.read(buf);
                return n > 0 && new String(buf, 0, n, StandardCharsets.UTF_8).contains("PONG")
                       || n > 0 && in.read(buf) > 0 && new String(buf, 0, n, StandardCharsets.UTF_8).startsWith("+OK");
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static byte[] resp(String... words) {
        StringBuilder b = new StringBuilder("*").append(words.length).append("\r\n");
        for (String w : words) {
            b.append('$').append(w.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(w).append("\r\n");
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The message when no Redis answers. */
    static String noRedis(String uri) {
        URI u = URI.create(uri);
        return "No Redis answers at " + u.getScheme() + "://" + u.getHost() + ":" + (u.getPort() < 0 ? 6379 : u.getPort())
               + ". This example needs one Redis shared by its three instances. Start one and run it again:\n"
               + "    redis-server --port 6379 --save ''          (Debian/Ubuntu: apt-get install redis-server)\n"
               + "    docker run --rm -p 6379:6379 redis:7\n"
               + "or point it at yours: LLM_QUEUE_REDIS_URI=redis://host:port mvn -B -q -pl examples exec:java@cluster";
    }

    static Run play(Function<String, String> env, PrintStream out) throws Exception {
        String redis = redisUri(env);
        if (!redisAnswers(redis)) {
            out.println(noRedis(redis));
            return new Run(List.of(), 0, 0, "no Redis");
        }
        String queueName = "cluster-demo-" + UUID.randomUUID().toString().substring(0, 8);
        try (LlmSimulator simulator = LlmSimulator.builder().serviceTime(SERVICE_TIME).parallelism(16).build().start()) {
            out.printf(Locale.ROOT, "Three Camel instances (%s), one LLM simulator at %s, one Redis at %s;%n"
                                    + "queueName=%s, maxConcurrentRequests=%d for all of them together.%n%n",
                    String.join(", ", INSTANCES), simulator.baseUrl(), URI.create(redis).getHost() + ":"
                                                                   + URI.create(redis).getPort(), queueName,
                    MAX_CONCURRENT);
            AtomicInteger inFlight = new AtomicInteger();
            AtomicInteger maxInFlight = new AtomicInteger();
            AtomicInteger rank = new AtomicInteger();
            List<Served> served = new CopyOnWriteArrayList<>();
            Map<String, String> prompts = new java.util.concurrent.ConcurrentHashMap<>();
            java.util.concurrent.atomic.AtomicLong origin = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
            List<CamelContext> contexts = new ArrayList<>();
            List<ProducerTemplate> templates = new ArrayList<>();
            List<LlmQueueComponent> queues = new ArrayList<>();
            try {
                for (String name : INSTANCES) {
                    CamelContext context = new DefaultCamelContext();
                    context.getShutdownStrategy().setTimeout(5);
                    LlmQueueComponent queue = new LlmQueueComponent();
                    queue.setCoordination(LlmQueueCoordination.redis);
                    queue.setRedisUri(redis);
                    queue.setQueueName(queueName);
                    queue.setNodeId(name);
                    queue.setMaxConcurrentRequests(MAX_CONCURRENT);
                    queue.addListener(new LlmQueueListener() {
                        @Override
                        public void onQueued(RequestInfo request) {
                            // on the sending thread, right after the route's processor below: listeners never see
                            // the prompt, so the demo remembers it by request id
                            String prompt = SENDING.get();
                            if (prompt != null) {
                                prompts.put(request.requestId(), prompt);
                            }
                        }

                        @Override
                        public void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
                            int now = inFlight.incrementAndGet();
                            maxInFlight.accumulateAndGet(now, Math::max);
                            String prompt = prompts.getOrDefault(request.requestId(), request.requestId());
                            Served s = new Served(rank.incrementAndGet(), (System.nanoTime() - origin.get()) / 1_000_000, name,
                                    String.valueOf(request.priority()), prompt, now);
                            served.add(s);
                            synchronized (out) {
                                out.printf(Locale.ROOT, "[%5.2fs] #%02d %-10s %-4s %-48s in flight (all instances): %d/%d%n",
                                        s.atMillis() / 1e3, s.rank(), s.instance(), s.priority(), '"' + s.prompt() + '"',
                                        s.inFlight(), MAX_CONCURRENT);
                            }
                        }

                        @Override
                        public void onCallEnded(RequestInfo request, int attempt, long callNanos, Exception failure,
                                                Integer promptTokens, Integer completionTokens) {
                            inFlight.decrementAndGet();
                        }
                    });
                    context.addComponent("llmqueue", queue);
                    context.addRoutes(new RouteBuilder() {
                        @Override
                        public void configure() {
                            from("direct:ask").routeId("ask")
                                    .process(e -> SENDING.set(e.getMessage().getBody(String.class)))
                                    .to("llmqueue:ollama?model=llama3.2&baseUrl=" + simulator.baseUrl());
                        }
                    });
                    context.start();
                    contexts.add(context);
                    queues.add(queue);
                    templates.add(context.createProducerTemplate());
                }
                out.println("Each instance sends 3 LOW jobs (A1, B1, C1, A2, ... 20 ms apart), then users ask HIGH"
                            + " questions on all three. Served in this order (each line is a call starting):");
                List<CompletableFuture<String>> replies = new ArrayList<>();
                long start = System.nanoTime();
                origin.set(start);
                for (Step step : SCENARIO) {
                    long due = start + TimeUnit.MILLISECONDS.toNanos(step.atMillis());
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    replies.add(templates.get(step.instance()).asyncRequestBodyAndHeader("direct:ask", step.prompt(),
                            LlmQueueConstants.PRIORITY, step.priority(), String.class));
                    if (step.priority().equals("HIGH")) {
                        LlmQueueComponent q = queues.get(step.instance());
                        synchronized (out) {
                            out.printf(Locale.ROOT, "          (Redis sees %d in flight, %d HIGH and %d LOW waiting, %d"
                                                    + " instances)%n", q.getGlobalActiveRequests(),
                                    q.getGlobalHighPriorityQueueSize(), q.getGlobalLowPriorityQueueSize(),
                                    q.getGlobalInstances());
                        }
                    }
                }
                int failures = 0;
                for (CompletableFuture<String> reply : replies) {
                    try {
                        reply.get(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        failures++;
                        out.println("failed: " + e.getCause());
                    }
                }
                out.printf(Locale.ROOT, "%nServed %d requests from %d instances; most calls in flight at once across all of"
                                        + " them: %d (maxConcurrentRequests=%d); failures: %d.%n", served.size(),
                        INSTANCES.length, maxInFlight.get(), MAX_CONCURRENT, failures);
                out.println("Each slot went to the newest HIGH request of any instance while one waited, else the newest"
                            + " LOW one.");
                return new Run(List.copyOf(served), maxInFlight.get(), failures, null);
            } finally {
                for (CamelContext context : contexts) {
                    context.stop();
                }
            }
        }
    }

}
