package dev.llmqueue.examples.springboot;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueWhenFull;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example as its README runs it, on the built-in simulator: POST /chat answers at HIGH, the scheduled job is
 * served at LOW, application.yaml configures the queue, and /actuator/health shows the llmqueue check.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        // the simulator whatever the machine's environment says, and a quick one
        "llm.base-url=", "llm.provider=ollama", "llm.model=",
        "llm.simulator.service-time=20ms",
        "example.background.every=200ms",
})
class LlmChatApplicationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @LocalServerPort
    int port;
    @Autowired
    BackgroundJob backgroundJob;
    @Autowired
    MeterRegistry meterRegistry;
    @Autowired
    CamelContext camelContext;

    private HttpResponse<String> http(String method, String path, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(PATIENCE);
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json));
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void postChatAnswersAtHighPriority() throws Exception {
        HttpResponse<String> response = http("POST", "/chat", "{\"question\": \"Why is the sky blue?\"}");
        assertEquals(200, response.statusCode(), response.body());
        JsonNode answer = new ObjectMapper().readTree(response.body());
        assertTrue(answer.path("answer").asText().startsWith("Simulated answer to: Why is the sky blue?"),
                response.body());
        Timer high = meterRegistry.find("llmqueue.wait").tag("priority", "HIGH").timer();
        assertTrue(high != null && high.count() >= 1, "a HIGH request waited for its slot");
    }

    @Test
    void postChatWithoutAQuestionIsABadRequest() throws Exception {
        assertEquals(400, http("POST", "/chat", "{}").statusCode());
    }

    @Test
    void theScheduledJobIsServedAtLowPriority() throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (backgroundJob.summarised() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(backgroundJob.summarised() > 0, "summarised: " + backgroundJob.summarised() + ", refused: "
                                                   + backgroundJob.refused() + ", failed: " + backgroundJob.failed());
        Timer low = meterRegistry.find("llmqueue.wait").tag("priority", "LOW").timer();
        assertTrue(low != null && low.count() >= 1, "a LOW request waited for its slot");
    }

    @Test
    void applicationYamlConfiguresTheQueue() {
        LlmQueueComponent llmqueue = camelContext.getComponent("llmqueue", LlmQueueComponent.class);
        assertEquals(2, llmqueue.getMaxConcurrentRequests());
        assertEquals(100, llmqueue.getMaxLowQueueSize());
        assertEquals(LlmQueueWhenFull.dropOldest, llmqueue.getWhenFull());
        assertEquals(60_000, llmqueue.getLowPriorityMaxWait());
        assertEquals(120_000, llmqueue.getMaxQueueTime());
    }

    @Test
    void actuatorHealthShowsTheLlmqueueCheck() throws Exception {
        HttpResponse<String> response = http("GET", "/actuator/health", null);
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("UP", new ObjectMapper().readTree(response.body()).path("components").path("camelHealth")
                .path("details").path("llmqueue").asText(), response.body());
    }
}
