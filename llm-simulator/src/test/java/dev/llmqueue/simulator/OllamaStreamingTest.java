package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;

import static dev.llmqueue.simulator.Http.json;
import static dev.llmqueue.simulator.Http.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ollama streaming: NDJSON on /api/chat and /api/generate, the default when "stream" is absent. */
class OllamaStreamingTest {

    private static final String TOOLS = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
            + "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]}}}}}]";

    private static LlmSimulator sim;

    @BeforeAll
    static void start() {
        sim = LlmSimulator.builder().build().start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static String chat(String stream, String extra, String text) {
        return "{\"model\":\"llama3.2\"" + stream + extra + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text
                + "\"}]}";
    }

    private static List<JsonNode> streamChat(String body) {
        try (StreamClient client = StreamClient.open(sim.ollamaBaseUrl() + "/api/chat", body)) {
            assertEquals(200, client.response.statusCode());
            assertEquals("application/x-ndjson", client.contentType());
            return client.ndjsonToEnd();
        }
    }

    private static String contentOf(List<JsonNode> lines, String field) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode line : lines) {
            sb.append(line.at(field).asText());
        }
        return sb.toString();
    }

    @Test
    void chatWithoutStreamFieldStreamsOneWordPerLineThenADoneLine() {
        List<JsonNode> lines = streamChat(chat("", "", "Why is the sky blue?"));

        assertEquals(13, lines.size(), "12 tokens and the done line: " + lines);
        for (JsonNode line : lines.subList(0, 12)) {
            assertEquals("llama3.2", line.get("model").asText());
            assertTrue(line.get("created_at").isTextual());
            assertEquals("assistant", line.at("/message/role").asText());
            assertFalse(line.get("done").asBoolean());
            assertFalse(line.has("done_reason"));
        }
        assertEquals("Simulated", lines.get(0).at("/message/content").asText());
        assertEquals(" answer", lines.get(1).at("/message/content").asText());
        JsonNode done = lines.get(12);
        assertTrue(done.get("done").asBoolean());
        assertEquals("", done.at("/message/content").asText());
        assertEquals("stop", done.get("done_reason").asText());
        assertEquals(12, done.get("eval_count").asInt());
        assertEquals(5, done.get("prompt_eval_count").asInt());
        for (String counter : new String[] {"total_duration", "load_duration", "prompt_eval_duration", "eval_duration"}) {
            assertTrue(done.get(counter).canConvertToLong(), counter);
        }
    }

    @Test
    void chatStreamTrueConcatenatesToTheNonStreamedContent() throws Exception {
        String question = "Describe a priority queue in one line";
        String whole = json(post(sim.ollamaBaseUrl() + "/api/chat", chat(",\"stream\":false", "", question)))
                .at("/message/content").asText();

        List<JsonNode> lines = streamChat(chat(",\"stream\":true", "", question));

        assertEquals(whole, contentOf(lines, "/message/content"));
    }

    @Test
    void chatStreamFalseStillAnswersInOnePiece() throws Exception {
        HttpResponse<String> r = post(sim.ollamaBaseUrl() + "/api/chat", chat(",\"stream\":false", "", "hi"));

        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
        assertTrue(json(r).get("done").asBoolean());
    }

    @Test
    void chatTokenLimitStreamsThatManyTokensAndEndsWithLength() {
        List<JsonNode> lines = streamChat(chat("", ",\"options\":{\"num_predict\":4}", "hello"));

        assertEquals(5, lines.size());
        assertEquals("Simulated answer to: hello", contentOf(lines, "/message/content"));
        assertEquals("length", lines.get(4).get("done_reason").asText());
        assertEquals(4, lines.get(4).get("eval_count").asInt());
    }

    @Test
    void generateStreamsResponseDeltasAndEndsWithContext() throws Exception {
        String body = "{\"model\":\"llama3.2\",\"prompt\":\"Write a haiku about queues\"}";
        String whole = json(post(sim.ollamaBaseUrl() + "/api/generate",
                "{\"model\":\"llama3.2\",\"prompt\":\"Write a haiku about queues\",\"stream\":false}"))
                .get("response").asText();

        List<JsonNode> lines;
        try (StreamClient client = StreamClient.open(sim.ollamaBaseUrl() + "/api/generate", body)) {
            assertEquals("application/x-ndjson", client.contentType());
            lines = client.ndjsonToEnd();
        }

        assertEquals(13, lines.size());
        for (JsonNode line : lines.subList(0, 12)) {
            assertFalse(line.get("done").asBoolean());
            assertFalse(line.has("message"));
        }
        assertEquals(whole, contentOf(lines, "/response"));
        JsonNode done = lines.get(12);
        assertTrue(done.get("done").asBoolean());
        assertEquals("", done.get("response").asText());
        assertEquals("stop", done.get("done_reason").asText());
        assertEquals("[1,2,3]", done.get("context").toString());
        assertEquals(12, done.get("eval_count").asInt());
    }

    @Test
    void toolCallsArriveInOneChunkWithObjectArgumentsThenTheDoneLine() {
        List<JsonNode> lines = streamChat(chat("", "," + TOOLS, "Use get_weather for Paris."));

        assertEquals(2, lines.size(), lines.toString());
        JsonNode calls = lines.get(0).at("/message/tool_calls");
        assertEquals(1, calls.size());
        assertEquals("get_weather", calls.get(0).at("/function/name").asText());
        assertEquals("Paris", calls.get(0).at("/function/arguments/city").asText());
        assertEquals("celsius", calls.get(0).at("/function/arguments/unit").asText());
        assertEquals("", lines.get(0).at("/message/content").asText());
        assertFalse(lines.get(0).get("done").asBoolean());
        assertTrue(lines.get(1).get("done").asBoolean());
        assertEquals("stop", lines.get(1).get("done_reason").asText());
    }

    @Test
    void jsonFormatStreamsTheJsonAnswerWordByWord() {
        List<JsonNode> lines = streamChat(chat("", ",\"format\":\"json\"", "Describe a person"));

        String content = contentOf(lines, "/message/content");
        assertEquals("Simulated answer to: Describe a person lorem ipsum dolor sit amet consectetur",
                StreamClient.parse(content).get("answer").asText());
        assertTrue(lines.size() > 3);
    }

    @Test
    void aStreamValueThatIsNotABooleanIs400() throws Exception {
        HttpResponse<String> r = post(sim.ollamaBaseUrl() + "/api/chat", chat(",\"stream\":\"no\"", "", "hi"));

        assertEquals(400, r.statusCode());
        assertTrue(json(r).get("error").asText().contains("stream"));
    }

    @Test
    void theRecordTellsAStreamedCallItsTokensAndTimes() {
        try (LlmSimulator own = LlmSimulator.builder().completionTokens(6).build().start()) {
            try (StreamClient client = StreamClient.open(own.ollamaBaseUrl() + "/api/chat", chat("", "", "hi"))) {
                client.ndjsonToEnd();
            }
            RecordedCall call = own.recorded().get(0);

            assertTrue(call.streamed());
            assertEquals(200, call.status());
            assertEquals(6, call.tokensSent());
            assertFalse(call.aborted());
            assertEquals(Faults.Kind.NONE, call.fault());
            assertTrue(call.startNanos() <= call.firstTokenNanos());
            assertTrue(call.firstTokenNanos() <= call.lastTokenNanos());
            assertTrue(call.lastTokenNanos() <= call.endNanos());
            assertEquals(1, own.stats().streamed());
            assertEquals(1, own.stats().served());
            assertEquals(0, own.stats().aborted());
        }
    }
}
