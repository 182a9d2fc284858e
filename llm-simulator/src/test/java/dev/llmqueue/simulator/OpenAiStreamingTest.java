package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.llmqueue.simulator.Http.json;
import static dev.llmqueue.simulator.Http.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** OpenAI streaming: server-sent events on /v1/chat/completions and /v1/completions with "stream": true. */
class OpenAiStreamingTest {

    private static final String TOOLS = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
            + "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]}}}}},"
            + "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{\"type\":\"object\","
            + "\"properties\":{\"zone\":{\"type\":\"string\"}}}}}]";

    private static LlmSimulator sim;

    @BeforeAll
    static void start() {
        sim = LlmSimulator.builder().build().start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static String chat(String extra, String text) {
        return "{\"model\":\"gpt-4o-mini\"" + extra + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    private static List<String> streamChat(String body) {
        try (StreamClient client = StreamClient.open(sim.openAiBaseUrl() + "/chat/completions", body)) {
            assertEquals(200, client.response.statusCode());
            assertEquals("text/event-stream", client.contentType());
            return client.sseToEnd();
        }
    }

    private static JsonNode choice(String event) {
        JsonNode chunk = StreamClient.parse(event);
        assertEquals(1, chunk.get("choices").size(), event);
        return chunk.at("/choices/0");
    }

    @Test
    void chatStreamsARoleChunkOneChunkPerTokenAFinishChunkAndDone() {
        List<String> events = streamChat(chat(",\"stream\":true", "Why is the sky blue?"));

        assertEquals(15, events.size(), "role, 12 tokens, finish, [DONE]: " + events);
        JsonNode first = StreamClient.parse(events.get(0));
        String id = first.get("id").asText();
        assertTrue(id.startsWith("chatcmpl-"), id);
        for (String event : events.subList(0, 14)) {
            JsonNode chunk = StreamClient.parse(event);
            assertEquals(id, chunk.get("id").asText());
            assertEquals("chat.completion.chunk", chunk.get("object").asText());
            assertEquals(first.get("created").asLong(), chunk.get("created").asLong());
            assertEquals("gpt-4o-mini", chunk.get("model").asText());
            assertFalse(chunk.has("usage"), "no usage unless asked for");
        }
        assertEquals("{\"role\":\"assistant\",\"content\":\"\"}", choice(events.get(0)).get("delta").toString());
        assertTrue(choice(events.get(0)).get("finish_reason").isNull());
        assertEquals("{\"content\":\"Simulated\"}", choice(events.get(1)).get("delta").toString());
        assertEquals("{\"content\":\" answer\"}", choice(events.get(2)).get("delta").toString());
        assertTrue(choice(events.get(12)).get("finish_reason").isNull());
        JsonNode finish = choice(events.get(13));
        assertEquals("{}", finish.get("delta").toString());
        assertEquals("stop", finish.get("finish_reason").asText());
        assertEquals(0, finish.get("index").asInt());
        assertEquals("[DONE]", events.get(14));
    }

    @Test
    void chatDeltasConcatenateToTheNonStreamedContent() throws Exception {
        String question = "Describe a priority queue in one line";
        String whole = json(post(sim.openAiBaseUrl() + "/chat/completions", chat("", question)))
                .at("/choices/0/message/content").asText();

        List<String> events = streamChat(chat(",\"stream\":true", question));

        StringBuilder streamed = new StringBuilder();
        for (String event : events.subList(1, events.size() - 2)) {
            streamed.append(choice(event).at("/delta/content").asText());
        }
        assertEquals(whole, streamed.toString());
    }

    @Test
    void includeUsageAddsAUsageChunkWithNoChoicesBeforeDone() {
        List<String> events = streamChat(chat(",\"stream\":true,\"stream_options\":{\"include_usage\":true}", "hi"));

        assertEquals(16, events.size());
        for (String event : events.subList(0, 14)) {
            assertTrue(StreamClient.parse(event).get("usage").isNull(), "usage: null before the last chunk");
        }
        JsonNode usage = StreamClient.parse(events.get(14));
        assertEquals(0, usage.get("choices").size());
        assertEquals(12, usage.at("/usage/completion_tokens").asInt());
        assertEquals(1, usage.at("/usage/prompt_tokens").asInt());
        assertEquals(13, usage.at("/usage/total_tokens").asInt());
        assertEquals("[DONE]", events.get(15));
    }

    @Test
    void aTokenLimitEndsWithFinishReasonLength() {
        List<String> events = streamChat(chat(",\"stream\":true,\"max_tokens\":3", "hello"));

        assertEquals(6, events.size());
        assertEquals("length", choice(events.get(4)).get("finish_reason").asText());
    }

    @Test
    void toolCallsStreamAHeaderPerCallThenArgumentFragmentsThatConcatenateToTheArguments() throws Exception {
        String question = "Use get_weather for Paris and get_time for Europe/Paris.";
        JsonNode whole = json(post(sim.openAiBaseUrl() + "/chat/completions", chat("," + TOOLS, question)))
                .at("/choices/0/message/tool_calls");

        List<String> events = streamChat(chat(",\"stream\":true," + TOOLS, question));

        JsonNode first = choice(events.get(0)).get("delta");
        assertEquals("assistant", first.get("role").asText());
        assertTrue(first.get("content").isNull());
        StringBuilder[] arguments = {new StringBuilder(), new StringBuilder()};
        int headers = 0;
        for (String event : events.subList(0, events.size() - 2)) {
            JsonNode delta = choice(event).get("delta");
            assertEquals(1, delta.get("tool_calls").size(), event);
            JsonNode call = delta.at("/tool_calls/0");
            int index = call.get("index").asInt();
            if (call.has("id")) {
                headers++;
                assertEquals(whole.get(index).get("id").asText(), call.get("id").asText());
                assertEquals("function", call.get("type").asText());
                assertEquals(whole.get(index).at("/function/name").asText(), call.at("/function/name").asText());
                assertEquals("", call.at("/function/arguments").asText());
            } else {
                assertFalse(call.has("type"));
                assertFalse(call.get("function").has("name"));
                arguments[index].append(call.at("/function/arguments").asText());
            }
        }
        assertEquals(2, headers);
        assertEquals(whole.get(0).at("/function/arguments").asText(), arguments[0].toString());
        assertEquals(whole.get(1).at("/function/arguments").asText(), arguments[1].toString());
        assertEquals("{\"city\": \"Paris\", \"unit\": \"celsius\"}", arguments[0].toString());
        JsonNode finish = choice(events.get(events.size() - 2));
        assertEquals("{}", finish.get("delta").toString());
        assertEquals("tool_calls", finish.get("finish_reason").asText());
        assertEquals("[DONE]", events.get(events.size() - 1));
    }

    @Test
    void completionsStreamTextCompletionChunksWithoutARoleChunk() throws Exception {
        String body = "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Say this is a test\"";
        String whole = json(post(sim.openAiBaseUrl() + "/completions", body + "}")).at("/choices/0/text").asText();

        List<String> events;
        try (StreamClient client = StreamClient.open(sim.openAiBaseUrl() + "/completions",
                body + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}")) {
            assertEquals("text/event-stream", client.contentType());
            events = client.sseToEnd();
        }

        assertEquals(15, events.size(), "12 tokens, finish, usage, [DONE]: " + events);
        StringBuilder text = new StringBuilder();
        String id = StreamClient.parse(events.get(0)).get("id").asText();
        assertTrue(id.startsWith("cmpl-"), id);
        for (String event : events.subList(0, 12)) {
            JsonNode chunk = StreamClient.parse(event);
            assertEquals("text_completion", chunk.get("object").asText());
            assertEquals(id, chunk.get("id").asText());
            JsonNode choice = choice(event);
            assertEquals(0, choice.get("index").asInt());
            assertTrue(choice.get("finish_reason").isNull());
            text.append(choice.get("text").asText());
        }
        assertEquals(whole, text.toString());
        assertEquals("", choice(events.get(12)).get("text").asText());
        assertEquals("stop", choice(events.get(12)).get("finish_reason").asText());
        assertEquals(12, StreamClient.parse(events.get(13)).at("/usage/completion_tokens").asInt());
        assertEquals("[DONE]", events.get(14));
    }

    @Test
    void streamFalseOrAbsentStillAnswersInOnePiece() throws Exception {
        assertEquals("chat.completion",
                json(post(sim.openAiBaseUrl() + "/chat/completions", chat(",\"stream\":false", "hi")))
                        .get("object").asText());
        assertEquals("chat.completion",
                json(post(sim.openAiBaseUrl() + "/chat/completions", chat("", "hi"))).get("object").asText());
    }

    @Test
    void embeddingsIgnoreStream() throws Exception {
        JsonNode r = json(post(sim.openAiBaseUrl() + "/embeddings",
                "{\"model\":\"text-embedding-3-small\",\"input\":\"a\",\"stream\":true}"));

        assertEquals("list", r.get("object").asText());
    }
}
