package dev.llmqueue.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import dev.llmqueue.benchmarks.Harness.Server;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs every measurement, the three contenders side by side in this JVM against the same simulators, and writes
 * {@code performance.md} and its PNG plots.
 *
 * <pre>
 * java -cp ... dev.llmqueue.benchmarks.BenchmarkSuite --out docs [--quick] [--only jmh,heap,overhead,throughput,flood,profile,stream,cluster]
 * </pre>
 */
public final class BenchmarkSuite {

    private final Sizes sizes;
    private final Path out;
    private final Set<String> only;
    private final Results results = new Results();
    private final long startNanos = System.nanoTime();

    public BenchmarkSuite(Sizes sizes, Path out, Set<String> only) {
        this.sizes = sizes;
        this.out = out;
        this.only = only;
    }

    public static void main(String[] args) throws Exception {
        Path out = Paths.get("docs");
        Sizes sizes = Sizes.FULL;
        Set<String> only = new TreeSet<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Paths.get(args[++i]);
                case "--quick" -> sizes = Sizes.SMOKE;
                case "--only" -> only.addAll(List.of(args[++i].split(",")));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                                                             + "; usage: BenchmarkSuite [--out DIR] [--quick] [--only a,b]");
            }
        }
        try {
            Path report = new BenchmarkSuite(sizes, out, only).run();
            System.out.println("Wrote " + report.toAbsolutePath().normalize());
            System.exit(0);
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
    }

    /** Runs the measurements and writes the report; returns the path of performance.md. */
    public Path run() throws Exception {
        describeMachine();
        log("llmqueue benchmarks (%s sizes) on %d cores, %s; writing to %s", sizes.name(), results.cores, results.jvm,
                out.toAbsolutePath().normalize());
        if (wanted("jmh")) {
            stackDepth();
            providerJson();
        }
        if (wanted("heap")) {
            heapProbes();
        }
        if (wanted("overhead") || wanted("throughput") || wanted("flood") || wanted("profile")) {
            try (Harness harness = new Harness(Duration.ofMillis(sizes.floodServiceMillis()), sizes.floodParallelism());
                 LoadDriver driver = new LoadDriver()) {
                warmUp(harness, driver);
                if (wanted("overhead")) {
                    overhead(harness, driver);
                }
                if (wanted("throughput")) {
                    throughput(harness, driver);
                }
                if (wanted("profile")) {
                    profile(harness, driver);
                }
                if (wanted("flood")) {
                    flood(harness);
                }
            }
        }
        if (wanted("stream")) {
            stream();
        }
        if (wanted("cluster")) {
            cluster();
        }
        results.wallSeconds = (System.nanoTime() - startNanos) / 1e9;
        results.loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        results.loadMax = Math.max(results.loadMax, results.loadAfter);
        Files.createDirectories(out);
        Path report = new Report(results, sizes, out).write();
        log("done in %.0f s", results.wallSeconds);
        return report;
    }

    /** What the last {@link #run()} measured. */
    public Results results() {
        return results;
    }

    private boolean wanted(String part) {
        return only.isEmpty() || only.contains(part);
    }

    // ------------------------------------------------------------------ the machine

    private void describeMachine() {
        results.cores = Runtime.getRuntime().availableProcessors();
        results.jvm = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
        results.os = System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                     + System.getProperty("os.arch");
        results.machine = cpuModel() + ", " + memory();
        results.started = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        results.sizes = sizes.name();
        results.loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    private static String memory() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/meminfo"))) {
                if (line.startsWith("MemTotal")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return String.format(Locale.ROOT, "%.0f GiB RAM", kb / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return "unknown RAM";
    }

    // ------------------------------------------------------------------ 4a: JMH

    private ChainedOptionsBuilder jmh(Class<?> benchmark) {
        return new OptionsBuilder()
                .include("^" + benchmark.getName().replace(".", "\\.") + "\\.")
                .forks(sizes.jmhForks())
                .warmupIterations(sizes.jmhWarmupIterations())
                .warmupTime(TimeValue.milliseconds(sizes.jmhIterationMillis()))
                .measurementIterations(sizes.jmhMeasurementIterations())
                .measurementTime(TimeValue.milliseconds(sizes.jmhIterationMillis()))
                .jvmArgsAppend("-Xms2g", "-Xmx2g")
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT);
    }

    private void stackDepth() throws Exception {
        String[] depths = java.util.Arrays.stream(sizes.depths()).mapToObj(Integer::toString).toArray(String[]::new);
        log("4a. JMH: enqueue+dispatch at depths %s (llmqueue scheduler, seda queue)", String.join(", ", depths));
        Collection<RunResult> runs = new Runner(jmh(StackDepthBenchmark.class).param("depth", depths).build()).run();
        for (RunResult r : runs) {
            String contender = r.getParams().getParam("contender");
            int depth = Integer.parseInt(r.getParams().getParam("depth"));
            double score = r.getPrimaryResult().getScore();
            double error = r.getPrimaryResult().getScoreError();
            results.depthNanos.computeIfAbsent(contender, k -> new java.util.TreeMap<>())
                    .put(depth, new double[] {score, Double.isNaN(error) ? 0 : error});
            log("    %-8s depth %,9d: %8.1f ns/op", contender, depth, score);
        }
    }

    private void providerJson() throws Exception {
        log("1b. JMH: the provider's JSON work per request");
        Collection<RunResult> runs = new Runner(jmh(ProviderJsonBenchmark.class).build()).run();
        for (RunResult r : runs) {
            String name = r.getPrimaryResult().getLabel();
            double error = r.getPrimaryResult().getScoreError();
            results.jsonNanos.put(name, new double[] {r.getPrimaryResult().getScore(), Double.isNaN(error) ? 0 : error});
            log("    %-14s %8.1f ns/op", name, r.getPrimaryResult().getScore());
        }
    }

    // ------------------------------------------------------------------ 4b, 4c: heap and threads, in child JVMs

    private void heapProbes() throws Exception {
        results.heapXmx = sizes.heapXmx();
        log("4b/4c. heap and threads with %,d requests waiting (child JVMs, -Xmx%s)", sizes.heapWaiting(),
                sizes.heapXmx());
        boolean full = sizes.rounds() > 1;
        heapProbe(Contender.llmqueue, "producer", sizes.heapWaiting());
        if (full) {
            heapProbe(Contender.llmqueue, "route", sizes.heapWaiting());
        }
        heapProbe(Contender.fifo, "producer", sizes.heapWaiting());
        if (full) {
            heapProbe(Contender.fifo, "route", sizes.heapWaiting());
        }
        heapProbe(Contender.direct, "route", sizes.heapDirectCallers());
    }

    private void heapProbe(Contender contender, String via, int n) throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Xmx" + sizes.heapXmx(), "-Xss256k", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), HeapProbe.class.getName(), contender.name(), via,
                Integer.toString(n));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Map<String, String> values = new LinkedHashMap<>();
        StringBuilder output = new StringBuilder();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                output.append(line).append('\n');
                int eq = line.indexOf('=');
                if (eq > 0 && line.indexOf(' ') < 0) {
                    values.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        }
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("heap probe " + contender + " did not finish");
        }
        boolean outOfMemory = output.indexOf("OutOfMemoryError") >= 0;
        values.putIfAbsent("contender", contender.name());
        values.putIfAbsent("via", via);
        values.putIfAbsent("n", Integer.toString(n));
        values.put("exit", Integer.toString(process.exitValue()));
        values.put("oom", Boolean.toString(outOfMemory));
        if (!values.containsKey("bytesPerWaiting")) {
            values.put("error", output.length() > 2000 ? output.substring(output.length() - 2000) : output.toString());
        }
        results.heapProbes.add(values);
        log("    %-8s via %-8s n=%,7d: %s B/exchange, %s B/waiting beyond it, threads %s -> %s%s", contender, via, n,
                values.getOrDefault("bytesPerExchange", "?"), values.getOrDefault("bytesPerWaiting", "?"),
                values.getOrDefault("threadsBase", "?"), values.getOrDefault("threadsWaiting", "?"),
                outOfMemory ? " (OutOfMemoryError)" : "");
    }

    // ------------------------------------------------------------------ 1 and 5: latency

    private void warmUp(Harness harness, LoadDriver driver) throws Exception {
        log("warm-up: %,d requests per contender, then a short saturation run each", sizes.warmupRequests());
        for (Contender c : Contender.values()) {
            driver.serial(harness.target(Server.instant, c, 8), "warm", sizes.warmupRequests());
        }
        for (Contender c : Contender.values()) {
            driver.throughput(harness.target(Server.instant, c, 8), 8, 0, sizes.throughputMeasureMillis() * 1_000_000L);
        }
    }

    private void overhead(Harness harness, LoadDriver driver) throws Exception {
        results.rounds = sizes.rounds();
        results.ratePerSecond = sizes.ratePerSecond();
        Contender[] order = Contender.values();
        for (Contender c : order) {
            results.serial.put(c, new Samples());
            results.rate.put(c, new Samples());
            results.serialHandoff.put(c, new Samples());
            results.rateHandoff.put(c, new Samples());
            results.serialRoundP50.put(c, new ArrayList<>());
            results.rateRoundP50.put(c, new ArrayList<>());
            results.serialDispatch.put(c, new Samples());
            results.serialCall.put(c, new Samples());
        }
        Map<Contender, long[]> switches = new HashMap<>();
        log("1/5. latency at 1 in flight: %d rounds x %,d requests per contender", sizes.rounds(),
                sizes.serialPerRound());
        for (int round = 0; round < sizes.rounds(); round++) {
            for (int k = 0; k < order.length; k++) {
                Contender c = order[(round + k) % order.length];
                Harness.Target target = harness.target(Server.instant, c, 8);
                long switches0 = ContextSwitches.total();
                LoadDriver.Latencies l = driver.serial(target, "serial", sizes.serialPerRound());
                long switched = ContextSwitches.total() - switches0;
                if (switches0 >= 0 && switched >= 0) {
                    long[] sw = switches.computeIfAbsent(c, x -> new long[2]);
                    sw[0] += switched;
                    sw[1] += sizes.serialPerRound();
                }
                results.serial.get(c).addAll(l.latency());
                results.serialHandoff.get(c).addAll(l.handoff());
                results.serialDispatch.get(c).addAll(l.dispatch());
                results.serialCall.get(c).addAll(l.call());
                for (int i = 0; i < results.serialSteps.length; i++) {
                    results.serialSteps[i].addAll(l.steps()[i]);
                }
                results.serialRoundP50.get(c).add(l.latency().p50() / 1e3);
                results.overheadFailures += l.failures();
            }
            log("    round %d: p50 direct %.0f us, llmqueue %.0f us, fifo %.0f us", round + 1,
                    last(results.serialRoundP50.get(Contender.direct)), last(results.serialRoundP50.get(Contender.llmqueue)),
                    last(results.serialRoundP50.get(Contender.fifo)));
        }
        for (Map.Entry<Contender, long[]> e : switches.entrySet()) {
            results.serialSwitches.put(e.getKey(), e.getValue()[0] / (double) Math.max(1, e.getValue()[1]));
        }
        parks(harness, driver);
        log("1/5. latency at %,d req/s: %d rounds x %,d requests per contender", sizes.ratePerSecond(), sizes.rounds(),
                sizes.ratePerRound());
        for (int round = 0; round < sizes.rounds(); round++) {
            for (int k = 0; k < order.length; k++) {
                Contender c = order[(round + k) % order.length];
                LoadDriver.Latencies l = driver.rate(harness.target(Server.instant, c, 8), "rate", sizes.ratePerRound(),
                        sizes.ratePerSecond());
                results.rate.get(c).addAll(l.latency());
                results.rateHandoff.get(c).addAll(l.handoff());
                results.rateRoundP50.get(c).add(l.latency().p50() / 1e3);
                results.overheadFailures += l.failures();
            }
            log("    round %d: p50 direct %.0f us, llmqueue %.0f us, fifo %.0f us", round + 1,
                    last(results.rateRoundP50.get(Contender.direct)), last(results.rateRoundP50.get(Contender.llmqueue)),
                    last(results.rateRoundP50.get(Contender.fifo)));
        }
    }

    /** A short JFR of thread parks at 1 in flight, per contender: who goes to sleep and is woken, per request. */
    private void parks(Harness harness, LoadDriver driver) throws Exception {
        results.parkRequests = sizes.parkRequests();
        log("5. JFR: thread parks per request at 1 in flight, %,d requests per contender", sizes.parkRequests());
        for (Contender c : Contender.values()) {
            Harness.Target target = harness.target(Server.instant, c, 8);
            // parks of 100 ms or more are idle threads polling (the harness's seda consumers wait 1 s at a time), not
            // hand-offs: a request here takes well under a millisecond
            Map<String, Integer> parks = JfrProfile.parks(() -> {
                driver.serial(target, "parks", sizes.parkRequests());
                return 0;
            }, Duration.ofMillis(100));
            Map<String, Double> perRequest = new LinkedHashMap<>();
            parks.forEach((group, n) -> perRequest.put(group, n / (double) sizes.parkRequests()));
            results.parksPerRequest.put(c, perRequest);
            log("    %-8s %s", c, perRequest);
        }
    }

    private static double last(List<Double> xs) {
        return xs.isEmpty() ? 0 : xs.get(xs.size() - 1);
    }

    // ------------------------------------------------------------------ 2: throughput

    private void throughput(Harness harness, LoadDriver driver) throws Exception {
        results.levels = sizes.throughputLevels();
        log("2. throughput at concurrency %s: %d rounds of %d ms (after %d ms warm-up) per contender",
                java.util.Arrays.toString(sizes.throughputLevels()), sizes.throughputRounds(),
                sizes.throughputMeasureMillis(), sizes.throughputWarmupMillis());
        Contender[] order = Contender.values();
        for (Contender c : order) {
            List<List<Double>> perLevel = new ArrayList<>();
            List<Double> switches = new ArrayList<>();
            for (int ignored : sizes.throughputLevels()) {
                perLevel.add(new ArrayList<>());
                switches.add(0.0);
            }
            results.throughput.put(c, perLevel);
            results.switchesPerRequest.put(c, switches);
        }
        Map<Contender, List<List<Double>>> switchRounds = new HashMap<>();
        for (int li = 0; li < sizes.throughputLevels().length; li++) {
            int level = sizes.throughputLevels()[li];
            for (int round = 0; round < sizes.throughputRounds(); round++) {
                for (int k = 0; k < order.length; k++) {
                    Contender c = order[(round + k) % order.length];
                    long switches0 = ContextSwitches.total();
                    long served0 = harness.simulator(Server.instant).stats().served();
                    double rps = driver.throughput(harness.target(Server.instant, c, level), level,
                            sizes.throughputWarmupMillis() * 1_000_000L, sizes.throughputMeasureMillis() * 1_000_000L);
                    long switches = ContextSwitches.total() - switches0;
                    long served = harness.simulator(Server.instant).stats().served() - served0;
                    results.throughput.get(c).get(li).add(rps);
                    List<List<Double>> sw = switchRounds.computeIfAbsent(c, x -> new ArrayList<>());
                    while (sw.size() <= li) {
                        sw.add(new ArrayList<>());
                    }
                    if (switches >= 0 && served > 0) {
                        sw.get(li).add(switches / (double) served);
                    }
                }
            }
            for (Contender c : order) {
                List<Double> sw = switchRounds.get(c).get(li);
                results.switchesPerRequest.get(c).set(li,
                        Samples.median(sw.stream().mapToDouble(Double::doubleValue).toArray()));
            }
            log("    N=%-3d direct %,.0f req/s, llmqueue %,.0f req/s, fifo %,.0f req/s", level,
                    results.throughputMedian(Contender.direct, li), results.throughputMedian(Contender.llmqueue, li),
                    results.throughputMedian(Contender.fifo, li));
        }
    }

    // ------------------------------------------------------------------ profile

    private void profile(Harness harness, LoadDriver driver) throws Exception {
        int level = sizes.throughputLevels()[sizes.throughputLevels().length - 1];
        log("profile: JFR execution samples, %d ms at concurrency %d, llmqueue then direct", sizes.profileMillis(), level);
        for (Contender c : new Contender[] {Contender.llmqueue, Contender.direct}) {
            Results.Profile p = JfrProfile.record(() -> driver.throughput(harness.target(Server.instant, c, level),
                    level, 200_000_000L, sizes.profileMillis() * 1_000_000L));
            results.profiles.put(c, p);
            log("    %-8s %d samples", c, p.samples());
        }
    }

    // ------------------------------------------------------------------ 6: streaming

    private void stream() throws Exception {
        Contender[] order = Contender.values();
        for (Contender c : order) {
            results.streamTtft.put(c, new Samples());
            results.streamDispatch.put(c, new Samples());
            results.streamToFirstByte.put(c, new Samples());
            results.streamFirstByteToDelta.put(c, new Samples());
            results.streamWhole.put(c, new Samples());
            results.streamRoundP50.put(c, new ArrayList<>());
        }
        try (StreamBench bench = new StreamBench(sizes)) {
            int warm = Math.max(25, sizes.warmupRequests() / 8);
            log("6. streaming warm-up: %,d streamed requests per contender", warm);
            for (Contender c : order) {
                bench.serial(c, "warm", warm);
            }
            log("6. TTFT at 1 in flight: %d rounds x %,d streamed requests per contender (%d tokens at %.0f/s, first"
                + " at once)", sizes.streamRounds(), sizes.streamSerialPerRound(), sizes.streamTokens(),
                    sizes.streamTokensPerSecond());
            for (int round = 0; round < sizes.streamRounds(); round++) {
                for (int k = 0; k < order.length; k++) {
                    Contender c = order[(round + k) % order.length];
                    StreamBench.Serial s = bench.serial(c, "stream", sizes.streamSerialPerRound());
                    results.streamTtft.get(c).addAll(s.ttft());
                    results.streamDispatch.get(c).addAll(s.dispatch());
                    results.streamToFirstByte.get(c).addAll(s.toFirstByte());
                    results.streamFirstByteToDelta.get(c).addAll(s.firstByteToDelta());
                    results.streamWhole.get(c).addAll(s.whole());
                    results.streamFirstByteToEvent.addAll(s.firstByteToEvent());
                    results.streamEventToDelta.addAll(s.eventToDelta());
                    results.streamRoundP50.get(c).add(s.ttft().p50() / 1e3);
                    results.streamFailures += s.failures();
                }
                log("    round %d: TTFT p50 direct %.0f us, llmqueue %.0f us, fifo %.0f us", round + 1,
                        last(results.streamRoundP50.get(Contender.direct)),
                        last(results.streamRoundP50.get(Contender.llmqueue)),
                        last(results.streamRoundP50.get(Contender.fifo)));
            }
            for (Contender c : order) {
                log("    %-8s TTFT p50 %.0f us: dispatch %.0f us, to the first byte %.0f us, first byte to first delta %.0f us;"
                    + " whole stream %.0f us", c, results.streamTtft.get(c).p50() / 1e3,
                        results.streamDispatch.get(c).p50() / 1e3, results.streamToFirstByte.get(c).p50() / 1e3,
                        results.streamFirstByteToDelta.get(c).p50() / 1e3, results.streamWhole.get(c).p50() / 1e3);
            }
            log("6. HIGH TTFT under a LOW flood, streamed: %d slots, first token %d ms after the slot, %d tokens at"
                + " %.0f/s; LOW backlog %d, HIGH %.0f/s for %.0f s", sizes.streamFloodParallelism(),
                    sizes.streamFloodTtftMillis(), sizes.streamFloodTokens(), sizes.streamFloodTokensPerSecond(),
                    sizes.streamFloodBacklog(), sizes.streamFloodHighPerSecond(), sizes.streamFloodSeconds());
            for (Contender c : new Contender[] {Contender.llmqueue, Contender.fifo, Contender.direct}) {
                StreamBench.Flood f = bench.flood(c, sizes.streamFloodBacklog(), sizes.streamFloodHighPerSecond(),
                        sizes.streamFloodSeconds(), sizes.streamFloodDrainSeconds());
                results.streamFlood.put(c, f);
                log("    %-8s HIGH TTFT p50 %s%.1f ms, p99 %s%.1f ms (%d HIGH, %d without a first token); LOW %.1f/s,"
                    + " served %.1f/s, failures %d", c, f.ttftCensored(0.5) ? ">= " : "", f.ttft(0.5) / 1e6,
                        f.ttftCensored(0.99) ? ">= " : "", f.ttft(0.99) / 1e6, f.high().size(), f.censored(),
                        f.lowPerSecond(), f.servedPerSecond(), f.failures());
            }
        }
    }

    // ------------------------------------------------------------------ 9: several instances through Redis

    private void cluster() throws Exception {
        BenchRedis redis;
        try {
            redis = BenchRedis.open(null);
        } catch (IllegalStateException e) {
            log("9. several instances through Redis: not run (%s); the page keeps the last run's section", e.getMessage());
            return;
        }
        try (redis) {
            log("9. several instances through Redis (ClusterBench), against %s", redis.how());
            results.cluster = new ClusterBench(sizes.rounds() > 1 ? ClusterBench.FULL : ClusterBench.SMOKE, redis).run();
        }
    }

    // ------------------------------------------------------------------ 3: priority under a LOW flood

    private void flood(Harness harness) throws Exception {
        results.floodServiceMillis = sizes.floodServiceMillis();
        results.floodParallelism = sizes.floodParallelism();
        log("3. HIGH under a LOW flood: %d ms service, parallelism %d, LOW backlog %,d, HIGH %.0f/s", sizes.floodServiceMillis(),
                sizes.floodParallelism(), sizes.floodBacklog(), sizes.floodHighPerSecond());
        PriorityFlood.Result q = PriorityFlood.run(harness, Contender.llmqueue, sizes.floodBacklog(),
                sizes.floodHighPerSecond(), sizes.floodSecondsLlmqueue());
        results.flood.put(Contender.llmqueue, q);
        log("    llmqueue: HIGH wait p50 %.1f ms, p99 %.1f ms (%d HIGH); LOW %.1f/s, total %.1f/s", q.highWait().p50() / 1e6,
                q.highWait().p99() / 1e6, q.high().size(), q.lowPerSecond(), q.totalPerSecond());
        PriorityFlood.Result f = PriorityFlood.run(harness, Contender.fifo, sizes.floodBacklog(),
                sizes.floodHighPerSecond(), sizes.floodSecondsFifo());
        results.flood.put(Contender.fifo, f);
        log("    fifo: %d of %d HIGH reached the server in %.0f s; LOW %.1f/s, total %.1f/s", f.high().size() - f.highCensored(),
                f.high().size(), f.seconds(), f.lowPerSecond(), f.totalPerSecond());
    }

    private void log(String format, Object... args) {
        double t = (System.nanoTime() - startNanos) / 1e9;
        results.loadMax = Math.max(results.loadMax, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf(Locale.ROOT, "[%5.1fs] " + format + "%n", prepend(t, args));
        System.out.flush();
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
