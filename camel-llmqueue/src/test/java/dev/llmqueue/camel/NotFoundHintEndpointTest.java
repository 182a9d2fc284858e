package dev.llmqueue.camel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 404 from a path the server did not recognise reaches the route with the provider's hint about baseUrl; a 404 for
 * a missing model does not.
 */
class NotFoundHintEndpointTest extends ProviderTestSupport {

    @Test
    void anOpenAiBaseUrlWithoutV1GetsA404ThatAsksWhetherV1IsMissing() {
        serve(404, "{\"error\":{\"message\":\"Invalid URL (POST /chat/completions)\",\"type\":\"invalid_request_error\","
                   + "\"param\":null,\"code\":null}}", "Content-Type", "application/json");

        LlmProviderException failure = sendFailing("llmqueue:openai?model=gpt-4o-mini&baseUrl=" + baseUrl("/"), "Hello!");

        assertEquals(404, failure.getStatusCode());
        assertEquals("Invalid URL (POST /chat/completions)", failure.getProviderMessage());
        assertTrue(failure.getMessage().contains("Invalid URL (POST /chat/completions); is `/v1` missing from baseUrl?"),
                failure.getMessage());
    }

    @Test
    void anOpenAiModelNotFoundGetsNoBaseUrlHint() {
        serve(404, "{\"error\":{\"message\":\"The model `nope` does not exist or you do not have access to it.\","
                   + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}",
                "Content-Type", "application/json");

        LlmProviderException failure = sendFailing("llmqueue:openai?model=nope&baseUrl=" + baseUrl("/"), "Hello!");

        assertFalse(failure.getMessage().contains("baseUrl"), failure.getMessage());
    }

    @Test
    void anOllamaBaseUrlWithAPathGetsA404ThatAsksForTheServersRoot() {
        serve(404, "404 page not found", "Content-Type", "text/plain");

        LlmProviderException failure = sendFailing("llmqueue:ollama?model=llama3.2&baseUrl=" + baseUrl("/v1"), "Hello");

        assertTrue(failure.getMessage().contains("is baseUrl the server's root, such as http://localhost:11434?"),
                failure.getMessage());
    }
}
