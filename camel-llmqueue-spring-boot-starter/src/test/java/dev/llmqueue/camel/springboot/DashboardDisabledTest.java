package dev.llmqueue.camel.springboot;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import dev.llmqueue.dashboard.LlmQueueDashboard;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Without camel.component.llmqueue.dashboard.enabled, the same application as {@link DashboardEnabledTest} (the
 * dashboard module and a platform-http engine on the classpath) has no dashboard: no bean, no route, nothing at
 * /llmqueue. The property set to false is {@link DashboardAutoConfigurationTest}'s.
 */
@SpringBootTest(classes = TestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DashboardDisabledTest {

    @LocalServerPort
    int port;
    @Autowired
    CamelContext camelContext;
    @Autowired
    ApplicationContext applicationContext;

    @Test
    void noDashboardRouteExists() {
        assertTrue(applicationContext.getBeansOfType(LlmQueueDashboard.class).isEmpty());
        assertTrue(camelContext.getRoutes().stream().map(Route::getRouteId)
                .noneMatch(id -> id.startsWith("llmqueue-dashboard")), camelContext.getRoutes().toString());
    }

    @Test
    void nothingAnswersAtTheDashboardsPath() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + LlmQueueDashboard.DEFAULT_PATH + "/api/state")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, response.statusCode(), response.body());
    }
}
