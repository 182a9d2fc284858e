package dev.llmqueue.camel.springboot;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmqueue.simulator.LlmSimulator;
import org.apache.camel.Exchange;
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
 * When the llmqueue readiness check goes DOWN (here: the last 5 calls to the server could not connect), Actuator
 * reports it at Camel's default exposure level, and Camel's readiness indicator takes the application out of service:
 * /actuator/health answers 503.
 */
@SpringBootTest(classes = {TestApplication.class, HealthDownTest.Routes.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "management.endpoints.web.exposure.include=health",
        "management.endpoint.health.show-details=always",
        // Camel reports each probe that fails at WARN: expected here
        "logging.level.org.apache.camel.spring.boot.actuate.health=error",
})
class HealthDownTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class Routes {
        @Bean
        RouteBuilder deadServerRoute() {
            // a port where nothing listens: a simulator's, once closed
            LlmSimulator gone = LlmSimulator.builder().build().start();
            String baseUrl = gone.ollamaBaseUrl();
            gone.close();
            return new RouteBuilder() {
                @Override
                public void configure() {
                    // the failures are what this test provokes: the exchange carries them, the log need not
                    from("direct:ask").errorHandler(noErrorHandler()).to("llmqueue:ollama?model=llama3.2&maxRetries=0&baseUrl=" + baseUrl);
                }
            };
        }
    }

    @Autowired
    ProducerTemplate producer;
    @LocalServerPort
    int port;

    @Test
    void anUnreachableServerTakesTheApplicationOutOfReadiness() throws Exception {
        for (int i = 0; i < 5; i++) {
            Exchange failed = producer.send("direct:ask", e -> e.getMessage().setBody("hello?"));
            assertNotNull(failed.getException(), "nothing listens there");
        }
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(503, response.statusCode(), response.body());
        JsonNode components = new ObjectMapper().readTree(response.body()).path("components");
        assertEquals("DOWN", components.path("camelHealth").path("details").path("llmqueue").asText(), response.body());
        assertTrue(components.path("camelHealth").path("details").path("llmqueue.data").path("reason").asText()
                .contains("failed to connect"), response.body());
        assertEquals("OUT_OF_SERVICE", components.path("camelReadinessState").path("status").asText(),
                response.body());
    }
}
