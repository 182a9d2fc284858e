package dev.llmqueue.camel.springboot;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmqueue.simulator.LlmSimulator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Spring Boot application with the starter, Actuator and a route to llmqueue:ollama, against the simulator: the
 * route answers, Boot's MeterRegistry receives the llmqueue.* meters, and /actuator/health shows the llmqueue check.
 * None of it needs code of the application's own beyond the route.
 */
@SpringBootTest(classes = {TestApplication.class, ApplicationTest.Routes.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "management.endpoints.web.exposure.include=health",
        "management.endpoint.health.show-details=always",
        // list the Camel checks that are UP too (the default level lists the context and the checks that are DOWN)
        "camel.health.exposure-level=full",
        "camel.component.llmqueue.max-concurrent-requests=3",
})
class ApplicationTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class Routes {
        @Bean(destroyMethod = "close")
        LlmSimulator simulator() {
            return LlmSimulator.builder().build().start();
        }

        @Bean
        RouteBuilder askRoute(LlmSimulator simulator) {
            return new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:ask")
                            .to("llmqueue:ollama?model=llama3.2&priority=HIGH&baseUrl=" + simulator.ollamaBaseUrl());
                }
            };
        }
    }

    @Autowired
    ProducerTemplate producer;
    @Autowired
    MeterRegistry meterRegistry;
    @LocalServerPort
    int port;

    @Test
    void aRouteToLlmqueueAnswersAgainstTheSimulator() {
        String answer = producer.requestBody("direct:ask", "Why is the sky blue?", String.class);
        assertTrue(answer.startsWith("Simulated answer to: Why is the sky blue?"), answer);
    }

    @Test
    void bootsMeterRegistryReceivesTheLlmqueueMeters() {
        producer.requestBody("direct:ask", "count me", String.class);
        Timer calls = meterRegistry.find("llmqueue.call").tags("provider", "ollama", "outcome", "success").timer();
        assertNotNull(calls, "llmqueue.call in Boot's MeterRegistry: " + meterRegistry.getMeters().size() + " meters");
        assertTrue(calls.count() >= 1, "calls: " + calls.count());
        assertNotNull(meterRegistry.find("llmqueue.queue.size").tag("priority", "HIGH").gauge());
        assertEquals(0, meterRegistry.get("llmqueue.requests.active").gauge().value());
    }

    @Test
    void actuatorHealthShowsTheLlmqueueCheck() throws Exception {
        producer.requestBody("direct:ask", "are you there?", String.class); // the component exists once a route used it
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        JsonNode camel = new ObjectMapper().readTree(response.body()).path("components").path("camelHealth");
        assertEquals("UP", camel.path("details").path("llmqueue").asText(), response.body());
    }
}
