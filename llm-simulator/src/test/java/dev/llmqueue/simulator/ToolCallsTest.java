package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static dev.llmqueue.simulator.Http.MAPPER;
import static dev.llmqueue.simulator.Http.json;
import static dev.llmqueue.simulator.Http.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolCallsTest {

    /** get_weather(city: string, unit: enum), get_time(zone: string): the OpenAI function-tool form. */
    private static final String TOOLS = """
            [{"type":"function","function":{"name":"get_weather","description":"Current weather",
              "parameters":{"type":"object","properties":{
                "city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},
                "required":["city"]}}},
             {"type":"function","function":{"name":"get_time","description":"Current time",
              "parameters":{"type":"object","properties":{"zone":{"type":"string"}}}}}]""";

    /** One property of each type. */
    private static final String TYPED_TOOL = """
            [{"type":"function","function":{"name":"book","parameters":{"type":"object","properties":{
              "guest":{"type":"string"},"nights":{"type":"integer"},"budget":{"type":"number"},
              "breakfast":{"type":"boolean"},"extras":{"type":"array","items":{"type":"string"}},
              "address":{"type":"object","properties":{"street":{"type":"string"}}}}}}}]""";

    private static LlmSimulator sim;

    @BeforeAll
    static void start() {
        sim = LlmSimulator.builder().completionTokens(12).build().start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static JsonNode openAi(String messages, String extra) throws Exception {
        HttpResponse<String> r = post(sim.openAiBaseUrl() + "/chat/completions",
                "{\"model\":\"gpt-4o-mini\",\"tools\":" + TOOLS + extra + ",\"messages\":" + messages + "}");
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    private static JsonNode ollama(String messages) throws Exception {
        HttpResponse<String> r = post(sim.ollamaBaseUrl() + "/api/chat",
                "{\"model\":\"llama3.2\",\"stream\":false,\"tools\":" + TOOLS + ",\"messages\":" + messages + "}");
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    private static String user(String text) {
        return "[{\"role\":\"user\",\"content\":\"" + text + "\"}]";
    }

    @Test
    void openAiChatNamingAToolAsksForItWithToolCalls() throws Exception {
        JsonNode j = openAi(user("What is the weather in Paris? Use get_weather for Paris."), "");

        JsonNode choice = j.at("/choices/0");
        assertEquals("tool_calls", choice.get("finish_reason").asText());
        JsonNode message = choice.get("message");
        assertEquals("assistant", message.get("role").asText());
        assertTrue(message.get("content").isNull());
        assertEquals(1, message.get("tool_calls").size());
        JsonNode call = message.at("/tool_calls/0");
        assertTrue(call.get("id").asText().matches("call_[0-9a-f]{16}"), call.get("id").asText());
        assertEquals("function", call.get("type").asText());
        assertEquals("get_weather", call.at("/function/name").asText());
        assertTrue(call.at("/function/arguments").isTextual());
        assertEquals(MAPPER.readTree("{\"city\":\"Paris\",\"unit\":\"celsius\"}"),
                MAPPER.readTree(call.at("/function/arguments").asText()));
        assertEquals("{\"city\": \"Paris\", \"unit\": \"celsius\"}", call.at("/function/arguments").asText());
        assertEquals(5, j.at("/usage/completion_tokens").asInt()); // 1 for the name + 4 words of arguments
    }

    @Test
    void ollamaChatNamingAToolAsksForItWithAnArgumentsObject() throws Exception {
        JsonNode j = ollama(user("Use get_weather for Paris."));

        JsonNode message = j.get("message");
        assertEquals("assistant", message.get("role").asText());
        assertEquals("", message.get("content").asText());
        assertEquals(1, message.get("tool_calls").size());
        JsonNode function = message.at("/tool_calls/0/function");
        assertEquals("get_weather", function.get("name").asText());
        assertTrue(function.get("arguments").isObject());
        assertEquals(MAPPER.readTree("{\"city\":\"Paris\",\"unit\":\"celsius\"}"), function.get("arguments"));
        assertFalse(message.at("/tool_calls/0").has("id"));
        assertEquals("stop", j.get("done_reason").asText());
        assertTrue(j.get("done").asBoolean());
        assertEquals(5, j.get("eval_count").asInt());
    }

    @Test
    void argumentsHaveAPlaceholderOfTheRightTypeForEachProperty() throws Exception {
        HttpResponse<String> r = post(sim.openAiBaseUrl() + "/chat/completions",
                "{\"model\":\"m\",\"tools\":" + TYPED_TOOL + ",\"messages\":" + user("please book Alice") + "}");

        String arguments = json(r).at("/choices/0/message/tool_calls/0/function/arguments").asText();
        assertEquals(MAPPER.readTree("""
                {"guest":"Alice","nights":1,"budget":1,"breakfast":true,"extras":[],"address":{}}"""),
                MAPPER.readTree(arguments));
    }

    @Test
    void ollamaArgumentsHaveTheSamePlaceholders() throws Exception {
        HttpResponse<String> r = post(sim.ollamaBaseUrl() + "/api/chat", "{\"model\":\"m\",\"stream\":false,"
                + "\"tools\":" + TYPED_TOOL + ",\"messages\":" + user("book") + "}");

        assertEquals(MAPPER.readTree("""
                {"guest":"example","nights":1,"budget":1,"breakfast":true,"extras":[],"address":{}}"""),
                json(r).at("/message/tool_calls/0/function/arguments"));
    }

    @Test
    void stringArgumentsWithoutWordsAfterTheToolNameAreExample() throws Exception {
        JsonNode j = openAi(user("Call get_weather"), "");

        assertEquals("{\"city\": \"example\", \"unit\": \"celsius\"}",
                j.at("/choices/0/message/tool_calls/0/function/arguments").asText());
    }

    @Test
    void openAiSeveralNamedToolsGetOneCallEachInTheOrderTheyAppear() throws Exception {
        JsonNode j = openAi(user("First get_time Tokyo, then get_weather Oslo, and get_time again"), "");

        JsonNode calls = j.at("/choices/0/message/tool_calls");
        assertEquals(2, calls.size());
        assertEquals("get_time", calls.at("/0/function/name").asText());
        assertEquals("{\"zone\": \"Tokyo\"}", calls.at("/0/function/arguments").asText());
        assertEquals("get_weather", calls.at("/1/function/name").asText());
        assertEquals("{\"city\": \"Oslo\", \"unit\": \"celsius\"}", calls.at("/1/function/arguments").asText());
        assertNotEquals(calls.at("/0/id").asText(), calls.at("/1/id").asText());
        assertEquals("tool_calls", j.at("/choices/0/finish_reason").asText());
    }

    @Test
    void ollamaSeveralNamedToolsGetOneCallEachInTheOrderTheyAppear() throws Exception {
        JsonNode j = ollama(user("get_weather Oslo and get_time Tokyo"));

        JsonNode calls = j.at("/message/tool_calls");
        assertEquals(2, calls.size());
        assertEquals("get_weather", calls.at("/0/function/name").asText());
        assertEquals("Oslo", calls.at("/0/function/arguments/city").asText());
        assertEquals("get_time", calls.at("/1/function/name").asText());
        assertEquals("Tokyo", calls.at("/1/function/arguments/zone").asText());
    }

    @Test
    void openAiToolResultClosesTheLoopWithAnAnswerQuotingIt() throws Exception {
        JsonNode j = openAi("""
                [{"role":"user","content":"Use get_weather for Paris"},
                 {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                   "function":{"name":"get_weather","arguments":"{\\"city\\": \\"Paris\\"}"}}]},
                 {"role":"tool","tool_call_id":"call_1","content":"18 degrees and sunny"}]""", "");

        JsonNode choice = j.at("/choices/0");
        assertEquals("stop", choice.get("finish_reason").asText());
        assertFalse(choice.get("message").has("tool_calls"));
        assertEquals("Simulated answer using tool result: 18 degrees and sunny lorem ipsum dolor",
                choice.at("/message/content").asText());
        assertEquals(12, j.at("/usage/completion_tokens").asInt());
    }

    @Test
    void ollamaToolResultClosesTheLoopWithAnAnswerQuotingIt() throws Exception {
        JsonNode j = ollama("""
                [{"role":"user","content":"Use get_weather for Paris"},
                 {"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather",
                   "arguments":{"city":"Paris"}}}]},
                 {"role":"tool","tool_name":"get_weather","content":"18 degrees and sunny"}]""");

        assertFalse(j.get("message").has("tool_calls"));
        assertEquals("Simulated answer using tool result: 18 degrees and sunny lorem ipsum dolor",
                j.at("/message/content").asText());
        assertEquals("stop", j.get("done_reason").asText());
        assertEquals(12, j.get("eval_count").asInt());
    }

    @Test
    void toolResultQuotesTheFirst40CharactersOfTheLastToolMessage() throws Exception {
        JsonNode j = ollama("""
                [{"role":"user","content":"get_weather Paris and get_time Paris"},
                 {"role":"tool","content":"first result"},
                 {"role":"tool","content":"{\\"time\\": \\"12:00\\", \\"zone\\": \\"Europe/Paris\\", \\"dst\\": true}"}]""");

        // the first 40 chars end just before the comma after "Europe/Paris"
        assertEquals("Simulated answer using tool result: {\"time\": \"12:00\", \"zone\": \"Europe/Paris\" lorem ipsum dolor",
                j.at("/message/content").asText());
    }

    @Test
    void aNewUserMessageAfterAToolResultCanAskForAToolAgain() throws Exception {
        JsonNode j = openAi("""
                [{"role":"user","content":"get_weather Paris"},
                 {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                   "function":{"name":"get_weather","arguments":"{}"}}]},
                 {"role":"tool","tool_call_id":"call_1","content":"sunny"},
                 {"role":"assistant","content":"It is sunny."},
                 {"role":"user","content":"And get_time Paris?"}]""", "");

        assertEquals("get_time", j.at("/choices/0/message/tool_calls/0/function/name").asText());
        assertEquals(1, j.at("/choices/0/message/tool_calls").size());
    }

    @Test
    void toolsThatAreNotNamedGetAPlainAnswer() throws Exception {
        JsonNode j = openAi(user("What is the weather like?"), "");

        assertEquals("stop", j.at("/choices/0/finish_reason").asText());
        assertFalse(j.at("/choices/0/message").has("tool_calls"));
        assertEquals("Simulated answer to: What is the weather like? lorem ipsum dolor sit",
                j.at("/choices/0/message/content").asText());
    }

    @Test
    void aToolNameInsideALongerWordIsNotANaming() throws Exception {
        JsonNode j = ollama(user("do not call my_get_weather or get_weather2 or get_time_zone"));

        assertFalse(j.get("message").has("tool_calls"));
    }

    @Test
    void toolNamesAreMatchedCaseSensitively() throws Exception {
        JsonNode j = ollama(user("GET_WEATHER Paris"));

        assertFalse(j.get("message").has("tool_calls"));
    }

    @Test
    void toolCallIdsDependOnlyOnTheRequest() throws Exception {
        String a = openAi(user("get_weather Rome"), "").at("/choices/0/message/tool_calls/0/id").asText();
        String b = openAi(user("get_weather Rome"), "").at("/choices/0/message/tool_calls/0/id").asText();
        String c = openAi(user("get_weather Rome!"), "").at("/choices/0/message/tool_calls/0/id").asText();

        assertEquals(a, b);
        assertNotEquals(a, c);
    }

    @Test
    void openAiToolChoiceNoneAnswersInText() throws Exception {
        JsonNode j = openAi(user("get_weather Paris"), ",\"tool_choice\":\"none\"");

        assertFalse(j.at("/choices/0/message").has("tool_calls"));
        assertEquals("stop", j.at("/choices/0/finish_reason").asText());
    }

    @Test
    void openAiToolChoiceOfAFunctionCallsThatFunction() throws Exception {
        JsonNode j = openAi(user("get_weather Paris"),
                ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}");

        JsonNode calls = j.at("/choices/0/message/tool_calls");
        assertEquals(1, calls.size());
        assertEquals("get_time", calls.at("/0/function/name").asText());
        assertEquals("{\"zone\": \"example\"}", calls.at("/0/function/arguments").asText());
    }

    @Test
    void openAiToolChoiceRequiredCallsTheFirstToolWhenNoneIsNamed() throws Exception {
        JsonNode j = openAi(user("Hello there"), ",\"tool_choice\":\"required\"");

        assertEquals("get_weather", j.at("/choices/0/message/tool_calls/0/function/name").asText());
        assertEquals("tool_calls", j.at("/choices/0/finish_reason").asText());
    }

    @Test
    void textPartsOfTheUserMessageNameTools() throws Exception {
        JsonNode j = openAi("""
                [{"role":"user","content":[{"type":"text","text":"Look at this and get_weather Lyon"},
                  {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]""", "");

        assertEquals("get_weather", j.at("/choices/0/message/tool_calls/0/function/name").asText());
        assertEquals("{\"city\": \"Lyon\", \"unit\": \"celsius\"}",
                j.at("/choices/0/message/tool_calls/0/function/arguments").asText());
    }

    @Test
    void theRecordedRequestShowsTheToolsSent() throws Exception {
        sim.clearRecorded();
        openAi(user("get_weather Paris"), "");

        JsonNode sent = MAPPER.readTree(sim.recorded().get(0).body());
        assertEquals("get_weather", sent.at("/tools/0/function/name").asText());
    }
}
