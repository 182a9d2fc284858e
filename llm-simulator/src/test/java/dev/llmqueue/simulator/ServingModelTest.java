package dev.llmqueue.simulator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.llmqueue.simulator.Http.await;
import static dev.llmqueue.simulator.Http.json;
import static dev.llmqueue.simulator.Http.post;
import static dev.llmqueue.simulator.Http.postAsync;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServingModelTest {

    private static final String CHAT =
            "{\"model\":\"llama3.2\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String OPENAI_CHAT =
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private LlmSimulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close(); // interrupts the requests still held by the long service time
        }
    }

    /** One request served, one waiting: the simulator is full. */
    private void fillOneServingOneWaiting(String url, String body) {
        sim = LlmSimulator.builder().parallelism(1).maxQueue(1).serviceTime(Duration.ofSeconds(30)).build().start();
        postAsync(sim.baseUrl() + url, body);
        await(() -> sim.stats().currentlyServing() == 1, "first request served");
        postAsync(sim.baseUrl() + url, body);
        await(() -> sim.stats().currentlyWaiting() == 1, "second request waiting");
    }

    @Test
    void requestBeyondParallelismPlusMaxQueueGets503WithOllamasExactText() throws Exception {
        fillOneServingOneWaiting("/api/chat", CHAT);

        HttpResponse<String> third = post(sim.ollamaBaseUrl() + "/api/chat", CHAT);

        assertEquals(503, third.statusCode());
        assertEquals("{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}", third.body());
        SimulatorStats stats = sim.stats();
        assertEquals(1, stats.busyRejected());
        assertEquals(1, stats.currentlyServing());
        assertEquals(1, stats.currentlyWaiting());
        assertEquals(0, stats.served());
    }

    @Test
    void queueFullOnOpenAiPathIs503InOpenAiShape() throws Exception {
        fillOneServingOneWaiting("/v1/chat/completions", OPENAI_CHAT);

        HttpResponse<String> third = post(sim.openAiBaseUrl() + "/chat/completions", OPENAI_CHAT);

        assertEquals(503, third.statusCode());
        assertEquals(LlmSimulator.BUSY_MESSAGE, json(third).at("/error/message").asText());
        assertEquals("server_error", json(third).at("/error/type").asText());
    }

    @Test
    void getEndpointsAreAnsweredEvenWhenTheQueueIsFull() throws Exception {
        fillOneServingOneWaiting("/api/chat", CHAT);

        assertEquals(200, Http.get(sim.ollamaBaseUrl() + "/api/tags").statusCode());
        assertEquals(200, Http.get(sim.openAiBaseUrl() + "/models").statusCode());
    }

    @Test
    void parallelismIsNeverExceededUnderLoad() throws Exception {
        sim = LlmSimulator.builder().parallelism(2).maxQueue(100).serviceTime(Duration.ofMillis(10)).build().start();
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            futures.add(postAsync(sim.ollamaBaseUrl() + "/api/chat", CHAT));
        }
        for (CompletableFuture<HttpResponse<String>> f : futures) {
            assertEquals(200, f.get(10, TimeUnit.SECONDS).statusCode());
        }

        SimulatorStats stats = sim.stats();
        assertTrue(stats.maxObservedConcurrency() <= 2, "max " + stats.maxObservedConcurrency());
        assertEquals(20, stats.served());
        assertEquals(0, stats.busyRejected());
        // and from the recorded slot intervals: at no start are more than 2 calls holding a slot
        List<RecordedCall> calls = sim.recorded();
        for (RecordedCall c : calls) {
            long overlapping = calls.stream()
                    .filter(o -> o.startNanos() <= c.startNanos() && o.endNanos() > c.startNanos())
                    .count();
            assertTrue(overlapping <= 2, "overlapping " + overlapping);
        }
    }

    @Test
    void aClientThatWaitsForEachReplyNeverSeesTheSlotTaken() throws Exception {
        sim = LlmSimulator.builder().parallelism(1).maxQueue(0).build().start();

        for (int i = 0; i < 50; i++) {
            assertEquals(200, post(sim.ollamaBaseUrl() + "/api/chat", CHAT).statusCode(), "request " + i);
        }
        assertEquals(0, sim.stats().busyRejected());
        assertEquals(1, sim.stats().maxObservedConcurrency());
    }

    @Test
    void serviceTimeDelaysEachAnswer() throws Exception {
        sim = LlmSimulator.builder().serviceTime(Duration.ofMillis(100)).build().start();

        long t0 = System.nanoTime();
        assertEquals(200, post(sim.ollamaBaseUrl() + "/api/chat", CHAT).statusCode());

        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(100));
        RecordedCall call = sim.recorded().get(0);
        assertTrue(call.endNanos() - call.startNanos() >= TimeUnit.MILLISECONDS.toNanos(100));
    }

    @Test
    void perTokenTimeIsAddedForEachCompletionToken() throws Exception {
        sim = LlmSimulator.builder().perTokenTime(Duration.ofMillis(10)).completionTokens(8).build().start();

        long t0 = System.nanoTime();
        assertEquals(200, post(sim.ollamaBaseUrl() + "/api/chat", CHAT).statusCode());

        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(80));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(80), json(post(sim.ollamaBaseUrl() + "/api/chat", CHAT))
                .get("eval_duration").asLong());
    }

    @Test
    void setServiceTimeChangesTheServiceTimeOfLaterRequests() throws Exception {
        sim = LlmSimulator.builder().build().start();
        sim.setServiceTime(Duration.ofMillis(120));

        long t0 = System.nanoTime();
        assertEquals(200, post(sim.ollamaBaseUrl() + "/api/chat", CHAT).statusCode());

        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(120));
        assertEquals(Duration.ofMillis(120), sim.serviceTime());
    }

    @Test
    void startIsIdempotentAndCloseStopsTheServer() throws Exception {
        sim = LlmSimulator.builder().build();
        sim.start();
        int port = sim.port();
        assertEquals(port, sim.start().port());

        sim.close();

        assertThrows(IOException.class, () -> Http.get("http://127.0.0.1:" + port + "/api/tags"));
        assertThrows(IllegalStateException.class, sim::start);
    }
}
