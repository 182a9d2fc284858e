package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

import static dev.llmqueue.simulator.Http.get;
import static dev.llmqueue.simulator.Http.json;
import static dev.llmqueue.simulator.Http.post;
import static dev.llmqueue.simulator.Http.words;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenAiEndpointsTest {

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
        return sim.openAiBaseUrl() + path;
    }

    @Test
    void baseUrlsPointAtTheTwoProviders() {
        assertEquals("http://127.0.0.1:" + sim.port(), sim.baseUrl());
        assertEquals(sim.baseUrl(), sim.ollamaBaseUrl());
        assertEquals(sim.baseUrl() + "/v1", sim.openAiBaseUrl());
    }

    @Test
    void chatCompletionAnswersWithTheOpenAiShapeAndUsage() throws Exception {
        HttpResponse<String> r = post(url("/chat/completions"), """
                {"model":"gpt-4o-mini","temperature":0.2,"messages":[
                  {"role":"system","content":"Be brief."},
                  {"role":"user","content":"Say hello to the queue"}]}""",
                "Authorization", "Bearer sk-test");

        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
        JsonNode j = json(r);
        assertTrue(j.get("id").asText().startsWith("chatcmpl-"));
        assertEquals("chat.completion", j.get("object").asText());
        assertTrue(j.get("created").asLong() > 1_600_000_000L);
        assertEquals("gpt-4o-mini", j.get("model").asText());
        JsonNode choice = j.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals("assistant", choice.at("/message/role").asText());
        String content = choice.at("/message/content").asText();
        assertTrue(content.startsWith("Simulated answer to: Say hello to the queue"), content);
        assertEquals(12, words(content));
        assertTrue(choice.at("/message/refusal").isNull());
        assertTrue(choice.get("logprobs").isNull());
        assertEquals("stop", choice.get("finish_reason").asText());
        assertEquals(7, j.at("/usage/prompt_tokens").asInt()); // 2 + 5 words
        assertEquals(12, j.at("/usage/completion_tokens").asInt());
        assertEquals(19, j.at("/usage/total_tokens").asInt());
    }

    @Test
    void chatCompletionIdsAreUnique() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String a = json(post(url("/chat/completions"), body)).get("id").asText();
        String b = json(post(url("/chat/completions"), body)).get("id").asText();

        assertNotEquals(a, b);
    }

    @Test
    void maxTokensBelowCompletionTokensFinishesForLength() throws Exception {
        JsonNode j = json(post(url("/chat/completions"),
                "{\"model\":\"gpt-4o-mini\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));

        assertEquals("length", j.at("/choices/0/finish_reason").asText());
        assertEquals(4, j.at("/usage/completion_tokens").asInt());
        assertEquals(4, words(j.at("/choices/0/message/content").asText()));
    }

    @Test
    void maxCompletionTokensIsHonouredToo() throws Exception {
        JsonNode j = json(post(url("/chat/completions"), "{\"model\":\"gpt-4o-mini\",\"max_completion_tokens\":6,"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"parts work\"}]}]}"));

        assertEquals("length", j.at("/choices/0/finish_reason").asText());
        assertEquals(6, j.at("/usage/completion_tokens").asInt());
        assertEquals("Simulated answer to: parts work lorem", j.at("/choices/0/message/content").asText());
        assertEquals(2, j.at("/usage/prompt_tokens").asInt());
    }

    @Test
    void completionsAnswersWithTheTextCompletionShape() throws Exception {
        JsonNode j = json(post(url("/completions"), "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Once upon a time\"}"));

        assertTrue(j.get("id").asText().startsWith("cmpl-"));
        assertEquals("text_completion", j.get("object").asText());
        assertEquals("gpt-3.5-turbo-instruct", j.get("model").asText());
        assertTrue(j.get("created").canConvertToLong());
        JsonNode choice = j.get("choices").get(0);
        assertTrue(choice.get("text").asText().startsWith("Simulated answer to: Once upon a time"));
        assertEquals(12, words(choice.get("text").asText()));
        assertEquals(0, choice.get("index").asInt());
        assertTrue(choice.get("logprobs").isNull());
        assertEquals("stop", choice.get("finish_reason").asText());
        assertEquals(4, j.at("/usage/prompt_tokens").asInt());
        assertEquals(12, j.at("/usage/completion_tokens").asInt());
        assertEquals(16, j.at("/usage/total_tokens").asInt());
    }

    @Test
    void embeddingsAnswersOneUnitVectorPerInput() throws Exception {
        JsonNode j = json(post(url("/embeddings"),
                "{\"model\":\"text-embedding-3-small\",\"input\":[\"alpha beta\",\"gamma\"]}"));

        assertEquals("list", j.get("object").asText());
        assertEquals("text-embedding-3-small", j.get("model").asText());
        JsonNode data = j.get("data");
        assertEquals(2, data.size());
        for (int i = 0; i < 2; i++) {
            JsonNode d = data.get(i);
            assertEquals("embedding", d.get("object").asText());
            assertEquals(i, d.get("index").asInt());
            assertEquals(8, d.get("embedding").size());
            double norm = 0;
            for (JsonNode x : d.get("embedding")) {
                norm += x.asDouble() * x.asDouble();
            }
            assertEquals(1.0, norm, 1e-5);
        }
        assertEquals(3, j.at("/usage/prompt_tokens").asInt());
        assertEquals(3, j.at("/usage/total_tokens").asInt());
    }

    @Test
    void embeddingsOfTheSameTextAreTheSameOnBothProviders() throws Exception {
        JsonNode openAi = json(post(url("/embeddings"), "{\"model\":\"e\",\"input\":\"same text\"}"));
        JsonNode ollama = json(post(sim.ollamaBaseUrl() + "/api/embed", "{\"model\":\"e\",\"input\":\"same text\"}"));

        assertEquals(ollama.at("/embeddings/0"), openAi.at("/data/0/embedding"));
    }

    @Test
    void embeddingsHonourBase64EncodingFormat() throws Exception {
        JsonNode floats = json(post(url("/embeddings"), "{\"model\":\"e\",\"input\":\"x y\"}"));
        JsonNode b64 = json(post(url("/embeddings"), "{\"model\":\"e\",\"input\":\"x y\",\"encoding_format\":\"base64\"}"));

        ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(b64.at("/data/0/embedding").asText()))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 8; i++) {
            assertEquals(floats.at("/data/0/embedding/" + i).floatValue(), buf.getFloat(), 0f);
        }
    }

    @Test
    void modelsListsTheAvailableModels() throws Exception {
        HttpResponse<String> r = get(url("/models"));

        assertEquals(200, r.statusCode());
        JsonNode j = json(r);
        assertEquals("list", j.get("object").asText());
        JsonNode m = j.get("data").get(0);
        assertEquals("gpt-4o-mini", m.get("id").asText());
        assertEquals("model", m.get("object").asText());
        assertTrue(m.get("created").canConvertToLong());
        assertEquals("simulator", m.get("owned_by").asText());
    }

    @Test
    void unknownPathIs404InOpenAiShape() throws Exception {
        HttpResponse<String> r = post(url("/assistants"), "{}");

        assertEquals(404, r.statusCode());
        assertEquals("invalid_request_error", json(r).at("/error/type").asText());
        assertTrue(json(r).at("/error/message").asText().contains("/v1/assistants"));
    }

    @Test
    void getOnChatCompletionsIs405InOpenAiShape() throws Exception {
        HttpResponse<String> r = get(url("/chat/completions"));

        assertEquals(405, r.statusCode());
        assertEquals("POST", r.headers().firstValue("allow").orElseThrow());
        assertTrue(json(r).at("/error/message").isTextual());
    }
}
