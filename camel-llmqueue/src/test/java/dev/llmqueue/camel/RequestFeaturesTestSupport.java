package dev.llmqueue.camel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.Exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Helpers for the tests of tools, structured output, images, body properties and HTTP headers.
 */
abstract class RequestFeaturesTestSupport extends ProviderTestSupport {

    static final String WEATHER_TOOLS = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                                        + "\"description\":\"The current weather in a city\",\"parameters\":"
                                        + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
                                        + "\"required\":[\"city\"]}}}]";
    static final String CITY_SCHEMA = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                                      + "\"population\":{\"type\":\"integer\"}},\"required\":[\"name\",\"population\"],"
                                      + "\"additionalProperties\":false}";

    /** The tools option as it goes in a URI. */
    static String toolsOption() {
        return "tools=RAW(" + WEATHER_TOOLS + ")";
    }

    /** The tools as a List of Maps, the way a bean or a header gives them. */
    static List<Map<String, Object>> toolsAsList(String name) {
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("type", "object");
        parameters.put("properties", Map.of("q", Map.of("type", "string")));
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", name);
        function.put("description", "Searches");
        function.put("parameters", parameters);
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", function);
        return List.of(tool);
    }

    static JsonNode tree(String json) throws Exception {
        return JSON.readTree(json);
    }

    /** The IllegalArgumentException that made the endpoint's creation fail. */
    IllegalArgumentException creationFailure(String uri) {
        Exception failure = assertThrows(Exception.class, () -> context.getEndpoint(uri));
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException iae) {
                return iae;
            }
        }
        throw new AssertionError("no IllegalArgumentException in " + allText(failure), failure);
    }

    /** Sends, expects an IllegalArgumentException on the exchange, and that nothing reached the server. */
    IllegalArgumentException badInput(String uri, Object body, Map<String, Object> headers) {
        Exchange exchange = send(uri, body, headers);
        IllegalArgumentException failure = assertInstanceOf(IllegalArgumentException.class, exchange.getException());
        assertEquals(0, server.getRequestCount(), "nothing may be sent for bad input");
        return failure;
    }

    static void assertMentions(Throwable failure, String... parts) {
        for (String part : parts) {
            assertTrue(failure.getMessage().contains(part), "'" + part + "' in: " + failure.getMessage());
        }
    }

    /** A Map in insertion order: key, value, key, value... */
    static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }
}
