package dev.llmqueue.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ClusterBench} with tiny sizes, for correctness only (no timed assertion): every part runs against a real
 * Redis, no request is called twice or lost, the global limit holds at the server, the Redis commands per request are
 * the stated few, the killed node's slots come back, and the section and its plots are written. Skipped, with how to
 * get one, when no Redis can be had. The real run: {@code mvn -B -q -pl benchmarks exec:exec@cluster}.
 */
class ClusterBenchSmokeTest {

    @TempDir
    Path out;

    @Test
    void everyPartRunsAndTheSectionIsWritten() throws Exception {
        BenchRedis redis;
        try {
            redis = BenchRedis.open(null);
        } catch (IllegalStateException e) {
            Assumptions.abort(e.getMessage());
            return;
        }
        ClusterBench.Result r;
        try (redis) {
            r = new ClusterBench(ClusterBench.SMOKE, redis).run();
        }
        ClusterBench.Config c = ClusterBench.SMOKE;
        for (String mode : List.of("local", "redis")) {
            assertEquals(c.rounds() * c.serialPerRound(), r.serial.get(mode).samples().size(), mode);
            assertEquals(c.rounds() * c.saturationPerRound(), r.saturation.get(mode).samples().size(), mode);
        }
        // the stated round trips: 2 EVALSHA (submit, release) and 1 BLPOP reply per request, plus a few heartbeats; the
        // last release is not waited for, so it may not be counted yet
        double n = r.serialCommands.requests();
        assertTrue(r.serialCommands.evalsha() * n >= 2 * n - 1 && r.serialCommands.evalsha() < 3,
                "EVALSHA " + r.serialCommands);
        assertTrue(r.serialCommands.blpop() >= 1.0 && r.serialCommands.blpop() < 2, "BLPOP " + r.serialCommands);
        // three instances: every request called exactly once, never more in flight than the global limit
        assertEquals(0, r.duplicates, "duplicate grants");
        assertEquals(0, r.missing, "requests never called");
        assertEquals(0, r.failures, "failed requests");
        assertEquals(c.requests(), r.calls);
        assertTrue(r.maxAtServer <= c.grantsLimit(), "at the server at once: " + r.maxAtServer);
        assertEquals(3, r.perInstance.size());
        r.perInstance.forEach((name, served) -> assertTrue(served > 0, name + " served nothing"));
        assertTrue(r.grantsPerSecond > 0);
        // kill -9 (none at smoke sizes: QUICK and FULL run it): the survivor got every slot of the dead node
        assertEquals(c.killTrials(), r.trials.size());
        for (ClusterBench.Trial t : r.trials) {
            assertEquals(c.killSlots(), t.slotNanos().length);
            assertTrue(t.all() > 0, "recovered after the kill");
        }
        // the section, its rows and its plots
        String section = ClusterBench.section(r, out);
        assertTrue(section.startsWith(ClusterBench.START) && section.trim().endsWith(ClusterBench.END), section);
        assertTrue(section.contains("## 9. Several instances through Redis (issue 11)"), section);
        for (String png : List.of(ClusterBench.LATENCY_PNG, ClusterBench.GRANTS_PNG, ClusterBench.RECOVERY_PNG)) {
            assertTrue(Files.size(out.resolve(png)) > 5_000, png);
            assertTrue(section.contains("](" + png + ")"), png);
        }
        String page = "# Performance\n\n## Results against the targets\n\n| # | a | b | c | d | e |\n|---|---|---|---|---|---|\n"
                      + "| 1 | x | x | x | x | yes |\n| 9 | old | x | x | x | no |\n\nText.\n\n## Findings for the component\n\nF.\n";
        String spliced = ClusterBench.splice(page, section, ClusterBench.summaryRows(r));
        assertTrue(spliced.indexOf(ClusterBench.START) < spliced.indexOf("## Findings"), spliced);
        assertFalse(spliced.contains("| 9 | old |"), spliced);
        assertTrue(spliced.contains("| 9 | added p99, redis over local, 1 in flight |"), spliced);
        assertTrue(spliced.contains("| 1 | x |"), spliced);
        // splicing again replaces, never duplicates
        String again = ClusterBench.splice(spliced, section, ClusterBench.summaryRows(r));
        assertEquals(spliced, again);
    }
}
