package dev.llmqueue.camel;

import java.nio.charset.StandardCharsets;

import dev.llmqueue.camel.provider.LlmProvider;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The hint a provider adds to a 404 that came from a path the server did not recognise (a wrong baseUrl), and not
 * from a model it does not have.
 */
class NotFoundHintTest {

    private static final LlmProvider OPENAI = LlmProvider.forName("openai");
    private static final LlmProvider OLLAMA = LlmProvider.forName("ollama");

    private static byte[] body(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void openAiAsksWhetherV1IsMissingWhenAnUnknownPathWasCalledWithoutV1() {
        assertEquals("is `/v1` missing from baseUrl?", OPENAI.notFoundHint("http://localhost:8000",
                body("{\"error\":{\"message\":\"Invalid URL (POST /chat/completions)\",\"type\":\"invalid_request_error\"}}")));
    }

    @Test
    void openAiAsksWhetherV1IsMissingForAFrameworksBareNotFound() {
        assertEquals("is `/v1` missing from baseUrl?", OPENAI.notFoundHint("http://localhost:8000/api",
                body("{\"detail\":\"Not Found\"}")));
        assertEquals("is `/v1` missing from baseUrl?", OPENAI.notFoundHint("http://localhost:8000", new byte[0]));
    }

    @Test
    void openAiGivesNoHintWhenBaseUrlAlreadyEndsWithV1() {
        assertNull(OPENAI.notFoundHint("http://localhost:8000/v1", body("{\"detail\":\"Not Found\"}")));
        assertNull(OPENAI.notFoundHint("https://res.openai.azure.com/openai/v1", body("404 page not found")));
    }

    @Test
    void openAiGivesNoHintForAModelNotFound() {
        assertNull(OPENAI.notFoundHint("http://localhost:8000", body("{\"error\":{\"message\":\"The model `gpt-5x` does not"
                                                                     + " exist or you do not have access to it.\","
                                                                     + "\"type\":\"invalid_request_error\","
                                                                     + "\"code\":\"model_not_found\"}}")));
    }

    @Test
    void openAiGivesNoHintForAModelNotFoundWordedByACompatibleServer() {
        assertNull(OPENAI.notFoundHint("http://localhost:11434", body("{\"error\":{\"message\":\"model \\\"llama9\\\" not"
                                                                      + " found, try pulling it first\","
                                                                      + "\"type\":\"api_error\"}}")));
        assertNull(OPENAI.notFoundHint("http://localhost:8000", body("{\"object\":\"error\",\"message\":\"The model"
                                                                     + " `x` does not exist.\",\"type\":\"NotFoundError\","
                                                                     + "\"code\":404}")));
    }

    @Test
    void ollamaAsksWhetherBaseUrlIsTheServersRootWhenAnUnknownPathWasCalled() {
        assertEquals("is baseUrl the server's root, such as http://localhost:11434?",
                OLLAMA.notFoundHint("http://localhost:11434/v1", body("404 page not found")));
    }

    @Test
    void ollamaGivesNoHintWhenBaseUrlIsAlreadyTheServersRoot() {
        assertNull(OLLAMA.notFoundHint("http://gpu1:11434", body("404 page not found")));
    }

    @Test
    void ollamaGivesNoHintForAModelNotFound() {
        assertNull(OLLAMA.notFoundHint("http://localhost:11434/v1",
                body("{\"error\":\"model \\\"llama9\\\" not found, try pulling it first\"}")));
    }
}
