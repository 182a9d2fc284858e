package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Instant;

import static dev.llmqueue.simulator.Http.get;
import static dev.llmqueue.simulator.Http.json;
import static dev.llmqueue.simulator.Http.post;
import static dev.llmqueue.simulator.Http.words;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OllamaEndpointsTest {

    private static LlmSimulator sim;

    @BeforeAll
    static void start() {
        sim = LlmSimulator.builder().completionTokens(12).build().start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static String url(String path) {
        return sim.ollamaBaseUrl() + path;
    }

    @Test
    void chatAnswersWithTheOllamaEnvelopeAndTokenCounts() throws Exception {
        HttpResponse<String> r = post(url("/api/chat"), """
                {"model":"llama3.2","stream":false,"messages":[
                  {"role":"system","content":"You are terse."},
                  {"role":"user","content":"Why is the sky blue?"}]}""");

        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
        JsonNode j = json(r);
        assertEquals("llama3.2", j.get("model").asText());
        assertTrue(Instant.parse(j.get("created_at").asText()).isAfter(Instant.parse("2020-01-01T00:00:00Z")));
        assertEquals("assistant", j.at("/message/role").asText());
        String content = j.at("/message/content").asText();
        assertTrue(content.startsWith("Simulated answer to: Why is the sky blue?"), content);
        assertEquals(12, words(content));
        assertTrue(j.get("done").asBoolean());
        assertEquals("stop", j.get("done_reason").asText());
        assertEquals(8, j.get("prompt_eval_count").asInt()); // 3 + 5 words
        assertEquals(12, j.get("eval_count").asInt());
        for (String f : new String[] {"total_duration", "load_duration", "prompt_eval_duration", "eval_duration"}) {
            assertTrue(j.get(f).canConvertToLong() && j.get(f).asLong() >= 0, f);
        }
    }

    @Test
    void chatWithNumPredictBelowCompletionTokensStopsForLength() throws Exception {
        JsonNode j = json(post(url("/api/chat"), """
                {"model":"llama3.2","stream":false,"options":{"num_predict":5},
                 "messages":[{"role":"user","content":"Tell me a long story"}]}"""));

        assertEquals("length", j.get("done_reason").asText());
        assertEquals(5, j.get("eval_count").asInt());
        assertEquals(5, words(j.at("/message/content").asText()));
    }

    @Test
    void generateAnswersWithResponseAndContext() throws Exception {
        HttpResponse<String> r = post(url("/api/generate"),
                "{\"model\":\"llama3.2\",\"prompt\":\"Write a haiku about queues\",\"stream\":false}");

        assertEquals(200, r.statusCode());
        JsonNode j = json(r);
        assertEquals("llama3.2", j.get("model").asText());
        String response = j.get("response").asText();
        assertTrue(response.startsWith("Simulated answer to: Write a haiku about queues"), response);
        assertEquals(12, words(response));
        assertFalse(j.has("message"));
        assertEquals("[1,2,3]", j.get("context").toString());
        assertTrue(j.get("done").asBoolean());
        assertEquals("stop", j.get("done_reason").asText());
        assertEquals(5, j.get("prompt_eval_count").asInt());
        assertEquals(12, j.get("eval_count").asInt());
    }

    @Test
    void embedAnswersOneDeterministicUnitVectorPerInput() throws Exception {
        JsonNode j = json(post(url("/api/embed"),
                "{\"model\":\"nomic-embed-text\",\"input\":[\"hello world\",\"another text\"]}"));

        assertEquals("nomic-embed-text", j.get("model").asText());
        JsonNode e = j.get("embeddings");
        assertEquals(2, e.size());
        for (JsonNode v : e) {
            assertEquals(8, v.size());
            double norm = 0;
            for (JsonNode x : v) {
                norm += x.asDouble() * x.asDouble();
            }
            assertEquals(1.0, norm, 1e-5);
        }
        assertFalse(e.get(0).equals(e.get(1)));
        assertEquals(4, j.get("prompt_eval_count").asInt());
        assertTrue(j.has("total_duration") && j.has("load_duration"));

        JsonNode single = json(post(url("/api/embed"), "{\"model\":\"nomic-embed-text\",\"input\":\"hello world\"}"));
        assertEquals(1, single.get("embeddings").size());
        assertEquals(e.get(0), single.get("embeddings").get(0));
    }

    @Test
    void tagsListsTheInstalledModels() throws Exception {
        HttpResponse<String> r = get(url("/api/tags"));

        assertEquals(200, r.statusCode());
        JsonNode model = json(r).get("models").get(0);
        assertEquals("llama3.2:latest", model.get("name").asText());
        assertEquals("llama3.2:latest", model.get("model").asText());
        assertEquals(2019393189L, model.get("size").asLong());
        assertFalse(model.get("digest").asText().isEmpty());
        assertEquals("gguf", model.at("/details/format").asText());
    }

    @Test
    void tagsIsNotAPost() throws Exception {
        HttpResponse<String> r = post(url("/api/tags"), "{}");

        assertEquals(405, r.statusCode());
        assertTrue(json(r).get("error").isTextual());
    }

    @Test
    void unknownPathIs404InOllamaShape() throws Exception {
        HttpResponse<String> r = post(url("/api/nothing-here"), "{}");

        assertEquals(404, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
        assertTrue(json(r).get("error").isTextual());
    }

    @Test
    void theSameChatGetsTheSameText() throws Exception {
        String body = "{\"model\":\"m\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"same\"}]}";
        String a = json(post(url("/api/chat"), body)).at("/message/content").asText();
        String b = json(post(url("/api/chat"), body)).at("/message/content").asText();

        assertArrayEquals(a.split(" "), b.split(" "));
    }
}
