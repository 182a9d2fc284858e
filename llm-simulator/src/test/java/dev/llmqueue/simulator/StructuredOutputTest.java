package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static dev.llmqueue.simulator.Http.MAPPER;
import static dev.llmqueue.simulator.Http.json;
import static dev.llmqueue.simulator.Http.post;
import static dev.llmqueue.simulator.Http.words;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StructuredOutputTest {

    /** A person with a nested address, a list of tags, an enum and a nullable field. */
    private static final String SCHEMA = """
            {"type":"object","properties":{
              "name":{"type":"string"},"age":{"type":"integer"},"height":{"type":"number"},
              "member":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"}},
              "address":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"integer"}},
                         "required":["city"]},
              "status":{"type":"string","enum":["active","inactive"]},
              "nickname":{"type":["string","null"]}},
             "required":["name","age"],"additionalProperties":false}""";

    private static final String INSTANCE = """
            {"name":"example","age":1,"height":1.0,"member":true,"tags":["example"],
             "address":{"city":"example","zip":1},"status":"active","nickname":"example"}""";

    private static LlmSimulator sim;

    @BeforeAll
    static void start() {
        sim = LlmSimulator.builder().completionTokens(12).build().start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static JsonNode ok(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    private static JsonNode openAiChat(String responseFormat) throws Exception {
        return ok(post(sim.openAiBaseUrl() + "/chat/completions", "{\"model\":\"gpt-4o-mini\",\"response_format\":"
                + responseFormat + ",\"messages\":[{\"role\":\"user\",\"content\":\"Describe a person\"}]}"));
    }

    private static JsonNode ollamaChat(String format) throws Exception {
        return ok(post(sim.ollamaBaseUrl() + "/api/chat", "{\"model\":\"llama3.2\",\"stream\":false,\"format\":"
                + format + ",\"messages\":[{\"role\":\"user\",\"content\":\"Describe a person\"}]}"));
    }

    private static JsonNode parse(String content) throws Exception {
        JsonNode node = MAPPER.readTree(content);
        assertTrue(node.isObject(), content);
        return node;
    }

    @Test
    void openAiJsonObjectModeAnswersAJsonObjectHoldingTheAnswer() throws Exception {
        JsonNode j = openAiChat("{\"type\":\"json_object\"}");

        String content = j.at("/choices/0/message/content").asText();
        assertEquals("{\"answer\": \"Simulated answer to: Describe a person lorem ipsum dolor sit amet consectetur\"}",
                content);
        assertEquals("Simulated answer to: Describe a person lorem ipsum dolor sit amet consectetur",
                parse(content).get("answer").asText());
        assertEquals("stop", j.at("/choices/0/finish_reason").asText());
        assertEquals(words(content), j.at("/usage/completion_tokens").asInt());
    }

    @Test
    void ollamaFormatJsonAnswersAJsonObjectHoldingTheAnswer() throws Exception {
        JsonNode j = ollamaChat("\"json\"");

        String content = j.at("/message/content").asText();
        assertEquals("Simulated answer to: Describe a person lorem ipsum dolor sit amet consectetur",
                parse(content).get("answer").asText());
        assertEquals("stop", j.get("done_reason").asText());
        assertEquals(words(content), j.get("eval_count").asInt());
    }

    @Test
    void ollamaGenerateFormatJsonAnswersAJsonObject() throws Exception {
        JsonNode j = ok(post(sim.ollamaBaseUrl() + "/api/generate",
                "{\"model\":\"llama3.2\",\"stream\":false,\"format\":\"json\",\"prompt\":\"List three colours\"}"));

        assertEquals("Simulated answer to: List three colours lorem ipsum dolor sit amet consectetur",
                parse(j.get("response").asText()).get("answer").asText());
    }

    @Test
    void jsonModeWithATokenLimitWrapsTheShortenedAnswer() throws Exception {
        JsonNode j = ok(post(sim.openAiBaseUrl() + "/chat/completions", "{\"model\":\"m\",\"max_tokens\":4,"
                + "\"response_format\":{\"type\":\"json_object\"},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));

        assertEquals("Simulated answer to: hi", parse(j.at("/choices/0/message/content").asText()).get("answer").asText());
        assertEquals("length", j.at("/choices/0/finish_reason").asText());
    }

    @Test
    void openAiJsonSchemaAnswersAnInstanceOfTheSchema() throws Exception {
        JsonNode j = openAiChat("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"person\",\"strict\":true,"
                + "\"schema\":" + SCHEMA + "}}");

        String content = j.at("/choices/0/message/content").asText();
        assertEquals(MAPPER.readTree(INSTANCE), parse(content));
        assertEquals("stop", j.at("/choices/0/finish_reason").asText());
        assertEquals(words(content), j.at("/usage/completion_tokens").asInt());
    }

    @Test
    void ollamaFormatSchemaAnswersAnInstanceOfTheSchema() throws Exception {
        JsonNode j = ollamaChat(SCHEMA);

        String content = j.at("/message/content").asText();
        assertEquals(MAPPER.readTree(INSTANCE), parse(content));
        assertEquals("stop", j.get("done_reason").asText());
        assertEquals(words(content), j.get("eval_count").asInt());
    }

    @Test
    void ollamaGenerateFormatSchemaAnswersAnInstanceOfTheSchema() throws Exception {
        JsonNode j = ok(post(sim.ollamaBaseUrl() + "/api/generate",
                "{\"model\":\"llama3.2\",\"stream\":false,\"prompt\":\"Describe a person\",\"format\":" + SCHEMA + "}"));

        assertEquals(MAPPER.readTree(INSTANCE), parse(j.get("response").asText()));
    }

    @Test
    void openAiCompletionsHonourResponseFormatToo() throws Exception {
        JsonNode j = ok(post(sim.openAiBaseUrl() + "/completions",
                "{\"model\":\"m\",\"prompt\":\"Once\",\"response_format\":{\"type\":\"json_object\"}}"));

        assertTrue(parse(j.at("/choices/0/text").asText()).get("answer").asText().startsWith("Simulated answer to: Once"));
    }

    @Test
    void aSchemaAnswerIsCompleteWhateverTheTokenLimit() throws Exception {
        JsonNode j = ok(post(sim.ollamaBaseUrl() + "/api/chat", "{\"model\":\"m\",\"stream\":false,"
                + "\"options\":{\"num_predict\":2},\"format\":" + SCHEMA
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));

        assertEquals(MAPPER.readTree(INSTANCE), parse(j.at("/message/content").asText()));
        assertEquals("stop", j.get("done_reason").asText());
    }

    @Test
    void anUnknownFormatKeepsThePlainTextAnswer() throws Exception {
        String ollama = ollamaChat("\"yaml\"").at("/message/content").asText();
        String openAiText = openAiChat("{\"type\":\"text\"}").at("/choices/0/message/content").asText();
        String openAiNoSchema = openAiChat("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\"}}")
                .at("/choices/0/message/content").asText();

        String plain = "Simulated answer to: Describe a person lorem ipsum dolor sit amet consectetur";
        assertEquals(plain, ollama);
        assertEquals(plain, openAiText);
        assertEquals(plain, openAiNoSchema);
    }

    @Test
    void aNamedToolWinsOverJsonMode() throws Exception {
        JsonNode j = ok(post(sim.openAiBaseUrl() + "/chat/completions", """
                {"model":"m","response_format":{"type":"json_object"},
                 "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object",
                   "properties":{"q":{"type":"string"}}}}}],
                 "messages":[{"role":"user","content":"lookup cats"}]}"""));

        assertEquals("lookup", j.at("/choices/0/message/tool_calls/0/function/name").asText());
        assertTrue(j.at("/choices/0/message/content").isNull());
    }

    @Test
    void jsonModeAfterAToolResultWrapsTheToolResultAnswer() throws Exception {
        JsonNode j = ok(post(sim.ollamaBaseUrl() + "/api/chat", """
                {"model":"m","stream":false,"format":"json",
                 "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object",
                   "properties":{"q":{"type":"string"}}}}}],
                 "messages":[{"role":"user","content":"lookup cats"},{"role":"tool","content":"cats purr"}]}"""));

        assertEquals("Simulated answer using tool result: cats purr lorem ipsum dolor sit amet",
                parse(j.at("/message/content").asText()).get("answer").asText());
        assertFalse(j.get("message").has("tool_calls"));
    }
}
