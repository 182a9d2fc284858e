package dev.llmqueue.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;

/**
 * Writes {@code performance.md} and its plots from one run's {@link Results}.
 */
final class Report {

    static final String OVERHEAD_PNG = "performance-overhead.png";
    static final String THROUGHPUT_PNG = "performance-throughput.png";
    static final String PRIORITY_PNG = "performance-priority.png";
    static final String DEPTH_PNG = "performance-depth.png";
    static final String HANDOFF_PNG = "performance-handoff.png";
    static final String STREAM_TTFT_PNG = "performance-stream-ttft.png";
    static final String STREAM_FLOOD_PNG = "performance-stream-flood.png";

    /** Section 8 is measured by its own program (PreemptionBench) into a page of its own: the page links it. */
    static final String PREEMPTION_SECTION = "## 8. Keeping HIGH fast when LOW calls are long (issue 15)\n\n"
            + "Measured by its own program, `PreemptionBench`: see [performance-preemption.md](performance-preemption.md)"
            + " for HIGH\nwaits with long LOW calls (seda FIFO, llmqueue default, `reservedHighSlots=1`,"
            + " `preemptLow=true`), the wasted server\ntime of preemption, and a server that never answers beside a"
            + " healthy one (`maxConcurrentRequestsPerServer`).\n\n";

    /** Issue 10's targets: F1 at 1 in flight, and streaming. */
    static final long ADDED_P50_TARGET_NANOS = 10_000;
    static final long HANDOFF_P50_TARGET_NANOS = 25_000;
    static final long STREAM_ADDED_TTFT_TARGET_NANOS = 100_000;

    private final Results r;
    private final Sizes sizes;
    private final Path dir;
    private final StringBuilder md = new StringBuilder();
    private final List<String[]> summary = new ArrayList<>();

    Report(Results results, Sizes sizes, Path dir) {
        this.r = results;
        this.sizes = sizes;
        this.dir = dir;
    }

    Path write() throws IOException {
        StringBuilder body = new StringBuilder();
        StringBuilder saved = md;
        // sections first (they fill the summary), then the page in reading order
        String overhead = section(this::overhead);
        String throughput = section(this::throughput);
        String flood = section(this::flood);
        String scale = section(this::scale);
        String handoff = section(this::handoff);
        String stream = section(this::stream);
        String profile = section(this::profile);
        header(body);
        body.append(summaryTable());
        body.append(overhead).append(throughput).append(flood).append(scale).append(handoff).append(stream)
                .append(profile);
        Path file = dir.resolve("performance.md");
        // measured by its own program (DashboardCost): kept as it is when the suite rewrites the page
        body.append(DashboardCost.keptSection(file));
        body.append(PREEMPTION_SECTION);
        // section 9 (ClusterBench): this run's when the suite ran it, else kept as the last run wrote it
        body.append(r.cluster != null ? ClusterBench.section(r.cluster, dir) + "\n" : ClusterBench.keptSection(file));
        body.append(findings());
        body.append(reproduce());
        Files.writeString(file, body.toString(), StandardCharsets.UTF_8);
        if (saved != md) {
            throw new IllegalStateException();
        }
        return file;
    }

    private interface Section {
        void write() throws IOException;
    }

    private String section(Section s) throws IOException {
        md.setLength(0);
        s.write();
        return md.toString();
    }

    private void p(String format, Object... args) {
        md.append(String.format(Locale.ROOT, format, args)).append('\n');
    }

    /**
     * A section between its {@code start} and {@code end} markers as the last run wrote it into {@code file}, for the
     * suite to keep when it does not run that part; empty when there is none.
     */
    static String keptSection(Path file, String start, String end) throws IOException {
        if (!Files.exists(file)) {
            return "";
        }
        String page = Files.readString(file, StandardCharsets.UTF_8);
        int from = page.indexOf(start);
        int to = page.indexOf(end);
        return from >= 0 && to > from ? page.substring(from, to + end.length()) + "\n\n" : "";
    }

    static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    static String us(long nanos) {
        return f("%.0f µs", nanos / 1e3);
    }

    static String usSigned(double nanos) {
        return f("%+.0f µs", nanos / 1e3);
    }

    private static String ms(long nanos) {
        return nanos >= 10_000_000_000L ? f("%.1f s", nanos / 1e9) : f("%.1f ms", nanos / 1e6);
    }

    private static String met(boolean ok) {
        return ok ? "yes" : "**no**";
    }

    private void target(String number, String what, String measured, String target, String ratio, String met) {
        summary.add(new String[] {number, what, measured, target, ratio, met});
    }

    // ------------------------------------------------------------------ header and summary

    private void header(StringBuilder b) {
        b.append("# Performance\n\n");
        b.append(f("> Generated by the README's \"Run the benchmarks\" command (`BenchmarkSuite`, %s sizes) on %s in %.0f s"
                   + " of benchmark time.%n", r.sizes, r.started, r.wallSeconds));
        b.append(f("> Machine: %s, %d cores (`nproc`); %s; %s. Load average (1 min) before the run: %.2f; highest"
                   + " seen during it: %.2f; after it: %.2f.%n", r.machine, r.cores, r.jvm, r.os, r.loadBefore, r.loadMax,
                r.loadAfter));
        b.append("> **These are the results of one run on a shared 2-core machine.** Absolute times drift from run to run"
                 + " (the load driver, Camel and the simulator share the two cores), so every comparison runs its three"
                 + " contenders in the same JVM, against the same simulator, interleaved in rounds, and is read as a"
                 + " ratio.\n\n");
        b.append("The contenders, each a route in one `CamelContext`, sending the same Ollama `/api/chat` request to the"
                 + " same [`llm-simulator`](../llm-simulator/README.md) on 127.0.0.1:\n\n");
        b.append("| contender | route |\n|---|---|\n");
        for (Contender c : Contender.values()) {
            b.append(f("| **%s** | %s |%n", c.label(), c.description()));
        }
        b.append("\nEvery route ends with the same processor, which stamps the moment the route resumes after the LLM call:"
                 + " latency is *request sent → route resumed*. direct and fifo send the very JSON bytes llmqueue would send,"
                 + " built before the clock starts, and do not parse the reply, so llmqueue's numbers include its JSON work"
                 + " (measured alone in 1). The *instant* simulator has no service time and parallelism 256; the *slow* one"
                 + " has 50 ms and parallelism 2. Section 6 streams: there the same three contenders read an Ollama NDJSON"
                 + " stream (llmqueue with `streaming=true`), and latency is the time to the first token in the route.\n\n");
    }

    private String summaryTable() throws IOException {
        StringBuilder b = new StringBuilder("## Results against the targets\n\n");
        b.append("| # | measurement (llmqueue unless said) | measured | target | ratio | met |\n|---|---|---|---|---|---|\n");
        for (String[] row : summary) {
            b.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        List<String> cluster = r.cluster != null ? ClusterBench.summaryRows(r.cluster)
                : ClusterBench.keptRows(dir.resolve("performance.md"));
        for (String row : cluster) {
            b.append(row).append('\n');
        }
        b.append("\nWhere a target is not met, the section says why, and "
                 + "[Findings for the component](#findings-for-the-component) gives the profiled cause and the proposed"
                 + " fix.\n\n");
        return b.toString();
    }

    // ------------------------------------------------------------------ 1. overhead

    private void overhead() throws IOException {
        p("## 1. Overhead: added latency per request versus direct");
        p("");
        if (r.serial.isEmpty()) {
            p("_Not run._%n");
            return;
        }
        int perContender = r.serial.get(Contender.direct).size();
        int ratePer = r.rate.get(Contender.direct).size();
        p("Instant simulator. **1 in flight**: one request at a time, the next sent when the route has resumed (%d rounds,"
          + " %,d requests per contender in all). **%,d req/s**: requests sent at fixed times from a pool of sender"
          + " threads whatever happened to the others, latency counted from the scheduled send time (%,d requests per"
          + " contender). llmqueue and fifo run with 8 slots/consumers (at these loads never more than a few requests"
          + " are in flight). Percentiles over all samples; \"added\" is the contender's percentile minus direct's."
          + " Failures: %d.", r.rounds, perContender, r.ratePerSecond, ratePer, r.overheadFailures);
        p("");
        p("| load | contender | p50 | p90 | p99 | added p50 | added p99 | p50 ratio to direct |");
        p("|---|---|---|---|---|---|---|---|");
        row("1 in flight", r.serial);
        row(f("%,d req/s", r.ratePerSecond), r.rate);
        p("");
        p("Per round (p50, µs) at 1 in flight — direct: %s; llmqueue: %s; fifo: %s.", rounds(Contender.direct, true),
                rounds(Contender.llmqueue, true), rounds(Contender.fifo, true));
        p("At %,d req/s — direct: %s; llmqueue: %s; fifo: %s.", r.ratePerSecond, rounds(Contender.direct, false),
                rounds(Contender.llmqueue, false), rounds(Contender.fifo, false));
        p("");
        if (!r.jsonNanos.isEmpty()) {
            double write = r.jsonNanos.getOrDefault("writeRequest", new double[] {0})[0];
            double read = r.jsonNanos.getOrDefault("readReply", new double[] {0})[0];
            p("Of llmqueue's added time, the provider's JSON work (JMH, `ProviderJsonBenchmark`) is %.1f µs: writing the"
              + " request %.2f µs, reading the reply %.2f µs. The rest is the queue's one thread hand-off (route thread →"
              + " call thread) and its bookkeeping: since F1 (issue 10) the call thread that got the reply gives the slot"
              + " back and resumes the route itself, so the second hand-off (call thread → completion thread) is gone"
              + " at these loads. Section 5 splits the time into its parts.", (write + read) / 1e3, write / 1e3,
                    read / 1e3);
            p("");
        }
        if (!r.serialSwitches.isEmpty()) {
            p("Context switches of the whole JVM per request at 1 in flight (all threads, simulator included; each"
              + " thread hand-off costs one or two): direct %.1f, llmqueue %.1f, fifo %.1f.",
                    r.serialSwitches.getOrDefault(Contender.direct, Double.NaN),
                    r.serialSwitches.getOrDefault(Contender.llmqueue, Double.NaN),
                    r.serialSwitches.getOrDefault(Contender.fifo, Double.NaN));
            p("");
        }
        for (String load : new String[] {"serial", "rate"}) {
            Map<Contender, Samples> m = load.equals("serial") ? r.serial : r.rate;
            long addedP50 = m.get(Contender.llmqueue).p50() - m.get(Contender.direct).p50();
            long addedP99 = m.get(Contender.llmqueue).p99() - m.get(Contender.direct).p99();
            String name = load.equals("serial") ? "1 in flight" : f("%,d req/s", r.ratePerSecond);
            long p50Target = load.equals("serial") ? ADDED_P50_TARGET_NANOS : 50_000;
            target("1", "added p50, " + name, usSigned(addedP50), f("≤ %d µs%s", p50Target / 1000,
                            load.equals("serial") ? " (issue 10, F1)" : ""),
                    f("%.2f× direct", m.get(Contender.llmqueue).p50() / (double) m.get(Contender.direct).p50()),
                    met(addedP50 <= p50Target) + (load.equals("serial") && addedP50 > p50Target
                            ? " ([why](#where-the-time-goes-at-1-in-flight))" : ""));
            target("1", "added p99, " + name, usSigned(addedP99), "≤ 500 µs",
                    f("%.2f× direct", m.get(Contender.llmqueue).p99() / (double) m.get(Contender.direct).p99()),
                    met(addedP99 <= 500_000));
        }
        Charts.save(percentileChart("Latency per request by percentile, instant simulator (lower is better)",
                "latency: sent → route resumed (µs, log scale)", r.serial, r.rate), dir.resolve(OVERHEAD_PNG));
        p("![Latency per request by contender](%s)", OVERHEAD_PNG);
        p("");
    }


    private static final double[] PERCENTILES = {0.5, 0.75, 0.9, 0.99, 0.999};

    /** One line per contender and load: solid at 1 in flight, dashed at the fixed rate. */
    private CategoryChart percentileChart(String title, String yTitle, Map<Contender, Samples> serial,
                                          Map<Contender, Samples> rate) {
        CategoryChart chart = Charts.bars(title, "percentile", yTitle);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.CategorySeries.CategorySeriesRenderStyle.Line);
        chart.getStyler().setLabelsVisible(false);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        chart.getStyler().setYAxisDecimalPattern("#,##0");
        List<String> categories = new ArrayList<>();
        for (double q : PERCENTILES) {
            categories.add(q == 0.999 ? "p99.9" : f("p%.0f", q * 100));
        }
        for (boolean atRate : new boolean[] {false, true}) {
            for (Contender c : Contender.values()) {
                Samples s = (atRate ? rate : serial).get(c);
                List<Double> values = new ArrayList<>();
                for (double q : PERCENTILES) {
                    values.add(Math.max(1.0, s.percentile(q) / 1e3));
                }
                var series = chart.addSeries(c.label() + (atRate ? f(", %,d req/s", r.ratePerSecond) : ", 1 in flight"),
                        categories, values);
                series.setLineColor(Charts.color(c));
                series.setMarkerColor(Charts.color(c));
                series.setLineStyle(atRate
                        ? new java.awt.BasicStroke(2f, java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER, 10f,
                                new float[] {8f, 6f}, 0f)
                        : new java.awt.BasicStroke(2.5f));
                series.setMarker(atRate ? org.knowm.xchart.style.markers.SeriesMarkers.DIAMOND
                        : org.knowm.xchart.style.markers.SeriesMarkers.CIRCLE);
            }
        }
        return chart;
    }

    private void row(String load, Map<Contender, Samples> m) {
        Samples d = m.get(Contender.direct);
        for (Contender c : Contender.values()) {
            Samples s = m.get(c);
            if (c == Contender.direct) {
                p("| %s | %s | %s | %s | %s | — | — | 1.00 |", load, c.label(), us(s.p50()), us(s.percentile(0.9)),
                        us(s.p99()));
            } else {
                p("| %s | %s | %s | %s | %s | %s | %s | %.2f |", load, c.label(), us(s.p50()), us(s.percentile(0.9)),
                        us(s.p99()), usSigned(s.p50() - d.p50()), usSigned(s.p99() - d.p99()),
                        s.p50() / (double) d.p50());
            }
        }
    }

    private String rounds(Contender c, boolean serial) {
        List<Double> xs = (serial ? r.serialRoundP50 : r.rateRoundP50).get(c);
        List<String> s = new ArrayList<>();
        for (double x : xs) {
            s.add(f("%.0f", x));
        }
        return String.join(", ", s);
    }

    // ------------------------------------------------------------------ 2. throughput

    private void throughput() throws IOException {
        p("## 2. Throughput at maxConcurrentRequests = %s", r.levels == null ? "—" : joinLevels());
        p("");
        if (r.levels == null) {
            p("_Not run._%n");
            return;
        }
        p("Instant simulator, saturated. At concurrency N: **direct** is N threads each calling in a loop (the ideal:"
          + " no queue, no hand-off); **llmqueue** has maxConcurrentRequests = N and **fifo** N seda consumers, each fed"
          + " by one thread that keeps 2N (at least 4) requests outstanding. Requests per second over %,d ms after %,d ms"
          + " of warm-up, median of %d interleaved rounds. The last columns count the JVM's context switches (all"
          + " threads, simulator included, from `/proc/self/task/*/status`) per request: each thread hand-off costs"
          + " one or two.", sizes.throughputMeasureMillis(), sizes.throughputWarmupMillis(), sizes.throughputRounds());
        p("");
        p("| N | direct | llmqueue | fifo | llmqueue / direct | fifo / direct | switches per request (direct / llmqueue / fifo) |");
        p("|---|---|---|---|---|---|---|");
        for (int i = 0; i < r.levels.length; i++) {
            double d = r.throughputMedian(Contender.direct, i);
            double q = r.throughputMedian(Contender.llmqueue, i);
            double fi = r.throughputMedian(Contender.fifo, i);
            p("| %d | %,.0f req/s | %,.0f req/s | %,.0f req/s | **%.2f** | %.2f | %.1f / %.1f / %.1f |", r.levels[i], d, q, fi,
                    q / d, fi / d, r.switchesPerRequest.get(Contender.direct).get(i),
                    r.switchesPerRequest.get(Contender.llmqueue).get(i), r.switchesPerRequest.get(Contender.fifo).get(i));
            target("2", f("throughput, N = %d", r.levels[i]), f("%,.0f req/s", q), "≥ 90% of direct",
                    f("%.2f× direct (fifo %.2f×)", q / d, fi / d), met(q / d >= 0.9));
        }
        p("");
        p("Every round (req/s): %s", allRounds());
        p("");
        CategoryChart chart = Charts.bars("Throughput, instant simulator (higher is better)",
                "concurrency N (maxConcurrentRequests / seda consumers / caller threads)", "requests per second");
        List<String> categories = new ArrayList<>();
        for (int level : r.levels) {
            categories.add("N = " + level);
        }
        for (Contender c : Contender.values()) {
            List<Double> values = new ArrayList<>();
            for (int i = 0; i < r.levels.length; i++) {
                values.add(r.throughputMedian(c, i));
            }
            Charts.addBars(chart, c, categories, values);
        }
        chart.getStyler().setDecimalPattern("#,##0");
        Charts.save(chart, dir.resolve(THROUGHPUT_PNG));
        p("![Throughput by concurrency](%s)", THROUGHPUT_PNG);
        p("");
    }

    private String joinLevels() {
        List<String> s = new ArrayList<>();
        for (int l : r.levels) {
            s.add(Integer.toString(l));
        }
        return String.join(", ", s);
    }

    private String allRounds() {
        List<String> parts = new ArrayList<>();
        for (Contender c : Contender.values()) {
            List<String> levels = new ArrayList<>();
            for (int i = 0; i < r.levels.length; i++) {
                List<String> xs = new ArrayList<>();
                for (double x : r.throughput.get(c).get(i)) {
                    xs.add(f("%,.0f", x));
                }
                levels.add("N=" + r.levels[i] + ": " + String.join(", ", xs));
            }
            parts.add(c.label() + " (" + String.join("; ", levels) + ")");
        }
        return String.join("; ", parts) + ".";
    }

    // ------------------------------------------------------------------ 3. HIGH under a LOW flood

    private void flood() throws IOException {
        p("## 3. HIGH latency under a LOW flood");
        p("");
        PriorityFlood.Result q = r.flood.get(Contender.llmqueue);
        PriorityFlood.Result fi = r.flood.get(Contender.fifo);
        if (q == null || fi == null) {
            p("_Not run._%n");
            return;
        }
        long service = r.floodServiceMillis * 1_000_000L;
        p("Slow simulator: %d ms per request, parallelism %d; llmqueue with maxConcurrentRequests = %d, fifo with %d seda"
          + " consumers. A backlog of %,d LOW requests is sent first and kept at that depth (every LOW that completes is"
          + " replaced at once); then HIGH requests arrive at %.0f/s. A HIGH request's **wait** is from the moment it is"
          + " sent to the moment it arrives at the simulator (the simulator's own arrival stamp, same JVM clock): the"
          + " time it spent queued. The server can serve %.0f req/s, so fifo drains its backlog in about %,.0f s;"
          + " a HIGH request that had not reached the server when its run ended is counted at the time it had waited so"
          + " far, which makes fifo's figures **lower bounds** (marked ≥). direct has no queue: a backlog of 10,000 would"
          + " be 10,000 blocked threads in front of the server's own FIFO queue, so it is not a contender here.",
                r.floodServiceMillis, r.floodParallelism, r.floodParallelism, r.floodParallelism, q.backlog(),
                q.highPerSecond(), r.floodParallelism * 1000.0 / r.floodServiceMillis,
                q.backlog() / (r.floodParallelism * 1000.0 / r.floodServiceMillis));
        p("");
        p("| contender | run | HIGH sent | HIGH p50 wait | HIGH p99 wait | HIGH max wait | LOW served | all served"
          + " | LOW wait p50 / p99 (served ones) | oldest LOW still waiting |");
        p("|---|---|---|---|---|---|---|---|---|---|");
        for (PriorityFlood.Result x : List.of(q, fi)) {
            p("| %s | %.0f s | %d | %s | %s | %s | %.1f req/s | %.1f req/s | %s / %s | %.0f s |", x.contender().label(),
                    x.seconds(), x.high().size(), bound(x, 0.5), bound(x, 0.99), bound(x, 1.0), x.lowPerSecond(),
                    x.totalPerSecond(), ms(x.lowWait().p50()), ms(x.lowWait().p99()), x.oldestLowAgeSeconds());
        }
        p("");
        long qP99 = q.highPercentile(0.99);
        long fP99 = fi.highPercentile(0.99);
        long fP50 = fi.highPercentile(0.5);
        boolean fifoBound = fi.highCensored() > 0;
        p("fifo: %d of its %d HIGH requests reached the server within the run; llmqueue: %d of %d. llmqueue's HIGH p99"
          + " wait is %.2f service times; fifo's p50 is %s%.0f× llmqueue's p50 and its p99 %s%.0f× llmqueue's p99.",
                fi.high().size() - fi.highCensored(), fi.high().size(), q.high().size() - q.highCensored(), q.high().size(),
                qP99 / (double) service, fifoBound ? "≥ " : "", fP50 / (double) Math.max(1, q.highPercentile(0.5)),
                fifoBound ? "≥ " : "", fP99 / (double) Math.max(1, qP99));
        p("");
        p("**What LOW pays.** Both contenders keep the server busy (all served ≈ %.0f req/s, the server's capacity):"
          + " llmqueue serves %.1f LOW req/s because it gives %.1f req/s to HIGH; fifo serves %.1f LOW req/s and (within"
          + " the run) no HIGH at all. Within LOW, llmqueue's stack is LIFO: a LOW request that is replaced at once is"
          + " served within ~%s, while the oldest of the backlog has waited the whole run (%.0f s) and keeps waiting as long"
          + " as newer LOW work arrives — the starvation the design's aging and deadlines address. fifo serves LOW in"
          + " arrival order, so every LOW waits ~%,.0f s.",
                r.floodParallelism * 1000.0 / r.floodServiceMillis, q.lowPerSecond(), q.totalPerSecond() - q.lowPerSecond(),
                fi.lowPerSecond(), ms(q.lowWait().p50()), q.oldestLowAgeSeconds(),
                q.backlog() / (r.floodParallelism * 1000.0 / r.floodServiceMillis));
        p("");
        target("3", "HIGH p99 wait under a LOW flood", ms(qP99), f("≤ %d ms (1 service time + 10 ms)",
                r.floodServiceMillis + 10), f("%.2f service times", qP99 / (double) service),
                met(qP99 <= service + 10_000_000L));
        target("3", "HIGH p99 wait, fifo ÷ llmqueue", f("fifo %s%s", fifoBound ? "≥ " : "", ms(fP99)), "≥ 100×",
                f("%s%.0f×", fifoBound ? "≥ " : "", fP99 / (double) Math.max(1, qP99)),
                met(fP99 / (double) Math.max(1, qP99) >= 100));
        target("3", "LOW: all served / LOW served, llmqueue vs fifo",
                f("%.1f / %.1f req/s (fifo %.1f / %.1f)", q.totalPerSecond(), q.lowPerSecond(), fi.totalPerSecond(),
                        fi.lowPerSecond()), "throughput unchanged", f("%.2f× fifo (all served)",
                        q.totalPerSecond() / fi.totalPerSecond()), met(q.totalPerSecond() >= 0.95 * fi.totalPerSecond()));

        XYChart chart = Charts.xy(f("HIGH wait under a LOW backlog of %,d (%d ms service, parallelism %d)", q.backlog(),
                r.floodServiceMillis, r.floodParallelism), "time the HIGH request was sent (s after the first HIGH)",
                "wait until it reached the server (ms, log scale)");
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        double maxX = Math.max(q.seconds(), fi.seconds());
        addWaits(chart, q, "llmqueue: HIGH wait", Charts.LLMQUEUE, false);
        addWaits(chart, fi, "fifo: waited at least this (still queued at the end)", Charts.FIFO, true);
        addWaits(chart, fi, "fifo: HIGH wait", Charts.FIFO, false);
        Charts.dashed(chart, f("target: %d ms", r.floodServiceMillis + 10), Charts.TARGET, new double[] {0, maxX},
                new double[] {r.floodServiceMillis + 10, r.floodServiceMillis + 10});
        double drain = q.backlog() / (r.floodParallelism * 1000.0 / r.floodServiceMillis) * 1000;
        Charts.dashed(chart, f("fifo, expected: backlog ÷ capacity = %,.0f s", drain / 1000), Charts.FIFO,
                new double[] {0, maxX}, new double[] {drain, drain});
        chart.getStyler().setYAxisMin(1.0);
        chart.getStyler().setYAxisDecimalPattern("#,##0");
        Charts.save(chart, dir.resolve(PRIORITY_PNG));
        p("![HIGH wait over time, llmqueue and fifo](%s)", PRIORITY_PNG);
        p("");
    }

    private static void addWaits(XYChart chart, PriorityFlood.Result x, String name, java.awt.Color color,
                                 boolean censored) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (PriorityFlood.HighWait w : x.high()) {
            if (w.censored() == censored) {
                xs.add(w.sentSeconds());
                ys.add(Math.max(1.0, w.waitNanos() / 1e6));
            }
        }
        if (xs.isEmpty()) {
            return;
        }
        var s = Charts.points(chart, name, color, xs.stream().mapToDouble(Double::doubleValue).toArray(),
                ys.stream().mapToDouble(Double::doubleValue).toArray());
        if (censored) {
            s.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.TRIANGLE_UP);
        }
    }

    private static String bound(PriorityFlood.Result x, double q) {
        long v = x.highPercentile(q);
        return (x.highPercentileCensored(q) ? "≥ " : "") + ms(v);
    }

    // ------------------------------------------------------------------ 4. scale

    private void scale() throws IOException {
        p("## 4. Scale of the stacks");
        p("");
        p("### 4a. Enqueue + dispatch cost by depth");
        p("");
        if (r.depthNanos.isEmpty()) {
            p("_Not run._%n");
        } else {
            p("JMH (`StackDepthBenchmark`, %d fork, %d × %d ms measurement after %d × %d ms warm-up, average time):"
              + " one enqueue plus one dispatch with *depth* requests already waiting. llmqueue: the component's"
              + " `LlmQueueScheduler` with its one slot held; an operation submits a LOW task and finishes the running"
              + " one, which releases the slot and pops (LIFO) and dispatches the next to the call executor (here an"
              + " executor that only keeps the runnable, so no thread is involved). fifo: the queue of a seda endpoint"
              + " (what seda's producer offers to and its consumers poll from), one offer and one poll. direct has no"
              + " queue. *llmqueue-throttled*: the same scheduler shared by two servers, A and B, with 2 slots; A answered"
              + " one 429 (adaptive concurrency halves its limit to 1) and has that one call in flight, the waiting requests"
              + " are all for A, and each operation submits and finishes a request for B.", sizes.jmhForks(), sizes.jmhMeasurementIterations(), sizes.jmhIterationMillis(),
                    sizes.jmhWarmupIterations(), sizes.jmhIterationMillis());
            p("");
            List<Integer> depths = new ArrayList<>(r.depthNanos.values().iterator().next().keySet());
            StringBuilder head = new StringBuilder("| contender |");
            StringBuilder sep = new StringBuilder("|---|");
            for (int d : depths) {
                head.append(f(" depth %,d |", d));
                sep.append("---|");
            }
            head.append(" largest ÷ smallest |");
            sep.append("---|");
            p("%s", head);
            p("%s", sep);
            for (String c : List.of("llmqueue", "llmqueue-throttled", "fifo")) {
                Map<Integer, double[]> m = r.depthNanos.get(c);
                if (m == null) {
                    continue;
                }
                StringBuilder row = new StringBuilder("| " + c + " |");
                for (int d : depths) {
                    double[] v = m.get(d);
                    row.append(f(" %.1f ± %.1f ns |", v[0], v[1]));
                }
                double ratio = m.get(depths.get(depths.size() - 1))[0] / m.get(depths.get(0))[0];
                row.append(f(" %.2f× |", ratio));
                p("%s", row);
                if (c.equals("llmqueue-throttled")) {
                    target("4", f("enqueue+dispatch, two servers, one throttled: depth %,d vs %,d",
                                    depths.get(depths.size() - 1), depths.get(0)),
                            f("%,.0f vs %,.0f ns", m.get(depths.get(depths.size() - 1))[0], m.get(depths.get(0))[0]),
                            "flat, within 2×", f("%,.2f×", ratio) + (ratio > 2.0 ? " (O(n): a walk of the stack)" : ""),
                            met(ratio <= 2.0));
                }
                if (c.equals("llmqueue")) {
                    target("4", f("enqueue+dispatch, depth %,d vs %,d", depths.get(depths.size() - 1), depths.get(0)),
                            f("%.1f vs %.1f ns", m.get(depths.get(depths.size() - 1))[0], m.get(depths.get(0))[0]),
                            "flat, within 2×", f("%.2f×", ratio), met(ratio <= 2.0));
                }
            }
            p("");
            XYChart chart = Charts.xy("Enqueue + dispatch cost by queue depth (flat is O(1))",
                    "requests already waiting (log scale)", "nanoseconds per enqueue + dispatch (log scale)");
            chart.getStyler().setXAxisLogarithmic(true);
            chart.getStyler().setYAxisLogarithmic(true);
            chart.getStyler().setXAxisDecimalPattern("#,##0");
            chart.getStyler().setYAxisDecimalPattern("#,##0");
            chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
            for (String c : List.of("llmqueue", "llmqueue-throttled", "fifo")) {
                Map<Integer, double[]> m = r.depthNanos.get(c);
                if (m == null) {
                    continue;
                }
                double[] x = m.keySet().stream().mapToDouble(Integer::doubleValue).toArray();
                double[] y = m.values().stream().mapToDouble(v -> Math.max(1.0, v[0])).toArray();
                String name = switch (c) {
                    case "llmqueue" -> "llmqueue (LlmQueueScheduler, one server)";
                    case "llmqueue-throttled" -> "llmqueue, two servers, one throttled by a 429";
                    default -> "fifo (seda queue)";
                };
                java.awt.Color color = c.equals("fifo") ? Charts.FIFO : Charts.LLMQUEUE;
                if (c.equals("llmqueue-throttled")) {
                    Charts.dashed(chart, name, color, x, y).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.SQUARE);
                } else {
                    Charts.line(chart, name, color, x, y, true);
                }
            }
            Charts.save(chart, dir.resolve(DEPTH_PNG));
            p("![Enqueue + dispatch cost by depth](%s)", DEPTH_PNG);
            p("");
        }
        p("### 4b, 4c. Heap and threads per waiting request");
        p("");
        if (r.heapProbes.isEmpty()) {
            p("_Not run._%n");
            return;
        }
        p("Each line is a JVM of its own started with `-Xmx%s` (`HeapProbe`): one request holds the only slot (the"
          + " simulator sits on it), N exchanges are created and kept, the heap is measured (used after `System.gc()`,"
          + " lowest of four), then the N are sent and wait, and the heap is measured again. *Beyond the exchange* is"
          + " the difference ÷ N: what waiting costs on top of the exchange itself. *producer* sends straight to the"
          + " contender's endpoint; *route* sends through a `direct:` route in front of it (Camel's own per-exchange"
          + " routing state included). Threads exclude the simulator's (it stands in for a remote server).", r.heapXmx);
        p("");
        p("| contender | via | waiting | exchange itself | beyond the exchange, per waiting request | heap used with all"
          + " waiting | fits in -Xmx%s | live threads before → with all waiting |", r.heapXmx);
        p("|---|---|---|---|---|---|---|---|");
        for (Map<String, String> probe : r.heapProbes) {
            if (probe.containsKey("error")) {
                p("| %s | %s | %s | failed (exit %s%s) | | | no | |", probe.get("contender"), probe.get("via"),
                        probe.get("n"), probe.get("exit"), Boolean.parseBoolean(probe.get("oom")) ? ", OutOfMemoryError" : "");
                continue;
            }
            long heapWaiting = Long.parseLong(probe.get("heapWaiting"));
            boolean fits = !Boolean.parseBoolean(probe.get("oom")) && "0".equals(probe.get("exit"));
            p("| %s | %s | %,d | %,.0f B | **%,.0f B** | %,.1f MiB of %,.0f MiB | %s | %s → %s |", probe.get("contender"),
                    probe.get("via"), Integer.parseInt(probe.get("waiting")), Double.parseDouble(probe.get("bytesPerExchange")),
                    Double.parseDouble(probe.get("bytesPerWaiting")), heapWaiting / 1048576.0,
                    Long.parseLong(probe.get("maxHeap")) / 1048576.0, fits ? "yes" : "**no**", probe.get("threadsBase"),
                    probe.get("threadsWaiting"));
        }
        p("");
        p("**A million waiting requests, each with a deadline** (issue 14; measured by hand after the timer rewrite, not"
          + " by the suite): `java -Xmx2g -cp ... HeapProbe llmqueue producer 1000000`, with `maxQueueTime=1h` on every"
          + " request. 1,000,000 waiting, **533 B beyond the exchange per waiting request** (772 B the exchange itself;"
          + " 1.25 GiB used with all waiting), live threads 11 → 11, 6.8 µs per submit on this 2-core box. Before the"
          + " rewrite each deadline was an entry in Camel's scheduled pool, capped at 1,000: the 1,001st waiting deadline"
          + " threw `RejectedExecutionException`. Now the deadlines and back-offs sit in two heaps inside the scheduler"
          + " and one timer entry is armed for the earliest of them"
          + " (`LlmQueueSchedulerTest.aHundredThousandWaitingDeadlinesArmOneTimer`), so a deadline costs a heap slot and"
          + " two `int` indexes, no future and no lambda. The llmqueue lines of the table above are measured with a"
          + " deadline on every waiting request too (`HeapProbe` sets `maxQueueTime=1h`).");
        p("");
        Map<String, String> lp = r.heapProbe(Contender.llmqueue, "producer");
        Map<String, String> lr = r.heapProbe(Contender.llmqueue, "route");
        Map<String, String> fp = r.heapProbe(Contender.fifo, "producer");
        if (lp != null && lp.containsKey("bytesPerWaiting")) {
            double b = Double.parseDouble(lp.get("bytesPerWaiting"));
            String fifoB = fp != null && fp.containsKey("bytesPerWaiting")
                    ? f("fifo %,.0f B", Double.parseDouble(fp.get("bytesPerWaiting"))) : "fifo —";
            target("4", f("heap per waiting request beyond the exchange (%,d waiting)", Integer.parseInt(lp.get("n"))),
                    f("%,.0f B (via a route %,.0f B)", b, lr != null && lr.containsKey("bytesPerWaiting")
                            ? Double.parseDouble(lr.get("bytesPerWaiting")) : Double.NaN),
                    "≤ 1 KB", f("%.2f of target; %s", b / 1024, fifoB), met(b <= 1024));
            boolean allFit = true;
            for (Map<String, String> probe : List.of(lp, lr == null ? lp : lr)) {
                allFit &= !probe.containsKey("error") && "0".equals(probe.get("exit"));
            }
            target("4", f("all %,d waiting fit in -Xmx%s", Integer.parseInt(lp.get("n")), r.heapXmx),
                    f("%,.0f MiB used", Long.parseLong(lp.get("heapWaiting")) / 1048576.0), "fits",
                    f("%.0f%% of the heap", 100.0 * Long.parseLong(lp.get("heapWaiting")) / Long.parseLong(lp.get("maxHeap"))),
                    met(allFit));
            int growth = Integer.parseInt(lp.get("threadsWaiting")) - Integer.parseInt(lp.get("threadsBase"));
            Map<String, String> dp = r.heapProbe(Contender.direct, "route");
            String direct = dp != null && dp.containsKey("threadsWaiting")
                    ? f("direct +%d for %,d waiting", Integer.parseInt(dp.get("threadsWaiting"))
                                                      - Integer.parseInt(dp.get("threadsBase")), Integer.parseInt(dp.get("n")))
                    : "";
            target("4", f("live threads with %,d waiting", Integer.parseInt(lp.get("n"))),
                    f("%+d (%s → %s)", growth, lp.get("threadsBase"), lp.get("threadsWaiting")), "no growth",
                    direct, met(growth <= 0));
        }
    }

    // ------------------------------------------------------------------ 5. hand-off

    private void handoff() throws IOException {
        p("## 5. Callback hand-off: from the HTTP reply to the route resuming");
        p("");
        if (r.serialHandoff.isEmpty()) {
            p("_Not run._%n");
            return;
        }
        p("Measured in the runs of section 1: a response interceptor on the HTTP client (installed on the `http`"
          + " component, so llmqueue's own endpoint has it too) stamps the moment each reply's head reaches the client;"
          + " the route's last processor stamps the moment the route resumes. For direct and fifo that is reading the"
          + " body and returning from camel-http on the same thread; llmqueue adds parsing the reply JSON, giving the"
          + " slot back, dispatching the next request if one waits, and resuming the route: since F1 (issue 10) on the"
          + " same call thread, with the completion pool used only when more routes resume at once than the pool has"
          + " threads.");
        p("");
        p("| load | contender | samples | p50 | p90 | p99 | p50 ratio to direct |");
        p("|---|---|---|---|---|---|---|");
        for (String load : new String[] {"1 in flight", f("%,d req/s", r.ratePerSecond)}) {
            Map<Contender, Samples> m = load.equals("1 in flight") ? r.serialHandoff : r.rateHandoff;
            for (Contender c : Contender.values()) {
                Samples s = m.get(c);
                p("| %s | %s | %,d | %s | %s | %s | %.2f |", load, c.label(), s.size(), us(s.p50()), us(s.percentile(0.9)),
                        us(s.p99()), s.p50() / (double) Math.max(1, m.get(Contender.direct).p50()));
            }
        }
        p("");
        Samples qs = r.serialHandoff.get(Contender.llmqueue);
        Samples qr = r.rateHandoff.get(Contender.llmqueue);
        target("5", "hand-off, reply → route resumed (1 in flight)", f("p50 %s, p99 %s", us(qs.p50()), us(qs.p99())),
                f("p50 ≤ %d µs (issue 10, F1)", HANDOFF_P50_TARGET_NANOS / 1000),
                f("%.2f× direct at p50", qs.p50() / (double) Math.max(1, r.serialHandoff.get(Contender.direct).p50())),
                met(qs.p50() <= HANDOFF_P50_TARGET_NANOS) + (qs.p50() > HANDOFF_P50_TARGET_NANOS
                        ? " ([why](#where-the-time-goes-at-1-in-flight))" : ""));
        target("5", f("hand-off, reply → route resumed (%,d req/s)", r.ratePerSecond), f("p50 %s, p99 %s", us(qr.p50()),
                us(qr.p99())), "report", f("%.2f× direct at p50",
                        qr.p50() / (double) Math.max(1, r.rateHandoff.get(Contender.direct).p50())), "—");
        Charts.save(percentileChart("From the HTTP reply to the route resuming, by percentile (lower is better)",
                "hand-off time (µs, log scale)", r.serialHandoff, r.rateHandoff), dir.resolve(HANDOFF_PNG));
        p("![Hand-off time by contender](%s)", HANDOFF_PNG);
        p("");
        breakdown();
    }

    private void parksTable(Map<Contender, Map<String, Double>> parks) {
        p("| contender | parks per request, by thread |");
        p("|---|---|");
        for (Map.Entry<Contender, Map<String, Double>> e : parks.entrySet()) {
            List<String> parts = new ArrayList<>();
            double total = 0;
            for (Map.Entry<String, Double> g : e.getValue().entrySet()) {
                total += g.getValue();
                if (g.getValue() >= 0.05) {
                    parts.add(f("`%s` %.2f", g.getKey(), g.getValue()));
                }
            }
            p("| %s | %.2f in all: %s |", e.getKey().label(), total, String.join(", ", parts));
        }
        p("");
    }

    /** Section 5's second part: the parts of a request at 1 in flight, the JFR of parks, and the verdict on F1. */
    private void breakdown() {
        if (r.serialDispatch.isEmpty()) {
            return;
        }
        p("### Where the time goes at 1 in flight");
        p("");
        p("The runs of section 1 at 1 in flight also stamp the moment the thread that makes the HTTP call has the"
          + " request: for llmqueue the call thread starting the call (a `LlmQueueListener.onCallStarted` that keeps"
          + " the last call's start), for fifo the seda consumer (a processor first in its route); direct's caller"
          + " makes the call itself. With the HTTP reply's head at the client (section 5's stamp) and the route resuming,"
          + " each request splits into three parts. Medians of each part (they do not add up exactly to the median"
          + " of the whole), and means:");
        p("");
        p("| contender | sent → the calling thread has it | → HTTP reply at the client | reply → route resumed | whole, p50 | whole, mean |");
        p("|---|---|---|---|---|---|");
        for (Contender c : Contender.values()) {
            Samples d = r.serialDispatch.get(c);
            Samples call = r.serialCall.get(c);
            Samples h = r.serialHandoff.get(c);
            Samples w = r.serial.get(c);
            p("| %s | %s | %s | %s | %s | %s |", c.label(),
                    d.size() == 0 ? "— (the caller makes the call)" : f("%s (mean %s)", us(d.p50()), us((long) d.mean())),
                    f("%s (mean %s)", us(call.p50()), us((long) call.mean())),
                    f("%s (mean %s)", us(h.p50()), us((long) h.mean())), us(w.p50()), us((long) w.mean()));
        }
        p("");
        if (r.serialSteps[0].size() > 0) {
            Samples[] st = r.serialSteps;
            p("llmqueue's reply → route resumed, in the steps its listeners report (`onCallEnded`, `onEnded`; the same"
              + " listener, %,d requests): **reply at the client → call ended** (body read, connection back to the pool,"
              + " the requestTimeout abort cancelled, JSON parsed) %s (mean %s); **→ request ended** (slot given back"
              + " under the scheduler's lock, the next request looked for, the outcome counted) %s (mean %s);"
              + " **→ route resumed** (headers set, Camel's callback, the route's next processor, on the same call"
              + " thread) %s (mean %s). direct's whole reply → resume, camel-http reading the body and returning: %s.",
                    st[0].size(), us(st[0].p50()), us((long) st[0].mean()), us(st[1].p50()), us((long) st[1].mean()),
                    us(st[2].p50()), us((long) st[2].mean()), us(r.serialHandoff.get(Contender.direct).p50()));
            p("");
        }
        if (!r.parksPerRequest.isEmpty()) {
            p("A short JFR (`jdk.ThreadPark` events, every one, no stack traces) over %,d more requests per contender at 1"
              + " in flight counts the times a thread went to sleep and was woken: the price of a hand-off on top of its"
              + " work. Parks per request, by thread (`main` is the load driver waiting for the route to resume);"
              + " parks of 100 ms or more are left out (idle threads polling: the harness's 75 idle seda consumers"
              + " wait a second at a time):",
                    r.parkRequests);
            p("");
            parksTable(r.parksPerRequest);
        }
        long added = r.serial.get(Contender.llmqueue).p50() - r.serial.get(Contender.direct).p50();
        long handoff = r.serialHandoff.get(Contender.llmqueue).p50();
        Samples qd = r.serialDispatch.get(Contender.llmqueue);
        Samples fd = r.serialDispatch.get(Contender.fifo);
        long callGap = r.serialCall.get(Contender.llmqueue).p50() - r.serialCall.get(Contender.direct).p50();
        long handoffGap = handoff - r.serialHandoff.get(Contender.direct).p50();
        p("**The F1 targets at 1 in flight.** Added p50 %s (target ≤ %d µs): **%s**. Hand-off p50 %s (target ≤ %d µs):"
          + " **%s**.", usSigned(added), ADDED_P50_TARGET_NANOS / 1000, added <= ADDED_P50_TARGET_NANOS ? "met" : "missed",
                us(handoff), HANDOFF_P50_TARGET_NANOS / 1000, handoff <= HANDOFF_P50_TARGET_NANOS ? "met" : "missed");
        p("Against direct, llmqueue's request has one part direct does not have, the dispatch hand-off (route thread →"
          + " call thread: %s at p50; fifo's one hand-off, route thread → seda consumer: %s), while its HTTP call is %s"
          + " and its reply → resume %s compared with direct's (direct's call goes through the camel-http producer, which"
          + " llmqueue no longer uses: F2). The added latency is what is left of the dispatch hand-off after those"
          + " savings.", qd.size() == 0 ? "—" : us(qd.p50()), fd.size() == 0 ? "—" : us(fd.p50()),
                callGap >= 0 ? usSigned(callGap) + " longer" : usSigned(callGap) + " (shorter)",
                handoffGap >= 0 ? usSigned(handoffGap) + " longer" : usSigned(handoffGap) + " (shorter)");
        p("");
    }

    // ------------------------------------------------------------------ 6. streaming

    private void stream() throws IOException {
        p("## 6. Streaming: time to first token");
        p("");
        if (r.streamTtft.isEmpty()) {
            p("_Not run._%n");
            return;
        }
        p("With `streaming=true` the route resumes at the first token with an `LlmStream` body while the call thread"
          + " goes on reading the server's stream ([reference](llmqueue-component.md#streaming)). The same three"
          + " contenders, streaming, in a CamelContext of their own in the same JVM, each reading the same Ollama NDJSON"
          + " stream from the same simulator:");
        p("");
        p("| contender | route |");
        p("|---|---|");
        p("| **direct** | from(direct).process(POST `\"stream\":true` with camel-http's own HttpClient — the client, pool"
          + " and options llmqueue's endpoint gets from camel-http — and read the reply line by line) — no queue |");
        p("| **llmqueue** | from(direct).to(llmqueue:ollama?streaming=true).process(read the `LlmStream`) |");
        p("| **fifo** | from(direct).to(seda); from(seda?concurrentConsumers=N).process(the same streamed POST as direct) |");
        p("");
        p("**Time to first token (TTFT)** is, for every contender, from the request entering the route to the first"
          + " delta in the route's hands: for llmqueue the exchange resumed and the route's first `LlmStream.next()`"
          + " returned; for direct and fifo the first line read (the first token's NDJSON line, not parsed: llmqueue's"
          + " figure includes parsing it). Every route then reads its stream to the end, which is when its slot or"
          + " consumer is free again. direct and fifo send the very JSON llmqueue sends, built before the clock"
          + " starts.");
        p("");

        // 6a
        p("### 6a. Added TTFT at 1 in flight");
        p("");
        int n = r.streamTtft.get(Contender.direct).size();
        p("*Quick* streaming simulator: the first token as soon as the request has a slot (parallelism 256), then %d"
          + " tokens in all at %,.0f tokens/s. One streamed request at a time, the next sent when the route has read the"
          + " previous stream to its end (and, for llmqueue, the call thread has given its slot back): %d rounds, %,d"
          + " requests per contender in all; llmqueue with 8 slots, fifo with 8 consumers. The parts, at p50: *dispatch*"
          + " is sent → the thread that makes the call has the request (llmqueue's call thread, fifo's seda consumer);"
          + " *to the first byte* is from then (direct: from sending) to the reply's head at the client (the simulator"
          + " sends its 200 with the first token); *first byte → first delta* is from there to the first delta in the"
          + " route. Failures: %d.", sizes.streamTokens(), sizes.streamTokensPerSecond(), sizes.streamRounds(), n,
                r.streamFailures);
        p("");
        p("| contender | TTFT p50 | p90 | p99 | added p50 | added p99 | p50 ratio to direct | dispatch | to the first byte"
          + " | first byte → first delta | whole stream, p50 |");
        p("|---|---|---|---|---|---|---|---|---|---|---|");
        Samples d = r.streamTtft.get(Contender.direct);
        for (Contender c : Contender.values()) {
            Samples s = r.streamTtft.get(c);
            Samples disp = r.streamDispatch.get(c);
            String added = c == Contender.direct ? "—" : usSigned(s.p50() - d.p50());
            String added99 = c == Contender.direct ? "—" : usSigned(s.p99() - d.p99());
            p("| %s | %s | %s | %s | %s | %s | %.2f | %s | %s | %s | %s |", c.label(), us(s.p50()), us(s.percentile(0.9)),
                    us(s.p99()), added, added99, s.p50() / (double) Math.max(1, d.p50()),
                    disp.size() == 0 ? "—" : us(disp.p50()), us(r.streamToFirstByte.get(c).p50()),
                    us(r.streamFirstByteToDelta.get(c).p50()), us(r.streamWhole.get(c).p50()));
        }
        p("");
        List<String> perRound = new ArrayList<>();
        for (Contender c : Contender.values()) {
            List<String> xs = new ArrayList<>();
            for (double x : r.streamRoundP50.get(c)) {
                xs.add(f("%.0f", x));
            }
            perRound.add(c.label() + ": " + String.join(", ", xs));
        }
        p("Per round (TTFT p50, µs) — %s.", String.join("; ", perRound));
        p("");
        Samples q = r.streamTtft.get(Contender.llmqueue);
        long addedTtft = q.p50() - d.p50();
        Samples fb = r.streamFirstByteToDelta.get(Contender.llmqueue);
        Samples fbDirect = r.streamFirstByteToDelta.get(Contender.direct);
        if (r.streamFirstByteToEvent.size() > 0) {
            p("llmqueue's first byte → first delta, in the steps its listener reports (`onFirstToken`, called on the"
              + " call thread just before the exchange is handed to be resumed): **first byte → first token read**"
              + " (the NDJSON line read and parsed) %s (mean %s); **→ first delta in the route** (the completion pool"
              + " wakes a thread, which sets the headers and body and resumes the route, whose first `next()` returns)"
              + " %s (mean %s).", us(r.streamFirstByteToEvent.p50()), us((long) r.streamFirstByteToEvent.mean()),
                    us(r.streamEventToDelta.p50()), us((long) r.streamEventToDelta.mean()));
            p("");
        }
        p("llmqueue's TTFT pays two thread hand-offs: route thread → call thread (dispatch: %s at p50, fifo's %s),"
          + " and call thread → completion thread at the first token, which is always a hand-off for a stream (the call"
          + " thread keeps the slot and goes on reading, so the route cannot resume on it): first byte → first delta"
          + " %s against direct's %s on its own thread. Added TTFT p50 %s against the target ≤ %d µs: **%s**.",
                us(r.streamDispatch.get(Contender.llmqueue).p50()), us(r.streamDispatch.get(Contender.fifo).p50()),
                us(fb.p50()), us(fbDirect.p50()), usSigned(addedTtft), STREAM_ADDED_TTFT_TARGET_NANOS / 1000,
                addedTtft <= STREAM_ADDED_TTFT_TARGET_NANOS ? "met" : "missed");
        p("");
        target("6", "added TTFT p50, streaming, 1 in flight", usSigned(addedTtft),
                f("≤ %d µs (issue 10)", STREAM_ADDED_TTFT_TARGET_NANOS / 1000),
                f("%.2f× direct (fifo %.2f×)", q.p50() / (double) Math.max(1, d.p50()),
                        r.streamTtft.get(Contender.fifo).p50() / (double) Math.max(1, d.p50())),
                met(addedTtft <= STREAM_ADDED_TTFT_TARGET_NANOS));
        CategoryChart ttftChart = Charts.bars("Streaming: time to first token at 1 in flight, by percentile (lower is better)",
                "percentile", "TTFT: request enters the route → first delta in the route (µs, log scale)");
        ttftChart.getStyler().setYAxisLogarithmic(true);
        ttftChart.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.CategorySeries.CategorySeriesRenderStyle.Line);
        ttftChart.getStyler().setLabelsVisible(false);
        ttftChart.getStyler().setYAxisDecimalPattern("#,##0");
        List<String> categories = new ArrayList<>();
        for (double pq : PERCENTILES) {
            categories.add(pq == 0.999 ? "p99.9" : f("p%.0f", pq * 100));
        }
        for (Contender c : Contender.values()) {
            List<Double> values = new ArrayList<>();
            for (double pq : PERCENTILES) {
                values.add(Math.max(1.0, r.streamTtft.get(c).percentile(pq) / 1e3));
            }
            var series = ttftChart.addSeries(c.label(), categories, values);
            series.setLineColor(Charts.color(c));
            series.setMarkerColor(Charts.color(c));
            series.setLineStyle(new java.awt.BasicStroke(2.5f));
            series.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.CIRCLE);
        }
        Charts.save(ttftChart, dir.resolve(STREAM_TTFT_PNG));
        p("![Streaming TTFT at 1 in flight by contender](%s)", STREAM_TTFT_PNG);
        p("");

        // 6b
        p("### 6b. HIGH TTFT under a LOW flood");
        p("");
        StreamBench.Flood fq = r.streamFlood.get(Contender.llmqueue);
        StreamBench.Flood ff = r.streamFlood.get(Contender.fifo);
        StreamBench.Flood fd = r.streamFlood.get(Contender.direct);
        if (fq == null || ff == null || fd == null) {
            p("_Not run._%n");
            return;
        }
        long ttftServer = sizes.streamFloodTtftMillis() * 1_000_000L;
        long gap = Math.round(1e9 / sizes.streamFloodTokensPerSecond());
        long streamNanos = ttftServer + (sizes.streamFloodTokens() - 1) * gap;
        long bound = streamNanos + ttftServer + 10_000_000L;
        double capacity = sizes.streamFloodParallelism() * 1e9 / streamNanos;
        p("*Busy* streaming simulator: %d slots, the first token %d ms after the request has a slot, then %d tokens in"
          + " all at %,.0f tokens/s, so a stream holds its slot %,.0f ms and the server streams %.1f answers/s. llmqueue"
          + " with maxConcurrentRequests = %d, fifo with %d seda consumers. A backlog of %,d LOW streamed requests is"
          + " sent first and kept at that depth (every LOW whose route has read its stream to the end is replaced at"
          + " once); **direct** has no queue of its own, so its backlog is %,d caller threads each streaming LOW"
          + " requests in a loop, waiting in the server's own (FIFO) queue as they would in front of Ollama. Then HIGH"
          + " requests arrive at %.0f/s for %.0f s (direct: each from a thread of its own); the run goes on until every"
          + " HIGH has its first token (at most %.0f s more; one still without it is counted at what it had waited,"
          + " a lower bound marked ≥). *Slot wait* is from sending to the simulator giving the request a slot (its own"
          + " stamp, same clock). The whole backlog takes about %s to serve.", sizes.streamFloodParallelism(),
                sizes.streamFloodTtftMillis(), sizes.streamFloodTokens(), sizes.streamFloodTokensPerSecond(),
                streamNanos / 1e6, capacity, sizes.streamFloodParallelism(), sizes.streamFloodParallelism(),
                fq.backlog(), fd.backlog(), fq.highPerSecond(), sizes.streamFloodSeconds(),
                sizes.streamFloodDrainSeconds(), ms((long) (fq.backlog() / capacity * 1e9)));
        p("");
        p("| contender | HIGH sent | HIGH TTFT p50 | p99 | max | HIGH slot wait p50 / p99 | TTFT p50 / p99 ÷ llmqueue's"
          + " | LOW served | all served | failures |");
        p("|---|---|---|---|---|---|---|---|---|---|");
        for (StreamBench.Flood x : List.of(fq, ff, fd)) {
            p("| %s | %d | %s | %s | %s | %s / %s | %s | %.1f req/s | %.1f req/s | %d |", x.contender().label(),
                    x.high().size(), ttftBound(x, 0.5), ttftBound(x, 0.99), ttftBound(x, 1.0), ms(x.slotWait(0.5)),
                    ms(x.slotWait(0.99)), x == fq ? "1 / 1" : f("%s%.0f× / %s%.0f×", x.ttftCensored(0.5) ? "≥ " : "",
                            x.ttft(0.5) / (double) Math.max(1, fq.ttft(0.5)), x.ttftCensored(0.99) ? "≥ " : "",
                            x.ttft(0.99) / (double) Math.max(1, fq.ttft(0.99))),
                    x.lowPerSecond(), x.servedPerSecond(), x.failures());
        }
        p("");
        p("A HIGH request that arrives while every slot streams a LOW answer waits, with llmqueue, for the first of"
          + " them to end (at most one stream, %,.0f ms) and then for its own first token (%d ms): at most %,.0f ms plus"
          + " the client's own time. fifo and direct serve it after the whole backlog in front of it, so their HIGH TTFT"
          + " grows with the backlog (%,d here: ~%s) while llmqueue's does not.", streamNanos / 1e6,
                sizes.streamFloodTtftMillis(), (streamNanos + ttftServer) / 1e6, fq.backlog(),
                ms((long) (fq.backlog() / capacity * 1e9)));
        p("");
        target("6", "HIGH TTFT p99 under a LOW flood, streamed", ttftBound(fq, 0.99),
                f("≤ %,.0f ms (1 stream + 1 TTFT + 10 ms)", bound / 1e6),
                f("%.2f× the bound", fq.ttft(0.99) / (double) bound), met(fq.ttft(0.99) <= bound));
        target("6", "HIGH TTFT p50 / p99, fifo ÷ llmqueue and direct ÷ llmqueue (streamed)",
                f("fifo %s / %s; direct %s / %s", ttftBound(ff, 0.5), ttftBound(ff, 0.99), ttftBound(fd, 0.5),
                        ttftBound(fd, 0.99)), "report",
                f("fifo %s%.0f× / %s%.0f×; direct %s%.0f× / %s%.0f×", ff.ttftCensored(0.5) ? "≥ " : "",
                        ff.ttft(0.5) / (double) Math.max(1, fq.ttft(0.5)), ff.ttftCensored(0.99) ? "≥ " : "",
                        ff.ttft(0.99) / (double) Math.max(1, fq.ttft(0.99)), fd.ttftCensored(0.5) ? "≥ " : "",
                        fd.ttft(0.5) / (double) Math.max(1, fq.ttft(0.5)), fd.ttftCensored(0.99) ? "≥ " : "",
                        fd.ttft(0.99) / (double) Math.max(1, fq.ttft(0.99))), "—");

        XYChart chart = Charts.xy(f("Streaming: HIGH time to first token under a LOW backlog of %,d (%d slots)",
                fq.backlog(), sizes.streamFloodParallelism()), "time the HIGH request was sent (s after the first HIGH)",
                "TTFT in the route (ms, log scale)");
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        double maxX = 0;
        for (StreamBench.Flood x : List.of(fq, ff, fd)) {
            for (StreamBench.High h : x.high()) {
                maxX = Math.max(maxX, h.sentSeconds());
            }
        }
        highPoints(chart, fq, "llmqueue: HIGH TTFT", Charts.LLMQUEUE);
        highPoints(chart, ff, "fifo: HIGH TTFT", Charts.FIFO);
        highPoints(chart, fd, "direct: HIGH TTFT", Charts.DIRECT);
        Charts.dashed(chart, f("bound: 1 stream + 1 TTFT + 10 ms = %,.0f ms", bound / 1e6), Charts.TARGET,
                new double[] {0, maxX}, new double[] {bound / 1e6, bound / 1e6});
        chart.getStyler().setYAxisMin(1.0);
        chart.getStyler().setYAxisDecimalPattern("#,##0");
        Charts.save(chart, dir.resolve(STREAM_FLOOD_PNG));
        p("![Streaming: HIGH TTFT under a LOW flood, by contender](%s)", STREAM_FLOOD_PNG);
        p("");
    }

    private static void highPoints(XYChart chart, StreamBench.Flood x, String name, java.awt.Color color) {
        double[] xs = x.high().stream().mapToDouble(StreamBench.High::sentSeconds).toArray();
        double[] ys = x.high().stream().mapToDouble(h -> Math.max(1.0, h.ttftNanos() / 1e6)).toArray();
        if (xs.length > 0) {
            Charts.points(chart, name, color, xs, ys);
        }
    }

    private static String ttftBound(StreamBench.Flood x, double q) {
        return (x.ttftCensored(q) ? "≥ " : "") + ms(x.ttft(q));
    }

    // ------------------------------------------------------------------ profile

    private void profile() {
        p("## Profile (JFR) at saturation");
        p("");
        if (r.profiles.isEmpty()) {
            p("_Not run._%n");
            return;
        }
        p("JDK Flight Recorder, execution samples only (every 10 ms per running thread), during a saturation run at the"
          + " highest concurrency of section 2 (instant simulator), llmqueue and then the floor, direct. It shows where the two cores go; time a thread spends parked"
          + " or waiting to be scheduled after a hand-off is not in it (section 2's switches per request show that). The"
          + " recording itself slows these runs down a lot (compare the req/s below with section 2), so read the"
          + " shares, not the rates.");
        p("");
        for (Map.Entry<Contender, Results.Profile> e : r.profiles.entrySet()) {
            Results.Profile prof = e.getValue();
            p("**%s** — %,d samples in %.1f s, %,.0f req/s during the recording.", e.getKey().label(), prof.samples(),
                    prof.seconds(), prof.requestsPerSecond());
            p("");
            p("| by thread | share | | by layer (innermost frame) | share | | hottest methods (self) | share |");
            p("|---|---|---|---|---|---|---|---|");
            List<Map.Entry<String, Integer>> threads = new ArrayList<>(prof.byThread().entrySet());
            List<Map.Entry<String, Integer>> layers = new ArrayList<>(prof.byLayer().entrySet());
            List<Map.Entry<String, Integer>> methods = new ArrayList<>(prof.topMethods().entrySet());
            int rows = Math.min(10, Math.max(threads.size(), Math.max(layers.size(), methods.size())));
            for (int i = 0; i < rows; i++) {
                p("| %s | %s | | %s | %s | | %s | %s |", cell(threads, i, false), cell(threads, i, true, prof.samples()),
                        cell(layers, i, false), cell(layers, i, true, prof.samples()), cell(methods, i, false),
                        cell(methods, i, true, prof.samples()));
            }
            p("");
        }
    }

    private static String cell(List<Map.Entry<String, Integer>> xs, int i, boolean share, int... total) {
        if (i >= xs.size()) {
            return "";
        }
        if (!share) {
            return "`" + xs.get(i).getKey().replace("|", "\\|") + "`";
        }
        return f("%.0f%%", 100.0 * xs.get(i).getValue() / total[0]);
    }

    // ------------------------------------------------------------------ findings and reproduction

    private String findings() throws IOException {
        try (InputStream in = Report.class.getResourceAsStream("findings.md")) {
            if (in == null) {
                return "";
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> values = findingValues();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{\\{([a-zA-Z0-9.]+)}}").matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(values.getOrDefault(m.group(1), "—")));
            }
            m.appendTail(out);
            return out + "\n";
        }
    }

    /** The figures of this run that findings.md quotes as {{key}}; a key of a section not run reads "—". */
    private Map<String, String> findingValues() {
        Map<String, String> v = new java.util.HashMap<>();
        if (!r.serial.isEmpty()) {
            Samples d = r.serial.get(Contender.direct);
            Samples q = r.serial.get(Contender.llmqueue);
            Samples fi = r.serial.get(Contender.fifo);
            v.put("added.p50", usSigned(q.p50() - d.p50()));
            v.put("added.p99", usSigned(q.p99() - d.p99()));
            v.put("fifo.added.p50", usSigned(fi.p50() - d.p50()));
            v.put("fifo.added.p99", usSigned(fi.p99() - d.p99()));
            v.put("rate.added.p50", usSigned(r.rate.get(Contender.llmqueue).p50() - r.rate.get(Contender.direct).p50()));
            Samples h = r.serialHandoff.get(Contender.llmqueue);
            v.put("handoff.p50", us(h.p50()));
            v.put("handoff.p99", us(h.p99()));
            v.put("handoff.direct.p50", us(r.serialHandoff.get(Contender.direct).p50()));
            v.put("handoff.fifo.p50", us(r.serialHandoff.get(Contender.fifo).p50()));
            v.put("rate.handoff.p50", us(r.rateHandoff.get(Contender.llmqueue).p50()));
            v.put("rate.handoff.p99", us(r.rateHandoff.get(Contender.llmqueue).p99()));
            for (Contender c : Contender.values()) {
                Samples disp = r.serialDispatch.get(c);
                if (disp != null && disp.size() > 0) {
                    v.put("dispatch." + c.label() + ".p50", us(disp.p50()));
                }
                Samples call = r.serialCall.get(c);
                if (call != null && call.size() > 0) {
                    v.put("call." + c.label() + ".p50", us(call.p50()));
                }
                Double sw = r.serialSwitches.get(c);
                if (sw != null) {
                    v.put("switches." + c.label(), f("%.1f", sw));
                }
                Map<String, Double> parks = r.parksPerRequest.get(c);
                if (parks != null) {
                    v.put("parks." + c.label(), f("%.2f", parks.values().stream().mapToDouble(Double::doubleValue).sum()));
                    parks.forEach((group, n) -> v.put("parks." + c.label() + "." + group.replaceAll("[^A-Za-z0-9]", ""),
                            f("%.2f", n)));
                }
            }
        }
        if (!r.streamTtft.isEmpty()) {
            Samples d = r.streamTtft.get(Contender.direct);
            Samples q = r.streamTtft.get(Contender.llmqueue);
            v.put("stream.added.p50", usSigned(q.p50() - d.p50()));
            v.put("stream.fifo.added.p50", usSigned(r.streamTtft.get(Contender.fifo).p50() - d.p50()));
            for (Contender c : Contender.values()) {
                v.put("stream.ttft." + c.label() + ".p50", us(r.streamTtft.get(c).p50()));
                v.put("stream.firstbyte." + c.label() + ".p50", us(r.streamFirstByteToDelta.get(c).p50()));
                if (r.streamDispatch.get(c).size() > 0) {
                    v.put("stream.dispatch." + c.label() + ".p50", us(r.streamDispatch.get(c).p50()));
                }
            }
        }
        return v;
    }

    private String reproduce() {
        return "## Reproduce\n\n"
               + "```sh\n"
               + "mvn -B -q install -DskipTests && mvn -B -q -pl benchmarks exec:exec@suite\n"
               + "```\n\n"
               + f("It rebuilds this page and its plots in about %.0f minutes on 2 cores (`--only"
                   + " jmh,heap,overhead,throughput,profile,flood,stream,cluster` picks sections; the others are then marked not"
                   + " run). `mvn -B verify` runs only the smoke", Math.max(1, Math.ceil(r.wallSeconds / 60)))
               + " test (`BenchmarkSuiteSmokeTest`: every measurement with tiny sizes, into a temporary directory). The"
               + " sources are in [`benchmarks/`](../benchmarks): `BenchmarkSuite` (this page), `LoadDriver` (the load"
               + " patterns), `Harness` (the routes), `PriorityFlood`, `StreamBench` (section 6), `HeapProbe`,"
               + " `CallClock` and `ReplyClock` (the stamps), and the JMH benchmarks `StackDepthBenchmark` and"
               + " `ProviderJsonBenchmark`. On a machine where other builds install the project's modules into the same"
               + " `~/.m2` meanwhile, run the suite from this checkout's `target/classes` instead (the `exec:exec` above"
               + " takes the component from `~/.m2`).\n";
    }
}
