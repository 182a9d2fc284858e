package dev.llmqueue.examples.cluster;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * examples/cluster runs: three instances through one Redis serve every request, and the in-flight count it prints never
 * exceeds maxConcurrentRequests. Needs a Redis (LLM_QUEUE_REDIS_URI, REDIS_URL or 127.0.0.1:6379); skipped without.
 */
class ClusterDemoTest {

    private static final Pattern IN_FLIGHT = Pattern.compile("in flight \\(all instances\\): (\\d+)/(\\d+)");

    @Test
    void threeInstancesShareOneLimitAndServeEveryRequest() throws Exception {
        Map<String, String> env = new HashMap<>();
        String given = System.getenv("LLM_QUEUE_REDIS_URI");
        if (given == null || given.isBlank()) {
            given = System.getenv("REDIS_URL");
        }
        if (given != null && !given.isBlank()) {
            env.put("LLM_QUEUE_REDIS_URI", given);
        }
        String redis = ClusterDemo.redisUri(env::get);
        Assumptions.assumeTrue(ClusterDemo.redisAnswers(redis), () -> ClusterDemo.noRedis(redis));

        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        ClusterDemo.Run run;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            run = ClusterDemo.play(env::get, out);
        }
        String output = buffer.toString(StandardCharsets.UTF_8);
        assertFalse(run.failed(), output);
        assertEquals(ClusterDemo.SCENARIO.size(), run.served().size(), output);
        // what it printed: every call start with the calls in flight across all three instances
        Matcher m = IN_FLIGHT.matcher(output);
        int lines = 0;
        while (m.find()) {
            lines++;
            int inFlight = Integer.parseInt(m.group(1));
            assertEquals(ClusterDemo.MAX_CONCURRENT, Integer.parseInt(m.group(2)), output);
            assertTrue(inFlight >= 1 && inFlight <= ClusterDemo.MAX_CONCURRENT, "in flight " + inFlight + "\n" + output);
        }
        assertEquals(ClusterDemo.SCENARIO.size(), lines, output);
        assertTrue(run.maxInFlight() <= ClusterDemo.MAX_CONCURRENT, output);
        // all three instances had calls served
        List<String> instances = run.served().stream().map(ClusterDemo.Served::instance).distinct().toList();
        assertEquals(3, instances.size(), output);
        assertTrue(output.contains("most calls in flight at once across all of them: "), output);
    }

    @Test
    void withoutRedisItSaysHowToStartOne() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        ClusterDemo.Run run;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            // a port nothing listens on
            run = ClusterDemo.play(Map.of("LLM_QUEUE_REDIS_URI", "redis://127.0.0.1:1")::get, out);
        }
        String output = buffer.toString(StandardCharsets.UTF_8);
        assertTrue(run.failed(), output);
        assertTrue(output.startsWith("No Redis answers at redis://127.0.0.1:1."), output);
        assertTrue(output.contains("redis-server") && output.contains("LLM_QUEUE_REDIS_URI"), output);
    }
}
