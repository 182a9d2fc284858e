package dev.llmqueue.camel.cluster;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.llmqueue.simulator.LlmSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The multi-JVM harness itself, with one node and local coordination (no Redis needed). */
class ClusterNodeProcessTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static LlmSimulator simulator;

    @BeforeAll
    static void startSimulator() {
        simulator = LlmSimulator.builder().parallelism(4).serviceTime(Duration.ofMillis(20)).build().start();
    }

    @AfterAll
    static void stopSimulator() {
        simulator.close();
    }

    private static ClusterNodeProcess node(Map<String, String> extra) throws Exception {
        Map<String, String> options = new LinkedHashMap<>(Map.of("baseUrl", simulator.ollamaBaseUrl(),
                "coordination", "local", "maxConcurrentRequests", "2"));
        options.putAll(extra);
        return ClusterNodeProcess.start(options);
    }

    @Test
    void nodeAnswersEveryRequestOnceAgainstTheSimulator() throws Exception {
        try (ClusterNodeProcess node = node(Map.of())) {
            node.send("SEND 3 HIGH");
            assertEquals("SENT 1 3", node.awaitLine(line -> line.startsWith("SENT"), TIMEOUT));
            List<String> done = node.awaitLines(line -> line.startsWith("DONE "), 3, TIMEOUT);
            assertEquals(List.of("DONE 1 ok", "DONE 2 ok", "DONE 3 ok"), done.stream().sorted().toList());
            assertEquals(0, node.quit(TIMEOUT));
            assertEquals(3, node.lines().stream().filter(line -> line.startsWith("DONE ")).count(), "no duplicates");
            assertTrue(node.lines().contains("BYE"));
        }
    }

    @Test
    void quitCompletesEveryExchangeOnceBeforeBye() throws Exception {
        try (ClusterNodeProcess node = node(Map.of("maxConcurrentRequests", "1", "shutdownTimeout", "1",
                "endpoint", "requestTimeout=60000"))) {
            simulator.setServiceTime(Duration.ofSeconds(3));
            try {
                node.send("SEND 4 LOW");
                node.awaitLine(line -> line.startsWith("SENT"), TIMEOUT);
                node.send("GET activeRequests");
                assertEquals("VALUE activeRequests 1", node.awaitLine(line -> line.startsWith("VALUE"), TIMEOUT));
                assertEquals(0, node.quit(TIMEOUT));
            } finally {
                simulator.setServiceTime(Duration.ofMillis(20));
            }
            List<String> lines = node.lines();
            List<String> done = lines.stream().filter(line -> line.startsWith("DONE ")).toList();
            assertEquals(List.of("1", "2", "3", "4"), done.stream().map(line -> line.split(" ")[1]).sorted().toList(),
                    "each exchange once: " + done);
            assertTrue(done.contains("DONE 4 error:LlmQueueRejectedException:SHUTTING_DOWN")
                       || done.contains("DONE 1 error:LlmQueueRejectedException:SHUTTING_DOWN"), done.toString());
            assertEquals("BYE", lines.get(lines.size() - 1));
        }
    }

    @Test
    void rejectionsAreReportedWithTheirReason() throws Exception {
        try (ClusterNodeProcess node = node(Map.of("disableBackground", "true"))) {
            node.send("SEND 1 LOW");
            assertEquals("DONE 1 error:LlmQueueRejectedException:BACKGROUND_DISABLED",
                    node.awaitLine(line -> line.startsWith("DONE "), TIMEOUT));
        }
    }

    @Test
    void optionsAreSetAndReadAtRunTime() throws Exception {
        try (ClusterNodeProcess node = node(Map.of("lowPriorityMaxWait", "2s"))) {
            node.send("GET lowPriorityMaxWait");
            assertEquals("VALUE lowPriorityMaxWait 2000", node.awaitLine(line -> line.startsWith("VALUE"), TIMEOUT));
            node.send("SET maxConcurrentRequests 5");
            assertEquals("SET ok maxConcurrentRequests", node.awaitLine(line -> line.startsWith("SET"), TIMEOUT));
            node.send("GET maxConcurrentRequests");
            assertEquals("VALUE maxConcurrentRequests 5", node.awaitLine(line -> line.startsWith("VALUE"), TIMEOUT));
        }
    }

    @Test
    void anOptionTheComponentLacksFailsTheStart() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> node(Map.of("noSuchOption", "1")));
        assertTrue(e.getMessage().contains("no option(s) [noSuchOption]"), e.getMessage());
    }

    @Test
    void killHardIsSigkill() throws Exception {
        try (ClusterNodeProcess node = node(Map.of())) {
            long pid = node.pid();
            assertTrue(ProcessHandle.of(pid).isPresent());
            node.killHard();
            assertFalse(node.isAlive());
            assertEquals(128 + 9, node.exitValue(), "killed by signal 9");
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        }
    }
}
