package dev.llmqueue.camel.springboot;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmqueue.camel.LlmQueueComponent;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * camel.component.llmqueue.dashboard.enabled=true, with camel-llmqueue-dashboard and camel-platform-http-starter on
 * the classpath and no code of the application's own: the dashboard answers on the application's HTTP port, at the
 * path, with the token and the showPrompts setting the properties give.
 */
@SpringBootTest(classes = TestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
                "camel.component.llmqueue.dashboard.enabled=true",
                "camel.component.llmqueue.dashboard.path=/ops/queue",
                "camel.component.llmqueue.dashboard.token=s3cret-token",
                "camel.component.llmqueue.dashboard.show-prompts=true",
        })
class DashboardEnabledTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @LocalServerPort
    int port;
    @Autowired
    CamelContext camelContext;

    @Test
    void thePageAnswersAtTheConfiguredPath() throws Exception {
        HttpResponse<String> page = get("/ops/queue");
        assertEquals(200, page.statusCode(), page.body());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"),
                page.headers().toString());
        assertTrue(page.body().contains("/ops/queue/dashboard.js"), page.body());
    }

    @Test
    void theStateJsonCarriesThePathTokenAndShowPromptsOfTheProperties() throws Exception {
        camelContext.getComponent("llmqueue", LlmQueueComponent.class); // listed once it exists
        HttpResponse<String> state = get("/ops/queue/api/state");
        assertEquals(200, state.statusCode(), state.body());
        JsonNode json = new ObjectMapper().readTree(state.body());
        assertEquals("/ops/queue", json.path("path").asText(), state.body());
        assertTrue(json.path("writable").asBoolean(false), "a token makes it writable: " + state.body());
        assertTrue(json.path("showPrompts").asBoolean(false), state.body());
        assertEquals("llmqueue", json.path("components").path(0).path("component").asText(), state.body());
    }

    @Test
    void anActionWithTheConfiguredTokenChangesTheComponent() throws Exception {
        LlmQueueComponent component = camelContext.getComponent("llmqueue", LlmQueueComponent.class);
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(uri("/ops/queue/api/maxConcurrentRequests"))
                        .header("Authorization", "Bearer s3cret-token")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"value\": 7}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals(7, component.getMaxConcurrentRequests());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
