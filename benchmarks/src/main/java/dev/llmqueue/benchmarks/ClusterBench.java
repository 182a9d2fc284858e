package dev.llmqueue.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.llmqueue.benchmarks.Harness.Ticket;
import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueueCoordination;
import dev.llmqueue.simulator.LlmSimulator;
import dev.llmqueue.simulator.RecordedCall;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;

import static dev.llmqueue.benchmarks.Report.f;
import static dev.llmqueue.benchmarks.Report.us;
import static dev.llmqueue.benchmarks.Report.usSigned;

/**
 * Issue 11's benchmarks: several instances sharing one queue through Redis ({@code coordination=redis}), against the
 * llm-simulator with a short service time.
 * <ol>
 * <li>Added latency of {@code redis} over {@code local} coordination, at 1 in flight and at saturation: two
 * CamelContexts in this JVM, one of each, interleaved in rounds against the same simulator; and the Redis commands per
 * request ({@code INFO commandstats} deltas).</li>
 * <li>Grants per second with three instances (three CamelContexts, one {@code queueName}), each keeping the global
 * queue fed; where the time goes (CPU by thread, the script's own time in Redis, JFR).</li>
 * <li>Duplicate grants: in the same run, the simulator's record of calls per request id.</li>
 * <li>Slot recovery after kill -9: a {@link ClusterNode} in a JVM of its own holds every slot at a server that never
 * answers, a second instance here waits for slots, the node is killed, and the time until this instance has every
 * slot is measured.</li>
 * </ol>
 * Writes section 9 of {@code performance.md} (between markers the suite keeps) and {@code performance-cluster-*.png}.
 *
 * <pre>
 * mvn -B -q -pl benchmarks exec:exec@cluster        (after mvn install; --quick for tiny sizes, --redis URI)
 * </pre>
 */
public final class ClusterBench {

    static final String START = "<!-- cluster:start -->";
    static final String END = "<!-- cluster:end -->";
    static final String LATENCY_PNG = "performance-cluster-latency.png";
    static final String GRANTS_PNG = "performance-cluster-grants.png";
    static final String RECOVERY_PNG = "performance-cluster-recovery.png";
    /** Issue 11's targets. */
    static final long ADDED_P99_TARGET_NANOS = 1_000_000;
    static final double GRANTS_TARGET = 5_000;
    static final long RECOVERY_SLACK_MILLIS = 1_000;
    /** The component's default leaseTime, for every measurement but the kill -9 one. */
    static final long DEFAULT_LEASE_MILLIS = 30_000;

    /** How much of everything. */
    record Config(String name, int warmup, int rounds, int serialPerRound, int saturationLimit, int saturationPerRound,
                  int grantsLimit, int requests, int profileRequests, int killTrials, long leaseMillis, int killSlots,
                  long serviceMicros) {
    }

    static final Config FULL = new Config("full", 3000, 5, 2000, 8, 4000, 32, 100_000, 20_000, 3, 2000, 4, 1000);
    static final Config QUICK = new Config("quick", 100, 1, 100, 4, 200, 8, 1500, 0, 1, 500, 2, 1000);
    /**
     * For the smoke test: correctness only, in seconds. No kill -9 trial (a second JVM costs more than the rest): the
     * core's own separate-process tests cover recovery, QUICK and FULL run it.
     */
    static final Config SMOKE = new Config("smoke", 30, 1, 30, 2, 60, 4, 600, 0, 0, 300, 1, 1000);

    /** One mode's latencies. */
    record Latency(Samples samples, List<Double> roundP50Micros, List<Double> ratePerSecond) {
        Latency() {
            this(new Samples(), new ArrayList<>(), new ArrayList<>());
        }
    }

    /** Redis commands per request in one run. */
    /**
     * Redis commands per request in one run: those the clients sent (EVALSHA, BLPOP, anything else a client sent) and
     * those the scripts ran inside Redis ({@code redis.call}, which {@code INFO commandstats} counts as well).
     */
    record Commands(long requests, double evalsha, double blpop, double other, double inScripts,
                    double usecPerEvalsha, double redisCpuMicrosPerRequest) {
    }

    /** One kill -9 trial: nanoseconds from the kill to each slot this instance got, in order. */
    record Trial(long leaseMillis, long[] slotNanos, long lastHeartbeatBeforeKillMillis) {
        long first() {
            return slotNanos.length == 0 ? -1 : slotNanos[0];
        }

        long all() {
            return slotNanos.length == 0 ? -1 : slotNanos[slotNanos.length - 1];
        }
    }

    /** Everything one run measured. */
    static final class Result {
        String started;
        String machine;
        String redis;
        Config config;
        double seconds;
        double loadBefore;
        double loadMax;
        final Map<String, Latency> serial = new LinkedHashMap<>();
        final Map<String, Latency> saturation = new LinkedHashMap<>();
        Commands serialCommands;
        Commands grantCommands;
        // grants with three instances
        double grantsPerSecond;
        double[] grantsTimeline = new double[0];
        final Map<String, Long> perInstance = new LinkedHashMap<>();
        long duplicates = -1;
        /**
         * Requests whose route never resumed: ended in the component yet not back within 30 s, or outstanding while
         * nothing came back anywhere for 30 s; the run went on without them.
         */
        long stalled;
        /** The longest one instance of the 100,000-request run waited with none of its requests coming back, ns. */
        long longestQuietNanos;
        String longestQuietInstance;
        long missing = -1;
        long failures;
        int maxAtServer;
        long calls;
        /** CPU per grant by thread group, µs; the busiest single callbacks thread's share of one core. */
        final Map<String, Double> cpuPerGrantMicros = new LinkedHashMap<>();
        double callbacksBusiest;
        double callbacksMicrosPerMessage;
        Results.Profile profile;
        /** CPU of the whole JVM per request at saturation, by coordination, µs (Redis's own beside it). */
        final Map<String, Double> saturationCpuMicros = new LinkedHashMap<>();
        double saturationRedisCpuMicros;
        final List<Trial> trials = new ArrayList<>();

        long addedP99(Map<String, Latency> m) {
            return m.get("redis").samples().p99() - m.get("local").samples().p99();
        }

        long addedP50(Map<String, Latency> m) {
            return m.get("redis").samples().p50() - m.get("local").samples().p50();
        }

        long worstRecovery() {
            return trials.stream().mapToLong(Trial::all).max().orElse(-1);
        }

        long lease() {
            return config.leaseMillis();
        }
    }

    /** For a partial run by hand (--parts latency,grants,recovery): no section is written then. */
    private static final java.util.Set<String> PARTS = new java.util.TreeSet<>();
    private final Config config;
    private final BenchRedis redis;
    private final Result result = new Result();
    private final long startNanos = System.nanoTime();

    ClusterBench(Config config, BenchRedis redis) {
        this.config = config;
        this.redis = redis;
    }

    public static void main(String[] args) throws Exception {
        Path out = Paths.get("docs");
        Config config = FULL;
        String redisUri = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--parts" -> PARTS.addAll(List.of(args[++i].split(",")));
                case "--out" -> out = Paths.get(args[++i]);
                case "--quick" -> config = QUICK;
                case "--redis" -> redisUri = args[++i];
                default -> throw new IllegalArgumentException("usage: ClusterBench [--out DIR] [--quick] [--redis URI]");
            }
        }
        try (BenchRedis redis = BenchRedis.open(redisUri)) {
            Result r = new ClusterBench(config, redis).run();
            if (!PARTS.isEmpty()) {
                System.exit(0);
            }
            Files.createDirectories(out);
            String section = section(r, out);
            Path file = out.resolve("performance.md");
            if (Files.exists(file)) {
                Files.writeString(file, splice(Files.readString(file, StandardCharsets.UTF_8), section, summaryRows(r)),
                        StandardCharsets.UTF_8);
            } else {
                Files.writeString(file, section, StandardCharsets.UTF_8);
            }
            System.out.println("Wrote " + file.toAbsolutePath().normalize());
            System.exit(0);
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
    }

    /** Runs every measurement. */
    Result run() throws Exception {
        result.config = config;
        result.redis = redis.how();
        result.started = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        result.machine = machine();
        result.loadBefore = load();
        log("cluster benchmarks (%s) against %s", config.name(), redis.how());
        if (PARTS.isEmpty() || PARTS.contains("latency")) {
            latency();
        }
        if (PARTS.isEmpty() || PARTS.contains("grants")) {
            grants();
        }
        if (PARTS.isEmpty() || PARTS.contains("recovery")) {
            recovery();
        }
        result.seconds = (System.nanoTime() - startNanos) / 1e9;
        log("done in %.0f s", result.seconds);
        return result;
    }

    // ------------------------------------------------------------------ one instance

    /** One Camel instance: its own CamelContext, the llmqueue component, a route that stamps the resume. */
    static final class Instance implements AutoCloseable {
        private static final Processor DONE = exchange -> {
            Ticket ticket = exchange.getProperty(Harness.TICKET, Ticket.class);
            if (ticket != null) {
                ticket.finish(System.nanoTime(), null);
            }
        };
        private static final Processor FAILED = exchange -> {
            Ticket ticket = exchange.getProperty(Harness.TICKET, Ticket.class);
            Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
            if (ticket != null) {
                ticket.finish(System.nanoTime(), cause == null ? new IllegalStateException("failed") : cause);
            }
        };

        final String name;
        final CamelContext context = new DefaultCamelContext();
        final LlmQueueComponent queue = new LlmQueueComponent();
        private final AsyncProducer entry;

        /** @param redisUri null for coordination=local */
        Instance(String name, String redisUri, String queueName, long leaseMillis, int limit, String baseUrl)
                throws Exception {
            this.name = name;
            context.getShutdownStrategy().setTimeout(2);
            context.getShutdownStrategy().setSuppressLoggingOnTimeout(true);
            queue.setMaxHighQueueSize(2_000_000);
            queue.setMaxLowQueueSize(2_000_000);
            queue.setMaxConcurrentRequests(limit);
            if (redisUri != null) {
                queue.setCoordination(LlmQueueCoordination.redis);
                queue.setRedisUri(redisUri);
                queue.setQueueName(queueName);
                queue.setNodeId(name);
                queue.setLeaseTime(leaseMillis);
            }
            context.addComponent("llmqueue", queue);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    onException(Exception.class).handled(true).process(FAILED);
                    from("direct:ask").routeId("ask").to("llmqueue:ollama?model=" + Harness.MODEL
                                                          + "&maxRetries=0&baseUrl=" + baseUrl).process(DONE);
                }
            });
            context.start();
            entry = context.getEndpoint("direct:ask").createAsyncProducer();
            entry.start();
        }

        void send(Ticket ticket, String prompt) {
            Exchange exchange = entry.getEndpoint().createExchange();
            exchange.setProperty(Harness.TICKET, ticket);
            exchange.getMessage().setBody(prompt);
            exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, ticket.priority);
            ticket.start = System.nanoTime();
            entry.process(exchange, doneSync -> {
            });
        }

        @Override
        public void close() {
            try {
                entry.stop();
                context.stop();
            } catch (Exception e) {
                // closing anyway
            }
        }
    }

    /** One request after the other; latency send → route resumed. */
    static Samples serial(Instance instance, String tag, int count) {
        Samples latency = new Samples(count);
        for (int i = 0; i < count; i++) {
            Ticket ticket = new Ticket(i, "HIGH", null);
            instance.send(ticket, Harness.prompt(tag, i));
            if (!ticket.await(TimeUnit.SECONDS.toNanos(30))) {
                throw new IllegalStateException(instance.name + ": request " + i + " did not complete in 30 s");
            }
            if (ticket.failure != null) {
                throw new IllegalStateException(instance.name + ": request " + i + " failed", ticket.failure);
            }
            latency.add(ticket.latencyNanos());
        }
        return latency;
    }

    /**
     * A closed loop's outcome. {@code stalled}: requests the component let go of (no longer waiting, running or between
     * attempts in its queue) whose route never resumed within {@link #STALL_NANOS}, or, when nothing came back anywhere
     * for that long, every request still outstanding. {@code longestQuietNanos}: the longest this instance waited
     * with requests outstanding and none coming back.
     */
    record Saturated(Samples latency, double perSecond, int failures, int stalled, long longestQuietNanos) {
    }

    /** How long requests may go without coming back before the loop counts them as never resumed. */
    static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(30);

    static Saturated saturate(Instance instance, String tag, long firstId, int count, int window, Samples into,
                              AtomicLong completed) throws InterruptedException {
        return saturate(instance, tag, firstId, count, window, into, completed, null, STALL_NANOS);
    }

    /**
     * A closed loop keeping {@code window} requests outstanding (every slot busy, as many waiting).
     * <p>
     * A request that waits in the component's queue is not lost: with several instances feeding one queue, the shared
     * HIGH stack serves the newest ticket first, so an instance none of whose requests holds a slot has its whole
     * window at the bottom of the stack for as long as the other instances keep pushing newer ones (each of their
     * completions pushes the next), which at full size is longer than {@code stallNanos}. Such an instance is starved,
     * not stalled: the loop waits for it as long as its requests are in the component's hands and requests keep coming
     * back somewhere ({@code completed}).
     *
     * @param completed  completions of every instance of the run, or null when this instance runs alone
     * @param start      null, or the phaser of the run's feeders: their first windows go out one request each in turn,
     *                   so that every instance gets slots from the start
     * @param stallNanos how long requests may go without coming back before they count as never resumed
     */
    static Saturated saturate(Instance instance, String tag, long firstId, int count, int window, Samples into,
                              AtomicLong completed, java.util.concurrent.Phaser start, long stallNanos)
            throws InterruptedException {
        Samples latency = into != null ? into : new Samples(count);
        Semaphore permits = new Semaphore(window);
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicLong lastBack = new AtomicLong(System.nanoTime());
        AtomicLong longestGap = new AtomicLong();
        Harness.Listener listener = ticket -> {
            if (ticket.failure != null) {
                failures.incrementAndGet();
            } else {
                latency.add(ticket.end - ticket.start);
            }
            if (completed != null) {
                completed.incrementAndGet();
            }
            done.incrementAndGet();
            long now = System.nanoTime();
            long gap = now - lastBack.getAndSet(now);
            longestGap.accumulateAndGet(gap, Math::max);
            permits.release();
        };
        Waiter waiter = new Waiter(instance, permits, done, lastBack, completed, stallNanos);
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < count; i++) {
                if (!waiter.await(1, i)) {
                    return new Saturated(latency, done.get() * 1e9 / (System.nanoTime() - t0), failures.get(),
                            waiter.stalled, Math.max(waiter.longestQuiet, longestGap.get()));
                }
                long id = firstId + i;
                instance.send(new Ticket(id, "HIGH", listener), Harness.prompt(tag, id));
                if (start != null && i < window) {
                    // one request of each instance in turn; a feeder that failed lets the others go on after a while
                    try {
                        start.awaitAdvanceInterruptibly(start.arrive(), 10, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        // going on without the lock-step
                    }
                }
            }
        } finally {
            if (start != null) {
                start.arriveAndDeregister();
            }
        }
        if (!waiter.await(window, count)) {
            return new Saturated(latency, done.get() * 1e9 / (System.nanoTime() - t0), failures.get(), waiter.stalled,
                    Math.max(waiter.longestQuiet, longestGap.get()));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Saturated(latency, count / seconds, failures.get(), 0,
                Math.max(waiter.longestQuiet, longestGap.get()));
    }

    /** Waits for requests to come back, telling a starved instance from requests whose route never resumed. */
    private static final class Waiter {
        private final Instance instance;
        private final Semaphore permits;
        private final AtomicInteger done;
        private final AtomicLong lastBack;
        private final AtomicLong completed;
        private final long stallNanos;
        int stalled;
        long longestQuiet;

        Waiter(Instance instance, Semaphore permits, AtomicInteger done, AtomicLong lastBack, AtomicLong completed,
               long stallNanos) {
            this.instance = instance;
            this.permits = permits;
            this.done = done;
            this.lastBack = lastBack;
            this.completed = completed;
            this.stallNanos = stallNanos;
        }

        /**
         * Takes {@code n} permits; false, with {@link #stalled} set, when requests never resumed: those the component
         * let go of (no longer in its queue) that did not come back within stallNanos, or, when nothing came back
         * anywhere for stallNanos, every one still outstanding.
         */
        boolean await(int n, int sent) throws InterruptedException {
            long poll = Math.max(1_000_000L, Math.min(TimeUnit.SECONDS.toNanos(1), stallNanos / 10));
            long letGoSince = 0;
            long runQuietSince = System.nanoTime();
            long runSeen = completed == null ? 0 : completed.get();
            boolean starvedTold = false;
            while (!permits.tryAcquire(n, poll, TimeUnit.NANOSECONDS)) {
                long now = System.nanoTime();
                long back = lastBack.get();
                long quiet = now - back;
                longestQuiet = Math.max(longestQuiet, quiet);
                int outstanding = sent - done.get();
                LlmQueueComponent q = instance.queue;
                int held = q.getHighPriorityQueueSize() + q.getLowPriorityQueueSize() + q.getActiveRequests()
                           + q.getRetryingRequests();
                if (held < outstanding) {
                    // ended in the component; normally back within microseconds
                    letGoSince = letGoSince == 0 || letGoSince - back < 0 ? now : letGoSince;
                } else {
                    letGoSince = 0;
                }
                if (completed != null && completed.get() != runSeen) {
                    runSeen = completed.get();
                    runQuietSince = now;
                }
                boolean runQuiet = completed == null ? quiet >= stallNanos : now - runQuietSince >= stallNanos;
                if (letGoSince != 0 && now - letGoSince >= stallNanos) {
                    stalled = outstanding - held;
                    System.out.printf(Locale.ROOT, "    %s: %d requests ended in the component (no longer waiting or"
                                                   + " running there) yet their routes did not resume within %d s; %d"
                                                   + " sent, %d came back, the component counts %d completed%n",
                            instance.name, stalled, TimeUnit.NANOSECONDS.toSeconds(stallNanos), sent, done.get(),
                            q.getCompletedCount());
                    return false;
                }
                if (quiet >= stallNanos && runQuiet) {
                    stalled = outstanding;
                    System.out.printf(Locale.ROOT, "    %s: nothing came back anywhere for %d s; %d sent, %d came back,"
                                                   + " %d outstanding (%d of them still waiting or running in the"
                                                   + " component)%n", instance.name,
                            TimeUnit.NANOSECONDS.toSeconds(stallNanos), sent, done.get(), outstanding, held);
                    return false;
                }
                if (quiet >= stallNanos && !starvedTold) {
                    starvedTold = true;
                    System.out.printf(Locale.ROOT, "    %s: none of its %d outstanding requests came back for %d s while"
                                                   + " the other instances' did: all wait in its queue (%d waiting, %d"
                                                   + " running), below newer tickets on the shared HIGH stack (newest"
                                                   + " first); waiting on%n", instance.name, outstanding,
                            TimeUnit.NANOSECONDS.toSeconds(stallNanos), q.getHighPriorityQueueSize()
                                                                         + q.getLowPriorityQueueSize(),
                            q.getActiveRequests());
                }
            }
            return true;
        }
    }

    // ------------------------------------------------------------------ 1. added latency, round trips

    private void latency() throws Exception {
        Config c = config;
        try (LlmSimulator sim = LlmSimulator.builder().serviceTime(Duration.ofNanos(c.serviceMicros() * 1000))
                .parallelism(256).maxQueue(4096).recordCalls(false).build().start();
             Instance local = new Instance("bench-local", null, null, 0, c.saturationLimit(), sim.baseUrl());
             Instance shared = new Instance("bench-redis-1", redis.uri(), "bench-latency-" + UUID.randomUUID(),
                     DEFAULT_LEASE_MILLIS, c.saturationLimit(), sim.baseUrl())) {
            Map<String, Instance> modes = new LinkedHashMap<>();
            modes.put("local", local);
            modes.put("redis", shared);
            log("1. warm-up: %,d requests per coordination, then a saturation run each", c.warmup());
            for (Instance i : modes.values()) {
                serial(i, "warm", c.warmup());
                saturate(i, "warm", 0, c.warmup(), 2 * c.saturationLimit(), null, null);
            }
            for (String m : modes.keySet()) {
                result.serial.put(m, new Latency());
                result.saturation.put(m, new Latency());
            }
            List<String> order = new ArrayList<>(modes.keySet());
            log("1. latency at 1 in flight: %d rounds x %,d requests per coordination (service time %d µs)", c.rounds(),
                    c.serialPerRound(), c.serviceMicros());
            for (int round = 0; round < c.rounds(); round++) {
                for (int k = 0; k < order.size(); k++) {
                    String m = order.get((round + k) % order.size());
                    Map<String, String> before = m.equals("redis") ? BenchRedis.info(redis.uri(), "commandstats") : null;
                    double cpu0 = m.equals("redis") ? BenchRedis.cpuSeconds(redis.uri()) : 0;
                    Samples s = serial(modes.get(m), "serial", c.serialPerRound());
                    if (before != null && round == 0) {
                        result.serialCommands = commands(before, BenchRedis.info(redis.uri(), "commandstats"),
                                BenchRedis.cpuSeconds(redis.uri()) - cpu0, c.serialPerRound());
                    }
                    result.serial.get(m).samples().addAll(s);
                    result.serial.get(m).roundP50Micros().add(s.p50() / 1e3);
                }
                log("    round %d: p50 local %.0f µs, redis %.0f µs", round + 1,
                        last(result.serial.get("local").roundP50Micros()), last(result.serial.get("redis").roundP50Micros()));
            }
            Commands sc = result.serialCommands;
            log("    Redis commands per request at 1 in flight: EVALSHA %.2f, BLPOP %.2f, other %.2f (inside the scripts"
                + " %.1f); %.1f µs per EVALSHA in Redis, Redis CPU %.1f µs per request", sc.evalsha(), sc.blpop(),
                    sc.other(), sc.inScripts(), sc.usecPerEvalsha(), sc.redisCpuMicrosPerRequest());
            log("1. latency at saturation (maxConcurrentRequests=%d, %d outstanding): %d rounds x %,d requests",
                    c.saturationLimit(), 2 * c.saturationLimit(), c.rounds(), c.saturationPerRound());
            for (int round = 0; round < c.rounds(); round++) {
                for (int k = 0; k < order.size(); k++) {
                    String m = order.get((round + k) % order.size());
                    long cpu0 = processCpu();
                    double redisCpu0 = BenchRedis.cpuSeconds(redis.uri());
                    Saturated s = saturate(modes.get(m), "sat", 0, c.saturationPerRound(), 2 * c.saturationLimit(), null,
                            null);
                    result.saturationCpuMicros.merge(m, (processCpu() - cpu0) / 1e3 / c.saturationPerRound() / c.rounds(),
                            Double::sum);
                    if (m.equals("redis")) {
                        result.saturationRedisCpuMicros += (BenchRedis.cpuSeconds(redis.uri()) - redisCpu0) * 1e6
                                                           / c.saturationPerRound() / c.rounds();
                    }
                    result.failures += s.failures();
                    result.saturation.get(m).samples().addAll(s.latency());
                    result.saturation.get(m).roundP50Micros().add(s.latency().p50() / 1e3);
                    result.saturation.get(m).ratePerSecond().add(s.perSecond());
                }
                log("    round %d: p50 local %.0f µs (%,.0f req/s), redis %.0f µs (%,.0f req/s)", round + 1,
                        last(result.saturation.get("local").roundP50Micros()),
                        last(result.saturation.get("local").ratePerSecond()),
                        last(result.saturation.get("redis").roundP50Micros()),
                        last(result.saturation.get("redis").ratePerSecond()));
            }
            log("    CPU per request at saturation: this JVM %s µs; Redis %.1f µs", result.saturationCpuMicros,
                    result.saturationRedisCpuMicros);
            log("    added p50/p99: 1 in flight %+.0f / %+.0f µs; saturation %+.0f / %+.0f µs",
                    result.addedP50(result.serial) / 1e3, result.addedP99(result.serial) / 1e3,
                    result.addedP50(result.saturation) / 1e3, result.addedP99(result.saturation) / 1e3);
        }
    }

    /** What a client of the component sends; every other command in the stats ran inside a script. */
    private static final java.util.Set<String> CLIENT_COMMANDS = java.util.Set.of("evalsha", "eval", "blpop",
            "script|load", "hello", "ping", "client|setinfo", "client|setname", "select", "auth");

    private static Commands commands(Map<String, String> before, Map<String, String> after, double redisCpuSeconds,
                                     long requests) {
        BenchRedis.CommandStat evalsha = BenchRedis.CommandStat.of(after, "evalsha")
                .minus(BenchRedis.CommandStat.of(before, "evalsha"));
        BenchRedis.CommandStat blpop = BenchRedis.CommandStat.of(after, "blpop")
                .minus(BenchRedis.CommandStat.of(before, "blpop"));
        long client = 0;
        long inScripts = 0;
        for (Map.Entry<String, String> e : after.entrySet()) {
            if (e.getKey().startsWith("cmdstat_")) {
                String cmd = e.getKey().substring("cmdstat_".length());
                long calls = BenchRedis.CommandStat.of(after, cmd).minus(BenchRedis.CommandStat.of(before, cmd)).calls();
                if (cmd.equals("info")) {
                    continue; // the benchmark's own
                }
                if (CLIENT_COMMANDS.contains(cmd)) {
                    client += calls;
                } else {
                    inScripts += calls;
                }
            }
        }
        long other = client - evalsha.calls() - blpop.calls();
        return new Commands(requests, evalsha.calls() / (double) requests, blpop.calls() / (double) requests,
                other / (double) requests, inScripts / (double) requests,
                evalsha.calls() == 0 ? 0 : evalsha.usec() / (double) evalsha.calls(), redisCpuSeconds * 1e6 / requests);
    }

    // ------------------------------------------------------------------ 2, 3. grants per second, duplicates

    private void grants() throws Exception {
        Config c = config;
        String queueName = "bench-grants-" + UUID.randomUUID();
        try (LlmSimulator sim = LlmSimulator.builder().serviceTime(Duration.ofNanos(c.serviceMicros() * 1000))
                .parallelism(256).maxQueue(4096).recordCalls(true).build().start()) {
            List<Instance> instances = new ArrayList<>();
            try {
                for (String n : new String[] {"a", "b", "c"}) {
                    instances.add(new Instance("bench-" + n, redis.uri(), queueName, DEFAULT_LEASE_MILLIS,
                            c.grantsLimit(), sim.baseUrl()));
                }
                int warm = Math.max(300, Math.min(10_000, c.requests() / 10));
                log("2. three instances, one queue (maxConcurrentRequests=%d in all, each instance keeps %d outstanding):"
                    + " warm-up %,d requests", c.grantsLimit(), c.grantsLimit(), warm);
                threeInstances(instances, "warm", warm, null);
                sim.clearRecorded();
                sim.resetStats();

                log("2/3. %,d requests over three instances, every request id counted at the simulator", c.requests());
                Map<String, String> before = BenchRedis.info(redis.uri(), "commandstats");
                double cpu0 = BenchRedis.cpuSeconds(redis.uri());
                Map<String, Long> cpu0ByGroup = threadCpu();
                long t0 = System.nanoTime();
                List<Double> timeline = new ArrayList<>();
                double rate = threeInstances(instances, "dup", c.requests(), timeline);
                double wall = (System.nanoTime() - t0) / 1e9;
                Map<String, Long> cpu1ByGroup = threadCpu();
                result.grantCommands = commands(before, BenchRedis.info(redis.uri(), "commandstats"),
                        BenchRedis.cpuSeconds(redis.uri()) - cpu0, c.requests());
                result.grantsPerSecond = rate;
                result.grantsTimeline = timeline.stream().mapToDouble(Double::doubleValue).toArray();
                cpuByThread(cpu0ByGroup, cpu1ByGroup, wall, c.requests());
                for (Instance i : instances) {
                    result.perInstance.put(i.name, i.queue.getCompletedCount());
                }
                // 3. duplicates: calls per request id at the simulator
                Map<Long, Integer> perId = new HashMap<>();
                for (RecordedCall call : sim.recorded()) {
                    long id = idOf(call.body());
                    if (id >= 0) {
                        perId.merge(id, 1, Integer::sum);
                    }
                }
                long duplicates = 0;
                for (int n : perId.values()) {
                    duplicates += Math.max(0, n - 1);
                }
                result.duplicates = duplicates;
                result.missing = c.requests() - perId.size();
                result.calls = perId.values().stream().mapToLong(Integer::longValue).sum();
                result.maxAtServer = sim.stats().maxObservedConcurrency();
                sim.clearRecorded();
                Commands gc = result.grantCommands;
                log("    %,.0f grants/s (middle 80%% of the run); duplicates %d, missing %d, failures %d, most calls at the"
                    + " server at once %d (limit %d)", rate, duplicates, result.missing, result.failures,
                        result.maxAtServer, c.grantsLimit());
                log("    Redis commands per request: EVALSHA %.2f, BLPOP %.2f, other %.2f (inside the scripts %.1f); %.1f µs"
                    + " per EVALSHA in Redis; Redis CPU %.1f µs per request; busiest callbacks thread %.0f%% of a core"
                    + " (%.1f µs per message)", gc.evalsha(), gc.blpop(), gc.other(), gc.inScripts(),
                        gc.usecPerEvalsha(), gc.redisCpuMicrosPerRequest(),
                        100 * result.callbacksBusiest, result.callbacksMicrosPerMessage);
                log("    CPU per grant by thread (µs): %s", result.cpuPerGrantMicros);
                log("    longest an instance waited with none of its requests coming back: %.1f s (%s)",
                        result.longestQuietNanos / 1e9, result.longestQuietInstance);
                if (result.stalled > 0) {
                    log("    %d requests never came back", result.stalled);
                }
                if (c.profileRequests() > 0) {
                    log("2. JFR: execution samples during %,d more requests over the three instances",
                            c.profileRequests());
                    result.profile = JfrProfile.record(() -> threeInstances(instances, "jfr", c.profileRequests(), null));
                    log("    %d samples: by thread %s; by layer %s", result.profile.samples(), result.profile.byThread(),
                            result.profile.byLayer());
                }
            } finally {
                instances.forEach(Instance::close);
            }
        }
    }

    /** Sends {@code count} requests spread over the instances; returns completions per second over the middle 80%. */
    private double threeInstances(List<Instance> instances, String tag, int count, List<Double> timeline)
            throws Exception {
        AtomicLong completed = new AtomicLong();
        List<Thread> feeders = new ArrayList<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger stalledHere = new AtomicInteger();
        Map<String, Long> quietByInstance = new java.util.concurrent.ConcurrentHashMap<>();
        // the first windows go out in turn, so that no instance starts with all its tickets below the others'
        java.util.concurrent.Phaser start = new java.util.concurrent.Phaser(instances.size());
        int share = count / instances.size();
        long[] at = new long[count + 1];
        Thread sampler = null;
        for (int k = 0; k < instances.size(); k++) {
            Instance instance = instances.get(k);
            int n = k == instances.size() - 1 ? count - share * (instances.size() - 1) : share;
            long firstId = (long) k * share;
            Thread t = new Thread(() -> {
                try {
                    Saturated s = saturate(instance, tag, firstId, n, config.grantsLimit(), null, completed, start,
                            STALL_NANOS);
                    failures.addAndGet(s.failures());
                    stalledHere.addAndGet(s.stalled());
                    quietByInstance.put(instance.name, s.longestQuietNanos());
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "bench-feeder-" + instance.name);
            feeders.add(t);
        }
        long t0 = System.nanoTime();
        if (timeline != null) {
            sampler = new Thread(() -> {
                long last = 0;
                long next = t0;
                while (!Thread.currentThread().isInterrupted()) {
                    next += 100_000_000L;
                    LoadDriver.sleepUntil(next);
                    long now = completed.get();
                    synchronized (timeline) {
                        timeline.add((now - last) * 10.0);
                    }
                    last = now;
                    if (now >= count || !feedersRunning(feeders)) {
                        break;
                    }
                }
            }, "bench-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }
        // completion times, for the rate over the middle of the run
        Thread marks = new Thread(() -> {
            long seen = 0;
            long quiet = System.nanoTime();
            while (seen < count && !Thread.currentThread().isInterrupted()
                   && System.nanoTime() - quiet < TimeUnit.SECONDS.toNanos(40)) {
                long now = completed.get();
                long t = System.nanoTime();
                for (long i = seen + 1; i <= now && i <= count; i++) {
                    at[(int) i] = t;
                }
                if (now != seen) {
                    quiet = t;
                }
                seen = now;
                LockSupportPause.pause();
            }
        }, "bench-marks");
        marks.setDaemon(true);
        marks.start();
        feeders.forEach(Thread::start);
        for (Thread t : feeders) {
            t.join();
        }
        marks.join(5000);
        if (sampler != null) {
            sampler.join(1000);
        }
        if (!errors.isEmpty()) {
            throw new IllegalStateException(errors.get(0).getMessage() + "\n" + diagnose(instances), errors.get(0));
        }
        result.failures += failures.get();
        result.stalled += stalledHere.get();
        if (timeline != null) {
            quietByInstance.forEach((name, nanos) -> {
                if (nanos > result.longestQuietNanos) {
                    result.longestQuietNanos = nanos;
                    result.longestQuietInstance = name;
                }
            });
        }
        if (stalledHere.get() > 0) {
            System.out.println(diagnose(instances));
        }
        int from = Math.max(1, count / 10);
        int to = Math.max(from + 1, count - count / 10);
        if (at[from] == 0 || at[to] == 0 || at[to] <= at[from]) {
            return count * 1e9 / (System.nanoTime() - t0);
        }
        return (to - from) * 1e9 / (at[to] - at[from]);
    }

    /** CPU time of this whole JVM so far, ns. */
    static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static boolean feedersRunning(List<Thread> feeders) {
        return feeders.stream().anyMatch(Thread::isAlive);
    }

    /** What each instance and Redis hold, for a run that stalled. */
    private String diagnose(List<Instance> instances) {
        StringBuilder b = new StringBuilder();
        for (Instance i : instances) {
            LlmQueueComponent q = i.queue;
            b.append(f("%s: local active %d, waiting HIGH %d LOW %d, completed %d, failed %d, rejected %d; global: active"
                       + " %d, HIGH %d, LOW %d, instances %d; coordination %s%n", i.name, q.getActiveRequests(),
                    q.getHighPriorityQueueSize(), q.getLowPriorityQueueSize(), q.getCompletedCount(), q.getFailedCount(),
                    q.getRejectedCount(), q.getGlobalActiveRequests(), q.getGlobalHighPriorityQueueSize(),
                    q.getGlobalLowPriorityQueueSize(), q.getGlobalInstances(), q.getQueueName()));
        }
        try {
            String p = "{" + instances.get(0).queue.getQueueName() + "}";
            b.append("count ").append(BenchRedis.command(redis.uri(), "HGETALL", p + ":count").replace("\r\n", " "))
                    .append('\n');
            b.append("leases ").append(BenchRedis.command(redis.uri(), "HLEN", p + ":leases").trim()).append(", tickets ")
                    .append(BenchRedis.command(redis.uri(), "HLEN", p + ":tickets").trim()).append('\n');
            for (Instance i : instances) {
                b.append("grants list of ").append(i.name).append(": ")
                        .append(BenchRedis.command(redis.uri(), "LLEN", p + ":grants:" + i.name).trim())
                        .append(", its leases ")
                        .append(BenchRedis.command(redis.uri(), "SCARD", p + ":node:" + i.name + ":leases").trim())
                        .append(", its tickets ")
                        .append(BenchRedis.command(redis.uri(), "SCARD", p + ":node:" + i.name + ":tickets").trim())
                        .append('\n');
            }
        } catch (IOException e) {
            b.append("Redis: ").append(e);
        }
        return b.toString();
    }

    /** A 0.2 ms nap for the bookkeeping threads. */
    private static final class LockSupportPause {
        static void pause() {
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
    }

    private static long idOf(String body) {
        int a = body.indexOf('#');
        int b = a < 0 ? -1 : body.indexOf('#', a + 1);
        if (a < 0 || b < 0 || !body.contains("dup #")) {
            return -1;
        }
        try {
            return Long.parseLong(body.substring(a + 1, b));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** CPU time of every live thread, by thread group (numbers stripped), in ns. */
    private static Map<String, Long> threadCpu() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<String, Long> byThread = new HashMap<>();
        for (ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = mx.getThreadCpuTime(info.getThreadId());
            if (cpu >= 0) {
                byThread.put(info.getThreadId() + "\u0000" + info.getThreadName(), cpu);
            }
        }
        return byThread;
    }

    static String group(String thread) {
        String g = JfrProfile.threadGroup(thread).replaceAll("([-#]\\d+)+$", "");
        if (g.startsWith("lettuce-")) {
            return "lettuce (Redis client I/O)";
        }
        if (g.startsWith("bench-")) {
            return "load driver";
        }
        return g;
    }

    private void cpuByThread(Map<String, Long> before, Map<String, Long> after, double wall, int grants) {
        Map<String, Long> byGroup = new HashMap<>();
        double busiestCallbacks = 0;
        long callbacksCpu = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long delta = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            String name = e.getKey().substring(e.getKey().indexOf('\u0000') + 1);
            String g = group(name);
            byGroup.merge(g, delta, Long::sum);
            if (g.equals("LlmQueueRedis")) {
                busiestCallbacks = Math.max(busiestCallbacks, delta / 1e9 / wall);
                callbacksCpu += delta;
            }
        }
        byGroup.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(10)
                .forEach(e -> result.cpuPerGrantMicros.put(e.getKey(), e.getValue() / 1e3 / grants));
        result.callbacksBusiest = busiestCallbacks;
        // each grant is one BLPOP reply, one submit reply and one release reply on a callbacks thread
        result.callbacksMicrosPerMessage = callbacksCpu / 1e3 / (3.0 * grants);
    }

    // ------------------------------------------------------------------ 4. recovery after kill -9

    private void recovery() throws Exception {
        Config c = config;
        String queueName = "bench-kill-" + UUID.randomUUID();
        log("4. slot recovery after kill -9: %d trials, leaseTime %d ms, %d slots held by a node in its own JVM",
                c.killTrials(), c.leaseMillis(), c.killSlots());
        if (c.killTrials() == 0) {
            return;
        }
        try (LlmSimulator fast = LlmSimulator.builder().serviceTime(Duration.ofNanos(c.serviceMicros() * 1000))
                .parallelism(64).recordCalls(true).build().start();
             Instance survivor = new Instance("bench-survivor", redis.uri(), queueName, c.leaseMillis(), c.killSlots(),
                     fast.baseUrl())) {
            for (int trial = 0; trial < c.killTrials(); trial++) {
                result.trials.add(killOnce(trial, queueName, fast, survivor));
                Trial t = result.trials.get(result.trials.size() - 1);
                log("    trial %d: first slot back after %.0f ms, all %d after %.0f ms (target ≤ %d ms)", trial + 1,
                        t.first() / 1e6, t.slotNanos().length, t.all() / 1e6, c.leaseMillis() + RECOVERY_SLACK_MILLIS);
            }
        }
    }

    private Trial killOnce(int trial, String queueName, LlmSimulator fast, Instance survivor) throws Exception {
        Config c = config;
        int slots = c.killSlots();
        try (LlmSimulator held = LlmSimulator.builder().serviceTime(Duration.ofHours(1)).parallelism(64)
                .recordCalls(false).build().start()) {
            String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
            Process node = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    ClusterNode.class.getName(), redis.uri(), queueName, "bench-doomed-" + trial,
                    Long.toString(c.leaseMillis()), Integer.toString(slots), held.baseUrl(), Integer.toString(slots))
                    .redirectErrorStream(true).start();
            StringBuilder output = new StringBuilder();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(node.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        synchronized (output) {
                            output.append(line).append('\n');
                        }
                    }
                } catch (IOException e) {
                    // killed
                }
            }, "bench-node-output");
            reader.setDaemon(true);
            reader.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (held.stats().currentlyServing() < slots) {
                    if (System.nanoTime() > deadline || !node.isAlive()) {
                        synchronized (output) {
                            throw new IllegalStateException("the node did not take its " + slots + " slots: " + output);
                        }
                    }
                    Thread.sleep(10);
                }
                // this instance asks for as many slots: none is free, all wait in Redis
                fast.clearRecorded();
                List<Ticket> waiting = new ArrayList<>();
                for (int i = 0; i < slots; i++) {
                    Ticket t = new Ticket(i, "HIGH", null);
                    waiting.add(t);
                    survivor.send(t, Harness.prompt("survivor" + trial, i));
                }
                long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (survivor.queue.getGlobalHighPriorityQueueSize() < slots) {
                    if (System.nanoTime() > waitUntil) {
                        throw new IllegalStateException("the survivor's requests did not wait: "
                                                        + survivor.queue.getGlobalHighPriorityQueueSize());
                    }
                    Thread.sleep(5);
                }
                if (survivor.queue.getGlobalActiveRequests() != slots) {
                    throw new IllegalStateException("expected the dead-to-be node to hold every slot, Redis says "
                                                    + survivor.queue.getGlobalActiveRequests() + " in flight");
                }
                // a random moment within the node's heartbeat period
                Thread.sleep(ThreadLocalRandomHolder.nextLong(Math.max(10, Math.min(c.leaseMillis() / 3, 1000))));
                long killedAt = System.nanoTime();
                node.destroyForcibly(); // SIGKILL
                for (Ticket t : waiting) {
                    if (!t.await(TimeUnit.MILLISECONDS.toNanos(c.leaseMillis() + 30_000))) {
                        throw new IllegalStateException("the survivor never got the dead node's slots");
                    }
                    if (t.failure != null) {
                        throw new IllegalStateException("a survivor's request failed", t.failure);
                    }
                }
                long[] at = fast.recorded().stream().filter(r -> r.body().contains("survivor" + trial + " #"))
                        .mapToLong(r -> r.arrivalNanos() - killedAt).sorted().toArray();
                return new Trial(c.leaseMillis(), at, -1);
            } finally {
                node.destroyForcibly();
                node.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static final class ThreadLocalRandomHolder {
        static long nextLong(long bound) {
            return java.util.concurrent.ThreadLocalRandom.current().nextLong(bound);
        }
    }

    // ------------------------------------------------------------------ the report

    /** Section 9 of performance.md, with its markers; draws the plots into {@code dir}. */
    static String section(Result r, Path dir) throws IOException {
        StringBuilder md = new StringBuilder();
        Config c = r.config;
        md.append(START).append('\n');
        md.append("## 9. Several instances through Redis (issue 11)\n\n");
        md.append(f("> Measured by `ClusterBench` (%s sizes) on %s in %.0f s: %s. Redis: %s. Load average (1 min)"
                    + " before: %.2f, highest seen: %.2f. Not part of `mvn verify`.%n%n", c.name(), r.started, r.seconds,
                r.machine, r.redis, r.loadBefore, r.loadMax));
        md.append(f("Every instance is a `CamelContext` of its own with `coordination=redis` and the same `queueName`, in"
                    + " this JVM unless said; the server is the llm-simulator on 127.0.0.1 with a %d µs service time and"
                    + " more parallelism than any limit used, so the queue is what limits. Redis runs on the same two"
                    + " cores.%n%n", c.serviceMicros()));
        md.append("| measurement | measured | target | met |\n|---|---|---|---|\n");
        for (String[] row : targets(r)) {
            md.append("| ").append(row[0]).append(" | ").append(row[1]).append(" | ").append(row[2]).append(" | ")
                    .append(row[3]).append(" |\n");
        }
        md.append('\n');

        // 9a latency
        md.append("### 9a. Added latency of `coordination=redis` over `local`\n\n");
        md.append(f("Two instances side by side in one JVM, against the same simulator, interleaved in %d rounds: one with"
                    + " `coordination=local`, one alone on a Redis queue. **1 in flight**: one request at a time, the next"
                    + " sent when the route has resumed (%,d per coordination). **Saturation**: `maxConcurrentRequests=%d`"
                    + " and %d requests kept outstanding (every slot busy, as many waiting; %,d per coordination), so"
                    + " latency there is mostly the wait for a slot and follows throughput. Latency is request sent →"
                    + " route resumed.%n%n", c.rounds(), c.rounds() * c.serialPerRound(), c.saturationLimit(),
                2 * c.saturationLimit(), c.rounds() * c.saturationPerRound()));
        md.append("| load | coordination | p50 | p90 | p99 | added p50 | added p99 | req/s (median of rounds) |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        for (String load : new String[] {"1 in flight", "saturation"}) {
            Map<String, Latency> m = load.equals("1 in flight") ? r.serial : r.saturation;
            for (String mode : m.keySet()) {
                Samples s = m.get(mode).samples();
                boolean base = mode.equals("local");
                double rate = Samples.median(m.get(mode).ratePerSecond().stream().mapToDouble(Double::doubleValue).toArray());
                md.append(f("| %s | %s | %s | %s | %s | %s | %s | %s |%n", load, mode, us(s.p50()), us(s.percentile(0.9)),
                        us(s.p99()), base ? "—" : usSigned(r.addedP50(m)), base ? "—" : usSigned(r.addedP99(m)),
                        rate > 0 ? f("%,.0f", rate) : "—"));
            }
        }
        md.append('\n');
        md.append(f("Per round (p50, µs) at 1 in flight — local: %s; redis: %s. At saturation — local: %s; redis: %s.%n%n",
                join(r.serial.get("local").roundP50Micros()), join(r.serial.get("redis").roundP50Micros()),
                join(r.saturation.get("local").roundP50Micros()), join(r.saturation.get("redis").roundP50Micros())));
        if (!r.saturationCpuMicros.isEmpty()) {
            md.append(f("CPU per request at saturation (the whole JVM: Camel, the component, the simulator, the load driver):"
                        + " local %.0f µs, redis %.0f µs, plus Redis's own %.0f µs per request.%n%n",
                    r.saturationCpuMicros.getOrDefault("local", 0.0), r.saturationCpuMicros.getOrDefault("redis", 0.0),
                    r.saturationRedisCpuMicros));
        }
        md.append(f("![Latency, local and redis coordination](%s)%n%n", LATENCY_PNG));
        latencyChart(r, dir);

        // round trips
        md.append("### 9b. Round trips per request\n\n");
        md.append("Redis's own count of the commands it ran (`INFO commandstats` before and after, on a Redis nothing else"
                  + " used when the benchmark started its own), divided by the requests served. By design a request costs"
                  + " one `EVALSHA submit` (which also grants when a slot is free), the grant pushed to the node's `BLPOP`"
                  + " (already waiting, so no request of its own), and one `EVALSHA release` (which hands the slot on):"
                  + " 2 EVALSHA and 1 BLPOP reply. Only the submit and the grant are on the request's path: the release"
                  + " is sent as the call ends and not waited for.\n\n");
        md.append("| run | requests | EVALSHA per request | BLPOP per request | other client commands per request |"
                  + " commands run inside the scripts per request | time in Redis per EVALSHA | Redis CPU per request |\n"
                  + "|---|---|---|---|---|---|---|---|\n");
        for (Object[] row : new Object[][] {{"1 in flight, one instance", r.serialCommands},
                {"three instances, saturated", r.grantCommands}}) {
            Commands cm = (Commands) row[1];
            if (cm == null) {
                continue;
            }
            md.append(f("| %s | %,d | %.2f | %.2f | %.3f | %.1f | %.1f µs | %.1f µs |%n", row[0], cm.requests(),
                    cm.evalsha(), cm.blpop(), cm.other(), cm.inScripts(), cm.usecPerEvalsha(),
                    cm.redisCpuMicrosPerRequest()));
        }
        md.append("\nThe EVALSHA beyond 2 per request are the heartbeats (one per node per `min(leaseTime / 3, 1 s)`); the"
                  + " BLPOP beyond 1 are pops that ended empty after 2 s idle. `INFO commandstats` also counts every"
                  + " `redis.call` a script makes: that column is the scripts' own work (about half of it in each of"
                  + " submit and release), not round trips. *Time in Redis per EVALSHA* is Redis's wall time for the"
                  + " whole script, which on this shared machine includes being descheduled.\n\n");

        // grants
        md.append("### 9c. Grants per second with three instances, and duplicates\n\n");
        md.append(f("Three instances share one queue with `maxConcurrentRequests=%d` in all; each keeps %d requests"
                    + " outstanding, so the global queue always has waiting tickets and every freed slot is handed on by"
                    + " the release script. %,d requests (ids spread over the instances) after a warm-up; grants per"
                    + " second over the middle 80%% of the completions. Each grant is one call: the simulator recorded"
                    + " every call's prompt, which carries the request id.%n%n", c.grantsLimit(), c.grantsLimit(),
                c.requests()));
        md.append("| measurement | measured |\n|---|---|\n");
        md.append(f("| grants per second, three instances | **%,.0f** (target ≥ %,.0f) |%n", r.grantsPerSecond,
                GRANTS_TARGET));
        md.append(f("| served by instance (warm-up included) | %s |%n", r.perInstance.toString().replaceAll("[{}]", "")
                .replace("=", ": ")));
        md.append(f("| calls at the simulator / requests | %,d / %,d |%n", r.calls, c.requests()));
        md.append(f("| request ids called more than once (duplicate grants) | **%d** |%n", r.duplicates));
        md.append(f("| request ids never called | %d |%n", r.missing));
        md.append(f("| failed requests | %d |%n", r.failures));
        md.append(f("| requests whose route never resumed (ended in the component, not back within 30 s) | **%d** |%n",
                r.stalled));
        md.append(f("| longest an instance waited with none of its requests coming back | %.1f s |%n",
                r.longestQuietNanos / 1e9));
        md.append(f("| most calls at the simulator at once | %d (global limit %d) |%n", r.maxAtServer, c.grantsLimit()));
        md.append('\n');
        md.append(f("![Grants per second, three instances](%s)%n%n", GRANTS_PNG));
        grantsChart(r, dir);
        md.append(whereTheTimeGoes(r));

        // recovery
        md.append("### 9d. Slot recovery after kill -9\n\n");
        md.append(f("A node in a JVM of its own (`ClusterNode`) joins the queue with `leaseTime=%d` and"
                    + " `maxConcurrentRequests=%d`, and takes every slot with calls to a server that never answers. An"
                    + " instance in this JVM then asks for %d slots and waits (Redis's global figures show them waiting)."
                    + " The node is killed with SIGKILL at a random moment of its heartbeat period; recovery is the time"
                    + " from the kill to the moment the simulator receives each of the waiting requests' calls (its own"
                    + " arrival stamp, same clock). Target: every slot back within `leaseTime` + 1 s.%n%n",
                c.leaseMillis(), c.killSlots(), c.killSlots()));
        md.append("| trial | leaseTime | first slot back | all slots back | target | met |\n|---|---|---|---|---|---|\n");
        int k = 1;
        for (Trial t : r.trials) {
            long target = t.leaseMillis() + RECOVERY_SLACK_MILLIS;
            md.append(f("| %d | %d ms | %.0f ms | %.0f ms | ≤ %d ms | %s |%n", k++, t.leaseMillis(), t.first() / 1e6,
                    t.all() / 1e6, target, met(t.all() >= 0 && t.all() <= target * 1_000_000L)));
        }
        md.append("\nThe dead node's lease is renewed every `min(leaseTime / 3, 1 s)` by its heartbeat; once it has run out"
                  + " the next script of any survivor (here its own heartbeat) purges the node — its slots and tickets go"
                  + " — and grants the freed slots in the same script. So a slot comes back between `leaseTime` − one"
                  + " heartbeat period and `leaseTime` + one heartbeat period after the kill, plus a push.\n\n");
        md.append(f("![Slots regained after kill -9](%s)%n%n", RECOVERY_PNG));
        recoveryChart(r, dir);
        md.append(findings(r));
        md.append("Reproduce (Redis: `LLM_QUEUE_REDIS_URI`, else a `redis-server` from the PATH on a free port, else"
                  + " 127.0.0.1:6379):\n\n```sh\nmvn -B -q install -DskipTests && mvn -B -q -pl benchmarks exec:exec@cluster\n```\n\n");
        md.append(f("It takes about %.0f s. The suite runs it too (`--only cluster`) when a Redis can be had. Sources:"
                    + " [`ClusterBench`](../benchmarks/src/main/java/dev/llmqueue/benchmarks/ClusterBench.java),"
                    + " `ClusterNode` (the node that is killed), `BenchRedis`.%n", Math.ceil(r.seconds / 10) * 10));
        md.append(END).append('\n');
        return md.toString();
    }

    /** What the figures say about the component, with the proposed changes (none applied by this benchmark). */
    private static String findings(Result r) {
        StringBuilder md = new StringBuilder("### 9e. Findings\n\n");
        double local = r.saturationCpuMicros.getOrDefault("local", 0.0);
        double shared = r.saturationCpuMicros.getOrDefault("redis", 0.0);
        Commands g = r.grantCommands != null ? r.grantCommands : r.serialCommands;
        md.append(f("- **The round trips are as designed**: %.2f EVALSHA and %.2f BLPOP replies per request at 1 in flight"
                    + " (the stated 2 + 1), and no polling: the extra EVALSHA are the heartbeats.%n",
                r.serialCommands.evalsha(), r.serialCommands.blpop()));
        md.append(f("- **What a request costs is CPU, not round trips.** At saturation the JVM spends %.0f µs of CPU per"
                    + " request with `redis` against %.0f µs with `local` (+%.0f µs: three Lettuce replies read on its I/O"
                    + " threads, three hand-offs to the instance's callbacks thread, the grant's hand-off to a call"
                    + " thread), and Redis %.0f µs more (%.1f µs of wall time per EVALSHA, %.0f `redis.call`s inside the"
                    + " two scripts per request). On these two shared cores, with the simulator, the load driver and"
                    + " Redis on them too, that CPU is the ceiling of grants per second, well below %,.0f/s; the"
                    + " callbacks thread is not the bottleneck (busiest %.0f%% of a core) and neither is BLPOP's one"
                    + " message per round trip.%n", shared, local, shared - local, r.saturationRedisCpuMicros,
                g == null ? 0 : g.usecPerEvalsha(), g == null ? 0 : g.inScripts(), GRANTS_TARGET,
                100 * r.callbacksBusiest));
        md.append("- *Proposed, not applied* (each small, each to be measured by this benchmark before and after):"
                  + " (1) `RedisSlotAuthority`: the reply to a release, and a submit's `OK`, need no action, yet each is"
                  + " handed to the callbacks thread (`whenCompleteAsync(..., callbacks)`) only to do nothing; completing"
                  + " them on Lettuce's I/O thread and handing over only a failure or another status removes two of the"
                  + " three thread wake-ups per request, without changing the order of anything the scheduler sees."
                  + " (2) `llmqueue.lua`: `release` reads the settings twice (`adapt` and `grant`), every `submit` and"
                  + " `release` purges expired nodes (the heartbeats do it within a period anyway), and `grant` walks"
                  + " `SMEMBERS servers` with an `HGET` of `srun` and `slim` per server even when nothing waits; one"
                  + " `HMGET` of the settings per script, purging only in `heartbeat`, and returning early when `H` and"
                  + " `L` are 0 would about halve the commands per script. (3) After a BLPOP wakes, `LPOP key count`"
                  + " would take every grant waiting in the list in one round trip instead of one each.\n");
        md.append(STARVATION_FINDING);
        if (r.stalled > 0) {
            md.append(f("- **Requests that never resumed: %d.** The component ended them (they no longer waited or ran in"
                        + " its queue) yet their routes did not resume within 30 s, or nothing came back anywhere for"
                        + " 30 s: a defect to look into; the benchmark records them and goes on.%n", r.stalled));
        }
        md.append("- **Fixed while measuring**: the grants connection used the URI's 2 s command timeout, the same as"
                  + " BLPOP's own 2 s block, so an idle node's pop raced its own timeout: the node marked Redis"
                  + " unreachable (a WARN, new requests rejected with `COORDINATION_UNAVAILABLE` until the next heartbeat)"
                  + " and a grant popped at that moment would have been lost. The grants client now waits the block plus"
                  + " the command timeout.\n");
        md.append("- The first `CamelContext` with `coordination=redis` in a JVM took 6 to 19 s to start on this loaded"
                  + " machine, the next ones 0.4 s: Lettuce's, Netty's and Reactor's first initialisation.\n\n");
        return md.toString();
    }

    /** Why an instance can wait long with this load, and what was once taken for a stall. */
    static final String STARVATION_FINDING = "- **An instance can be starved, by design; it is not a stall.** The"
            + " shared HIGH stack serves the newest waiting ticket first, whichever instance pushed it. Each instance here"
            + " keeps 32 requests outstanding against 32 slots in all, and each completion pushes that instance's next"
            + " ticket, the newest, which the next release grants. An instance that holds no slot therefore has its whole"
            + " window below newer tickets for as long as the others feed theirs: at the full size, the rest of their"
            + " share of the 100,000 requests (about 40 s). Two earlier full runs took this for a stall: their load"
            + " started the three instances one after the other, so the middle one's first window went in between the"
            + " first instance's granted window and the last one's, and got no slot; after 30 s without a request coming"
            + " back the harness gave up on that instance, and by the time it looked, the window had been served"
            + " (granted once, counted as completed, nothing left in Redis). Measured with the old load: at the 30 s"
            + " mark the instance had 0 calls in flight and all 32 requests waiting in its queue, and all 32 resumed 24 s"
            + " later, when the other two had finished. The load now sends the first windows one request of each"
            + " instance in turn, so that every instance gets slots from the start, and counts a request as never resumed"
            + " only when the component has let go of it (or nothing comes back anywhere): a starved instance is waited"
            + " for, and the longest such wait is in the table above.\n";

    private static String whereTheTimeGoes(Result r) {
        StringBuilder md = new StringBuilder();
        md.append("**Where the time goes.** CPU per grant by thread over the same run (JVM thread CPU time, all three"
                  + " instances and the simulator; Redis's own CPU from `INFO cpu`), in µs:\n\n");
        md.append("| thread | CPU per grant |\n|---|---|\n");
        r.cpuPerGrantMicros.forEach((g, v) -> md.append(f("| `%s` | %.1f µs |%n", g, v)));
        if (r.grantCommands != null) {
            md.append(f("| Redis server (all commands) | %.1f µs |%n", r.grantCommands.redisCpuMicrosPerRequest()));
        }
        md.append('\n');
        md.append(f("Each instance handles every Redis reply on one thread of its own (`LlmQueueRedis`): the busiest of"
                    + " the three was busy %.0f%% of the run (%.1f µs of CPU per reply: a submit's, a release's, a BLPOP's)."
                    + " The script itself takes %.1f µs per EVALSHA inside Redis.%n%n", 100 * r.callbacksBusiest,
                r.callbacksMicrosPerMessage, r.grantCommands == null ? 0 : r.grantCommands.usecPerEvalsha()));
        if (r.profile != null) {
            md.append(f("JFR execution samples during a further run (%d samples in %.1f s):%n%n", r.profile.samples(),
                    r.profile.seconds()));
            md.append("| by thread | share | | by layer (innermost frame) | share | | hottest methods (self) | share |\n");
            md.append("|---|---|---|---|---|---|---|---|\n");
            List<Map.Entry<String, Integer>> t = new ArrayList<>(r.profile.byThread().entrySet());
            List<Map.Entry<String, Integer>> l = new ArrayList<>(r.profile.byLayer().entrySet());
            List<Map.Entry<String, Integer>> m = new ArrayList<>(r.profile.topMethods().entrySet());
            int rows = Math.min(10, Math.max(t.size(), Math.max(l.size(), m.size())));
            for (int i = 0; i < rows; i++) {
                md.append("| ").append(cell(t, i, r.profile.samples())).append(" | | ").append(cell(l, i, r.profile.samples()))
                        .append(" | | ").append(cell(m, i, r.profile.samples())).append(" |\n");
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static String cell(List<Map.Entry<String, Integer>> xs, int i, int total) {
        if (i >= xs.size()) {
            return " | ";
        }
        return f("`%s` | %.0f%%", xs.get(i).getKey(), 100.0 * xs.get(i).getValue() / Math.max(1, total));
    }

    /** The targets: what, measured, target, met. */
    static List<String[]> targets(Result r) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"added p99, redis over local, 1 in flight",
                f("%s (p50 %s)", usSigned(r.addedP99(r.serial)), usSigned(r.addedP50(r.serial))), "≤ 1 ms",
                met(r.addedP99(r.serial) <= ADDED_P99_TARGET_NANOS)});
        rows.add(new String[] {f("added p99, redis over local, saturation (%d slots)", r.config.saturationLimit()),
                f("%s (p50 %s)", usSigned(r.addedP99(r.saturation)), usSigned(r.addedP50(r.saturation))), "≤ 1 ms",
                met(r.addedP99(r.saturation) <= ADDED_P99_TARGET_NANOS)});
        rows.add(new String[] {"grants per second, three instances", f("%,.0f /s", r.grantsPerSecond),
                f("≥ %,.0f /s", GRANTS_TARGET), met(r.grantsPerSecond >= GRANTS_TARGET)});
        rows.add(new String[] {f("duplicate grants in %,d (three instances)", r.config.requests()),
                f("%d (%d never called, %d failed, %d never resumed)", r.duplicates, r.missing, r.failures, r.stalled),
                "0", met(r.duplicates == 0 && r.missing == 0)});
        rows.add(new String[] {"slot recovery after kill -9, worst of " + r.trials.size(),
                f("%.2f s (leaseTime %.1f s)", r.worstRecovery() / 1e9, r.lease() / 1e3),
                f("≤ leaseTime + 1 s = %.1f s", (r.lease() + RECOVERY_SLACK_MILLIS) / 1e3),
                met(r.worstRecovery() >= 0 && r.worstRecovery() <= (r.lease() + RECOVERY_SLACK_MILLIS) * 1_000_000L)});
        Commands sc = r.serialCommands;
        if (sc != null) {
            rows.add(new String[] {"Redis round trips per request (1 in flight, `INFO commandstats`)",
                    f("%.2f EVALSHA + %.2f BLPOP", sc.evalsha(), sc.blpop()), "bounded, stated: 2 EVALSHA + 1 BLPOP",
                    met(sc.evalsha() <= 2.05 && sc.blpop() <= 1.05)});
        }
        return rows;
    }

    /** Rows for the page's "Results against the targets" table, numbered 9. */
    static List<String> summaryRows(Result r) {
        List<String> rows = new ArrayList<>();
        List<String[]> t = targets(r);
        String[] ratios = {
                f("%.2f× local at p99", r.serial.get("redis").samples().p99() / (double) r.serial.get("local").samples().p99()),
                f("%.2f× local at p99", r.saturation.get("redis").samples().p99()
                                        / (double) r.saturation.get("local").samples().p99()),
                f("%.2f× target", r.grantsPerSecond / GRANTS_TARGET), "—",
                f("%.2f× leaseTime", r.worstRecovery() / 1e6 / r.lease()), "—"};
        for (int i = 0; i < t.size(); i++) {
            String[] row = t.get(i);
            String target = row[2] + (i == 0 ? " (issue 11)" : "");
            rows.add("| 9 | " + row[0] + " | " + row[1] + " | " + target + " | " + ratios[Math.min(i, ratios.length - 1)]
                     + " | " + row[3] + " |");
        }
        return rows;
    }

    /** The page with this section in place of the old one (or before the findings) and the summary's 9 rows replaced. */
    static String splice(String page, String section, List<String> rows) {
        int start = page.indexOf(START);
        int end = page.indexOf(END);
        String withSection;
        if (start >= 0 && end > start) {
            withSection = page.substring(0, start) + section + page.substring(end + END.length() + 1);
        } else {
            int findings = page.indexOf("## Findings for the component");
            withSection = findings < 0 ? page + "\n" + section
                    : page.substring(0, findings) + section + "\n" + page.substring(findings);
        }
        return withRows(withSection, rows);
    }

    /** Replaces the rows numbered 9 of the "Results against the targets" table (appends them at its end). */
    static String withRows(String page, List<String> rows) {
        int table = page.indexOf("## Results against the targets");
        if (table < 0) {
            return page;
        }
        List<String> lines = new ArrayList<>(List.of(page.split("\n", -1)));
        int header = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("## Results against the targets")) {
                header = i;
                break;
            }
        }
        int first = -1;
        int last = -1;
        for (int i = header + 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("|")) {
                if (first < 0) {
                    first = i;
                }
                last = i;
            } else if (first >= 0) {
                break;
            }
        }
        if (first < 0) {
            return page;
        }
        List<String> kept = new ArrayList<>();
        for (int i = first; i <= last; i++) {
            if (!lines.get(i).startsWith("| 9 |")) {
                kept.add(lines.get(i));
            }
        }
        kept.addAll(rows);
        List<String> out = new ArrayList<>(lines.subList(0, first));
        out.addAll(kept);
        out.addAll(lines.subList(last + 1, lines.size()));
        return String.join("\n", out);
    }

    /** The section as the last run wrote it into {@code file}, for the suite to keep; empty when there is none. */
    static String keptSection(Path file) throws IOException {
        return Report.keptSection(file, START, END);
    }

    /** The summary rows numbered 9 as the last run wrote them into {@code file}. */
    static List<String> keptRows(Path file) throws IOException {
        List<String> rows = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.startsWith("| 9 |")) {
                    rows.add(line);
                }
            }
        }
        return rows;
    }

    // ------------------------------------------------------------------ plots

    private static void latencyChart(Result r, Path dir) throws IOException {
        CategoryChart chart = Charts.bars("Latency per request: coordination=local and coordination=redis",
                "load and percentile", "latency (ms)");
        List<String> cats = List.of("1 in flight p50", "1 in flight p99", "saturation p50", "saturation p99");
        for (String mode : new String[] {"local", "redis"}) {
            List<Double> v = List.of(r.serial.get(mode).samples().p50() / 1e6, r.serial.get(mode).samples().p99() / 1e6,
                    r.saturation.get(mode).samples().p50() / 1e6, r.saturation.get(mode).samples().p99() / 1e6);
            chart.addSeries(mode, cats, v).setFillColor(mode.equals("local") ? Charts.DIRECT : Charts.LLMQUEUE);
        }
        Charts.save(chart, dir.resolve(LATENCY_PNG));
    }

    private static void grantsChart(Result r, Path dir) throws IOException {
        XYChart chart = Charts.xy("Grants per second, three instances sharing one Redis queue", "time (s)",
                "grants per second (100 ms windows)");
        double[] y = r.grantsTimeline.length == 0 ? new double[] {0} : r.grantsTimeline;
        double[] x = new double[y.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i + 1) * 0.1;
        }
        Charts.line(chart, "three instances, redis", Charts.LLMQUEUE, x, y, false);
        Charts.dashed(chart, "target ≥ 5,000/s", Charts.TARGET, new double[] {0, x[x.length - 1]},
                new double[] {GRANTS_TARGET, GRANTS_TARGET});
        Charts.save(chart, dir.resolve(GRANTS_PNG));
    }

    private static void recoveryChart(Result r, Path dir) throws IOException {
        XYChart chart = Charts.xy("Slots regained after kill -9 of the node holding them", "time since the kill (s)",
                "slots this instance has");
        int k = 1;
        double maxX = 0;
        for (Trial t : r.trials) {
            int n = t.slotNanos().length;
            double[] x = new double[2 * n + 1];
            double[] y = new double[2 * n + 1];
            x[0] = 0;
            y[0] = 0;
            for (int i = 0; i < n; i++) {
                x[2 * i + 1] = t.slotNanos()[i] / 1e9;
                y[2 * i + 1] = i;
                x[2 * i + 2] = t.slotNanos()[i] / 1e9;
                y[2 * i + 2] = i + 1;
                maxX = Math.max(maxX, x[2 * i + 2]);
            }
            java.awt.Color[] palette = {Charts.LLMQUEUE, Charts.FIFO, new java.awt.Color(0xff, 0x7f, 0x0e),
                    new java.awt.Color(0x94, 0x67, 0xbd)};
            Charts.line(chart, "trial " + k, palette[(k - 1) % palette.length], x, y, false);
            k++;
        }
        double lease = r.lease() / 1e3;
        double target = lease + RECOVERY_SLACK_MILLIS / 1e3;
        double top = Math.max(1, r.config.killSlots());
        Charts.dashed(chart, "leaseTime", Charts.DIRECT, new double[] {lease, lease}, new double[] {0, top});
        Charts.dashed(chart, "target: leaseTime + 1 s", Charts.TARGET, new double[] {target, target},
                new double[] {0, top});
        chart.getStyler().setXAxisMax(Math.max(maxX, target) * 1.1);
        Charts.save(chart, dir.resolve(RECOVERY_PNG));
    }

    // ------------------------------------------------------------------ helpers

    private static String machine() {
        String cpu = "?";
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            cpu = System.getProperty("os.arch");
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores (`nproc`), "
               + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
    }

    private double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static double last(List<Double> xs) {
        return xs.isEmpty() ? 0 : xs.get(xs.size() - 1);
    }

    private static String join(List<Double> xs) {
        List<String> s = new ArrayList<>();
        xs.forEach(x -> s.add(f("%.0f", x)));
        return String.join(", ", s);
    }

    private static String met(boolean ok) {
        return ok ? "yes" : "**no**";
    }

    private void log(String format, Object... args) {
        double t = (System.nanoTime() - startNanos) / 1e9;
        result.loadMax = Math.max(result.loadMax, load());
        Object[] all = new Object[args.length + 1];
        all[0] = t;
        System.arraycopy(args, 0, all, 1, args.length);
        System.out.printf(Locale.ROOT, "[%5.1fs] " + format + "%n", all);
        System.out.flush();
    }
}
