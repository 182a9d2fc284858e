package dev.llmqueue.simulator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.llmqueue.simulator.Http.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordingAndStatsTest {

    private LlmSimulator sim;

    @BeforeEach
    void start() {
        sim = LlmSimulator.builder().build().start();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private static String chat(String text) {
        return "{\"model\":\"llama3.2\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    @Test
    void recordedKeepsArrivalOrderPathsMethodsAndBodies() throws Exception {
        post(sim.ollamaBaseUrl() + "/api/chat", chat("first"));
        Http.get(sim.ollamaBaseUrl() + "/api/tags");
        post(sim.openAiBaseUrl() + "/embeddings", "{\"model\":\"e\",\"input\":\"third\"}");

        List<RecordedCall> calls = sim.recorded();

        assertEquals(3, calls.size());
        assertEquals("/api/chat", calls.get(0).path());
        assertEquals("POST", calls.get(0).method());
        assertEquals(chat("first"), calls.get(0).body());
        assertEquals("/api/tags", calls.get(1).path());
        assertEquals("GET", calls.get(1).method());
        assertEquals("", calls.get(1).body());
        assertEquals("/v1/embeddings", calls.get(2).path());
        assertEquals("{\"model\":\"e\",\"input\":\"third\"}", calls.get(2).body());
        assertTrue(calls.get(0).arrivalNanos() < calls.get(1).arrivalNanos());
        assertTrue(calls.get(1).arrivalNanos() < calls.get(2).arrivalNanos());
    }

    @Test
    void recordedHeadersHaveLowerCaseNames() throws Exception {
        post(sim.openAiBaseUrl() + "/chat/completions",
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                "Authorization", "Bearer sk-1", "X-Priority", "high");

        RecordedCall call = sim.recorded().get(0);

        assertEquals(List.of("Bearer sk-1"), call.headers().get("authorization"));
        assertEquals(List.of("high"), call.headers().get("x-priority"));
        assertEquals("application/json", call.header("Content-Type"));
        assertTrue(call.headers().keySet().stream().allMatch(k -> k.equals(k.toLowerCase())));
    }

    @Test
    void recordedTimesAreOrderedArrivalStartEnd() throws Exception {
        post(sim.ollamaBaseUrl() + "/api/chat", chat("timed"));

        RecordedCall call = sim.recorded().get(0);

        assertTrue(call.startNanos() >= call.arrivalNanos());
        assertTrue(call.endNanos() >= call.startNanos());
        assertEquals(200, call.status());
        assertTrue(call.completed());
    }

    @Test
    void aReplyInOnePieceRecordsAllItsTokensAsSentWhenItWasWritten() throws Exception {
        post(sim.ollamaBaseUrl() + "/api/chat", chat("whole"));

        RecordedCall call = sim.recorded().get(0);

        assertFalse(call.streamed());
        assertEquals(12, call.tokensSent());
        assertEquals(call.firstTokenNanos(), call.lastTokenNanos());
        assertTrue(call.firstTokenNanos() >= call.endNanos());
        assertFalse(call.aborted());
        assertEquals(Faults.Kind.NONE, call.fault());
        assertEquals(0, sim.stats().streamed());
    }

    @Test
    void clearRecordedForgetsEarlierCalls() throws Exception {
        post(sim.ollamaBaseUrl() + "/api/chat", chat("old"));

        sim.clearRecorded();
        post(sim.ollamaBaseUrl() + "/api/chat", chat("new"));

        assertEquals(1, sim.recorded().size());
        assertEquals(chat("new"), sim.recorded().get(0).body());
    }

    @Test
    void statsCountReceivedAndServed() throws Exception {
        post(sim.ollamaBaseUrl() + "/api/chat", chat("a"));
        post(sim.ollamaBaseUrl() + "/api/chat", "{\"stream\":false}"); // 400: no model
        Http.get(sim.openAiBaseUrl() + "/models");

        SimulatorStats stats = sim.stats();

        assertEquals(3, stats.received());
        assertEquals(2, stats.served());
        assertEquals(0, stats.busyRejected());
        assertEquals(0, stats.faultsInjected());
        assertEquals(1, stats.maxObservedConcurrency());
        assertEquals(0, stats.currentlyServing());
        assertEquals(0, stats.currentlyWaiting());
    }

    @Test
    void resetStatsStartsTheCountersAgain() throws Exception {
        post(sim.ollamaBaseUrl() + "/api/chat", chat("a"));

        sim.resetStats();

        assertEquals(new SimulatorStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), sim.stats());
    }

    @Test
    void recordingCanBeTurnedOffForLongRuns() throws Exception {
        try (LlmSimulator quiet = LlmSimulator.builder().recordCalls(false).build().start()) {
            assertEquals(200, post(quiet.ollamaBaseUrl() + "/api/chat", chat("x")).statusCode());

            assertTrue(quiet.recorded().isEmpty());
            assertEquals(1, quiet.stats().served());
        }
    }
}
