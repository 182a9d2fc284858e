package dev.llmqueue.simulator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.llmqueue.simulator.Http.await;
import static dev.llmqueue.simulator.Http.post;
import static dev.llmqueue.simulator.Http.postAsync;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When streamed tokens are sent, and how a stream holds its parallelism slot. */
class StreamTimingTest {

    private static final String CHAT = "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String CHAT_IN_ONE_PIECE =
            "{\"model\":\"llama3.2\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String OPENAI_CHAT = "{\"model\":\"gpt-4o-mini\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private LlmSimulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private RecordedCall streamOllamaToTheEnd(String... headers) {
        try (StreamClient client = StreamClient.open(sim.ollamaBaseUrl() + "/api/chat", CHAT, headers)) {
            client.ndjsonToEnd();
        }
        return sim.recorded().get(sim.recorded().size() - 1);
    }

    @Test
    void timeToFirstTokenDelaysTheFirstToken() {
        sim = LlmSimulator.builder().timeToFirstToken(Duration.ofMillis(150)).serviceTime(Duration.ofSeconds(30))
                .build().start();

        RecordedCall call = streamOllamaToTheEnd();

        assertTrue(call.firstTokenNanos() - call.startNanos() >= TimeUnit.MILLISECONDS.toNanos(150),
                "first token after " + ms(call.firstTokenNanos() - call.startNanos()) + " ms");
        assertEquals(12, call.tokensSent());
    }

    @Test
    void tokensPerSecondPacesTheTokensAfterTheFirst() {
        sim = LlmSimulator.builder().tokensPerSecond(50).completionTokens(6).build().start(); // 20 ms apart

        try (StreamClient client = StreamClient.open(sim.openAiBaseUrl() + "/chat/completions", OPENAI_CHAT)) {
            assertEquals(9, client.sseToEnd().size());
        }
        RecordedCall call = sim.recorded().get(0);

        // token k is never sent before start + timeToFirstToken + (k - 1) / tokensPerSecond
        assertTrue(call.lastTokenNanos() - call.startNanos() >= TimeUnit.MILLISECONDS.toNanos(5 * 20),
                "last token after " + ms(call.lastTokenNanos() - call.startNanos()) + " ms");
        assertEquals(6, call.tokensSent());
    }

    @Test
    void withoutTimeToFirstTokenAStreamEndsWhenTheReplyInOnePieceWouldBeSent() {
        sim = LlmSimulator.builder().serviceTime(Duration.ofMillis(60)).perTokenTime(Duration.ofMillis(10))
                .completionTokens(4).build().start();

        RecordedCall call = streamOllamaToTheEnd();

        // first token after serviceTime + one perTokenTime, the last after serviceTime + 4 perTokenTime
        assertTrue(call.firstTokenNanos() - call.startNanos() >= TimeUnit.MILLISECONDS.toNanos(70));
        assertTrue(call.lastTokenNanos() - call.startNanos() >= TimeUnit.MILLISECONDS.toNanos(100));
    }

    @Test
    void liveSettersChangeTheTimingOfLaterStreams() {
        sim = LlmSimulator.builder().completionTokens(3).build().start();

        sim.setTimeToFirstToken(Duration.ofMillis(80));
        sim.setTokensPerSecond(20);
        RecordedCall call = streamOllamaToTheEnd();

        assertEquals(Duration.ofMillis(80), sim.timeToFirstToken().orElseThrow());
        assertEquals(20.0, sim.tokensPerSecond());
        assertTrue(call.firstTokenNanos() - call.startNanos() >= TimeUnit.MILLISECONDS.toNanos(80));
        assertTrue(call.lastTokenNanos() - call.startNanos() >= TimeUnit.MILLISECONDS.toNanos(80 + 2 * 50));

        sim.setTimeToFirstToken(null);
        assertTrue(sim.timeToFirstToken().isEmpty());
    }

    @Test
    void theSlowFaultDelaysTheFirstToken() {
        sim = LlmSimulator.builder().build().start();

        RecordedCall call = streamOllamaToTheEnd(LlmSimulator.FAULT_HEADER, "slow=120ms");

        assertEquals(Faults.Kind.SLOW, call.fault());
        assertTrue(call.firstTokenNanos() - call.startNanos() >= TimeUnit.MILLISECONDS.toNanos(120));
        assertEquals(12, call.tokensSent());
    }

    @Test
    void theClientReadsTheFirstTokenWhileTheSimulatorIsStillGenerating() {
        sim = LlmSimulator.builder().tokensPerSecond(20).completionTokens(6).build().start(); // 250 ms of tokens

        long firstRead;
        try (StreamClient client = StreamClient.open(sim.ollamaBaseUrl() + "/api/chat", CHAT)) {
            assertNotNull(client.ndjson());
            firstRead = client.lastReadNanos;
            client.ndjsonToEnd();
        }
        RecordedCall call = sim.recorded().get(0);

        assertTrue(firstRead < call.lastTokenNanos(), "the first token was read before the last one was sent");
        assertTrue(call.firstTokenNanos() <= firstRead);
    }

    @Test
    void aStreamHoldsItsSlotUntilItEndsOrItsClientLeaves() {
        sim = LlmSimulator.builder().parallelism(1).maxQueue(0).stallProbeInterval(Duration.ofMillis(20))
                .build().start();
        StreamClient stalled = StreamClient.open(sim.ollamaBaseUrl() + "/api/chat", CHAT,
                LlmSimulator.FAULT_HEADER, "stall-after=1");
        assertNotNull(stalled.ndjson());

        HttpResponse<String> meanwhile = postQuietly(CHAT_IN_ONE_PIECE);
        assertEquals(503, meanwhile.statusCode(), "the stalled stream still holds the only slot");
        assertEquals(1, sim.stats().currentlyServing());

        stalled.close();
        await(() -> sim.stats().aborted() == 1, "the simulator noticed the client left");

        assertEquals(0, sim.stats().currentlyServing());
        assertEquals(200, postQuietly(CHAT_IN_ONE_PIECE).statusCode());
    }

    @Test
    void aClientThatReadsEachStreamToTheEndNeverSeesTheSlotTaken() {
        sim = LlmSimulator.builder().parallelism(1).maxQueue(0).completionTokens(3).build().start();

        for (int i = 0; i < 30; i++) {
            try (StreamClient client = StreamClient.open(sim.ollamaBaseUrl() + "/api/chat", CHAT)) {
                assertEquals(200, client.response.statusCode(), "request " + i);
                assertEquals(4, client.ndjsonToEnd().size());
            }
        }
        assertEquals(0, sim.stats().busyRejected());
        assertEquals(30, sim.stats().streamed());
    }

    @Test
    void streamsNeverExceedParallelism() throws Exception {
        sim = LlmSimulator.builder().parallelism(2).tokensPerSecond(500).completionTokens(10).build().start();
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            futures.add(postAsync(sim.ollamaBaseUrl() + "/api/chat", CHAT));
        }
        for (CompletableFuture<HttpResponse<String>> f : futures) {
            HttpResponse<String> r = f.get(10, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            assertEquals(11, r.body().split("\n").length);
        }

        assertTrue(sim.stats().maxObservedConcurrency() <= 2);
        List<RecordedCall> calls = sim.recorded();
        for (RecordedCall c : calls) {
            long holding = calls.stream()
                    .filter(o -> o.startNanos() <= c.startNanos() && o.endNanos() > c.startNanos())
                    .count();
            assertTrue(holding <= 2, "holding " + holding);
            assertTrue(c.lastTokenNanos() <= c.endNanos(), "the slot is held until the last token");
        }
    }

    private HttpResponse<String> postQuietly(String body) {
        try {
            return post(sim.ollamaBaseUrl() + "/api/chat", body);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
