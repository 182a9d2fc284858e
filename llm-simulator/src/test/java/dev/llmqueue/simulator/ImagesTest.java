package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static dev.llmqueue.simulator.Http.json;
import static dev.llmqueue.simulator.Http.post;
import static dev.llmqueue.simulator.Http.words;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ImagesTest {

    /** A 1x1 PNG, base64. */
    private static final String PNG =
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

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

    private static String imagePart() {
        return "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + PNG + "\"}}";
    }

    @Test
    void ollamaChatSaysHowManyImagesItGot() throws Exception {
        JsonNode j = ok(post(sim.ollamaBaseUrl() + "/api/chat", "{\"model\":\"llava\",\"stream\":false,\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"What is in these pictures?\",\"images\":[\"" + PNG + "\",\"" + PNG
                + "\"]}]}"));

        assertEquals("Simulated answer to: What is in these pictures? (2 images) lorem ipsum",
                j.at("/message/content").asText());
        assertEquals(12, j.get("eval_count").asInt());
    }

    @Test
    void ollamaGenerateCountsTopLevelImages() throws Exception {
        JsonNode j = ok(post(sim.ollamaBaseUrl() + "/api/generate", "{\"model\":\"llava\",\"stream\":false,"
                + "\"prompt\":\"Describe it\",\"images\":[\"" + PNG + "\"]}"));

        assertEquals("Simulated answer to: Describe it (1 image) lorem ipsum dolor sit amet",
                j.get("response").asText());
    }

    @Test
    void openAiImageUrlPartsAreCountedAndTextPartsAreTheQuestion() throws Exception {
        JsonNode j = ok(post(sim.openAiBaseUrl() + "/chat/completions", "{\"model\":\"gpt-4o-mini\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Compare these\"}," + imagePart() + ","
                + imagePart() + "]}]}"));

        assertEquals("Simulated answer to: Compare these (2 images) lorem ipsum dolor sit amet",
                j.at("/choices/0/message/content").asText());
        assertEquals(12, j.at("/usage/completion_tokens").asInt());
        assertEquals(2, j.at("/usage/prompt_tokens").asInt());
    }

    @Test
    void imagesOfEveryMessageAreCounted() throws Exception {
        JsonNode j = ok(post(sim.ollamaBaseUrl() + "/api/chat", "{\"model\":\"llava\",\"stream\":false,\"messages\":["
                + "{\"role\":\"user\",\"content\":\"Look\",\"images\":[\"" + PNG + "\"]},"
                + "{\"role\":\"assistant\",\"content\":\"A dot.\"},"
                + "{\"role\":\"user\",\"content\":\"And this one?\",\"images\":[\"" + PNG + "\"]}]}"));

        assertEquals("Simulated answer to: And this one? (2 images) lorem ipsum dolor sit",
                j.at("/message/content").asText());
    }

    @Test
    void theImageNoteIsKeptWhenTheQuestionIsLong() throws Exception {
        JsonNode j = ok(post(sim.openAiBaseUrl() + "/chat/completions", "{\"model\":\"m\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"one two three four five six seven "
                + "eight nine ten\"}," + imagePart() + "]}]}"));

        String content = j.at("/choices/0/message/content").asText();
        assertEquals("Simulated answer to: one two three four five six seven (1 image)", content);
        assertEquals(12, words(content));
    }

    @Test
    void anImageOnlyQuestionStillGetsTheUsualAnswer() throws Exception {
        JsonNode j = ok(post(sim.openAiBaseUrl() + "/chat/completions", "{\"model\":\"m\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":[" + imagePart() + "]}]}"));

        assertEquals("Simulated answer to: (1 image) lorem ipsum dolor sit amet consectetur adipiscing",
                j.at("/choices/0/message/content").asText());
    }
}
