package dev.llmqueue.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.llmqueue.simulator.Http.json;
import static dev.llmqueue.simulator.Http.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultInjectionTest {

    private static final String CHAT =
            "{\"model\":\"llama3.2\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String OPENAI_CHAT =
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private LlmSimulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    private LlmSimulator start(Faults faults) {
        sim = LlmSimulator.builder().faults(faults).seed(42).build().start();
        return sim;
    }

    private HttpResponse<String> ollamaChat() throws Exception {
        return post(sim.ollamaBaseUrl() + "/api/chat", CHAT);
    }

    private HttpResponse<String> openAiChat() throws Exception {
        return post(sim.openAiBaseUrl() + "/chat/completions", OPENAI_CHAT);
    }

    @Test
    void rateLimitedOnOllamaIs429WithRetryAfterSeconds() throws Exception {
        start(Faults.builder().rateLimited(1.0, Duration.ofMillis(1500)).build());

        HttpResponse<String> r = ollamaChat();

        assertEquals(429, r.statusCode());
        assertEquals("2", r.headers().firstValue("retry-after").orElseThrow());
        assertTrue(r.headers().firstValue("retry-after-ms").isEmpty());
        assertTrue(json(r).get("error").isTextual());
        assertEquals(1, sim.stats().faultsInjected());
    }

    @Test
    void rateLimitedOnOpenAiIs429WithRetryAfterAndRetryAfterMs() throws Exception {
        start(Faults.builder().rateLimited(1.0, Duration.ofSeconds(1)).build());

        HttpResponse<String> r = openAiChat();

        assertEquals(429, r.statusCode());
        assertEquals("1", r.headers().firstValue("retry-after").orElseThrow());
        assertEquals("1000", r.headers().firstValue("retry-after-ms").orElseThrow());
        assertEquals("rate_limit_exceeded", json(r).at("/error/code").asText());
    }

    @Test
    void serverErrorIs500InTheProvidersShape() throws Exception {
        start(Faults.builder().serverError(1.0).build());

        HttpResponse<String> ollama = ollamaChat();
        HttpResponse<String> openAi = openAiChat();

        assertEquals(500, ollama.statusCode());
        assertTrue(json(ollama).get("error").isTextual());
        assertEquals(500, openAi.statusCode());
        assertEquals("server_error", json(openAi).at("/error/type").asText());
        assertEquals(2, sim.stats().faultsInjected());
    }

    @Test
    void busyIs503ServerBusyCountedAsAFaultNotARejection() throws Exception {
        start(Faults.builder().busy(1.0).build());

        HttpResponse<String> r = ollamaChat();

        assertEquals(503, r.statusCode());
        assertEquals(LlmSimulator.BUSY_MESSAGE, json(r).get("error").asText());
        assertEquals(1, sim.stats().faultsInjected());
        assertEquals(0, sim.stats().busyRejected());
    }

    @Test
    void slowAddsItsDelayToAnOtherwiseNormalAnswer() throws Exception {
        start(Faults.builder().slow(1.0, Duration.ofMillis(150)).build());

        long t0 = System.nanoTime();
        HttpResponse<String> r = ollamaChat();

        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(150));
        assertEquals(200, r.statusCode());
        assertEquals("assistant", json(r).at("/message/role").asText());
        assertEquals(1, sim.stats().faultsInjected());
    }

    @Test
    void dropConnectionMakesTheClientSeeAnIoExceptionNotAStatus() {
        start(Faults.builder().dropConnection(1.0).build());

        assertThrows(IOException.class, this::ollamaChat);
        assertThrows(IOException.class, this::openAiChat);

        assertEquals(RecordedCall.DROPPED, sim.recorded().get(0).status());
        assertEquals(2, sim.stats().faultsInjected());
        assertEquals(0, sim.stats().currentlyServing());
    }

    @Test
    void malformedJsonIs200WithAnUnparseableBody() throws Exception {
        start(Faults.builder().malformedJson(1.0).build());

        HttpResponse<String> r = openAiChat();

        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
        assertTrue(r.body().startsWith("{"));
        assertThrows(JsonProcessingException.class, () -> Http.MAPPER.readTree(r.body()));
        assertEquals(1, sim.stats().faultsInjected());
    }

    @Test
    void faultsDoNotApplyToTagsOrModels() throws Exception {
        start(Faults.builder().serverError(1.0).build());

        assertEquals(200, Http.get(sim.ollamaBaseUrl() + "/api/tags").statusCode());
        assertEquals(200, Http.get(sim.openAiBaseUrl() + "/models").statusCode());
        assertEquals(0, sim.stats().faultsInjected());
    }

    @Test
    void faultsReleaseTheSlotSoLaterRequestsAreServed() throws Exception {
        sim = LlmSimulator.builder().parallelism(1).maxQueue(0)
                .faults(Faults.builder().serverError(1.0).build()).build().start();
        assertEquals(500, ollamaChat().statusCode());

        sim.setFaults(Faults.none());

        assertEquals(200, ollamaChat().statusCode());
        assertEquals(0, sim.stats().currentlyServing());
    }

    @Test
    void theSameSeedDrawsTheSameFaults() throws Exception {
        Faults half = Faults.builder().serverError(0.5).build();
        List<Integer> first = statuses(half, 7);
        List<Integer> second = statuses(half, 7);

        assertEquals(first, second);
        assertTrue(first.contains(200) && first.contains(500), first.toString());
    }

    private List<Integer> statuses(Faults faults, long seed) throws Exception {
        List<Integer> out = new ArrayList<>();
        try (LlmSimulator s = LlmSimulator.builder().faults(faults).seed(seed).build().start()) {
            for (int i = 0; i < 20; i++) {
                out.add(post(s.ollamaBaseUrl() + "/api/chat", CHAT).statusCode());
            }
        }
        return out;
    }

    @Test
    void faultsPickAtMostOneFaultFromCumulativeRanges() {
        Faults f = Faults.builder().rateLimited(0.1, Duration.ofSeconds(1)).serverError(0.1).busy(0.1)
                .slow(0.1, Duration.ofMillis(1)).dropConnection(0.1).malformedJson(0.1).build();

        assertSame(Faults.Kind.RATE_LIMITED, f.pick(0.05));
        assertSame(Faults.Kind.SERVER_ERROR, f.pick(0.15));
        assertSame(Faults.Kind.BUSY, f.pick(0.25));
        assertSame(Faults.Kind.SLOW, f.pick(0.35));
        assertSame(Faults.Kind.DROP_CONNECTION, f.pick(0.45));
        assertSame(Faults.Kind.MALFORMED_JSON, f.pick(0.55));
        assertSame(Faults.Kind.NONE, f.pick(0.65));
        assertSame(Faults.Kind.NONE, Faults.none().pick(0.0));
    }

    @Test
    void faultProbabilitiesMustBeValid() {
        assertThrows(IllegalArgumentException.class, () -> Faults.builder().busy(1.5));
        assertThrows(IllegalArgumentException.class, () -> Faults.builder().busy(-0.1));
        assertThrows(IllegalArgumentException.class, () -> Faults.builder().busy(0.6).serverError(0.6).build());
    }
}
