package dev.llmqueue.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.dashboard.LlmQueueDashboard;
import dev.llmqueue.simulator.LlmSimulator;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * What the dashboard costs with a million requests waiting: one {@code api/state} answer (in the JVM and over HTTP),
 * the full listing it avoids, and the history sampler's CPU per second while viewers poll. Writes its section of
 * {@code performance.md} (between markers that the suite keeps when it rewrites the page).
 *
 * <pre>
 * mvn -B -q install -DskipTests && mvn -B -q -pl benchmarks exec:exec@dashboard
 * </pre>
 */
public final class DashboardCost {

    static final String START = "<!-- dashboard-cost:start -->";
    static final String END = "<!-- dashboard-cost:end -->";

    private DashboardCost() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Paths.get("docs");
        int waiting = 1_000_000;
        int samplerSeconds = 30;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Paths.get(args[++i]);
                case "--waiting" -> waiting = Integer.parseInt(args[++i]);
                case "--sampler-seconds" -> samplerSeconds = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("usage: DashboardCost [--out DIR] [--waiting N] [--sampler-seconds S]");
            }
        }
        String section = measure(waiting, samplerSeconds);
        System.out.println(section);
        Path file = out.resolve("performance.md");
        if (Files.exists(file)) {
            Files.writeString(file, splice(Files.readString(file, StandardCharsets.UTF_8), section), StandardCharsets.UTF_8);
            System.out.println("Wrote " + file.toAbsolutePath().normalize());
        }
        System.exit(0);
    }

    static String measure(int waiting, int samplerSeconds) throws Exception {
        long started = System.nanoTime();
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        try (LlmSimulator simulator = LlmSimulator.builder().serviceTime(Duration.ofHours(1)).parallelism(1)
                .recordCalls(false).build().start()) {
            CamelContext context = new DefaultCamelContext();
            VertxPlatformHttpServerConfiguration configuration = new VertxPlatformHttpServerConfiguration();
            configuration.setBindPort(0);
            VertxPlatformHttpServer server = new VertxPlatformHttpServer(configuration);
            context.addService(server);
            LlmQueueComponent queue = new LlmQueueComponent();
            queue.setMaxConcurrentRequests(1);
            queue.setMaxLowQueueSize(waiting + 1);
            queue.setMaxHighQueueSize(waiting + 1);
            context.addComponent("llmqueue", queue);
            String uri = "llmqueue:ollama?model=llama3.2&baseUrl=" + simulator.ollamaBaseUrl();
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    errorHandler(noErrorHandler());
                    from("direct:high").to(uri + "&priority=HIGH");
                    from("direct:low").to(uri + "&priority=LOW");
                }
            });
            LlmQueueDashboard dashboard = new LlmQueueDashboard();
            context.addRoutes(dashboard);
            context.start();
            try {
                AsyncProducer high = context.getEndpoint("direct:high").createAsyncProducer();
                AsyncProducer low = context.getEndpoint("direct:low").createAsyncProducer();
                high.start();
                low.start();
                // one call held in flight, then the flood: a tenth HIGH, the rest LOW
                send(high, "held");
                long fill = System.nanoTime();
                for (int i = 0; i < waiting; i++) {
                    send(i % 10 == 0 ? high : low, "question " + i);
                }
                double fillSeconds = (System.nanoTime() - fill) / 1e9;
                int total = queue.getHighPriorityQueueSize() + queue.getLowPriorityQueueSize();
                if (total != waiting) {
                    throw new IllegalStateException(total + " waiting, expected " + waiting);
                }

                // 1. api/state in the JVM: the JSON the route answers with
                int bytes = dashboard.stateJson().length();
                for (int i = 0; i < 500; i++) {
                    dashboard.stateJson();
                }
                double[] inJvm = new double[2000];
                long gcBefore = gcMillis();
                long loopStart = System.nanoTime();
                for (int i = 0; i < inJvm.length; i++) {
                    long t = System.nanoTime();
                    dashboard.stateJson();
                    inJvm[i] = (System.nanoTime() - t) / 1e6;
                }
                long gcDuring = gcMillis() - gcBefore;
                double loopMillis = (System.nanoTime() - loopStart) / 1e6;
                // 2. over HTTP, as the page asks for it, and the HTTP stack's own floor: the page's static stylesheet
                HttpClient http0 = HttpClient.newHttpClient();
                HttpRequest css = HttpRequest.newBuilder(URI.create("http://localhost:" + server.getPort()
                                                                    + "/llmqueue/dashboard.css")).build();
                for (int i = 0; i < 200; i++) {
                    http0.send(css, HttpResponse.BodyHandlers.ofString());
                }
                double[] floor = new double[1000];
                for (int i = 0; i < floor.length; i++) {
                    long t = System.nanoTime();
                    http0.send(css, HttpResponse.BodyHandlers.ofString());
                    floor[i] = (System.nanoTime() - t) / 1e6;
                }
                HttpClient http = HttpClient.newHttpClient();
                HttpRequest state = HttpRequest.newBuilder(URI.create("http://localhost:" + server.getPort()
                                                                      + "/llmqueue/api/state")).build();
                for (int i = 0; i < 200; i++) {
                    http.send(state, HttpResponse.BodyHandlers.ofString());
                }
                double[] overHttp = new double[1000];
                for (int i = 0; i < overHttp.length; i++) {
                    long t = System.nanoTime();
                    HttpResponse<String> response = http.send(state, HttpResponse.BodyHandlers.ofString());
                    overHttp[i] = (System.nanoTime() - t) / 1e6;
                    if (response.statusCode() != 200) {
                        throw new IllegalStateException("api/state answered " + response.statusCode());
                    }
                }
                // 4. the sampler while 10 viewers poll state and history once a second: its thread's CPU
                ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                int threadsBefore = threads.getThreadCount();
                long[] sampler = samplerThreads(threads);
                long cpuBefore = cpu(threads, sampler);
                HttpRequest history = HttpRequest.newBuilder(URI.create("http://localhost:" + server.getPort()
                                                                        + "/llmqueue/api/history")).build();
                int viewers = 10;
                int maxThreads = threadsBefore;
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(samplerSeconds);
                long samplerStart = System.nanoTime();
                while (System.nanoTime() < end) {
                    long second = System.nanoTime();
                    for (int v = 0; v < viewers; v++) {
                        http.send(state, HttpResponse.BodyHandlers.discarding());
                        http.send(history, HttpResponse.BodyHandlers.discarding());
                    }
                    maxThreads = Math.max(maxThreads, threads.getThreadCount());
                    long left = TimeUnit.SECONDS.toNanos(1) - (System.nanoTime() - second);
                    if (left > 0) {
                        TimeUnit.NANOSECONDS.sleep(left);
                    }
                }
                double samplerWall = (System.nanoTime() - samplerStart) / 1e9;
                long cpuMicros = (cpu(threads, sampler) - cpuBefore) / 1000;
                double perSecond = cpuMicros / samplerWall;

                // 5. last (it allocates a record per waiting request): what it avoids: the full listing (JMX listQueued, the dev console) copies and sorts every one
                double[] full = new double[1];
                for (int i = 0; i < full.length; i++) {
                    long t = System.nanoTime();
                    queue.queuedRequests();
                    full[i] = (System.nanoTime() - t) / 1e6;
                }

                String when = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
                StringBuilder md = new StringBuilder();
                md.append(START).append('\n');
                md.append("## 7. The dashboard with a million requests waiting\n\n");
                md.append(String.format(Locale.ROOT, "> Measured by `DashboardCost` on %s (%d cores): %,d requests waiting"
                                                     + " (a tenth HIGH), one call held in flight; filled in %.1f s."
                                                     + " Not part of `mvn verify`.%n%n",
                        when, Runtime.getRuntime().availableProcessors(), waiting, fillSeconds));
                md.append("| measurement | p50 | p99 | max | target |\n|---|---|---|---|---|\n");
                md.append(row("`api/state` built in the JVM (" + String.format(Locale.ROOT, "%,d", bytes) + " bytes of JSON)",
                        inJvm, "< 5 ms"));
                md.append(row("`api/state` over HTTP (page's request, loopback)", overHttp, "< 5 ms"));
                md.append(row("floor: the page's static `dashboard.css` over the same HTTP stack", floor, "—"));
                md.append(row("the full listing it avoids, once: `queuedRequests()` (JMX `listQueued`, dev console)", full, "—"));
                md.append(String.format(Locale.ROOT, "%nDuring the %,d in-JVM answers (%.0f ms in all) the JVM spent %d ms in"
                                                     + " garbage collection: its heap holds a million waiting exchanges, and"
                                                     + " the tail (p99, max) is mostly those pauses and the shared cores,"
                                                     + " not the answer's work. Load average before the run: %.2f.%n",
                        inJvm.length, loopMillis, gcDuring, loadBefore));
                md.append(String.format(Locale.ROOT, "%n| history sampler (one timer per CamelContext) | measured |%n|---|---|%n"
                                                     + "| sampler threads | %d (`LlmQueueDashboard`), whatever the viewers |%n"
                                                     + "| its CPU, %d viewers polling state and history each second | %.0f µs per second (%.3f %% of one core) |%n"
                                                     + "| live threads while %d viewers poll | %d → %d at most |%n%n",
                        sampler.length, viewers, perSecond, perSecond / 1e4, viewers, threadsBefore, maxThreads));
                md.append("`api/state` reads the newest 100 waiting requests through a k-way merge of the servers' stacks"
                          + " by push order (`LlmQueueScheduler.newestWaiting`) and the totals from counters: its cost does"
                          + " not grow with the number waiting. Each sample reads the counters and one stack end per"
                          + " server. Reproduce with `mvn -B -q install -DskipTests && mvn -B -q -pl benchmarks"
                          + " exec:exec@dashboard` (" + String.format(Locale.ROOT, "%.0f", (System.nanoTime() - started) / 1e9)
                          + " s, -Xmx8g).\n");
                md.append(END).append('\n');
                high.stop();
                low.stop();
                return md.toString();
            } finally {
                simulator.close();
                context.stop();
            }
        }
    }

    private static void send(AsyncProducer producer, String body) throws Exception {
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody(body);
        producer.process(exchange, doneSync -> {
        });
    }

    private static long gcMillis() {
        long sum = 0;
        for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionTime());
        }
        return sum;
    }

    private static long[] samplerThreads(ThreadMXBean threads) {
        List<Long> ids = new ArrayList<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains("LlmQueueDashboard")) {
                ids.add(info.getThreadId());
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static long cpu(ThreadMXBean threads, long[] ids) {
        long sum = 0;
        for (long id : ids) {
            sum += Math.max(0, threads.getThreadCpuTime(id));
        }
        return sum;
    }

    private static String row(String what, double[] millis, String target) {
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", what, ms(pct(sorted, 50)), ms(pct(sorted, 99)),
                ms(sorted[sorted.length - 1]), target);
    }

    private static double pct(double[] sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(rank, sorted.length - 1))];
    }

    private static String ms(double millis) {
        return millis < 10 ? String.format(Locale.ROOT, "%.2f ms", millis) : String.format(Locale.ROOT, "%,.0f ms", millis);
    }

    /** The page with this section in place of the old one, or before the findings when it has none. */
    static String splice(String page, String section) {
        int start = page.indexOf(START);
        int end = page.indexOf(END);
        if (start >= 0 && end > start) {
            return page.substring(0, start) + section + page.substring(end + END.length() + 1);
        }
        int findings = page.indexOf("## Findings for the component");
        return findings < 0 ? page + "\n" + section : page.substring(0, findings) + section + "\n" + page.substring(findings);
    }

    /** The section as the last run wrote it into {@code file}, for the suite to keep; empty when there is none. */
    static String keptSection(Path file) throws IOException {
        return Report.keptSection(file, START, END);
    }
}
