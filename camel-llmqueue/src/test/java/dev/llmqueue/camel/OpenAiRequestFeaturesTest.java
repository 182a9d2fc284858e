package dev.llmqueue.camel;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import mockwebserver3.RecordedRequest;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI chat completions wire format for tools, structured output, images, extra body fields and HTTP headers,
 * as OpenAI's API reference documents it, and how those replies reach the exchange.
 */
class OpenAiRequestFeaturesTest extends RequestFeaturesTestSupport {

    static final String TOOL_CALL_REPLY = "{\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion\",\"created\":1699896916,"
                                          + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                          + "\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_abc123\","
                                          + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
                                          + "\"{\\\"city\\\": \\\"Paris\\\"}\"}}]},\"logprobs\":null,"
                                          + "\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":82,"
                                          + "\"completion_tokens\":17,\"total_tokens\":99}}";
    static final String TWO_TOOL_CALLS_REPLY = "{\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion\",\"model\":"
                                               + "\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                               + "\"assistant\",\"content\":null,\"tool_calls\":["
                                               + "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":"
                                               + "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
                                               + "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":"
                                               + "\"get_time\",\"arguments\":\"{}\"}}]},\"finish_reason\":"
                                               + "\"tool_calls\"}]}";
    static final String INVALID_ARGUMENTS_REPLY = "{\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion\",\"model\":"
                                                  + "\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                                  + "\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_9\","
                                                  + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                                                  + "\"arguments\":\"{\\\"city\\\": \\\"Par\"}}]},"
                                                  + "\"finish_reason\":\"tool_calls\"}]}";

    static String chatReply(String content) throws Exception {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o-mini\","
               + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
               + JSON.writeValueAsString(content) + ",\"refusal\":null},\"finish_reason\":\"stop\"}],"
               + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}";
    }

    @TempDir
    Path dir;

    private String uri(String options) {
        return "llmqueue:openai?model=gpt-4o-mini&baseUrl=" + baseUrl("/v1") + (options.isEmpty() ? "" : "&" + options);
    }

    // ---- tools: request ----

    @Test
    void toolsOptionIsSentAsTools() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri(toolsOption()), "Weather in Paris?");

        assertEquals(tree(WEATHER_TOOLS), json(takeRequest()).path("tools"));
    }

    @Test
    void toolChoiceAutoNoneRequiredAreSentAsTheirString() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri(toolsOption() + "&toolChoice=required"), "Weather in Paris?");

        assertEquals("required", json(takeRequest()).path("tool_choice").asText());
    }

    @Test
    void toolChoiceNamingAToolIsSentAsAFunctionObject() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri(toolsOption() + "&toolChoice=get_weather"), "Weather in Paris?");

        assertEquals(tree("{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}"),
                json(takeRequest()).path("tool_choice"));
    }

    @Test
    void withoutToolsNeitherToolsNorToolChoiceIsSent() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri("toolChoice=auto"), "Hello!");

        JsonNode json = json(takeRequest());
        assertFalse(json.has("tools"), json.toString());
        assertFalse(json.has("tool_choice"), "OpenAI rejects tool_choice without tools: " + json);
    }

    @Test
    void toolsFromAClasspathResourceAreSent() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri("tools=resource:classpath:llmqueue/weather-tools.json"), "Weather in Paris?");

        JsonNode tools = json(takeRequest()).path("tools");
        assertEquals("get_weather", tools.path(0).path("function").path("name").asText());
        assertEquals(tree("[\"city\"]"), tools.path(0).path("function").path("parameters").path("required"));
    }

    @Test
    void toolsFromAFileResourceAreSent() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);
        Path file = Files.writeString(dir.resolve("tools.json"), WEATHER_TOOLS);

        sendOk(uri("tools=resource:file:" + file), "Weather in Paris?");

        assertEquals(tree(WEATHER_TOOLS), json(takeRequest()).path("tools"));
    }

    @Test
    void toolsFromABeanListAreSent() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);
        context.getRegistry().bind("searchTools", toolsAsList("search"));

        sendOk(uri("tools=#bean:searchTools"), "Find it");

        assertEquals(JSON.valueToTree(toolsAsList("search")), json(takeRequest()).path("tools"));
    }

    @Test
    void toolsHeaderAsAListOverridesTheToolsOption() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri(toolsOption()), "Find it", Map.of(LlmQueueConstants.TOOLS, toolsAsList("search")));

        assertEquals(JSON.valueToTree(toolsAsList("search")), json(takeRequest()).path("tools"));
    }

    @Test
    void toolsHeaderAsAJsonStringIsSent() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri(""), "Weather?", Map.of(LlmQueueConstants.TOOLS, WEATHER_TOOLS));

        assertEquals(tree(WEATHER_TOOLS), json(takeRequest()).path("tools"));
    }

    @Test
    void aConversationWithAToolCallAndItsResultIsSentAsGiven() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);
        Map<String, Object> call = map("id", "call_abc123", "type", "function",
                "function", map("name", "get_weather", "arguments", "{\"city\":\"Paris\"}"));
        List<Map<String, Object>> conversation = List.of(
                map("role", "user", "content", "Weather in Paris?"),
                map("role", "assistant", "content", null, "tool_calls", List.of(call)),
                map("role", "tool", "tool_call_id", "call_abc123", "content", "18 C, sunny"));

        sendOk(uri(toolsOption()), conversation);

        assertEquals(JSON.valueToTree(conversation), json(takeRequest()).path("messages"));
    }

    // ---- tools: reply ----

    @Test
    void aToolCallSetsToolCallsWithTheParsedArgumentsAndTheirJsonText() {
        serveJson(TOOL_CALL_REPLY);

        Exchange exchange = sendOk(uri(toolsOption()), "Weather in Paris?");

        List<?> calls = assertInstanceOf(List.class, exchange.getMessage().getHeader(LlmQueueConstants.TOOL_CALLS));
        assertEquals(1, calls.size());
        Map<?, ?> call = assertInstanceOf(Map.class, calls.get(0));
        assertEquals("call_abc123", call.get("id"));
        assertEquals("get_weather", call.get("name"));
        assertEquals(Map.of("city", "Paris"), call.get("arguments"));
        assertEquals("{\"city\": \"Paris\"}", call.get("argumentsJson"));
    }

    @Test
    void aToolCallReplyHasANullBodyAndFinishReasonToolCalls() {
        serveJson(TOOL_CALL_REPLY);

        Exchange exchange = sendOk(uri(toolsOption()), "Weather in Paris?");

        assertNull(exchange.getMessage().getBody());
        assertEquals("tool_calls", exchange.getMessage().getHeader(LlmQueueConstants.FINISH_REASON));
    }

    @Test
    void severalToolCallsInOneReplyComeInTheirOrder() {
        serveJson(TWO_TOOL_CALLS_REPLY);

        Exchange exchange = sendOk(uri(toolsOption()), "Weather and time in Paris?");

        List<?> calls = exchange.getMessage().getHeader(LlmQueueConstants.TOOL_CALLS, List.class);
        assertEquals(2, calls.size());
        assertEquals("call_1", ((Map<?, ?>) calls.get(0)).get("id"));
        assertEquals("get_weather", ((Map<?, ?>) calls.get(0)).get("name"));
        assertEquals("call_2", ((Map<?, ?>) calls.get(1)).get("id"));
        assertEquals("get_time", ((Map<?, ?>) calls.get(1)).get("name"));
        assertEquals(Map.of(), ((Map<?, ?>) calls.get(1)).get("arguments"));
    }

    @Test
    void argumentsThatAreNotValidJsonKeepOnlyTheirTextAndTheExchangeSucceeds() {
        serveJson(INVALID_ARGUMENTS_REPLY);

        Exchange exchange = sendOk(uri(toolsOption()), "Weather in Paris?");

        Map<?, ?> call = (Map<?, ?>) exchange.getMessage().getHeader(LlmQueueConstants.TOOL_CALLS, List.class).get(0);
        assertFalse(call.containsKey("arguments"), call.toString());
        assertEquals("{\"city\": \"Par", call.get("argumentsJson"));
    }

    @Test
    void theAssistantMessageOfAToolCallCarriesTheToolCallsAsTheServerSentThem() throws Exception {
        serveJson(TOOL_CALL_REPLY);

        Exchange exchange = sendOk(uri(toolsOption()), "Weather in Paris?");

        Map<?, ?> message = exchange.getMessage().getHeader(LlmQueueConstants.ASSISTANT_MESSAGE, Map.class);
        assertEquals("assistant", message.get("role"));
        assertTrue(message.containsKey("content") && message.get("content") == null, message.toString());
        assertEquals(tree(TOOL_CALL_REPLY).path("choices").path(0).path("message").path("tool_calls"),
                JSON.valueToTree(message.get("tool_calls")));
    }

    @Test
    void everyChatReplySetsTheAssistantMessage() {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        Exchange exchange = sendOk(uri(""), "Hello!");

        assertEquals(map("role", "assistant", "content", "Hello there, how may I assist you today?"),
                exchange.getMessage().getHeader(LlmQueueConstants.ASSISTANT_MESSAGE));
    }

    @Test
    void aReplyWithoutToolCallsRemovesTheToolCallsOfAnEarlierTurn() {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        Exchange exchange = sendOk(uri(toolsOption()), "Thanks",
                Map.of(LlmQueueConstants.TOOL_CALLS, List.of(Map.of("id", "call_old"))));

        assertNull(exchange.getMessage().getHeader(LlmQueueConstants.TOOL_CALLS));
    }

    // ---- structured output ----

    @Test
    void responseFormatJsonSendsJsonObject() throws Exception {
        serveJson(chatReply("{\"ok\":true}"));

        Exchange exchange = sendOk(uri("responseFormat=json"), "Answer in JSON");

        assertEquals(tree("{\"type\":\"json_object\"}"), json(takeRequest()).path("response_format"));
        assertEquals("{\"ok\":true}", exchange.getMessage().getBody());
    }

    @Test
    void jsonSchemaIsSentAsStrictJsonSchemaNamedResponse() throws Exception {
        serveJson(chatReply("{\"name\":\"Paris\",\"population\":2100000}"));

        sendOk(uri("jsonSchema=RAW(" + CITY_SCHEMA + ")"), "Describe Paris");

        JsonNode format = json(takeRequest()).path("response_format");
        assertEquals("json_schema", format.path("type").asText());
        assertEquals("response", format.path("json_schema").path("name").asText());
        assertEquals(tree(CITY_SCHEMA), format.path("json_schema").path("schema"));
        assertTrue(format.path("json_schema").path("strict").booleanValue());
    }

    @Test
    void jsonSchemaNameNamesTheSchema() throws Exception {
        serveJson(chatReply("{\"name\":\"Paris\",\"population\":2100000}"));

        sendOk(uri("jsonSchemaName=city&jsonSchema=RAW(" + CITY_SCHEMA + ")"), "Describe Paris");

        assertEquals("city", json(takeRequest()).path("response_format").path("json_schema").path("name").asText());
    }

    @Test
    void jsonSchemaFromAClasspathResourceIsSent() throws Exception {
        serveJson(chatReply("{\"name\":\"Paris\",\"population\":2100000}"));

        sendOk(uri("jsonSchema=resource:classpath:llmqueue/city-schema.json"), "Describe Paris");

        assertEquals(tree(CITY_SCHEMA), json(takeRequest()).path("response_format").path("json_schema").path("schema"));
    }

    @Test
    void jsonSchemaHeaderOverridesTheOptionAndAsksForJsonSchema() throws Exception {
        serveJson(chatReply("{\"n\":1}"));
        String schema = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},\"required\":[\"n\"],"
                        + "\"additionalProperties\":false}";

        sendOk(uri(""), "Count", Map.of(LlmQueueConstants.JSON_SCHEMA, schema));

        JsonNode format = json(takeRequest()).path("response_format");
        assertEquals("json_schema", format.path("type").asText());
        assertEquals(tree(schema), format.path("json_schema").path("schema"));
    }

    @Test
    void outputClassSendsASchemaGeneratedForStrictModeAndBindsTheReply() throws Exception {
        serveJson(chatReply("{\"name\":\"Paris\",\"population\":2100000,\"landmarks\":[\"Louvre\"],"
                            + "\"location\":{\"latitude\":48.85,\"longitude\":2.35}}"));

        Exchange exchange = sendOk(uri("outputClass=" + City.class.getName()), "Describe Paris");

        JsonNode schema = json(takeRequest()).path("response_format").path("json_schema").path("schema");
        assertEquals("object", schema.path("type").asText());
        assertFalse(schema.path("additionalProperties").asBoolean(true), schema.toString());
        assertEquals(tree("[\"landmarks\",\"location\",\"name\",\"population\"]"), sorted(schema.path("required")));
        JsonNode location = schema.path("properties").path("location");
        assertFalse(location.path("additionalProperties").asBoolean(true), "nested objects too: " + schema);
        assertEquals(tree("[\"latitude\",\"longitude\"]"), sorted(location.path("required")));
        City city = assertInstanceOf(City.class, exchange.getMessage().getBody());
        assertEquals("Paris", city.name);
        assertEquals(2100000, city.population);
        assertEquals(List.of("Louvre"), city.landmarks);
        assertEquals(48.85, city.location.latitude);
    }

    private static JsonNode sorted(JsonNode array) {
        List<String> names = new java.util.ArrayList<>();
        array.forEach(n -> names.add(n.asText()));
        names.sort(null);
        return JSON.valueToTree(names);
    }

    @Test
    void aReplyThatIsNotJsonWhenJsonWasAskedFailsWithoutRetryQuotingAtMost500Characters() {
        String content = "Sure! " + "x".repeat(600) + "TAIL";
        serveJson(OpenAiProviderTest.CHAT_REPLY.replace("Hello there, how may I assist you today?", content));

        LlmProviderException failure = sendFailing(uri("responseFormat=json&maxRetries=2"), "Answer in JSON");

        assertFalse(failure.isRetryable());
        assertEquals(1, server.getRequestCount(), "not retried");
        assertEquals(200, failure.getStatusCode());
        assertTrue(failure.getMessage().contains(content.substring(0, 500)), failure.getMessage());
        assertFalse(failure.getMessage().contains(content.substring(0, 501)), failure.getMessage());
        assertMentions(failure, "JSON", "responseFormat=json");
    }

    @Test
    void aReplyThatDoesNotBindToOutputClassFailsNamingTheClass() throws Exception {
        serveJson(chatReply("{\"name\":\"Paris\",\"population\":\"many\"}"));

        LlmProviderException failure = sendFailing(uri("outputClass=" + City.class.getName()), "Describe Paris");

        assertFalse(failure.isRetryable());
        assertMentions(failure, City.class.getName(), "\"population\":\"many\"");
    }

    @Test
    void aToolCallIsNotCheckedAsJsonOutput() {
        serveJson(TOOL_CALL_REPLY);

        Exchange exchange = sendOk(uri(toolsOption() + "&responseFormat=json"), "Weather in Paris?");

        assertNull(exchange.getMessage().getBody());
        assertEquals(1, exchange.getMessage().getHeader(LlmQueueConstants.TOOL_CALLS, List.class).size());
    }

    // ---- images ----

    @Test
    void imagesTurnTheLastUserMessageIntoATextPartAndImageUrlParts() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri(""), "What is in this picture?", Map.of(LlmQueueConstants.IMAGES, Images.PNG));

        JsonNode content = json(takeRequest()).path("messages").path(0).path("content");
        assertEquals(tree("[{\"type\":\"text\",\"text\":\"What is in this picture?\"},{\"type\":\"image_url\","
                          + "\"image_url\":{\"url\":\"data:image/png;base64,"
                          + Base64.getEncoder().encodeToString(Images.PNG) + "\"}}]"),
                content);
    }

    @ParameterizedTest
    @ValueSource(strings = { "png", "jpeg", "gif", "webp" })
    void theMimeTypeIsSniffedFromTheBytes(String type) throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);
        byte[] bytes = switch (type) {
            case "png" -> Images.PNG;
            case "jpeg" -> Images.JPEG;
            case "gif" -> Images.GIF;
            default -> Images.WEBP;
        };

        sendOk(uri(""), "What is it?", Map.of(LlmQueueConstants.IMAGES, List.of(bytes)));

        String url = json(takeRequest()).path("messages").path(0).path("content").path(1).path("image_url")
                .path("url").asText();
        assertTrue(url.startsWith("data:image/" + type + ";base64,"), url);
    }

    @Test
    void aBase64StringImageIsDecodedToSniffItsType() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri(""), "What is it?", Map.of(LlmQueueConstants.IMAGES, Base64.getEncoder().encodeToString(Images.GIF)));

        assertEquals("data:image/gif;base64," + Base64.getEncoder().encodeToString(Images.GIF),
                json(takeRequest()).path("messages").path(0).path("content").path(1).path("image_url").path("url")
                        .asText());
    }

    @Test
    void imagesFromAFileAPathAndAWrappedFileAreRead() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);
        File png = Files.write(dir.resolve("a.png"), Images.PNG).toFile();
        Path jpeg = Files.write(dir.resolve("b.jpg"), Images.JPEG);
        org.apache.camel.component.file.GenericFile<File> gif = new org.apache.camel.component.file.GenericFile<>();
        gif.setFile(Files.write(dir.resolve("c.gif"), Images.GIF).toFile());

        sendOk(uri(""), "Compare", Map.of(LlmQueueConstants.IMAGES, List.of(png, jpeg, gif)));

        JsonNode content = json(takeRequest()).path("messages").path(0).path("content");
        assertEquals(4, content.size(), content.toString());
        assertTrue(content.path(1).path("image_url").path("url").asText().startsWith("data:image/png;"));
        assertTrue(content.path(2).path("image_url").path("url").asText().startsWith("data:image/jpeg;"));
        assertTrue(content.path(3).path("image_url").path("url").asText().startsWith("data:image/gif;"));
    }

    @Test
    void imagesGoOnTheLastUserMessageOfAConversation() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);
        List<Map<String, Object>> conversation = conversation("system", "Be brief.", "user", "Hi", "assistant", "Hello",
                "user", "And this?", "assistant", "(thinking)");

        sendOk(uri(""), conversation, Map.of(LlmQueueConstants.IMAGES, Images.PNG));

        JsonNode messages = json(takeRequest()).path("messages");
        assertEquals("Hi", messages.path(1).path("content").asText());
        assertEquals("And this?", messages.path(3).path("content").path(0).path("text").asText());
        assertEquals("image_url", messages.path(3).path("content").path(1).path("type").asText());
    }

    @Test
    void messagesThatAlreadyCarryContentPartsPassThroughUntouched() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);
        List<Map<String, Object>> conversation = List.of(map("role", "user", "content", List.of(
                map("type", "text", "text", "What is it?"),
                map("type", "image_url", "image_url", map("url", "https://example.com/cat.png")))));

        sendOk(uri(""), conversation);

        assertEquals(JSON.valueToTree(conversation), json(takeRequest()).path("messages"));
    }

    // ---- body properties ----

    @Test
    void bodyPropertiesAreSentAsJsonWhenTheyAreJsonAndAsStringsOtherwise() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri("bodyProperties.seed=42&bodyProperties.top_p=0.9&bodyProperties.user=alice"
                   + "&bodyProperties.logprobs=true&bodyProperties.stop=RAW([\"END\"])"
                   + "&bodyProperties.stream_options.include_usage=false"),
                "Hello!");

        JsonNode json = json(takeRequest());
        assertTrue(json.path("seed").isInt(), json.toString());
        assertEquals(42, json.path("seed").intValue());
        assertEquals(0.9, json.path("top_p").doubleValue());
        assertEquals("alice", json.path("user").textValue());
        assertTrue(json.path("logprobs").booleanValue());
        assertEquals(tree("[\"END\"]"), json.path("stop"));
        assertEquals(tree("{\"include_usage\":false}"), json.path("stream_options"));
    }

    @Test
    void theBodyPropertiesHeaderIsMergedOverTheOption() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri("bodyProperties.seed=42&bodyProperties.top_p=0.9"), "Hello!",
                Map.of(LlmQueueConstants.BODY_PROPERTIES, map("seed", 7, "presence_penalty", 0.5)));

        JsonNode json = json(takeRequest());
        assertEquals(7, json.path("seed").intValue());
        assertEquals(0.9, json.path("top_p").doubleValue());
        assertEquals(0.5, json.path("presence_penalty").doubleValue());
    }

    @ParameterizedTest
    @ValueSource(strings = { "model", "messages", "prompt", "input", "stream" })
    void aBodyPropertyNamingAFieldTheComponentOwnsFailsAtEndpointCreation(String key) {
        IllegalArgumentException failure = creationFailure(uri("bodyProperties." + key + "=x"));

        assertMentions(failure, "bodyProperties." + key);
    }

    @Test
    void aBodyPropertyCollidingWithAnOptionFailsAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri("temperature=0.2&bodyProperties.temperature=0.9"));

        assertMentions(failure, "bodyProperties.temperature", "temperature");
    }

    @Test
    void aBodyPropertiesHeaderCollidingWithAFieldTheComponentSetsFailsTheExchangeAndSendsNothing() {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        IllegalArgumentException failure = badInput(uri(toolsOption()), "Hello!",
                Map.of(LlmQueueConstants.BODY_PROPERTIES, Map.of("tools", List.of())));

        assertMentions(failure, LlmQueueConstants.BODY_PROPERTIES, "tools");
    }

    // ---- HTTP headers and the API key ----

    @Test
    void httpHeadersAreSentWithTheCall() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri("httpHeaders.HTTP-Referer=https://myapp.example&httpHeaders.X-Title=My App"), "Hello!");

        RecordedRequest request = takeRequest();
        assertEquals("https://myapp.example", request.getHeaders().get("HTTP-Referer"));
        assertEquals("My App", request.getHeaders().get("X-Title"));
    }

    @Test
    void httpHeaderValuesAppearNeitherInAFailureNorInTheDisplayedEndpoint() {
        serve(401, "{\"error\":{\"message\":\"Invalid tenant.\",\"type\":\"invalid_request_error\"}}",
                "Content-Type", "application/json");
        String uri = uri("httpHeaders.X-Tenant=tenant-secret-77");

        LlmProviderException failure = sendFailing(uri, "Hello!");

        assertFalse(allText(failure).contains("tenant-secret-77"), allText(failure));
        assertFalse(context.getEndpoint(uri).toString().contains("tenant-secret-77"), context.getEndpoint(uri).toString());
    }

    @Test
    void anotherApiKeyHeaderCarriesTheKeyAsItIs() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri("apiKey=azure-key-1&apiKeyHeader=api-key"), "Hello!");

        RecordedRequest request = takeRequest();
        assertEquals("azure-key-1", request.getHeaders().get("api-key"));
        assertNull(request.getHeaders().get("Authorization"));
    }

    // ---- the whole request as a Map, the whole reply as a Map ----

    @Test
    void aMapBodyIsTheWholeRequestWithTheModelFilledInAndBodyPropertiesUnderIt() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);
        Map<String, Object> request = map("messages", List.of(map("role", "user", "content", "Hi")),
                "seed", 1, "logit_bias", map("50256", -100));

        sendOk(uri("bodyProperties.seed=42&bodyProperties.top_p=0.5"), request);

        assertEquals(tree("{\"model\":\"gpt-4o-mini\",\"seed\":1,\"top_p\":0.5,\"messages\":[{\"role\":\"user\","
                          + "\"content\":\"Hi\"}],\"logit_bias\":{\"50256\":-100}}"),
                json(takeRequest()));
    }

    @Test
    void aMapBodyKeepsItsOwnModel() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        sendOk(uri(""), map("model", "gpt-4o", "messages", List.of(map("role", "user", "content", "Hi"))));

        assertEquals("gpt-4o", json(takeRequest()).path("model").asText());
    }

    @Test
    void rawResponseGivesTheWholeReplyAsAMapWithTheUsualHeaders() throws Exception {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        Exchange exchange = sendOk(uri("rawResponse=true"), "Hello!");

        Map<?, ?> body = assertInstanceOf(Map.class, exchange.getMessage().getBody());
        assertEquals(tree(OpenAiProviderTest.CHAT_REPLY), JSON.valueToTree(body));
        assertEquals(Integer.valueOf(9), exchange.getMessage().getHeader(LlmQueueConstants.PROMPT_TOKENS));
        assertEquals("stop", exchange.getMessage().getHeader(LlmQueueConstants.FINISH_REASON));
    }

    // ---- bad input: fails before anything is sent ----

    @Test
    void toolsThatAreNotAJsonArrayFailAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri("tools=RAW({\"type\":\"function\"})"));

        assertMentions(failure, "tools", "array");
    }

    @Test
    void aToolWithoutAFunctionNameFailsAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri("tools=RAW([{\"type\":\"function\",\"function\":{}}])"));

        assertMentions(failure, "tools", "tool 0", "name");
    }

    @Test
    void aToolsResourceThatIsMissingFailsAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri("tools=resource:classpath:llmqueue/nope.json"));

        assertMentions(failure, "tools", "llmqueue/nope.json");
    }

    @Test
    void toolsWithAnotherOperationThanChatFailAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri(toolsOption() + "&operation=embed"));

        assertMentions(failure, "tools", "chat");
    }

    @Test
    void aToolsHeaderThatIsNotJsonFailsTheExchangeAndSendsNothing() {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        IllegalArgumentException failure = badInput(uri(""), "Hi", Map.of(LlmQueueConstants.TOOLS, "[{not json"));

        assertMentions(failure, LlmQueueConstants.TOOLS, "not valid JSON");
    }

    @Test
    void aToolChoiceOfUnknownShapeFailsAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri(toolsOption() + "&toolChoice=RAW(any tool please)"));

        assertMentions(failure, "toolChoice", "auto, none, required");
    }

    @Test
    void aToolChoiceNamingAToolThatIsNotOfferedFailsAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri(toolsOption() + "&toolChoice=get_time"));

        assertMentions(failure, "toolChoice", "get_time", "get_weather");
    }

    @Test
    void aJsonSchemaThatIsNotJsonFailsAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri("jsonSchema=RAW({\"type\":)"));

        assertMentions(failure, "jsonSchema", "not valid JSON");
    }

    @Test
    void aJsonSchemaResourceThatIsMissingFailsAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri("jsonSchema=resource:classpath:llmqueue/missing.json"));

        assertMentions(failure, "jsonSchema", "llmqueue/missing.json");
    }

    @Test
    void aJsonSchemaHeaderThatIsNotJsonFailsTheExchangeAndSendsNothing() {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        IllegalArgumentException failure = badInput(uri(""), "Hi", Map.of(LlmQueueConstants.JSON_SCHEMA, "{oops"));

        assertMentions(failure, LlmQueueConstants.JSON_SCHEMA, "not valid JSON");
    }

    @Test
    void responseFormatJsonSchemaWithoutASchemaFailsAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri("responseFormat=jsonSchema"));

        assertMentions(failure, "responseFormat", "jsonSchema", "outputClass");
    }

    @Test
    void anOutputClassThatCannotBeLoadedFailsAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri("outputClass=com.example.NoSuchClass"));

        assertMentions(failure, "outputClass", "com.example.NoSuchClass");
    }

    @Test
    void jsonOutputWithTheCompletionsApiFailsAtEndpointCreation() {
        IllegalArgumentException failure = creationFailure(uri("operation=generate&responseFormat=json"));

        assertMentions(failure, "responseFormat", "generate");
    }

    @Test
    void anImageOfAnUnknownTypeFailsTheExchangeNamingTheTypeAndSendsNothing() {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        IllegalArgumentException failure = badInput(uri(""), "What is it?",
                Map.of(LlmQueueConstants.IMAGES, List.of(Images.PNG, Images.PDF)));

        assertMentions(failure, LlmQueueConstants.IMAGES, "item 1", "PDF");
    }

    @Test
    void anUnreadableImageFileFailsTheExchangeAndSendsNothing() {
        serveJson(OpenAiProviderTest.CHAT_REPLY);
        File missing = dir.resolve("missing.png").toFile();

        IllegalArgumentException failure = badInput(uri(""), "What is it?", Map.of(LlmQueueConstants.IMAGES, missing));

        assertMentions(failure, LlmQueueConstants.IMAGES, "missing.png");
    }

    @Test
    void imagesWithoutAUserMessageFailTheExchangeAndSendNothing() {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        IllegalArgumentException failure = badInput(uri(""), conversation("system", "Be brief."),
                Map.of(LlmQueueConstants.IMAGES, Images.PNG));

        assertMentions(failure, LlmQueueConstants.IMAGES, "no user message");
    }

    @Test
    void aReservedBodyPropertyInTheHeaderFailsTheExchangeAndSendsNothing() {
        serveJson(OpenAiProviderTest.CHAT_REPLY);

        IllegalArgumentException failure = badInput(uri(""), "Hi",
                Map.of(LlmQueueConstants.BODY_PROPERTIES, Map.of("stream", true)));

        assertMentions(failure, LlmQueueConstants.BODY_PROPERTIES, "stream");
    }
}
