package dev.llmqueue.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.llmqueue.benchmarks.Harness.Ticket;
import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.simulator.LlmSimulator;
import dev.llmqueue.simulator.RecordedCall;
import dev.llmqueue.simulator.SimulatorStats;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;

/**
 * Issue 15's benchmarks: HIGH latency while long LOW calls hold every slot, and HIGH latency to a healthy server while
 * LOW calls go to a server that never answers. Writes {@code performance-preemption.md} and
 * {@code performance-preemption*.png} into the directory given as the first argument (default {@code docs}).
 * <p>
 * Scenario A: one simulator, {@code perTokenTime} 200 ms, 50 tokens per answer: a HIGH request asks for one token
 * (200 ms), a LOW request for all 50 (10 s). Two slots (llmqueue {@code maxConcurrentRequests=2}, seda
 * {@code concurrentConsumers=2}). LOW requests are kept at 4 outstanding (2 in flight, 2 waiting); HIGH requests arrive
 * every 500 ms. The simulator's parallelism is larger than the slots ({@link #PARALLELISM}): a preempted LOW call,
 * answered in one piece, keeps running in the simulator until its service time is over (the simulator notices a client
 * that left only when it writes), and with parallelism = slots those zombies would hold the server's slots. A real
 * Ollama, vLLM or OpenAI server stops generating when the client closes, which is what the extra parallelism models.
 * <p>
 * HIGH wait = from the moment the request is sent to the moment the simulator starts serving it (its slot stamp; same
 * JVM, same clock), for every contender alike.
 */
public final class PreemptionBench {

    static final String MODEL = Harness.MODEL;
    static final int SLOTS = 2;
    static final int PARALLELISM = 64;
    static final long TOKEN_MS = 200;
    static final int LOW_TOKENS = 50;
    static final int LOW_OUTSTANDING = 4;
    static final long HIGH_PERIOD_MS = 500;
    static final long LOW_ID0 = 1_000_000;
    private static final String TICKET = Harness.TICKET;

    private static final Processor DONE = exchange -> {
        Ticket ticket = exchange.getProperty(TICKET, Ticket.class);
        if (ticket != null) {
            ticket.finish(System.nanoTime(), null);
        }
    };
    private static final Processor FAILED = exchange -> {
        Ticket ticket = exchange.getProperty(TICKET, Ticket.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (ticket != null) {
            ticket.finish(System.nanoTime(), cause == null ? new IllegalStateException("failed") : cause);
        }
    };

    /** A variant of scenario A. */
    enum A {
        fifo("seda FIFO (concurrentConsumers=2)"),
        dflt("llmqueue default"),
        reserved("llmqueue reservedHighSlots=1"),
        preempt("llmqueue preemptLow=true (maxPreemptions=3, default)"),
        preemptMany("llmqueue preemptLow=true, maxPreemptions=1000");

        final String label;

        A(String label) {
            this.label = label;
        }
    }

    /** A variant of scenario B. */
    enum B {
        noAdaptive("adaptiveConcurrency=false, no per-server cap"),
        dflt("llmqueue default (adaptiveConcurrency=true)"),
        perServer("maxConcurrentRequestsPerServer=1"),
        perServerNoAdaptive("maxConcurrentRequestsPerServer=1, adaptiveConcurrency=false");

        final String label;

        B(String label) {
            this.label = label;
        }
    }

    record ResultA(A variant, int highCount, long[] waits, int censored, double window, int lowCompleted,
                   double lowUsefulSlotSeconds, int preempted, int preemptedCalls, double discardedSeconds,
                   double zombieSeconds, long simAborted, long simAbortedTokens, int failures) {
    }

    record ResultB(B variant, int highCount, long[] waits, int censored, double window, int lowTimeouts,
                   int lowOther, int failures) {
    }

    private PreemptionBench() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "docs");
        int highCount = Integer.getInteger("preemption.high", 40);
        String uptimeBefore = uptime();
        long t0 = System.nanoTime();
        List<ResultA> as = new ArrayList<>();
        for (A a : A.values()) {
            ResultA r = runA(a, highCount);
            System.out.printf(Locale.ROOT, "A %-12s p50 %8.1f ms p99 %8.1f ms censored %d lowDone %d useful %.1f s"
                                           + " preempted %d discarded %.1f s zombie %.1f s simAborted %d%n",
                    a, ms(pct(r.waits, 0.5)), ms(pct(r.waits, 0.99)), r.censored, r.lowCompleted,
                    r.lowUsefulSlotSeconds, r.preempted, r.discardedSeconds, r.zombieSeconds, r.simAborted);
            as.add(r);
        }
        List<ResultB> bs = new ArrayList<>();
        for (B b : B.values()) {
            ResultB r = runB(b, 30);
            System.out.printf(Locale.ROOT, "B %-20s p50 %8.1f ms p99 %8.1f ms censored %d timeouts %d other %d%n",
                    b, ms(pct(r.waits, 0.5)), ms(pct(r.waits, 0.99)), r.censored, r.lowTimeouts, r.lowOther);
            bs.add(r);
        }
        double total = (System.nanoTime() - t0) / 1e9;
        String uptimeAfter = uptime();
        Files.createDirectories(out);
        try {
            chart(as, bs, out);
        } catch (RuntimeException e) {
            System.out.println("no chart: " + e);
        }
        Files.writeString(out.resolve("performance-preemption.md"),
                report(as, bs, highCount, total, uptimeBefore, uptimeAfter));
        System.out.println("wrote " + out.resolve("performance-preemption.md") + " in " + Math.round(total) + " s");
    }

    // ------------------------------------------------------------------------------------------ scenario A

    static ResultA runA(A variant, int highCount) throws Exception {
        LlmSimulator sim = LlmSimulator.builder().serviceTime(Duration.ZERO).perTokenTime(Duration.ofMillis(TOKEN_MS))
                .completionTokens(LOW_TOKENS).parallelism(PARALLELISM).maxQueue(512).recordCalls(true).build().start();
        CamelContext context = new DefaultCamelContext();
        LlmQueueComponent queue = new LlmQueueComponent();
        queue.setMaxConcurrentRequests(SLOTS);
        switch (variant) {
            case reserved -> queue.setReservedHighSlots(1);
            case preempt -> queue.setPreemptLow(true);
            case preemptMany -> {
                queue.setPreemptLow(true);
                queue.setMaxPreemptions(1000);
            }
            default -> {
            }
        }
        context.addComponent("llmqueue", queue);
        boolean fifo = variant == A.fifo;
        try {
            context.getShutdownStrategy().setTimeout(2);
            context.getShutdownStrategy().setSuppressLoggingOnTimeout(true);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    onException(Exception.class).handled(true).process(FAILED);
                    if (fifo) {
                        String seda = "seda:fifo?concurrentConsumers=" + SLOTS + "&size=100000";
                        from("direct:high").to(seda);
                        from("direct:low").to(seda);
                        from(seda).to(Harness.httpUri(sim)).process(DONE);
                    } else {
                        String base = "llmqueue:ollama?model=" + MODEL + "&baseUrl=" + sim.baseUrl();
                        from("direct:high").to(base + "&priority=HIGH&maxTokens=1").process(DONE);
                        from("direct:low").to(base + "&priority=LOW").process(DONE);
                    }
                }
            });
            context.start();
            AsyncProducer high = producer(context, "direct:high");
            AsyncProducer low = producer(context, "direct:low");
            AtomicBoolean feeding = new AtomicBoolean(true);
            AtomicLong lowIds = new AtomicLong(LOW_ID0);
            AtomicLong lowDone = new AtomicLong();
            AtomicLong failures = new AtomicLong();
            Consumer<Ticket>[] refill = new Consumer[1];
            refill[0] = t -> {
                if (t.failure != null) {
                    if (feeding.get()) {
                        failures.incrementAndGet();
                    }
                } else {
                    lowDone.incrementAndGet();
                }
                if (feeding.get()) {
                    send(low, fifo, new Ticket(lowIds.incrementAndGet(), "LOW", refill[0]::accept), false);
                }
            };
            for (int i = 0; i < LOW_OUTSTANDING; i++) {
                send(low, fifo, new Ticket(lowIds.incrementAndGet(), "LOW", refill[0]::accept), false);
            }
            Thread.sleep(1000);
            long period = TimeUnit.MILLISECONDS.toNanos(HIGH_PERIOD_MS);
            long start = System.nanoTime();
            Ticket[] tickets = new Ticket[highCount];
            for (int k = 0; k < highCount; k++) {
                LoadDriver.sleepUntil(start + k * period);
                tickets[k] = new Ticket(k, "HIGH", null);
                send(high, fifo, tickets[k], true);
            }
            LoadDriver.sleepUntil(start + highCount * period);
            long windowEnd = System.nanoTime();
            feeding.set(false);
            // the HIGH requests still waiting get until the cutoff; what has not started by then is censored
            long cutoff = windowEnd + TimeUnit.SECONDS.toNanos(12);
            for (Ticket t : tickets) {
                long left = cutoff - System.nanoTime();
                if (left > 0) {
                    t.await(left);
                }
            }
            long cutoffAt = Math.min(cutoff, System.nanoTime());
            List<RecordedCall> calls = sim.recorded();
            SimulatorStats stats = sim.stats();
            int preempted = (int) queue.getPreemptedCount();

            long[] startOf = new long[highCount];
            Map<Long, List<RecordedCall>> lowCalls = new HashMap<>();
            List<Long> highStarts = new ArrayList<>();
            for (RecordedCall call : calls) {
                long id = ReplyClock.idIn(call.body().getBytes(StandardCharsets.UTF_8));
                if (call.body().contains("HIGH #")) {
                    if (id >= 0 && id < highCount && call.startNanos() != 0) {
                        startOf[(int) id] = call.startNanos();
                    }
                    if (call.startNanos() != 0) {
                        highStarts.add(call.startNanos());
                    }
                } else if (id >= LOW_ID0) {
                    lowCalls.computeIfAbsent(id, x -> new ArrayList<>()).add(call);
                }
            }
            highStarts.sort(Long::compare);
            List<Long> waits = new ArrayList<>();
            int censored = 0;
            for (int k = 0; k < highCount; k++) {
                if (startOf[k] != 0 && startOf[k] <= cutoffAt) {
                    waits.add(startOf[k] - tickets[k].start);
                } else {
                    waits.add(cutoffAt - tickets[k].start);
                    censored++;
                }
            }
            // LOW: a call followed by another call of the same request was preempted (llmqueue sends the request again)
            double useful = 0;
            double discarded = 0;
            double zombie = 0;
            int preemptedCalls = 0;
            int lowCompleted = 0;
            for (List<RecordedCall> list : lowCalls.values()) {
                list.sort((x, y) -> Long.compare(x.arrivalNanos(), y.arrivalNanos()));
                for (int i = 0; i < list.size(); i++) {
                    RecordedCall c = list.get(i);
                    if (c.startNanos() == 0) {
                        continue;
                    }
                    long end = c.endNanos() != 0 ? c.endNanos() : cutoffAt;
                    if (i < list.size() - 1) {
                        preemptedCalls++;
                        // the abort: the first HIGH call that started after this call did, before it ended
                        long abort = end;
                        for (long h : highStarts) {
                            if (h > c.startNanos() && h <= end) {
                                abort = h;
                                break;
                            }
                        }
                        if (c.startNanos() < windowEnd && abort > start) {
                            discarded += (Math.min(abort, windowEnd) - Math.max(c.startNanos(), start)) / 1e9;
                        }
                        zombie += (end - abort) / 1e9;
                    } else if (c.endNanos() != 0 && !c.aborted() && c.status() == 200) {
                        long from = Math.max(c.startNanos(), start);
                        long to = Math.min(c.endNanos(), windowEnd);
                        if (to > from) {
                            useful += (to - from) / 1e9;
                        }
                        if (c.endNanos() >= start && c.endNanos() <= windowEnd) {
                            lowCompleted++;
                        }
                    }
                }
            }
            long[] w = waits.stream().mapToLong(Long::longValue).toArray();
            java.util.Arrays.sort(w);
            return new ResultA(variant, highCount, w, censored, (windowEnd - start) / 1e9, lowCompleted, useful,
                    preempted, preemptedCalls, discarded, zombie, stats.aborted(), stats.abortedTokens(),
                    (int) failures.get());
        } finally {
            if (!fifo) {
                queue.setDisableBackground(true);
            }
            sim.close();
            context.stop();
        }
    }

    // ------------------------------------------------------------------------------------------ scenario B

    static ResultB runB(B variant, int highCount) throws Exception {
        LlmSimulator healthy = LlmSimulator.builder().serviceTime(Duration.ofMillis(200)).parallelism(SLOTS)
                .maxQueue(512).recordCalls(true).build().start();
        SilentServer silent = new SilentServer();
        CamelContext context = new DefaultCamelContext();
        LlmQueueComponent queue = new LlmQueueComponent();
        queue.setMaxConcurrentRequests(SLOTS);
        if (variant == B.noAdaptive || variant == B.perServerNoAdaptive) {
            queue.setAdaptiveConcurrency(false);
        }
        if (variant == B.perServer || variant == B.perServerNoAdaptive) {
            queue.setMaxConcurrentRequestsPerServer(1);
        }
        context.addComponent("llmqueue", queue);
        try {
            context.getShutdownStrategy().setTimeout(2);
            context.getShutdownStrategy().setSuppressLoggingOnTimeout(true);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    onException(Exception.class).handled(true).process(FAILED);
                    from("direct:high").to("llmqueue:ollama?model=" + MODEL + "&baseUrl=" + healthy.baseUrl()
                                           + "&priority=HIGH").process(DONE);
                    from("direct:low").to("llmqueue:ollama?model=" + MODEL + "&baseUrl=" + silent.baseUrl()
                                          + "&priority=LOW&requestTimeout=2s&maxRetries=0").process(DONE);
                }
            });
            context.start();
            AsyncProducer high = producer(context, "direct:high");
            AsyncProducer low = producer(context, "direct:low");
            AtomicBoolean feeding = new AtomicBoolean(true);
            AtomicLong lowIds = new AtomicLong(LOW_ID0);
            AtomicLong timeouts = new AtomicLong();
            AtomicLong other = new AtomicLong();
            Consumer<Ticket>[] refill = new Consumer[1];
            refill[0] = t -> {
                if (!feeding.get()) {
                    return;
                }
                String m = t.failure == null ? "" : String.valueOf(t.failure.getMessage());
                if (t.failure != null && m.contains("requestTimeout")) {
                    timeouts.incrementAndGet();
                } else {
                    other.incrementAndGet();
                }
                send(low, false, new Ticket(lowIds.incrementAndGet(), "LOW", refill[0]::accept), false);
            };
            for (int i = 0; i < LOW_OUTSTANDING; i++) {
                send(low, false, new Ticket(lowIds.incrementAndGet(), "LOW", refill[0]::accept), false);
            }
            Thread.sleep(300);
            long period = TimeUnit.MILLISECONDS.toNanos(HIGH_PERIOD_MS);
            long start = System.nanoTime();
            Ticket[] tickets = new Ticket[highCount];
            for (int k = 0; k < highCount; k++) {
                LoadDriver.sleepUntil(start + k * period);
                tickets[k] = new Ticket(k, "HIGH", null);
                send(high, false, tickets[k], true);
            }
            LoadDriver.sleepUntil(start + highCount * period);
            long windowEnd = System.nanoTime();
            long cutoff = windowEnd + TimeUnit.SECONDS.toNanos(5);
            for (Ticket t : tickets) {
                long left = cutoff - System.nanoTime();
                if (left > 0) {
                    t.await(left);
                }
            }
            feeding.set(false);
            long cutoffAt = Math.min(cutoff, System.nanoTime());
            long[] startOf = new long[highCount];
            for (RecordedCall call : healthy.recorded()) {
                long id = ReplyClock.idIn(call.body().getBytes(StandardCharsets.UTF_8));
                if (id >= 0 && id < highCount && call.startNanos() != 0) {
                    startOf[(int) id] = call.startNanos();
                }
            }
            long[] w = new long[highCount];
            int censored = 0;
            int failures = 0;
            for (int k = 0; k < highCount; k++) {
                if (tickets[k].failure != null) {
                    failures++;
                }
                if (startOf[k] != 0 && startOf[k] <= cutoffAt) {
                    w[k] = startOf[k] - tickets[k].start;
                } else {
                    w[k] = cutoffAt - tickets[k].start;
                    censored++;
                }
            }
            java.util.Arrays.sort(w);
            return new ResultB(variant, highCount, w, censored, (windowEnd - start) / 1e9, (int) timeouts.get(),
                    (int) other.get(), failures);
        } finally {
            queue.setDisableBackground(true);
            healthy.close();
            context.stop();
            silent.close();
        }
    }

    /** Accepts connections on 127.0.0.1 and never answers; keeps reading so the client's writes never block. */
    static final class SilentServer implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final Thread acceptor;

        SilentServer() throws IOException {
            server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
            acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        sockets.add(s);
                        Thread reader = new Thread(() -> drain(s), "silent-reader");
                        reader.setDaemon(true);
                        reader.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "silent-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private static void drain(Socket s) {
            byte[] buffer = new byte[4096];
            try (InputStream in = s.getInputStream()) {
                while (in.read(buffer) >= 0) {
                    // never answer
                }
            } catch (IOException e) {
                // closed
            }
        }

        String baseUrl() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------ plumbing

    private static AsyncProducer producer(CamelContext context, String uri) throws Exception {
        AsyncProducer p = context.getEndpoint(uri).createAsyncProducer();
        p.start();
        return p;
    }

    private static void send(AsyncProducer entry, boolean json, Ticket ticket, boolean high) {
        Exchange exchange = entry.getEndpoint().createExchange();
        exchange.setProperty(TICKET, ticket);
        String prompt = Harness.prompt(high ? "HIGH" : "LOW", ticket.id);
        if (json) {
            // seda FIFO: the JSON llmqueue would send (HIGH asks for one token, as the llmqueue HIGH endpoint's maxTokens=1)
            String body = "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt
                          + "\"}],\"stream\":false" + (high ? ",\"options\":{\"num_predict\":1}" : "") + "}";
            exchange.getMessage().setBody(body.getBytes(StandardCharsets.UTF_8));
            exchange.getMessage().setHeader(Exchange.HTTP_METHOD, "POST");
            exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        } else {
            exchange.getMessage().setBody(prompt);
        }
        ticket.start = System.nanoTime();
        entry.process(exchange, doneSync -> {
        });
    }

    static long pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    static String uptime() {
        try {
            Process p = new ProcessBuilder("uptime").redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor(5, TimeUnit.SECONDS);
            return s;
        } catch (Exception e) {
            return "uptime unavailable: " + e;
        }
    }

    // ------------------------------------------------------------------------------------------ report

    private static void chart(List<ResultA> as, List<ResultB> bs, Path out) throws IOException {
        CategoryChart chart = Charts.bars("HIGH wait (send → server starts it), log scale", "", "ms");
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setYAxisMin(0.1);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        chart.getStyler().setXAxisLabelRotation(12);
        List<String> cats = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        String[] shortA = {"A: seda FIFO", "A: default", "A: reserved=1", "A: preempt (max 3)", "A: preempt (max 1000)"};
        String[] shortB = {"B: no adaptive", "B: default", "B: perServer=1", "B: perServer=1, no adaptive"};
        for (ResultA r : as) {
            cats.add(shortA[r.variant.ordinal()]);
            p50.add(Math.max(0.1, ms(pct(r.waits, 0.5))));
            p99.add(Math.max(0.1, ms(pct(r.waits, 0.99))));
        }
        for (ResultB r : bs) {
            cats.add(shortB[r.variant.ordinal()]);
            p50.add(Math.max(0.1, ms(pct(r.waits, 0.5))));
            p99.add(Math.max(0.1, ms(pct(r.waits, 0.99))));
        }
        CategorySeries s50 = chart.addSeries("p50", cats, p50);
        s50.setFillColor(Charts.LLMQUEUE);
        CategorySeries s99 = chart.addSeries("p99", cats, p99);
        s99.setFillColor(Charts.FIFO);
        Charts.save(chart, out.resolve("performance-preemption.png"));
    }

    private static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String report(List<ResultA> as, List<ResultB> bs, int highCount, double total, String up0,
                                 String up1) {
        StringBuilder md = new StringBuilder();
        md.append("# Performance: keeping HIGH fast when LOW calls are long (issue 15)\n\n");
        md.append("Generated by `dev.llmqueue.benchmarks.PreemptionBench` on ").append(Instant.now()).append(", one JVM,")
                .append(" all variants side by side in one run of ").append(Math.round(total)).append(" s.\n\n");
        md.append("Machine load (`uptime`) before: `").append(up0).append("`; after: `").append(up1).append("`.")
                .append(" The machine has ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores and was shared with other builds: absolute figures carry a few ms of scheduling noise.\n\n");
        md.append("Reproduce (from the repository root):\n\n```\nmvn -B -q -o install -DskipTests\n")
                .append("cd benchmarks && mvn -B -q -o exec:java -Dexec.mainClass=dev.llmqueue.benchmarks.PreemptionBench")
                .append(" -Dexec.args=../docs\n```\n\n")
                .append("(or `java -cp \"benchmarks/target/classes:$(cat cp.txt)\" dev.llmqueue.benchmarks.PreemptionBench docs`")
                .append(" with `cp.txt` from `mvn -q -o -pl benchmarks dependency:build-classpath -Dmdep.outputFile=../cp.txt`);")
                .append(" `-Dpreemption.high=N` sets the number of HIGH requests of scenario A (default 40).\n\n");
        md.append("**HIGH wait** = from the moment a HIGH request is sent (into seda, or into the llmqueue endpoint) to the")
                .append(" moment the server starts serving it (the simulator's slot stamp, same JVM and clock). It is the")
                .append(" same definition for every variant. A HIGH request not started by the cutoff is *censored*: counted")
                .append(" at the time it had waited by then, so a percentile that lands on one is a lower bound (marked ≥).\n\n");

        // ---- A
        md.append("## Scenario A: HIGH requests while 10 s LOW calls hold every slot\n\n");
        md.append("- One llm-simulator, answers in one piece, `perTokenTime` 200 ms, 50 tokens per answer: a HIGH request asks")
                .append(" for one token (`maxTokens=1`) = **200 ms service**, a LOW request for 50 = **10 s service**.\n")
                .append("- **2 slots**: llmqueue `maxConcurrentRequests=2`, seda `concurrentConsumers=2`. LOW requests are kept")
                .append(" at ").append(LOW_OUTSTANDING).append(" outstanding (2 in flight, 2 waiting): each one that completes")
                .append(" is replaced. HIGH requests start 1 s after the LOW ones, ").append(highCount).append(" of them, one every ")
                .append(HIGH_PERIOD_MS).append(" ms (window ").append(f1(highCount * HIGH_PERIOD_MS / 1000.0))
                .append(" s); cutoff 12 s after the window.\n")
                .append("- **Simulator parallelism = ").append(PARALLELISM).append(", larger than the slots.** Why not streaming LOW")
                .append(" calls at 20 tokens/s, as first planned: `preemptLow` never preempts a streamed LOW call that has")
                .append(" delivered a token (the route is reading it), so a LOW stream with tokens flowing is not preemptable, and")
                .append(" one whose first token comes after 10 s is silent — the simulator notices the closed connection only")
                .append(" when it writes, i.e. after 10 s, either way. With parallelism = slots, a preempted call would keep its")
                .append(" simulator slot for the rest of its 10 s and the HIGH request would queue *inside the server*: that")
                .append(" models a server that does not stop generating when the client leaves. Ollama, vLLM and OpenAI do stop,")
                .append(" which is what the extra parallelism models: the client side never has more than 2 calls of its own in")
                .append(" flight, and the aborted calls run on as \"zombies\" without blocking anyone. Their remaining time is")
                .append(" reported separately (what a server that does *not* cancel would waste on top).\n\n");
        ResultA fifo = as.get(0);
        ResultA dflt = as.get(1);
        md.append("| Variant | HIGH p50 wait | HIGH p99 wait | max | p99 vs default | censored | Target | Met? |\n");
        md.append("|---|---:|---:|---:|---:|---:|---|---|\n");
        double dp99 = ms(pct(dflt.waits, 0.99));
        for (ResultA r : as) {
            double p50 = ms(pct(r.waits, 0.5));
            double p99 = ms(pct(r.waits, 0.99));
            double max = ms(r.waits[r.waits.length - 1]);
            boolean lb = r.censored > 0 && pct(r.waits, 0.99) >= minCensored(r);
            String target = "—";
            String met = "—";
            if (r.variant == A.reserved) {
                target = "p99 ≤ 210 ms (one HIGH service time + 10 ms)";
                met = p99 <= 210 ? "**met**" : "**missed**";
            } else if (r.variant == A.preempt || r.variant == A.preemptMany) {
                target = "p99 ≤ 20 ms";
                met = p99 <= 20 ? "**met**" : "**missed**";
            }
            md.append("| ").append(r.variant.label).append(" | ").append(f1(p50)).append(" ms | ")
                    .append(lb ? "≥ " : "").append(f1(p99)).append(" ms | ").append(f1(max)).append(" ms | ")
                    .append(dp99 > 0 ? f2(p99 / dp99) + "×" : "—").append(" | ").append(r.censored).append("/")
                    .append(r.highCount).append(" | ").append(target).append(" | ").append(met).append(" |\n");
        }
        md.append("\nLOW work and what preemption costs, over the HIGH window (LOW \"useful\" = server time of LOW calls that")
                .append(" ran to their end, counted inside the window; 2 slots × window = the most there is):\n\n");
        md.append("| Variant | LOW completed in window | useful LOW server time | share of 2 slots | vs default | preemptions (PreemptedCount) | preempted calls seen by the server | server time discarded (start → abort) | zombie time after abort | simulator `aborted` |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ResultA r : as) {
            double share = r.lowUsefulSlotSeconds / (SLOTS * r.window);
            double vs = dflt.lowUsefulSlotSeconds > 0 ? r.lowUsefulSlotSeconds / dflt.lowUsefulSlotSeconds : 0;
            md.append("| ").append(r.variant.label).append(" | ").append(r.lowCompleted).append(" | ")
                    .append(f1(r.lowUsefulSlotSeconds)).append(" s | ").append(Math.round(100 * share)).append(" % | ")
                    .append(f2(vs)).append("× | ").append(r.variant == A.fifo ? "—" : String.valueOf(r.preempted))
                    .append(" | ").append(r.preemptedCalls).append(" | ").append(f1(r.discardedSeconds)).append(" s (≈ ")
                    .append(Math.round(r.discardedSeconds * 1000 / TOKEN_MS)).append(" tokens) | ")
                    .append(f1(r.zombieSeconds)).append(" s | ").append(r.simAborted).append(" (")
                    .append(r.simAbortedTokens).append(" tokens) |\n");
        }
        md.append("\nHow the costs are counted: llmqueue sends a preempted request again, so a LOW request the simulator saw")
                .append(" more than once was preempted on every call but its last. The abort moment of such a call is taken as")
                .append(" the start of the first HIGH call after it (the HIGH request starts as soon as the aborted call")
                .append(" returned; ≈, to within a millisecond). *Discarded* = its start → abort: the generation a cancelling")
                .append(" server (Ollama, vLLM) threw away and the LOW request must redo. *Zombie* = abort → the end of its 10 s:")
                .append(" what this simulator (and a server that does not cancel) burnt on top. The simulator's own `aborted`")
                .append(" counter only counts the writes that failed; an answer in one piece written into a closed connection")
                .append(" often still fits the socket buffer, so it undercounts.\n\n");
        appendFindingsA(md, as, fifo, dflt);

        // ---- B
        ResultB bd = bs.get(1);
        md.append("\n## Scenario B: a server that never answers next to a healthy one\n\n");
        md.append("- One component, **2 slots**. LOW requests (").append(LOW_OUTSTANDING)
                .append(" outstanding, replaced as they end) go to a *silent server*: a `ServerSocket` on 127.0.0.1 that")
                .append(" accepts, reads and never answers; the LOW endpoint has `requestTimeout=2s` and `maxRetries=0`, so")
                .append(" each call holds its slot 2 s and fails with a timeout (which lowers that server's adaptive limit).\n")
                .append("- HIGH requests go to a healthy simulator (200 ms service, parallelism 2), 30 of them, one every ")
                .append(HIGH_PERIOD_MS).append(" ms. HIGH wait as above (send → the healthy simulator starts it).\n\n");
        md.append("| Variant | HIGH p50 wait | HIGH p99 wait | max | p99 vs default | censored | LOW timeouts in run | HIGH failures |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        double bp99 = ms(pct(bd.waits, 0.99));
        for (ResultB r : bs) {
            double p99 = ms(pct(r.waits, 0.99));
            md.append("| ").append(r.variant.label).append(" | ").append(f1(ms(pct(r.waits, 0.5)))).append(" ms | ")
                    .append(f1(p99)).append(" ms | ").append(f1(ms(r.waits[r.waits.length - 1]))).append(" ms | ")
                    .append(bp99 > 0 ? f2(p99 / bp99) + "×" : "—").append(" | ").append(r.censored).append("/")
                    .append(r.highCount).append(" | ").append(r.lowTimeouts).append(" | ").append(r.failures)
                    .append(" |\n");
        }
        md.append("\n![HIGH wait p50/p99 per variant, both scenarios](performance-preemption.png)\n");
        return md.toString();
    }

    private static long minCensored(ResultA r) {
        // censored waits are the largest ones by construction (they waited at least until the cutoff)
        return r.censored == 0 ? Long.MAX_VALUE : r.waits[r.waits.length - r.censored];
    }

    private static void appendFindingsA(StringBuilder md, List<ResultA> as, ResultA fifo, ResultA dflt) {
        // filled in by hand after the run would drift from the figures; keep it to what the numbers show
        md.append("Reading the table: seda FIFO puts HIGH behind whatever LOW work was queued before it; llmqueue's")
                .append(" default serves HIGH first among the *waiting* requests, but a HIGH request that arrives while both")
                .append(" slots run 10 s LOW calls still waits for one of them to end. `reservedHighSlots=1` keeps one slot for")
                .append(" HIGH and costs LOW one of its two slots; `preemptLow` gives HIGH a slot within milliseconds and costs")
                .append(" the discarded LOW work. With the default `maxPreemptions=3`, each LOW request can be preempted only")
                .append(" three times: once both LOW calls in flight have used theirs, a HIGH request waits for one to end")
                .append(" (by design, so LOW is never starved for ever); the `maxPreemptions=1000` row shows preemption alone.\n");
    }
}
