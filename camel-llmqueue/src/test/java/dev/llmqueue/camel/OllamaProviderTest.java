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
 * Pins the Ollama wire format (/api/chat, /api/generate, /api/embed) and how its answers and failures reach the
 * exchange.
 */
class OllamaProviderTest extends ProviderTestSupport {

    static final String CHAT_REPLY = "{\"model\":\"llama3.2\",\"created_at\":\"2023-12-12T14:13:43.416799Z\","
                                     + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello! How are you today?\"},"
                                     + "\"done\":true,\"done_reason\":\"stop\",\"total_duration\":5191566416,"
                                     + "\"load_duration\":2154458,\"prompt_eval_count\":26,"
                                     + "\"prompt_eval_duration\":383809000,\"eval_count\":298,"
                                     + "\"eval_duration\":4799921000}";
    static final String GENERATE_REPLY = "{\"model\":\"llama3.2\",\"created_at\":\"2023-08-04T19:22:45.499127Z\","
                                         + "\"response\":\"The sky is blue because it is the color of the sky.\","
                                         + "\"done\":true,\"done_reason\":\"stop\",\"context\":[1,2,3],"
                                         + "\"total_duration\":5043500667,\"load_duration\":5025959,"
                                         + "\"prompt_eval_count\":26,\"prompt_eval_duration\":325953000,"
                                         + "\"eval_count\":290,\"eval_duration\":4709213000}";
    static final String EMBED_REPLY = "{\"model\":\"all-minilm\",\"embeddings\":[[0.010071029,-0.0017594862,"
                                      + "0.05007221,0.04692972,0.054916814]],\"total_duration\":14143917,"
                                      + "\"load_duration\":1019500,\"prompt_eval_count\":8}";
    static final String EMBED_BATCH_REPLY = "{\"model\":\"all-minilm\",\"embeddings\":[[0.1,0.2,0.3],[0.4,0.5,0.6]],"
                                            + "\"total_duration\":14143917,\"load_duration\":1019500,"
                                            + "\"prompt_eval_count\":16}";

    private String chatUri() {
        return "llmqueue:ollama?model=llama3.2&baseUrl=" + baseUrl("/");
    }

    private String uri(String options) {
        return "llmqueue:ollama?baseUrl=" + baseUrl("/") + (options.isEmpty() ? "" : "&" + options);
    }

    // ---- chat: request ----

    @Test
    void chatPostsJsonToApiChat() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri(), "Why is the sky blue?");

        RecordedRequest request = takeRequest();
        assertEquals("POST", request.getMethod());
        assertEquals("/api/chat", request.getUrl().encodedPath());
        assertEquals("application/json", mediaType(request));
    }

    @Test
    void chatWithStringBodySendsModelOneUserMessageAndStreamFalse() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri(), "Why is the sky blue?");

        JsonNode json = json(takeRequest());
        assertEquals("llama3.2", json.path("model").asText());
        assertMessages(json.path("messages"), "user", "Why is the sky blue?");
        assertTrue(json.path("stream").isBoolean(), "stream must be sent, Ollama streams by default: " + json);
        assertFalse(json.path("stream").booleanValue());
    }

    @Test
    void chatWithSystemMessageOptionSendsTheSystemMessageFirst() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri() + "&systemMessage=RAW(Answer in French.)", "Why is the sky blue?");

        assertMessages(json(takeRequest()).path("messages"),
                "system", "Answer in French.",
                "user", "Why is the sky blue?");
    }

    @Test
    void chatWithConversationListSendsItAsGivenWithoutTheSystemMessageOption() throws Exception {
        serveJson(CHAT_REPLY);
        List<Map<String, Object>> conversation = conversation(
                "user", "Why is the sky blue?",
                "assistant", "Rayleigh scattering.",
                "user", "Explain it to a child.");

        sendOk(chatUri() + "&systemMessage=RAW(Answer in French.)", conversation);

        assertMessages(json(takeRequest()).path("messages"),
                "user", "Why is the sky blue?",
                "assistant", "Rayleigh scattering.",
                "user", "Explain it to a child.");
    }

    @Test
    void temperatureAndMaxTokensAreSentAsOptionsTemperatureAndNumPredict() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri() + "&temperature=0.25&maxTokens=64", "Why is the sky blue?");

        JsonNode json = json(takeRequest());
        assertEquals(0.25, json.path("options").path("temperature").doubleValue());
        assertEquals(64, json.path("options").path("num_predict").intValue());
        assertTrue(json.path("options").path("num_predict").isIntegralNumber());
        assertFalse(json.has("temperature"), "temperature belongs in options: " + json);
        assertFalse(json.has("max_tokens"), "max_tokens is not an Ollama field: " + json);
    }

    @Test
    void noOptionsAreSentWhenTemperatureAndMaxTokensAreNotSet() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri(), "Why is the sky blue?");

        JsonNode json = json(takeRequest());
        assertFalse(json.has("options"), "options: " + json);
        assertFalse(json.has("temperature"), "temperature: " + json);
    }

    @Test
    void modelHeaderOverridesTheModelOption() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri(), "Why is the sky blue?", Map.of(LlmQueueConstants.MODEL, "qwen2.5:7b"));

        assertEquals("qwen2.5:7b", json(takeRequest()).path("model").asText());
    }

    @Test
    void systemMessageHeaderOverridesTheSystemMessageOption() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri() + "&systemMessage=RAW(Answer in French.)", "Why is the sky blue?",
                Map.of(LlmQueueConstants.SYSTEM_MESSAGE, "Answer in German."));

        assertMessages(json(takeRequest()).path("messages"),
                "system", "Answer in German.",
                "user", "Why is the sky blue?");
    }

    @Test
    void noAuthorizationHeaderIsSentWithoutApiKey() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri(), "Why is the sky blue?");

        assertNull(takeRequest().getHeaders().get("Authorization"));
    }

    // ---- chat: reply ----

    @Test
    void chatReplyMessageContentBecomesTheBody() {
        serveJson(CHAT_REPLY);

        Exchange exchange = sendOk(chatUri(), "Hello");

        assertEquals("Hello! How are you today?", exchange.getMessage().getBody());
    }

    @Test
    void chatReplySetsTokenCountsModelAndDoneReasonHeaders() {
        serveJson(CHAT_REPLY);

        Exchange exchange = sendOk(chatUri(), "Hello");

        assertEquals(Integer.valueOf(26), exchange.getMessage().getHeader(LlmQueueConstants.PROMPT_TOKENS));
        assertEquals(Integer.valueOf(298), exchange.getMessage().getHeader(LlmQueueConstants.COMPLETION_TOKENS));
        assertEquals("llama3.2", exchange.getMessage().getHeader(LlmQueueConstants.RESPONSE_MODEL));
        assertEquals("stop", exchange.getMessage().getHeader(LlmQueueConstants.FINISH_REASON));
    }

    @Test
    void chatSetsRequestIdWaitTimeAndCallTimeHeaders() {
        serveJson(CHAT_REPLY);

        Exchange exchange = sendOk(chatUri(), "Hello");

        String id = assertInstanceOf(String.class, exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID));
        assertFalse(id.isBlank());
        Long wait = assertInstanceOf(Long.class, exchange.getMessage().getHeader(LlmQueueConstants.WAIT_TIME));
        Long call = assertInstanceOf(Long.class, exchange.getMessage().getHeader(LlmQueueConstants.CALL_TIME));
        assertTrue(wait >= 0, "wait time " + wait);
        assertTrue(call >= 0, "call time " + call);
    }

    // ---- generate ----

    @Test
    void generatePostsModelPromptSystemAndStreamFalseToApiGenerate() throws Exception {
        serveJson(GENERATE_REPLY);

        sendOk(uri("model=llama3.2&operation=generate&systemMessage=RAW(Be brief.)"), "Why is the sky blue?");

        RecordedRequest request = takeRequest();
        assertEquals("POST", request.getMethod());
        assertEquals("/api/generate", request.getUrl().encodedPath());
        assertEquals("application/json", mediaType(request));
        JsonNode json = json(request);
        assertEquals("llama3.2", json.path("model").asText());
        assertEquals("Why is the sky blue?", json.path("prompt").asText());
        assertEquals("Be brief.", json.path("system").asText());
        assertTrue(json.path("stream").isBoolean(), "stream: " + json);
        assertFalse(json.path("stream").booleanValue());
        assertFalse(json.has("messages"), "messages: " + json);
    }

    @Test
    void generateWithoutSystemMessageSendsNoSystemField() throws Exception {
        serveJson(GENERATE_REPLY);

        sendOk(uri("model=llama3.2&operation=generate"), "Why is the sky blue?");

        assertFalse(json(takeRequest()).has("system"));
    }

    @Test
    void generateReplyResponseBecomesTheBody() {
        serveJson(GENERATE_REPLY);

        Exchange exchange = sendOk(uri("model=llama3.2&operation=generate"), "Why is the sky blue?");

        assertEquals("The sky is blue because it is the color of the sky.", exchange.getMessage().getBody());
        assertEquals(Integer.valueOf(26), exchange.getMessage().getHeader(LlmQueueConstants.PROMPT_TOKENS));
        assertEquals(Integer.valueOf(290), exchange.getMessage().getHeader(LlmQueueConstants.COMPLETION_TOKENS));
        assertEquals("stop", exchange.getMessage().getHeader(LlmQueueConstants.FINISH_REASON));
    }

    // ---- embed ----

    @Test
    void embedOneStringPostsItAsInputToApiEmbed() throws Exception {
        serveJson(EMBED_REPLY);

        sendOk(uri("model=all-minilm&operation=embed"), "Why is the sky blue?");

        RecordedRequest request = takeRequest();
        assertEquals("POST", request.getMethod());
        assertEquals("/api/embed", request.getUrl().encodedPath());
        JsonNode json = json(request);
        assertEquals("all-minilm", json.path("model").asText());
        assertTrue(json.path("input").isTextual(), "input: " + json);
        assertEquals("Why is the sky blue?", json.path("input").asText());
    }

    @Test
    void embedOneStringGivesAFloatArray() {
        serveJson(EMBED_REPLY);

        Exchange exchange = sendOk(uri("model=all-minilm&operation=embed"), "Why is the sky blue?");

        float[] vector = assertInstanceOf(float[].class, exchange.getMessage().getBody());
        assertArrayEquals(new float[] { 0.010071029f, -0.0017594862f, 0.05007221f, 0.04692972f, 0.054916814f },
                vector);
    }

    @Test
    void embedListOfStringsGivesOneFloatArrayPerTextInInputOrder() throws Exception {
        serveJson(EMBED_BATCH_REPLY);

        Exchange exchange = sendOk(uri("model=all-minilm&operation=embed"), List.of("first text", "second text"));

        JsonNode input = json(takeRequest()).path("input");
        assertTrue(input.isArray(), "input: " + input);
        assertEquals(2, input.size());
        assertEquals("first text", input.get(0).asText());
        assertEquals("second text", input.get(1).asText());
        List<?> vectors = assertInstanceOf(List.class, exchange.getMessage().getBody());
        assertEquals(2, vectors.size());
        assertArrayEquals(new float[] { 0.1f, 0.2f, 0.3f }, assertInstanceOf(float[].class, vectors.get(0)));
        assertArrayEquals(new float[] { 0.4f, 0.5f, 0.6f }, assertInstanceOf(float[].class, vectors.get(1)));
    }

    // ---- errors ----

    @Test
    void modelNotFound404FailsWithStatusUrlAndOllamasErrorText() {
        serve(404, "{\"error\":\"model \\\"nope\\\" not found, try pulling it first\"}",
                "Content-Type", "application/json");

        LlmProviderException failure = sendFailing(uri("model=nope"), "Hello");

        String url = urlOf("/api/chat");
        assertEquals(404, failure.getStatusCode());
        assertEquals("ollama", failure.getProvider());
        assertEquals(url, failure.getUrl());
        assertEquals("model \"nope\" not found, try pulling it first", failure.getProviderMessage());
        assertTrue(failure.getMessage().contains("404"), failure.getMessage());
        assertTrue(failure.getMessage().contains(url), failure.getMessage());
        assertTrue(failure.getMessage().contains("model \"nope\" not found, try pulling it first"),
                failure.getMessage());
    }

    @Test
    void serverBusy503FailsWithStatusUrlAndOllamasErrorText() {
        String busy = "server busy, please try again.  maximum pending requests exceeded";
        serve(503, "{\"error\":\"" + busy + "\"}", "Content-Type", "application/json");

        LlmProviderException failure = sendFailing(chatUri() + "&maxRetries=0", "Hello");

        String url = urlOf("/api/chat");
        assertEquals(503, failure.getStatusCode());
        assertEquals("ollama", failure.getProvider());
        assertEquals(url, failure.getUrl());
        assertEquals(busy, failure.getProviderMessage());
        assertTrue(failure.getMessage().contains("503"), failure.getMessage());
        assertTrue(failure.getMessage().contains(url), failure.getMessage());
        assertTrue(failure.getMessage().contains(busy), failure.getMessage());
    }

    @Test
    void serverBusy503IsSentOnceWhenRetriesAreOffSoTheHttpTransportNeverRetriesByItself() {
        serve(503, "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}",
                "Content-Type", "application/json", "Retry-After", "1");

        LlmProviderException failure = sendFailing(chatUri() + "&maxRetries=0", "Hello");

        assertEquals(503, failure.getStatusCode());
        assertEquals(1, server.getRequestCount(), "HTTP requests made for one exchange");
    }

    @Test
    void malformedJsonReplyFailsSayingItIsNotJsonAndNamingTheUrl() {
        serveJson("{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"Hel");

        LlmProviderException failure = sendFailing(chatUri(), "Hello");

        assertEquals(200, failure.getStatusCode());
        assertEquals(urlOf("/api/chat"), failure.getUrl());
        assertTrue(failure.getMessage().contains("JSON"), failure.getMessage());
        assertTrue(failure.getMessage().contains(urlOf("/api/chat")), failure.getMessage());
    }

    @Test
    void chatReplyWithoutMessageFailsNamingMessageAndTheUrl() {
        serveJson("{\"model\":\"llama3.2\",\"done\":true,\"done_reason\":\"stop\"}");

        LlmProviderException failure = sendFailing(chatUri(), "Hello");

        assertEquals(200, failure.getStatusCode());
        assertTrue(failure.getMessage().contains("'message'"), failure.getMessage());
        assertTrue(failure.getMessage().contains(urlOf("/api/chat")), failure.getMessage());
    }

    @Test
    void chatReplyWithoutMessageContentFailsNamingMessageContent() {
        serveJson("{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\"},\"done\":true}");

        LlmProviderException failure = sendFailing(chatUri(), "Hello");

        assertTrue(failure.getMessage().contains("message.content"), failure.getMessage());
        assertTrue(failure.getMessage().contains(urlOf("/api/chat")), failure.getMessage());
    }

    @Test
    void generateReplyWithoutResponseFailsNamingResponse() {
        serveJson("{\"model\":\"llama3.2\",\"done\":true}");

        LlmProviderException failure = sendFailing(uri("model=llama3.2&operation=generate"), "Hello");

        assertTrue(failure.getMessage().contains("'response'"), failure.getMessage());
        assertTrue(failure.getMessage().contains(urlOf("/api/generate")), failure.getMessage());
    }

    @Test
    void connectionRefusedFailsWithStatusMinusOneNamingTheUrl() throws Exception {
        String base = "http://127.0.0.1:" + closedPort();

        LlmProviderException failure = sendFailing("llmqueue:ollama?model=llama3.2&baseUrl=" + base, "Hello");

        assertEquals(LlmProviderException.NO_RESPONSE, failure.getStatusCode());
        assertEquals(-1, failure.getStatusCode());
        assertEquals("ollama", failure.getProvider());
        assertEquals(base + "/api/chat", failure.getUrl());
        assertTrue(failure.getMessage().contains(base + "/api/chat"), failure.getMessage());
    }

    // ---- headers ----

    @Test
    void providerResponseHeadersDoNotReachTheExchange() {
        serveJson(CHAT_REPLY, "X-Provider-Secret", "zzz", "Retry-After", "7");

        Exchange exchange = sendOk(chatUri(), "Hello");

        assertNull(exchange.getMessage().getHeader("X-Provider-Secret"));
        assertNull(exchange.getMessage().getHeader("Retry-After"));
        assertNull(exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
        assertNull(exchange.getMessage().getHeader(Exchange.CONTENT_TYPE));
    }

    @Test
    void providerResponseHeadersOfAFailedCallDoNotReachTheExchange() {
        serve(404, "{\"error\":\"model \\\"nope\\\" not found, try pulling it first\"}",
                "X-Provider-Secret", "zzz", "Retry-After", "7");

        Exchange exchange = send(uri("model=nope"), "Hello");

        assertInstanceOf(LlmProviderException.class, exchange.getException());
        assertNull(exchange.getMessage().getHeader("X-Provider-Secret"));
        assertNull(exchange.getMessage().getHeader("Retry-After"));
        assertNull(exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
    }

    @Test
    void userHeadersSurviveTheCall() {
        serveJson(CHAT_REPLY);

        Exchange exchange = sendOk(chatUri(), "Hello", Map.of("MyHeader", "mine"));

        assertEquals("mine", exchange.getMessage().getHeader("MyHeader"));
    }

    @Test
    void userHeadersAreNotSentToTheServer() throws Exception {
        serveJson(CHAT_REPLY);

        sendOk(chatUri(), "Hello", Map.of("MyHeader", "mine"));

        assertNull(takeRequest().getHeaders().get("MyHeader"));
    }

    // ---- no model ----

    @Test
    void requestWithoutModelFailsNamingModelAndSendsNothing() {
        serveJson(CHAT_REPLY);

        Exchange exchange = send(uri(""), "Hello");

        IllegalArgumentException failure = assertInstanceOf(IllegalArgumentException.class, exchange.getException());
        assertTrue(failure.getMessage().contains("model"), failure.getMessage());
        assertEquals(0, server.getRequestCount());
    }
}
