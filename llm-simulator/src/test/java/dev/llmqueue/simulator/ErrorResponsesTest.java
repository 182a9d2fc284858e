package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static dev.llmqueue.simulator.Http.json;
import static dev.llmqueue.simulator.Http.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrorResponsesTest {

    private static LlmSimulator sim;

    @BeforeAll
    static void start() {
        sim = LlmSimulator.builder().build().start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @Test
    void ollamaMissingModelIs400ModelIsRequired() throws Exception {
        HttpResponse<String> r = post(sim.ollamaBaseUrl() + "/api/chat",
                "{\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertEquals(400, r.statusCode());
        assertEquals("{\"error\":\"model is required\"}", r.body());
    }

    @Test
    void ollamaMissingModelNameIs404NotFoundTryPulling() throws Exception {
        HttpResponse<String> r = post(sim.ollamaBaseUrl() + "/api/chat",
                "{\"model\":\"missing-model\",\"stream\":false,\"messages\":[]}");

        assertEquals(404, r.statusCode());
        assertEquals("model \"missing-model\" not found, try pulling it first", json(r).get("error").asText());
    }

    @Test
    void ollamaInvalidJsonIs400() throws Exception {
        HttpResponse<String> r = post(sim.ollamaBaseUrl() + "/api/chat", "{not json");

        assertEquals(400, r.statusCode());
        assertTrue(json(r).get("error").isTextual());
    }

    @Test
    void openAiMissingModelIs400InvalidRequestError() throws Exception {
        HttpResponse<String> r = post(sim.openAiBaseUrl() + "/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertEquals(400, r.statusCode());
        JsonNode error = json(r).get("error");
        assertEquals("invalid_request_error", error.get("type").asText());
        assertTrue(error.get("message").asText().contains("model"));
        assertTrue(error.has("param") && error.has("code"));
    }

    @Test
    void openAiMissingMessagesIs400() throws Exception {
        HttpResponse<String> r = post(sim.openAiBaseUrl() + "/chat/completions", "{\"model\":\"gpt-4o-mini\"}");

        assertEquals(400, r.statusCode());
        assertEquals("messages", json(r).at("/error/param").asText());
    }

    @Test
    void openAiBadKeyIs401WithoutEchoingTheKey() throws Exception {
        HttpResponse<String> r = post(sim.openAiBaseUrl() + "/chat/completions",
                "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "Authorization", "Bearer bad-key");

        assertEquals(401, r.statusCode());
        JsonNode error = json(r).get("error");
        assertEquals("Incorrect API key provided.", error.get("message").asText());
        assertEquals("invalid_request_error", error.get("type").asText());
        assertEquals("invalid_api_key", error.get("code").asText());
        assertFalse(r.body().contains("bad-key"));
    }

    @Test
    void openAiQuotaExceededModelIs429InsufficientQuotaWithoutRetryAfter() throws Exception {
        HttpResponse<String> r = post(sim.openAiBaseUrl() + "/chat/completions",
                "{\"model\":\"quota-exceeded\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertEquals(429, r.statusCode());
        JsonNode error = json(r).get("error");
        assertEquals("insufficient_quota", error.get("type").asText());
        assertEquals("insufficient_quota", error.get("code").asText());
        assertEquals("You exceeded your current quota, please check your plan and billing details.",
                error.get("message").asText());
        assertTrue(r.headers().firstValue("retry-after").isEmpty());
        assertTrue(r.headers().firstValue("retry-after-ms").isEmpty());
    }

    @Test
    void openAiMissingModelNameIs404ModelNotFound() throws Exception {
        HttpResponse<String> r = post(sim.openAiBaseUrl() + "/embeddings", "{\"model\":\"missing-x\",\"input\":\"a\"}");

        assertEquals(404, r.statusCode());
        assertEquals("model_not_found", json(r).at("/error/code").asText());
    }

    @Test
    void validationErrorsAreNotServedAndTakeNoSlot() throws Exception {
        try (LlmSimulator own = LlmSimulator.builder().build().start()) {
            post(own.ollamaBaseUrl() + "/api/chat", "{\"model\":\"m\",\"stream\":\"yes\"}");

            SimulatorStats stats = own.stats();
            assertEquals(1, stats.received());
            assertEquals(0, stats.served());
            assertEquals(0, stats.maxObservedConcurrency());
            assertEquals(400, own.recorded().get(0).status());
            assertEquals(0, own.recorded().get(0).startNanos());
        }
    }
}
