package dev.llmqueue.camel;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import mockwebserver3.RecordedRequest;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pins the OpenAI-compatible wire format ({base}/chat/completions, /completions, /embeddings) and how its answers and
 * failures reach the exchange.
 */
class OpenAiProviderTest extends ProviderTestSupport {

    static final String CHAT_REPLY = "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion\",\"created\":1677652288,"
                                     + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                     + "\"assistant\",\"content\":\"Hello there, how may I assist you today?\","
                                     + "\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                                     + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}";
    static final String COMPLETION_REPLY = "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1589478378,"
                                           + "\"model\":\"gpt-3.5-turbo-instruct\",\"choices\":[{\"text\":"
                                           + "\"This is indeed a test\",\"index\":0,\"logprobs\":null,"
                                           + "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":5,"
                                           + "\"completion_tokens\":7,\"total_tokens\":12}}";
    static final String EMBED_REPLY = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"embedding\":"
                                      + "[0.0023064255,-0.009327292,-0.0028842222],\"index\":0}],"
                                      + "\"model\":\"text-embedding-3-small\","
                                      + "\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}";
    /** Three embeddings, served out of index order. */
    static final String EMBED_BATCH_REPLY = "{\"object\":\"list\",\"data\":["
                                            + "{\"object\":\"embedding\",\"embedding\":[2.0,2.5],\"index\":2},"
                                            + "{\"object\":\"embedding\",\"embedding\":[0.0,0.5],\"index\":0},"
                                            + "{\"object\":\"embedding\",\"embedding\":[1.0,1.5],\"index\":1}],"
                                            + "\"model\":\"text-embedding-3-small\","
                                            + "\"usage\":{\"prompt_tokens\":12,\"total_tokens\":12}}";

    private String chatUri() {
        return "llmqueue:openai?model=gpt-4o-mini&baseUrl=" + baseUrl("/v1");
    }

    private String uri(String options) {
        return "llmqueue:openai?baseUrl=" + baseUrl("/v1") + (options.isEmpty() ? "" : "&" + options);
    }

    // ---- chat: request ----

    @Test
    void chatPostsJsonToV1ChatCompletions() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri(), "Hello!");

        RecordedRequest request = takeRequest();
        assertEquals("POST", request.getMethod());
        assertEquals("/v1/chat/completions", request.getUrl().encodedPath());
        assertEquals("application/json", mediaType(request));
    }

    @Test
    void chatWithStringBodySendsModelAndOneUserMessage() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri(), "Hello!");

        JsonNode json = json(takeRequest());
        assertEquals("gpt-4o-mini", json.path("model").asText());
        assertMessages(json.path("messages"), "user", "Hello!");
    }

    @Test
    void chatDoesNotAskForStreaming() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri(), "Hello!");

        JsonNode json = json(takeRequest());
        assertFalse(json.path("stream").asBoolean(false), "stream: " + json);
        assertFalse(json.has("stream_options"), "stream_options: " + json);
    }

    @Test
    void chatSendsNoPriorityField() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri() + "&priority=LOW", "Hello!");

        assertFalse(json(takeRequest()).has("priority"), "vLLM rejects priority unless configured for it");
    }

    @Test
    void chatWithSystemMessageOptionSendsTheSystemMessageFirst() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri() + "&systemMessage=RAW(You are a helpful assistant.)", "Hello!");

        assertMessages(json(takeRequest()).path("messages"),
                "system", "You are a helpful assistant.",
                "user", "Hello!");
    }

    @Test
    void chatWithConversationListSendsItAsGivenWithoutTheSystemMessageOption() throws Exception {
        serveJson(CHAT_REPLY);
        List<Map<String, Object>> conversation = conversation(
                "system", "You are terse.",
                "user", "Hello!",
                "assistant", "Hi.",
                "user", "How are you?");

        sendOk(chatUri() + "&systemMessage=RAW(You are a helpful assistant.)", conversation);

        assertMessages(json(takeRequest()).path("messages"),
                "system", "You are terse.",
                "user", "Hello!",
                "assistant", "Hi.",
                "user", "How are you?");
    }

    @Test
    void temperatureAndMaxTokensAreSentAsTemperatureAndMaxTokens() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri() + "&temperature=0.7&maxTokens=100", "Hello!");

        JsonNode json = json(takeRequest());
        assertEquals(0.7, json.path("temperature").doubleValue());
        assertEquals(100, json.path("max_tokens").intValue());
        assertTrue(json.path("max_tokens").isIntegralNumber());
        assertFalse(json.has("options"), "options is not an OpenAI field: " + json);
    }

    @Test
    void temperatureAndMaxTokensAreAbsentWhenNotSet() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri(), "Hello!");

        JsonNode json = json(takeRequest());
        assertFalse(json.has("temperature"), "temperature: " + json);
        assertFalse(json.has("max_tokens"), "max_tokens: " + json);
        assertFalse(json.has("max_completion_tokens"), "max_completion_tokens: " + json);
    }

    @Test
    void modelHeaderOverridesTheModelOption() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri(), "Hello!", Map.of(LlmQueueConstants.MODEL, "gpt-4o"));

        assertEquals("gpt-4o", json(takeRequest()).path("model").asText());
    }

    @Test
    void systemMessageHeaderOverridesTheSystemMessageOption() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri() + "&systemMessage=RAW(You are a helpful assistant.)", "Hello!",
                Map.of(LlmQueueConstants.SYSTEM_MESSAGE, "You are a pirate."));

        assertMessages(json(takeRequest()).path("messages"),
                "system", "You are a pirate.",
                "user", "Hello!");
    }

    // ---- chat: reply ----

    @Test
    void chatReplyFirstChoiceContentBecomesTheBody() {
        serveJson(CHAT_REPLY);

        Exchange exchange = sendOk(chatUri(), "Hello!");

        assertEquals("Hello there, how may I assist you today?", exchange.getMessage().getBody());
    }

    @Test
    void chatReplySetsUsageModelAndFinishReasonHeaders() {
        serveJson(CHAT_REPLY);

        Exchange exchange = sendOk(chatUri(), "Hello!");

        assertEquals(Integer.valueOf(9), exchange.getMessage().getHeader(LlmQueueConstants.PROMPT_TOKENS));
        assertEquals(Integer.valueOf(12), exchange.getMessage().getHeader(LlmQueueConstants.COMPLETION_TOKENS));
        assertEquals("gpt-4o-mini", exchange.getMessage().getHeader(LlmQueueConstants.RESPONSE_MODEL));
        assertEquals("stop", exchange.getMessage().getHeader(LlmQueueConstants.FINISH_REASON));
    }

    @Test
    void chatSetsRequestIdWaitTimeAndCallTimeHeaders() {
        serveJson(CHAT_REPLY);

        Exchange exchange = sendOk(chatUri(), "Hello!");

        String id = assertInstanceOf(String.class, exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID));
        assertFalse(id.isBlank());
        Long wait = assertInstanceOf(Long.class, exchange.getMessage().getHeader(LlmQueueConstants.WAIT_TIME));
        Long call = assertInstanceOf(Long.class, exchange.getMessage().getHeader(LlmQueueConstants.CALL_TIME));
        assertTrue(wait >= 0, "wait time " + wait);
        assertTrue(call >= 0, "call time " + call);
    }

    // ---- generate ----

    @Test
    void generatePostsModelAndPromptToV1Completions() throws Exception {
        serveJson(COMPLETION_REPLY);

        sendOk(uri("model=gpt-3.5-turbo-instruct&operation=generate"), "Say this is a test");

        RecordedRequest request = takeRequest();
        assertEquals("POST", request.getMethod());
        assertEquals("/v1/completions", request.getUrl().encodedPath());
        assertEquals("application/json", mediaType(request));
        JsonNode json = json(request);
        assertEquals("gpt-3.5-turbo-instruct", json.path("model").asText());
        assertEquals("Say this is a test", json.path("prompt").asText());
        assertFalse(json.has("messages"), "messages: " + json);
        assertFalse(json.path("stream").asBoolean(false), "stream: " + json);
    }

    @Test
    void generateReplyFirstChoiceTextBecomesTheBody() {
        serveJson(COMPLETION_REPLY);

        Exchange exchange = sendOk(uri("model=gpt-3.5-turbo-instruct&operation=generate"), "Say this is a test");

        assertEquals("This is indeed a test", exchange.getMessage().getBody());
        assertEquals(Integer.valueOf(5), exchange.getMessage().getHeader(LlmQueueConstants.PROMPT_TOKENS));
        assertEquals(Integer.valueOf(7), exchange.getMessage().getHeader(LlmQueueConstants.COMPLETION_TOKENS));
        assertEquals("gpt-3.5-turbo-instruct", exchange.getMessage().getHeader(LlmQueueConstants.RESPONSE_MODEL));
        assertEquals("length", exchange.getMessage().getHeader(LlmQueueConstants.FINISH_REASON));
    }

    // ---- embed ----

    @Test
    void embedOneStringPostsItAsInputToV1Embeddings() throws Exception {
        serveJson(EMBED_REPLY);

        sendOk(uri("model=text-embedding-3-small&operation=embed"), "The food was delicious");

        RecordedRequest request = takeRequest();
        assertEquals("POST", request.getMethod());
        assertEquals("/v1/embeddings", request.getUrl().encodedPath());
        JsonNode json = json(request);
        assertEquals("text-embedding-3-small", json.path("model").asText());
        assertTrue(json.path("input").isTextual(), "input: " + json);
        assertEquals("The food was delicious", json.path("input").asText());
    }

    @Test
    void embedOneStringGivesAFloatArray() {
        serveJson(EMBED_REPLY);

        Exchange exchange = sendOk(uri("model=text-embedding-3-small&operation=embed"), "The food was delicious");

        float[] vector = assertInstanceOf(float[].class, exchange.getMessage().getBody());
        assertArrayEquals(new float[] { 0.0023064255f, -0.009327292f, -0.0028842222f }, vector);
    }

    @Test
    void embedListOfStringsGivesOneFloatArrayPerTextOrderedByIndex() throws Exception {
        serveJson(EMBED_BATCH_REPLY);

        Exchange exchange = sendOk(uri("model=text-embedding-3-small&operation=embed"),
                List.of("zero", "one", "two"));

        JsonNode input = json(takeRequest()).path("input");
        assertTrue(input.isArray(), "input: " + input);
        assertEquals(List.of("zero", "one", "two"),
                List.of(input.get(0).asText(), input.get(1).asText(), input.get(2).asText()));
        List<?> vectors = assertInstanceOf(List.class, exchange.getMessage().getBody());
        assertEquals(3, vectors.size());
        assertArrayEquals(new float[] { 0.0f, 0.5f }, assertInstanceOf(float[].class, vectors.get(0)));
        assertArrayEquals(new float[] { 1.0f, 1.5f }, assertInstanceOf(float[].class, vectors.get(1)));
        assertArrayEquals(new float[] { 2.0f, 2.5f }, assertInstanceOf(float[].class, vectors.get(2)));
    }

    // ---- errors ----

    @Test
    void invalidApiKey401FailsWithStatusUrlAndOpenAisErrorMessage() {
        serve(401, "{\"error\":{\"message\":\"Incorrect API key provided.\",\"type\":\"invalid_request_error\","
                   + "\"param\":null,\"code\":\"invalid_api_key\"}}",
                "Content-Type", "application/json");

        LlmProviderException failure = sendFailing(chatUri() + "&apiKey=sk-wrong", "Hello!");

        String url = urlOf("/v1/chat/completions");
        assertEquals(401, failure.getStatusCode());
        assertEquals("openai", failure.getProvider());
        assertEquals(url, failure.getUrl());
        assertEquals("Incorrect API key provided.", failure.getProviderMessage());
        assertTrue(failure.getMessage().contains("401"), failure.getMessage());
        assertTrue(failure.getMessage().contains(url), failure.getMessage());
        assertTrue(failure.getMessage().contains("Incorrect API key provided."), failure.getMessage());
    }

    @Test
    void insufficientQuota429FailsWithStatusUrlAndOpenAisErrorMessage() {
        String quota = "You exceeded your current quota, please check your plan and billing details.";
        serve(429, "{\"error\":{\"message\":\"" + quota + "\",\"type\":\"insufficient_quota\","
                   + "\"param\":null,\"code\":\"insufficient_quota\"}}",
                "Content-Type", "application/json");

        LlmProviderException failure = sendFailing(chatUri(), "Hello!");

        String url = urlOf("/v1/chat/completions");
        assertEquals(429, failure.getStatusCode());
        assertEquals("openai", failure.getProvider());
        assertEquals(url, failure.getUrl());
        assertEquals(quota, failure.getProviderMessage());
        assertTrue(failure.getMessage().contains("429"), failure.getMessage());
        assertTrue(failure.getMessage().contains(url), failure.getMessage());
        assertTrue(failure.getMessage().contains(quota), failure.getMessage());
    }

    @Test
    void insufficientQuota429IsSentOnceAndNeverRetried() {
        serve(429, "{\"error\":{\"message\":\"You exceeded your current quota.\",\"type\":\"insufficient_quota\","
                   + "\"param\":null,\"code\":\"insufficient_quota\"}}",
                "Content-Type", "application/json", "Retry-After", "1");

        LlmProviderException failure = sendFailing(chatUri(), "Hello!");

        assertEquals(429, failure.getStatusCode());
        assertEquals(1, server.getRequestCount(), "HTTP requests made for one exchange");
    }

    @Test
    void serverError500WithNonJsonBodyFailsWithTheRawText() {
        String raw = "upstream connect error or disconnect/reset before headers. reset reason: connection termination";
        serve(500, raw, "Content-Type", "text/plain");

        LlmProviderException failure = sendFailing(chatUri(), "Hello!");

        String url = urlOf("/v1/chat/completions");
        assertEquals(500, failure.getStatusCode());
        assertEquals("openai", failure.getProvider());
        assertEquals(url, failure.getUrl());
        assertEquals(raw, failure.getProviderMessage());
        assertTrue(failure.getMessage().contains("500"), failure.getMessage());
        assertTrue(failure.getMessage().contains(url), failure.getMessage());
        assertTrue(failure.getMessage().contains(raw), failure.getMessage());
    }

    @Test
    void malformedJsonReplyFailsSayingItIsNotJsonAndNamingTheUrl() {
        serveJson("{\"id\":\"chatcmpl-123\",\"choices\":[{\"index\":0,");

        LlmProviderException failure = sendFailing(chatUri(), "Hello!");

        assertEquals(200, failure.getStatusCode());
        assertEquals(urlOf("/v1/chat/completions"), failure.getUrl());
        assertTrue(failure.getMessage().contains("JSON"), failure.getMessage());
        assertTrue(failure.getMessage().contains(urlOf("/v1/chat/completions")), failure.getMessage());
    }

    @Test
    void chatReplyWithEmptyChoicesFailsNamingChoicesAndTheUrl() {
        serveJson("{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\",\"choices\":[],"
                  + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":0,\"total_tokens\":9}}");

        LlmProviderException failure = sendFailing(chatUri(), "Hello!");

        assertEquals(200, failure.getStatusCode());
        assertTrue(failure.getMessage().contains("'choices'"), failure.getMessage());
        assertTrue(failure.getMessage().contains(urlOf("/v1/chat/completions")), failure.getMessage());
    }

    @Test
    void chatReplyWithoutChoicesFailsNamingChoices() {
        serveJson("{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\"}");

        LlmProviderException failure = sendFailing(chatUri(), "Hello!");

        assertTrue(failure.getMessage().contains("'choices'"), failure.getMessage());
    }

    @Test
    void generateReplyWithoutTextFailsNamingChoicesText() {
        serveJson("{\"id\":\"cmpl-1\",\"choices\":[{\"index\":0,\"finish_reason\":\"length\"}]}");

        LlmProviderException failure = sendFailing(uri("model=gpt-3.5-turbo-instruct&operation=generate"), "Hi");

        assertTrue(failure.getMessage().contains("choices[0].text"), failure.getMessage());
        assertTrue(failure.getMessage().contains(urlOf("/v1/completions")), failure.getMessage());
    }

    @Test
    void connectionRefusedFailsWithStatusMinusOneNamingTheUrl() throws Exception {
        String base = "http://127.0.0.1:" + closedPort() + "/v1";

        LlmProviderException failure = sendFailing("llmqueue:openai?model=gpt-4o-mini&baseUrl=" + base, "Hello!");

        assertEquals(-1, failure.getStatusCode());
        assertEquals("openai", failure.getProvider());
        assertEquals(base + "/chat/completions", failure.getUrl());
        assertTrue(failure.getMessage().contains(base + "/chat/completions"), failure.getMessage());
    }

    // ---- headers ----

    @Test
    void providerResponseHeadersDoNotReachTheExchange() {
        serveJson(CHAT_REPLY, "X-Provider-Secret", "zzz", "Retry-After", "7", "x-ratelimit-remaining-requests", "59");

        Exchange exchange = sendOk(chatUri(), "Hello!");

        assertNull(exchange.getMessage().getHeader("X-Provider-Secret"));
        assertNull(exchange.getMessage().getHeader("Retry-After"));
        assertNull(exchange.getMessage().getHeader("x-ratelimit-remaining-requests"));
        assertNull(exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
        assertNull(exchange.getMessage().getHeader(Exchange.CONTENT_TYPE));
    }

    @Test
    void providerResponseHeadersOfAFailedCallDoNotReachTheExchange() {
        serve(401, "{\"error\":{\"message\":\"Incorrect API key provided.\",\"type\":\"invalid_request_error\","
                   + "\"param\":null,\"code\":\"invalid_api_key\"}}",
                "X-Provider-Secret", "zzz", "Retry-After", "7", "x-ratelimit-remaining-requests", "0");

        Exchange exchange = send(chatUri(), "Hello!");

        assertInstanceOf(LlmProviderException.class, exchange.getException());
        assertNull(exchange.getMessage().getHeader("X-Provider-Secret"));
        assertNull(exchange.getMessage().getHeader("Retry-After"));
        assertNull(exchange.getMessage().getHeader("x-ratelimit-remaining-requests"));
        assertNull(exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
    }

    @Test
    void userHeadersSurviveTheCall() {
        serveJson(CHAT_REPLY);

        Exchange exchange = sendOk(chatUri(), "Hello!", Map.of("MyHeader", "mine"));

        assertEquals("mine", exchange.getMessage().getHeader("MyHeader"));
    }

    @Test
    void userHeadersAreNotSentToTheServer() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri(), "Hello!", Map.of("MyHeader", "mine"));

        assertNull(takeRequest().getHeaders().get("MyHeader"));
    }

    // ---- api key ----

    @Test
    void apiKeyIsSentAsBearerAuthorization() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri() + "&apiKey=sk-test-123", "Hello!");

        assertEquals("Bearer sk-test-123", takeRequest().getHeaders().get("Authorization"));
    }

    @Test
    void apiKeyDoesNotAppearInTheFailure() {
        serve(401, "{\"error\":{\"message\":\"Incorrect API key provided.\",\"type\":\"invalid_request_error\","
                   + "\"param\":null,\"code\":\"invalid_api_key\"}}",
                "Content-Type", "application/json");

        LlmProviderException failure = sendFailing(chatUri() + "&apiKey=sk-test-123", "Hello!");

        assertEquals(401, failure.getStatusCode());
        assertFalse(allText(failure).contains("sk-test-123"), allText(failure));
        assertFalse(failure.getUrl().contains("sk-test-123"), failure.getUrl());
    }

    @Test
    void apiKeyDoesNotAppearWhenTheServerCannotBeReached() throws Exception {
        String base = "http://127.0.0.1:" + closedPort() + "/v1";

        LlmProviderException failure = sendFailing(
                "llmqueue:openai?model=gpt-4o-mini&apiKey=sk-test-123&baseUrl=" + base, "Hello!");

        assertEquals(-1, failure.getStatusCode());
        assertFalse(allText(failure).contains("sk-test-123"), allText(failure));
    }

    // ---- no model ----

    @Test
    void requestWithoutModelFailsNamingModelAndSendsNothing() {
        serveJson(CHAT_REPLY);

        Exchange exchange = send(uri(""), "Hello!");

        IllegalArgumentException failure = assertInstanceOf(IllegalArgumentException.class, exchange.getException());
        assertTrue(failure.getMessage().contains("model"), failure.getMessage());
        assertEquals(0, server.getRequestCount());
    }
}
