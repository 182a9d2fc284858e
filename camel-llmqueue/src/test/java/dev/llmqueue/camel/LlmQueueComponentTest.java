package dev.llmqueue.camel;

import java.io.InputStream;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Component configuration: the seed's environment variables, their precedence, and the generated metadata.
 */
class LlmQueueComponentTest {

    @Test
    void defaultsApplyWithoutEnvironment() {
        LlmQueueComponent component = new LlmQueueComponent(name -> null);
        assertEquals(2, component.getMaxConcurrentRequests());
        assertTrue(component.isAsyncQueue());
        assertFalse(component.isDisableBackground());
        assertEquals(10000, component.getMaxHighQueueSize());
        assertEquals(10000, component.getMaxLowQueueSize());
    }

    @Test
    void theSeedsEnvironmentVariablesBeatTheDefaults() {
        LlmQueueComponent component = new LlmQueueComponent(Map.of(
                "LLM_MAX_CONCURRENT_REQUESTS", "3",
                "USE_ASYNC_LLM_QUEUE", "0",
                "DISABLE_BACKGROUND_LLM", "true",
                "LLM_MAX_HIGH_PRIORITY_QUEUE", "50",
                "LLM_MAX_LOW_PRIORITY_QUEUE", "60")::get);
        assertEquals(3, component.getMaxConcurrentRequests());
        assertFalse(component.isAsyncQueue());
        assertTrue(component.isDisableBackground());
        assertEquals(50, component.getMaxHighQueueSize());
        assertEquals(60, component.getMaxLowQueueSize());
    }

    @Test
    void anExplicitOptionBeatsTheEnvironment() throws Exception {
        CamelContext context = new DefaultCamelContext();
        LlmQueueComponent component = new LlmQueueComponent(Map.of("LLM_MAX_CONCURRENT_REQUESTS", "3")::get);
        context.addComponent("llmqueue", component);
        // bind the option the way camel-main binds camel.component.llmqueue.maxConcurrentRequests
        org.apache.camel.support.PropertyBindingSupport.build()
                .withCamelContext(context).withTarget(component).withProperty("maxConcurrentRequests", "7").bind();
        context.start();
        try {
            assertEquals(7, component.getMaxConcurrentRequests());
            assertEquals(7, component.getScheduler().getMaxConcurrentRequests());
        } finally {
            context.stop();
        }
    }

    @Test
    void aMalformedEnvironmentVariableFailsNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LlmQueueComponent(Map.of("LLM_MAX_CONCURRENT_REQUESTS", "many")::get));
        assertTrue(e.getMessage().contains("LLM_MAX_CONCURRENT_REQUESTS") && e.getMessage().contains("many"));
        e = assertThrows(IllegalArgumentException.class,
                () -> new LlmQueueComponent(Map.of("DISABLE_BACKGROUND_LLM", "maybe")::get));
        assertTrue(e.getMessage().contains("DISABLE_BACKGROUND_LLM"));
    }

    @Test
    void anOutOfRangeEnvironmentVariableFailsNamingTheVariable() {
        CamelContext context = new DefaultCamelContext();
        Exception e = assertThrows(Exception.class, () -> {
            context.addComponent("llmqueue", new LlmQueueComponent(Map.of("LLM_MAX_CONCURRENT_REQUESTS", "0")::get));
            context.start();
        });
        String message = String.valueOf(org.apache.camel.util.ObjectHelper.getException(IllegalArgumentException.class,
                e));
        assertTrue(message.contains("maxConcurrentRequests must be at least 1, was 0")
                   && message.contains("environment variable LLM_MAX_CONCURRENT_REQUESTS=0"), message);
    }

    @Test
    void anOutOfRangeOptionDoesNotBlameTheEnvironment() {
        CamelContext context = new DefaultCamelContext();
        LlmQueueComponent component = new LlmQueueComponent(Map.of("LLM_MAX_CONCURRENT_REQUESTS", "3")::get);
        component.setMaxConcurrentRequests(0);
        Exception e = assertThrows(Exception.class, () -> {
            context.addComponent("llmqueue", component);
            context.start();
        });
        String message = String.valueOf(org.apache.camel.util.ObjectHelper.getException(IllegalArgumentException.class,
                e));
        assertTrue(message.contains("was 0") && !message.contains("environment"), message);
    }

    @Test
    void theOpenAiKeyDefaultsToTheEnvironmentAndAnExplicitKeyBeatsIt() throws Exception {
        CamelContext context = new DefaultCamelContext();
        context.addComponent("llmqueue", new LlmQueueComponent(Map.of("OPENAI_API_KEY", "sk-env")::get));
        context.start();
        try {
            LlmQueueEndpoint fromEnv = context.getEndpoint("llmqueue:openai?model=m", LlmQueueEndpoint.class);
            assertEquals("sk-env", fromEnv.getApiKey());
            LlmQueueEndpoint explicit = context.getEndpoint("llmqueue:openai?model=m&apiKey=sk-own", LlmQueueEndpoint.class);
            assertEquals("sk-own", explicit.getApiKey());
            LlmQueueEndpoint ollama = context.getEndpoint("llmqueue:ollama?model=m", LlmQueueEndpoint.class);
            assertEquals(null, ollama.getApiKey(), "the OpenAI key is never sent to other servers");
        } finally {
            context.stop();
        }
    }

    @Test
    void theApiKeyIsMaskedInTheEndpointsDisplayedUri() throws Exception {
        CamelContext context = new DefaultCamelContext();
        context.start();
        try {
            LlmQueueEndpoint endpoint = context.getEndpoint("llmqueue:openai?model=m&apiKey=sk-secret-1", LlmQueueEndpoint.class);
            assertFalse(endpoint.toString().contains("sk-secret-1"), endpoint.toString());
        } finally {
            context.stop();
        }
    }

    @Test
    void theGeneratedComponentJsonDescribesEveryOptionAndHeader() throws Exception {
        JsonNode json;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/dev/llmqueue/camel/llmqueue.json")) {
            json = new ObjectMapper().readTree(in);
        }
        assertEquals("llmqueue:provider", json.path("component").path("syntax").asText());
        for (String option : Set.of("maxConcurrentRequests", "asyncQueue", "disableBackground", "maxHighQueueSize",
                "maxLowQueueSize")) {
            assertFalse(json.path("componentProperties").path(option).path("description").asText().isEmpty(), option);
        }
        for (String option : Set.of("provider", "priority", "operation", "model", "baseUrl", "apiKey", "systemMessage",
                "temperature", "maxTokens", "requestTimeout")) {
            assertFalse(json.path("properties").path(option).path("description").asText().isEmpty(), option);
        }
        assertTrue(json.path("properties").path("apiKey").path("secret").asBoolean());
        assertEquals("duration", json.path("properties").path("requestTimeout").path("type").asText());
        for (String header : Set.of("CamelLlmQueuePriority", "CamelLlmQueueModel", "CamelLlmQueueSystemMessage",
                "CamelLlmQueueRequestId", "CamelLlmQueueWaitTime", "CamelLlmQueueCallTime", "CamelLlmQueuePromptTokens",
                "CamelLlmQueueCompletionTokens", "CamelLlmQueueResponseModel", "CamelLlmQueueFinishReason")) {
            assertFalse(json.path("headers").path(header).path("description").asText().isEmpty(), header);
        }
    }
}
