package dev.llmqueue.examples;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import javax.management.Attribute;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.apache.camel.CamelContext;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.main.Main;
import org.apache.camel.util.json.JsonArray;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The operations side of the example route files, over HTTP and JMX the way an operator reaches them: the stats route,
 * the {@code llmqueue} dev console, the health checks, and the live background toggle.
 */
class OperationsTest {

    @TempDir
    Path inbox;
    private final HttpClient http = HttpClient.newHttpClient();
    private LlmBackend backend;
    private Main main;
    private int port;

    @AfterEach
    void tearDown() {
        if (main != null) {
            main.stop();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private CamelContext start(Duration serviceTime, Map<String, String> properties, String... routeFiles) {
        backend = LlmBackend.start(Map.<String, String> of()::get, serviceTime, 2);
        Properties overrides = backend.properties();
        overrides.setProperty("inbox.dir", inbox.toString());
        overrides.setProperty("camel.server.port", "0");
        overrides.setProperty("camel.management.port", "0");
        properties.forEach(overrides::setProperty);
        main = QuickRun.newMain(List.of(routeFiles), overrides);
        main.start();
        CamelContext context = main.getCamelContext();
        port = context.hasService(VertxPlatformHttpServer.class).getPort();
        return context;
    }

    private HttpResponse<String> get(String path, String accept) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Accept", accept).timeout(Duration.ofSeconds(10)).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private JsonObject getJson(String path) throws Exception {
        HttpResponse<String> response = get(path, "application/json");
        assertEquals(200, response.statusCode(), path + ": " + response.body());
        return assertInstanceOf(JsonObject.class, Jsoner.deserialize(response.body()), path + ": " + response.body());
    }

    private JsonObject devConsole() throws Exception {
        return assertInstanceOf(JsonObject.class, getJson("/q/dev/llmqueue").get("llmqueue"));
    }

    /** Reads the dev console until it shows what is expected (the load routes run on their own timers). */
    private JsonObject awaitConsole(String what, Predicate<JsonObject> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        JsonObject json = devConsole();
        while (!condition.test(json)) {
            if (System.nanoTime() > deadline) {
                fail("the dev console never showed " + what + ": " + json.toJson());
            }
            Thread.sleep(20);
            json = devConsole();
        }
        return json;
    }

    @Test
    void theStatsRouteTheDevConsoleAndTheHealthCheckAnswerOverHttp() throws Exception {
        CamelContext context = start(Duration.ZERO, Map.of("answers.uri", "mock:answers", "chat.period", "50"),
                "routes/chat.camel.yaml", "routes/stats.camel.yaml");
        MockEndpoint answers = context.getEndpoint("mock:answers", MockEndpoint.class);
        answers.expectedMessageCount(3);
        MockEndpoint.assertIsSatisfied(context, 20, TimeUnit.SECONDS);

        JsonObject stats = getJson("/llmqueue/stats");
        for (String key : List.of("highPriorityQueueSize", "lowPriorityQueueSize", "activeRequests",
                "maxConcurrentRequests", "disableBackground", "completed", "failed", "rejected", "expired",
                "cancelled")) {
            assertTrue(stats.containsKey(key), key + " in " + stats.toJson());
        }
        assertEquals(2, stats.getInteger("maxConcurrentRequests"));
        assertEquals(false, stats.getBoolean("disableBackground"));
        assertTrue(stats.getLong("completed") >= 3, stats.toJson());

        JsonObject console = devConsole();
        for (String key : List.of("highPriorityQueueSize", "lowPriorityQueueSize", "activeRequests",
                "maxConcurrentRequests", "disableBackground", "completed", "failed", "rejected", "queued", "inFlight",
                "waitTime", "callTime")) {
            assertTrue(console.containsKey(key), key + " in " + console.toJson());
        }
        assertInstanceOf(JsonArray.class, console.get("queued"));
        JsonObject highWait = assertInstanceOf(JsonObject.class, console.getMap("waitTime").get("HIGH"));
        assertTrue(highWait.getLong("count") >= 3 && highWait.containsKey("p99"), console.toJson());
        assertTrue(get("/q/dev/llmqueue", "text/plain").body().contains("LLM queue: llmqueue"));

        JsonObject health = getJson("/observe/health?data=true");
        assertEquals("UP", health.getString("status"), health.toJson());
        JsonObject check = ((JsonArray) health.get("checks")).stream().map(JsonObject.class::cast)
                .filter(c -> "llmqueue".equals(c.getString("name"))).findFirst().orElse(null);
        assertNotNull(check, "the llmqueue check in " + health.toJson());
        assertEquals("UP", check.getString("status"));
        assertTrue(check.getMap("data").containsKey("highPriorityQueueSize"), check.toJson());
        assertEquals(200, get("/observe/health/ready", "application/json").statusCode());
        assertEquals(200, get("/observe/health/live", "application/json").statusCode());
    }

    @Test
    void applicationPropertiesTurnTheDashboardOnBesideTheStatsRoute() throws Exception {
        CamelContext context = start(Duration.ZERO, Map.of("answers.uri", "mock:answers", "chat.period", "50"),
                "routes/chat.camel.yaml", "routes/stats.camel.yaml");
        assertEquals("http://localhost:" + port + "/llmqueue", QuickRun.dashboardUrl(context));
        HttpResponse<String> page = get("/llmqueue", "text/html");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("/llmqueue/dashboard.js"), page.body());
        JsonObject state = (JsonObject) Jsoner.deserialize(get("/llmqueue/api/state", "application/json").body());
        assertEquals("llmqueue", ((JsonObject) state.getCollection("components").iterator().next()).getString("component"));
        assertEquals(false, state.getBoolean("writable"), "read-only unless a token is set");
        assertEquals(200, get("/llmqueue/stats", "application/json").statusCode(), "the stats route is still there");
    }

    @Test
    void anOperatorFlipsDisableBackgroundLiveAndLowFailsFastWhileHighGoesOn() throws Exception {
        CamelContext context = start(Duration.ofMillis(100), Map.of("load.highPeriod", "100", "load.lowPeriod", "20"),
                "routes/load.camel.yaml", "routes/stats.camel.yaml");
        awaitConsole("LOW requests piling up", json -> json.getInteger("lowPriorityQueueSize") >= 3);

        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        ObjectName queue = new ObjectName("org.apache.camel:context=" + context.getManagementName()
                                          + ",type=components,name=\"llmqueue\"");
        mbeans.setAttribute(queue, new Attribute("DisableBackground", true));

        JsonObject off = devConsole();
        assertEquals(true, off.getBoolean("disableBackground"));
        assertEquals(0, off.getInteger("lowPriorityQueueSize"), "the waiting LOW requests failed at once");
        assertTrue(off.getLong("rejected") >= 3, off.toJson());
        long completed = off.getLong("completed");
        JsonObject later = awaitConsole("HIGH requests still answered",
                json -> json.getLong("completed") >= completed + 3);
        assertEquals(0, later.getInteger("lowPriorityQueueSize"));
        assertTrue(later.getLong("rejected") > off.getLong("rejected"), "new LOW requests are refused at once");
        assertFalse(((JsonArray) later.get("queued")).stream()
                .anyMatch(q -> "LOW".equals(((JsonObject) q).getString("priority"))), later.toJson());

        mbeans.setAttribute(queue, new Attribute("DisableBackground", false));
        awaitConsole("LOW requests queued again", json -> json.getInteger("lowPriorityQueueSize") >= 1);
    }
}
