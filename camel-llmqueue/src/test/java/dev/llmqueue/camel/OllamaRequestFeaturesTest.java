package dev.llmqueue.camel;

import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ollama's /api/chat and /api/generate wire format for tools, structured output, images and extra body fields, as
 * Ollama's api.md documents it, and how those replies reach the exchange.
 */
class OllamaRequestFeaturesTest extends RequestFeaturesTestSupport {

    static final String TOOL_CALL_REPLY = "{\"model\":\"llama3.2\",\"created_at\":\"2024-07-22T20:33:28.123648Z\","
                                          + "\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":"
                                          + "[{\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\","
                                          + "\"days\":2}}}]},\"done_reason\":\"stop\",\"done\":true,"
                                          + "\"total_duration\":885095291,\"prompt_eval_count\":122,\"eval_count\":23}";
    static final String TWO_TOOL_CALLS_REPLY = "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\","
                                               + "\"content\":\"\",\"tool_calls\":["
                                               + "{\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":"
                                               + "\"Paris\"}}},{\"function\":{\"name\":\"get_weather\",\"arguments\":"
                                               + "{\"city\":\"Rome\"}}}]},\"done_reason\":\"stop\",\"done\":true}";

    static String chatReply(String content) throws Exception {
        return "{\"model\":\"llama3.2\",\"created_at\":\"2023-12-12T14:13:43.416799Z\",\"message\":{\"role\":"
               + "\"assistant\",\"content\":" + JSON.writeValueAsString(content) + "},\"done\":true,"
               + "\"done_reason\":\"stop\",\"prompt_eval_count\":26,\"eval_count\":298}";
    }

    static String generateReply(String response) throws Exception {
        return "{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T19:22:45.499127Z\",\"response\":"
               + JSON.writeValueAsString(response) + ",\"done\":true,\"done_reason\":\"stop\"}";
    }

    private String uri(String options) {
        return "llmqueue:ollama?model=llama3.2&baseUrl=" + baseUrl("/") + (options.isEmpty() ? "" : "&" + options);
    }

    // ---- tools ----

    @Test
    void toolsAreSentAsToolsInOpenAisShape() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);

        sendOk(uri(toolsOption()), "Weather in Paris?");

        assertEquals(tree(WEATHER_TOOLS), json(takeRequest()).path("tools"));
    }

    @Test
    void toolChoiceIsNotSentToOllamaWhichHasNoSuchField() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);

        sendOk(uri(toolsOption() + "&toolChoice=required"), "Weather in Paris?");

        JsonNode json = json(takeRequest());
        assertFalse(json.has("tool_choice"), json.toString());
        assertTrue(json.has("tools"), json.toString());
    }

    @Test
    void aToolCallWithObjectArgumentsGetsAGeneratedIdAndTheArgumentsAsJsonText() throws Exception {
        serveJson(TOOL_CALL_REPLY);

        Exchange exchange = sendOk(uri(toolsOption()), "Weather in Paris?");

        List<?> calls = exchange.getMessage().getHeader(LlmQueueConstants.TOOL_CALLS, List.class);
        Map<?, ?> call = assertInstanceOf(Map.class, calls.get(0));
        assertTrue(((String) call.get("id")).startsWith("call_"), call.toString());
        assertEquals("get_weather", call.get("name"));
        assertEquals(Map.of("city", "Paris", "days", 2), call.get("arguments"));
        assertEquals(tree("{\"city\":\"Paris\",\"days\":2}"), tree((String) call.get("argumentsJson")));
    }

    @Test
    void aToolCallReplyWithEmptyContentHasANullBody() {
        serveJson(TOOL_CALL_REPLY);

        Exchange exchange = sendOk(uri(toolsOption()), "Weather in Paris?");

        assertNull(exchange.getMessage().getBody());
        assertEquals("stop", exchange.getMessage().getHeader(LlmQueueConstants.FINISH_REASON));
    }

    @Test
    void severalToolCallsGetDistinctIdsInTheirOrder() {
        serveJson(TWO_TOOL_CALLS_REPLY);

        Exchange exchange = sendOk(uri(toolsOption()), "Weather in Paris and Rome?");

        List<?> calls = exchange.getMessage().getHeader(LlmQueueConstants.TOOL_CALLS, List.class);
        assertEquals(2, calls.size());
        assertEquals(Map.of("city", "Paris"), ((Map<?, ?>) calls.get(0)).get("arguments"));
        assertEquals(Map.of("city", "Rome"), ((Map<?, ?>) calls.get(1)).get("arguments"));
        assertNotEquals(((Map<?, ?>) calls.get(0)).get("id"), ((Map<?, ?>) calls.get(1)).get("id"));
    }

    @Test
    void theAssistantMessageIsInOllamasFormWithItsToolCalls() throws Exception {
        serveJson(TOOL_CALL_REPLY);

        Exchange exchange = sendOk(uri(toolsOption()), "Weather in Paris?");

        Map<?, ?> message = exchange.getMessage().getHeader(LlmQueueConstants.ASSISTANT_MESSAGE, Map.class);
        assertEquals(tree(TOOL_CALL_REPLY).path("message"), JSON.valueToTree(message));
    }

    @Test
    void aConversationWithOllamaToolResultsIsSentAsGiven() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);
        List<Map<String, Object>> conversation = List.of(
                map("role", "user", "content", "Weather in Paris?"),
                map("role", "assistant", "content", "", "tool_calls",
                        List.of(map("function", map("name", "get_weather", "arguments", map("city", "Paris"))))),
                map("role", "tool", "tool_name", "get_weather", "content", "18 C, sunny"));

        sendOk(uri(toolsOption()), conversation);

        assertEquals(JSON.valueToTree(conversation), json(takeRequest()).path("messages"));
    }

    // ---- structured output ----

    @Test
    void responseFormatJsonSendsFormatJson() throws Exception {
        serveJson(chatReply("{\"ok\":true}"));

        Exchange exchange = sendOk(uri("responseFormat=json"), "Answer in JSON");

        assertEquals("json", json(takeRequest()).path("format").asText());
        assertEquals("{\"ok\":true}", exchange.getMessage().getBody());
    }

    @Test
    void jsonSchemaIsSentAsTheFormatObject() throws Exception {
        serveJson(chatReply("{\"name\":\"Paris\",\"population\":2100000}"));

        sendOk(uri("jsonSchema=RAW(" + CITY_SCHEMA + ")"), "Describe Paris");

        assertEquals(tree(CITY_SCHEMA), json(takeRequest()).path("format"));
    }

    @Test
    void generateSendsTheFormatToo() throws Exception {
        serveJson(generateReply("{\"name\":\"Paris\",\"population\":2100000}"));

        sendOk(uri("operation=generate&jsonSchema=RAW(" + CITY_SCHEMA + ")"), "Describe Paris");

        assertEquals(tree(CITY_SCHEMA), json(takeRequest()).path("format"));
    }

    @Test
    void outputClassBindsTheReplyWithTheGeneratedSchemaAsFormat() throws Exception {
        serveJson(chatReply("{\"name\":\"Rome\",\"population\":2800000,\"landmarks\":[],"
                            + "\"location\":{\"latitude\":41.9,\"longitude\":12.5}}"));

        Exchange exchange = sendOk(uri("outputClass=" + City.class.getName()), "Describe Rome");

        JsonNode format = json(takeRequest()).path("format");
        assertEquals("object", format.path("type").asText());
        assertTrue(format.path("properties").has("population"), format.toString());
        City city = assertInstanceOf(City.class, exchange.getMessage().getBody());
        assertEquals("Rome", city.name);
        assertEquals(12.5, city.location.longitude);
    }

    @Test
    void aReplyThatIsNotJsonWhenASchemaWasAskedFailsWithoutRetry() throws Exception {
        serveJson(chatReply("The capital of France is Paris."));

        LlmProviderException failure = sendFailing(uri("jsonSchema=RAW(" + CITY_SCHEMA + ")"), "Describe Paris");

        assertFalse(failure.isRetryable());
        assertEquals(1, server.getRequestCount());
        assertMentions(failure, "The capital of France is Paris.", "jsonSchema");
    }

    @Test
    void aJsonReplyFollowedByTextIsNotValidJson() throws Exception {
        serveJson(chatReply("{\"ok\":true} and more"));

        LlmProviderException failure = sendFailing(uri("responseFormat=json"), "Answer in JSON");

        assertMentions(failure, "{\"ok\":true} and more");
    }

    // ---- images ----

    @Test
    void imagesGoAsBase64OnTheLastUserMessage() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);

        sendOk(uri(""), "What is in this picture?", Map.of(LlmQueueConstants.IMAGES, List.of(Images.PNG, Images.JPEG)));

        JsonNode message = json(takeRequest()).path("messages").path(0);
        assertEquals("What is in this picture?", message.path("content").asText());
        assertEquals(tree("[\"" + Base64.getEncoder().encodeToString(Images.PNG) + "\",\""
                          + Base64.getEncoder().encodeToString(Images.JPEG) + "\"]"),
                message.path("images"));
    }

    @Test
    void generateImagesGoAtTheTopLevel() throws Exception {
        serveJson(OllamaProviderTest.GENERATE_REPLY);

        sendOk(uri("operation=generate"), "Describe it", Map.of(LlmQueueConstants.IMAGES, Images.WEBP));

        assertEquals(tree("[\"" + Base64.getEncoder().encodeToString(Images.WEBP) + "\"]"),
                json(takeRequest()).path("images"));
    }

    @Test
    void messagesThatAlreadyCarryImagesPassThroughUntouched() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);
        List<Map<String, Object>> conversation = List.of(map("role", "user", "content", "What is it?", "images",
                List.of(Base64.getEncoder().encodeToString(Images.GIF))));

        sendOk(uri(""), conversation);

        assertEquals(JSON.valueToTree(conversation), json(takeRequest()).path("messages"));
    }

    @Test
    void anImageOfAnUnknownTypeFailsTheExchangeAndSendsNothing() {
        serveJson(OllamaProviderTest.CHAT_REPLY);

        IllegalArgumentException failure = badInput(uri(""), "What is it?",
                Map.of(LlmQueueConstants.IMAGES, Base64.getEncoder().encodeToString(Images.PDF)));

        assertMentions(failure, LlmQueueConstants.IMAGES, "PDF");
    }

    // ---- body properties ----

    @Test
    void dottedBodyPropertiesNestIntoOptionsBesideTheComponentsOwn() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);

        sendOk(uri("temperature=0.2&bodyProperties.options.num_ctx=8192&bodyProperties.options.top_p=0.9"
                   + "&bodyProperties.keep_alive=10m"),
                "Hello!");

        JsonNode json = json(takeRequest());
        assertEquals(tree("{\"temperature\":0.2,\"num_ctx\":8192,\"top_p\":0.9}"), json.path("options"));
        assertEquals("10m", json.path("keep_alive").textValue());
        assertFalse(json.path("stream").booleanValue());
    }

    @Test
    void aBodyPropertyCollidingWithMaxTokensFailsAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri("maxTokens=10&bodyProperties.options.num_predict=20"));

        assertMentions(failure, "bodyProperties.options.num_predict");
    }

    @Test
    void bodyPropertiesCanSetStreamNeither() {
        IllegalArgumentException failure = creationFailure(uri("bodyProperties.stream=true"));

        assertMentions(failure, "bodyProperties.stream");
    }

    @Test
    void yamlParametersSetBodyPropertiesAndTheUriSetsDashedHttpHeaders() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);
        // YAML turns dashed parameter names into camelCase (X-Tenant would become XTenant), and a uri with a query
        // cannot have parameters: a dashed header name goes in the uri, with the other options
        String yaml = """
                - route:
                    from:
                      uri: direct:yaml-parameters
                      steps:
                        - to:
                            uri: llmqueue:ollama
                            parameters:
                              model: llama3.2
                              baseUrl: "%1$s"
                              bodyProperties.options.num_ctx: 8192
                              bodyProperties.keep_alive: 10m
                - route:
                    from:
                      uri: direct:yaml-uri
                      steps:
                        - to: "llmqueue:ollama?model=llama3.2&baseUrl=%1$s&httpHeaders.X-Tenant=tenant-1"
                """.formatted(baseUrl("/"));
        org.apache.camel.support.PluginHelper.getRoutesLoader(context)
                .loadRoutes(org.apache.camel.support.ResourceHelper.fromString("yaml.camel.yaml", yaml));

        template.requestBody("direct:yaml-parameters", "Hello!", String.class);
        template.requestBody("direct:yaml-uri", "Hello!", String.class);

        JsonNode json = json(takeRequest());
        assertEquals(8192, json.path("options").path("num_ctx").intValue());
        assertEquals("10m", json.path("keep_alive").textValue());
        assertEquals("tenant-1", takeRequest().getHeaders().get("X-Tenant"));
    }

    @Test
    void theBodyPropertiesHeaderNestsDottedKeys() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);

        sendOk(uri("bodyProperties.options.num_ctx=8192"), "Hello!",
                Map.of(LlmQueueConstants.BODY_PROPERTIES, map("options.num_ctx", 4096, "options.seed", 3)));

        assertEquals(tree("{\"num_ctx\":4096,\"seed\":3}"), json(takeRequest()).path("options"));
    }

    // ---- the whole request as a Map, the whole reply as a Map ----

    @Test
    void aMapBodyGetsStreamFalseWhenItHasNoStream() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);

        sendOk(uri(""), map("messages", List.of(map("role", "user", "content", "Hi")), "think", false));

        assertEquals(tree("{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                          + "\"think\":false,\"stream\":false}"),
                json(takeRequest()));
    }

    @Test
    void aMapBodyThatAsksForStreamingFailsAndSendsNothing() {
        serveJson(OllamaProviderTest.CHAT_REPLY);

        IllegalArgumentException failure = badInput(uri(""),
                map("messages", List.of(map("role", "user", "content", "Hi")), "stream", true), Map.of());

        assertMentions(failure, "stream");
    }

    @Test
    void anEmbedMapBodyWithAListInputGivesOneVectorPerText() {
        serveJson(OllamaProviderTest.EMBED_BATCH_REPLY);

        Exchange exchange = sendOk(uri("operation=embed"), map("input", List.of("a", "b"), "truncate", true));

        List<?> vectors = assertInstanceOf(List.class, exchange.getMessage().getBody());
        assertEquals(2, vectors.size());
    }

    @Test
    void rawResponseGivesTheWholeReplyAsAMap() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);

        Exchange exchange = sendOk(uri("rawResponse=true"), "Hello!");

        assertEquals(tree(OllamaProviderTest.CHAT_REPLY), JSON.valueToTree(exchange.getMessage().getBody()));
        assertEquals(Integer.valueOf(298), exchange.getMessage().getHeader(LlmQueueConstants.COMPLETION_TOKENS));
    }

    @Test
    void theApiKeyGoesAsBearerByDefault() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);

        sendOk(uri("apiKey=ollama-key"), "Hello!");

        assertEquals("Bearer ollama-key", takeRequest().getHeaders().get("Authorization"));
    }
}
