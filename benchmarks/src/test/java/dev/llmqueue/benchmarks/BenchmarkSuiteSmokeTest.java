package dev.llmqueue.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every measurement of the suite with tiny sizes (no timed assertions: only that each produced sane numbers,
 * rows and files). The real run is the README's "Run the benchmarks" command, never part of {@code mvn verify}.
 */
class BenchmarkSuiteSmokeTest {

    @TempDir
    Path out;

    @Test
    void everyMeasurementRunsAndTheReportAndPlotsAreWritten() throws Exception {
        // every part but "cluster", which needs a Redis and has a smoke test of its own (ClusterBenchSmokeTest)
        BenchmarkSuite suite = new BenchmarkSuite(Sizes.SMOKE, out,
                Set.of("jmh", "heap", "overhead", "throughput", "flood", "profile", "stream"));
        Path report = suite.run();
        Results r = suite.results();

        // 1 and 5: latencies and hand-offs for all three contenders, at both loads
        for (Contender c : Contender.values()) {
            assertEquals(Sizes.SMOKE.serialPerRound(), r.serial.get(c).size(), c + " serial samples");
            assertEquals(Sizes.SMOKE.ratePerRound(), r.rate.get(c).size(), c + " rate samples");
            assertTrue(r.serial.get(c).p50() > 0 && r.serial.get(c).p99() >= r.serial.get(c).p50(), c + " percentiles");
            assertTrue(r.serialHandoff.get(c).size() > 0, c + " hand-off stamped from the HTTP reply");
            assertTrue(r.serialHandoff.get(c).p50() > 0, c + " hand-off positive");
        }
        assertEquals(0, r.overheadFailures);
        // 5: the parts at 1 in flight (llmqueue's call thread and fifo's consumer stamped), and the JFR of parks
        assertTrue(r.serialDispatch.get(Contender.llmqueue).size() > 0, "llmqueue call starts stamped");
        assertTrue(r.serialDispatch.get(Contender.fifo).size() > 0, "fifo consumer takes stamped");
        assertEquals(0, r.serialDispatch.get(Contender.direct).size(), "direct has no dispatch");
        for (Contender c : Contender.values()) {
            assertTrue(r.serialCall.get(c).size() > 0, c + " call part");
            assertFalse(r.parksPerRequest.get(c).isEmpty(), c + " parks recorded");
        }
        // 2: a positive throughput per contender and level
        for (Contender c : Contender.values()) {
            for (int i = 0; i < r.levels.length; i++) {
                assertTrue(r.throughputMedian(c, i) > 0, c + " throughput at " + r.levels[i]);
            }
        }
        // 3: llmqueue served HIGH requests; fifo's were stuck behind the LOW backlog
        PriorityFlood.Result q = r.flood.get(Contender.llmqueue);
        PriorityFlood.Result f = r.flood.get(Contender.fifo);
        assertFalse(q.high().isEmpty());
        assertTrue(q.highWait().size() > 0, "llmqueue HIGH requests reached the server");
        assertTrue(q.lowPerSecond() > 0 && f.lowPerSecond() > 0, "LOW work was served by both");
        assertFalse(f.high().isEmpty());
        assertEquals(0, q.failures());
        // 4a: JMH results for every depth and contender; JSON costs
        for (String c : new String[] {"llmqueue", "llmqueue-throttled", "fifo"}) {
            Map<Integer, double[]> byDepth = r.depthNanos.get(c);
            assertNotNull(byDepth, c);
            assertEquals(Sizes.SMOKE.depths().length, byDepth.size(), c);
            byDepth.values().forEach(v -> assertTrue(v[0] > 0, c + " ns/op"));
        }
        assertTrue(r.jsonNanos.get("writeRequest")[0] > 0);
        assertTrue(r.jsonNanos.get("readReply")[0] > 0);
        // 4b, 4c: the heap probes ran in their own JVMs and measured something
        Map<String, String> probe = r.heapProbe(Contender.llmqueue, "producer");
        assertNotNull(probe);
        assertFalse(probe.containsKey("error"), () -> probe.get("error"));
        assertEquals(Integer.toString(Sizes.SMOKE.heapWaiting()), probe.get("waiting"));
        assertTrue(Double.parseDouble(probe.get("bytesPerExchange")) > 0);
        assertNotNull(r.heapProbe(Contender.fifo, "producer").get("bytesPerWaiting"));
        assertNotNull(r.heapProbe(Contender.direct, "route").get("threadsWaiting"));
        // 6: streaming, TTFT at 1 in flight for every contender, and HIGH under a LOW flood
        assertEquals(0, r.streamFailures);
        for (Contender c : Contender.values()) {
            Samples ttft = r.streamTtft.get(c);
            assertEquals(Sizes.SMOKE.streamRounds() * Sizes.SMOKE.streamSerialPerRound(), ttft.size(), c + " TTFT samples");
            assertTrue(ttft.p50() > 0 && r.streamWhole.get(c).p50() >= ttft.p50(), c + " TTFT before the whole stream");
            assertTrue(r.streamFirstByteToDelta.get(c).size() > 0, c + " first byte stamped");
            StreamBench.Flood flood = r.streamFlood.get(c);
            assertNotNull(flood, c + " flood");
            assertEquals(Math.round(Sizes.SMOKE.streamFloodHighPerSecond() * Sizes.SMOKE.streamFloodSeconds()),
                    flood.high().size(), c + " HIGH sent");
            assertTrue(flood.lowPerSecond() > 0, c + " LOW served");
            assertEquals(0, flood.failures(), c + " flood failures");
        }
        assertTrue(r.streamFlood.get(Contender.llmqueue).high().stream().noneMatch(StreamBench.High::censored),
                "every llmqueue HIGH got its first token");
        // the profile saw samples
        assertTrue(r.profiles.get(Contender.llmqueue).samples() > 0);

        // the report and its plots
        String md = Files.readString(report);
        for (String heading : new String[] {"## Results against the targets", "## 1. Overhead", "## 2. Throughput",
                "## 3. HIGH latency under a LOW flood", "## 4. Scale of the stacks", "## 5. Callback hand-off",
                "## 6. Streaming: time to first token", "### Where the time goes at 1 in flight",
                "## Profile (JFR)", "## Findings for the component", "## Reproduce"}) {
            assertTrue(md.contains(heading), "report has " + heading);
        }
        for (String png : new String[] {Report.OVERHEAD_PNG, Report.THROUGHPUT_PNG, Report.PRIORITY_PNG,
                Report.DEPTH_PNG, Report.HANDOFF_PNG, Report.STREAM_TTFT_PNG, Report.STREAM_FLOOD_PNG}) {
            Path file = out.resolve(png);
            assertTrue(Files.size(file) > 10_000, png + " written");
            assertTrue(md.contains("](" + png + ")"), "report shows " + png);
        }
        for (Contender c : Contender.values()) {
            assertTrue(md.contains("| " + c.label() + " |"), "report has rows for " + c);
        }
        assertFalse(md.contains("{{"), "every figure quoted by the findings is filled in");
    }
}
