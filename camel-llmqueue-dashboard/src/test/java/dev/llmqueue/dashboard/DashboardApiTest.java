package dev.llmqueue.dashboard;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import dev.llmqueue.camel.LlmQueueComponent;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.main.Main;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The dashboard's JSON and its write rules over HTTP, without a browser: key names, the cap on the waiting list, what
 * never reaches the page, the status codes of the actions, the wiring from camel-main, and the one timer per context.
 */
class DashboardApiTest {

    private static final String TOKEN = "api-token";
    private static final Duration HELD = Duration.ofSeconds(60);
    private static final String API_KEY = "sk-dashboard-test-key-123";

    private DashboardFixture fixture;
    private Main main;

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
        if (main != null) {
            main.stop();
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    private static JsonObject json(String text) throws Exception {
        return (JsonObject) Jsoner.deserialize(text);
    }

    @Test
    void stateUsesTheDevConsoleKeysAndListsTheNewest100WithTheTotal() throws Exception {
        fixture = new DashboardFixture(HELD, 2, new LlmQueueDashboard());
        fixture.send("HIGH", 2);
        fixture.send("LOW", 150);
        fixture.send("HIGH", 3);
        await(() -> fixture.queue.getLowPriorityQueueSize() == 150, "150 LOW wait");
        HttpResponse<String> response = fixture.get("/llmqueue/api/state");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonObject root = json(response.body());
        assertEquals(false, root.getBoolean("writable"));
        JsonObject c = fixture.state();
        assertEquals("llmqueue", c.getString("component"));
        for (String key : List.of("highPriorityQueueSize", "lowPriorityQueueSize", "maxHighQueueSize", "maxLowQueueSize",
                "activeRequests", "retryingRequests", "maxConcurrentRequests", "disableBackground", "completed", "failed",
                "rejected", "expired", "cancelled", "queued", "inFlight", "waitTime", "callTime", "unreachableServers",
                "effectiveLimits", "oldestWaitMs", "queuedTotal", "served")) {
            assertTrue(c.containsKey(key), key);
        }
        assertEquals(3, c.getInteger("highPriorityQueueSize"));
        assertEquals(150, c.getInteger("lowPriorityQueueSize"));
        assertEquals(2, c.getInteger("activeRequests"));
        assertEquals(153, c.getLong("queuedTotal"));
        List<JsonObject> queued = objects(c.getCollection("queued"));
        assertEquals(100, queued.size());
        assertEquals(List.of("HIGH", "HIGH", "HIGH", "LOW"), queued.subList(0, 4).stream().map(q -> q.getString("priority")).toList());
        assertEquals(2, c.getCollection("inFlight").size());
        assertNotNull(((JsonObject) ((JsonObject) c.get("waitTime")).get("HIGH")).getLong("p99"));
    }

    @Test
    void noRequestIdModelOrKeyReachesThePageUnlessPromptsAreShownAndKeysNever() throws Exception {
        for (boolean showPrompts : new boolean[] { false, true }) {
            fixture = new DashboardFixture(HELD, 1, new LlmQueueDashboard().showPrompts(showPrompts));
            fixture.context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    errorHandler(noErrorHandler());
                    from("direct:openai").to("llmqueue:openai?model=gpt-4o-mini&priority=LOW&apiKey=RAW(" + API_KEY
                                             + ")&baseUrl=" + fixture.simulator.openAiBaseUrl());
                }
            });
            fixture.send("HIGH");
            String running = fixture.lastRequestId();
            fixture.send("HIGH");
            String waiting = fixture.lastRequestId();
            fixture.context.createProducerTemplate().asyncSendBody("direct:openai", "hello");
            await(() -> fixture.queue.getLowPriorityQueueSize() == 1 && fixture.queue.getActiveRequests() == 1,
                    "one running, two waiting");
            String everything = fixture.get("/llmqueue").body() + fixture.get("/llmqueue/dashboard.js").body()
                                + fixture.get("/llmqueue/api/state").body() + fixture.get("/llmqueue/api/history").body();
            assertFalse(everything.contains(API_KEY), "never a key");
            for (String secret : List.of(running, waiting, "llama3.2", "gpt-4o-mini")) {
                assertEquals(showPrompts, everything.contains(secret), secret + " with showPrompts=" + showPrompts);
            }
            fixture.close();
            fixture = null;
        }
    }

    @Test
    void thePageAndItsFilesComeFromTheJarWithNothingFromElsewhere() throws Exception {
        fixture = new DashboardFixture(HELD, 1, new LlmQueueDashboard());
        for (String[] file : new String[][] { { "/llmqueue", "text/html" }, { "/llmqueue/dashboard.js", "text/javascript" },
                { "/llmqueue/dashboard.css", "text/css" } }) {
            HttpResponse<String> response = fixture.get(file[0]);
            assertEquals(200, response.statusCode(), file[0]);
            assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith(file[1]), file[0]);
            // no CDN, no font service, no analytics: every address the page uses is its own
            assertFalse(response.body().matches("(?s).*(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}/.*"), file[0] + " loads from elsewhere");
        }
        assertTrue(fixture.get("/llmqueue").body().contains("src=\"/llmqueue/dashboard.js\""));
    }

    @Test
    void writesNeedTheTokenAndRejectBadInputWith400AndUnknownRequestsWith404() throws Exception {
        fixture = new DashboardFixture(HELD, 2, new LlmQueueDashboard().token(TOKEN));
        fixture.send("HIGH", 2);
        CompletableFuture<Exchange> waiting = fixture.send("LOW");
        String waitingId = fixture.lastRequestId();
        await(() -> fixture.queue.getLowPriorityQueueSize() == 1, "one waits");
        assertEquals(true, json(fixture.get("/llmqueue/api/state").body()).getBoolean("writable"));

        String limit = "/llmqueue/api/maxConcurrentRequests";
        assertEquals(401, fixture.post(limit, null, "{\"value\":3}").statusCode());
        HttpResponse<String> wrong = fixture.post(limit, "not-" + TOKEN, "{\"value\":3}");
        assertEquals(401, wrong.statusCode());
        assertTrue(wrong.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        assertEquals(2, fixture.queue.getMaxConcurrentRequests(), "a refused write changes nothing");

        HttpResponse<String> zero = fixture.post(limit, TOKEN, "{\"value\":0}");
        assertEquals(400, zero.statusCode());
        assertTrue(json(zero.body()).getString("error").contains("at least 1"), zero.body());
        assertEquals(400, fixture.post(limit, TOKEN, "{\"value\":\"many\"}").statusCode());
        assertEquals(400, fixture.post(limit, TOKEN, "not json").statusCode());
        assertEquals(404, fixture.post(limit, TOKEN, "{\"component\":\"nope\",\"value\":3}").statusCode());
        assertEquals(2, fixture.queue.getMaxConcurrentRequests());

        HttpResponse<String> unknown = fixture.post("/llmqueue/api/cancel", TOKEN, "{\"requestId\":\"no-such-request\"}");
        assertEquals(404, unknown.statusCode());
        assertTrue(json(unknown.body()).containsKey("error"));
        assertEquals(404, fixture.post("/llmqueue/api/cancel", TOKEN, "{\"ref\":\"0123456789abcdef0123\"}").statusCode());
        assertEquals(400, fixture.post("/llmqueue/api/cancel", TOKEN, "{}").statusCode());
        assertEquals(400, fixture.post("/llmqueue/api/background", TOKEN, "{\"enabled\":\"maybe\"}").statusCode());
        assertFalse(waiting.isDone());

        HttpResponse<String> raised = fixture.post(limit, TOKEN, "{\"value\":3}");
        assertEquals(200, raised.statusCode(), raised.body());
        assertEquals(3, fixture.queue.getMaxConcurrentRequests());
        await(() -> fixture.queue.getActiveRequests() == 3, "raising the limit starts the waiting request");
        assertEquals(404, fixture.post("/llmqueue/api/cancel", TOKEN, "{\"requestId\":\"" + waitingId + "\"}").statusCode(),
                "a running request is not waiting");
        assertFalse(fixture.get("/llmqueue/api/state").headers().firstValue("Authorization").isPresent());
    }

    @Test
    void theHistoryIsKeptServerSideOneSamplePerSecond() throws Exception {
        fixture = new DashboardFixture(Duration.ofMillis(10), 2, new LlmQueueDashboard());
        for (CompletableFuture<Exchange> done : fixture.send("HIGH", 5)) {
            done.get(10, TimeUnit.SECONDS);
        }
        await(() -> {
            try {
                JsonObject c = (JsonObject) json(fixture.get("/llmqueue/api/history").body()).getCollection("components")
                        .iterator().next();
                return c.getCollection("completedPerSecond").stream().mapToLong(v -> ((Number) v).longValue()).sum() == 5;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "the history counts the 5 completions");
        JsonObject history = json(fixture.get("/llmqueue/api/history").body());
        assertEquals(1000, history.getInteger("intervalMs"));
        JsonObject c = (JsonObject) history.getCollection("components").iterator().next();
        int samples = c.getCollection("time").size();
        for (String key : List.of("highPriorityQueueSize", "lowPriorityQueueSize", "activeRequests",
                "completedPerSecond", "failedPerSecond", "rejectedPerSecond")) {
            assertEquals(samples, c.getCollection(key).size(), key);
        }
        for (String key : List.of("waitP50", "waitP99", "oldestWaitMs")) {
            assertEquals(samples, ((JsonObject) c.get(key)).getCollection("HIGH").size(), key);
        }
        assertTrue(((JsonObject) c.get("waitP99")).getCollection("HIGH").stream().anyMatch(v -> v != null),
                "the second the calls started has a HIGH wait");
    }

    @Test
    void theRecorderKeepsTenMinutesOfSamplesAndCountsCompletionsPerSecond() throws Exception {
        fixture = new DashboardFixture(Duration.ofMillis(1), 1, new LlmQueueDashboard());
        // a recorder of its own that no timer drives: the test is its clock
        LlmQueueDashboardRecorder recorder = new LlmQueueDashboardRecorder(fixture.context);
        long t = 1_000_000;
        recorder.sample(t);
        for (CompletableFuture<Exchange> done : fixture.send("LOW", 3)) {
            done.get(10, TimeUnit.SECONDS);
        }
        recorder.sample(t += 1000);
        List<LlmQueueDashboardRecorder.Sample> samples = recorder.components().get("llmqueue").samples();
        assertEquals(2, samples.size());
        assertEquals(3, samples.get(1).completed());
        assertTrue(samples.get(1).lowWaitP50() >= 0, "LOW calls started in that second");
        assertEquals(-1, samples.get(1).highWaitP50(), "no HIGH call started");
        for (int i = 0; i < 700; i++) {
            recorder.sample(t += 1000);
        }
        samples = recorder.components().get("llmqueue").samples();
        assertEquals(LlmQueueDashboardRecorder.WINDOW_SECONDS, samples.size());
        assertEquals(t, samples.get(samples.size() - 1).time());
        assertEquals(t - 599_000, samples.get(0).time(), "the oldest samples are dropped");
        assertEquals(1, recorder.tracked());
    }

    @Test
    void oneTimerForTheContextWhateverTheNumberOfDashboardsAndViewers() throws Exception {
        LlmQueueDashboard second = new LlmQueueDashboard().path("/second");
        fixture = new DashboardFixture(Duration.ofMillis(1), 2, new LlmQueueDashboard());
        fixture.context.addRoutes(second);
        for (int i = 0; i < 20; i++) {
            assertEquals(200, fixture.get(i % 2 == 0 ? "/llmqueue/api/history" : "/second/api/state").statusCode());
        }
        assertSame(fixture.dashboard.recorder(), second.recorder());
        long timers = Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().contains("LlmQueueDashboard")).count();
        assertEquals(1, timers);
        // and it stops with the context
        fixture.close();
        fixture = null;
        await(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(thread -> thread.isAlive() && thread.getName().contains("LlmQueueDashboard")), "the timer ends");
    }

    @Test
    void camelMainAddsTheDashboardFromRoutesBuilderClassesAtTheConfiguredPath() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("camel.main.routesBuilderClasses", LlmQueueDashboard.class.getName());
        properties.setProperty("camel.server.enabled", "true");
        properties.setProperty("camel.server.port", "0");
        properties.setProperty("llmqueue.dashboard.path", "/ops/queue");
        properties.setProperty("camel.component.llmqueue.maxConcurrentRequests", "4");
        main = new Main();
        main.setOverrideProperties(properties);
        main.configure().addRoutesBuilder(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:chat").to("llmqueue:ollama?model=llama3.2");
            }
        });
        main.start();
        int port = main.getCamelContext().hasService(VertxPlatformHttpServer.class).getPort();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        HttpResponse<String> page = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://localhost:" + port + "/ops/queue")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("/ops/queue/dashboard.js"));
        HttpResponse<String> state = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://localhost:" + port + "/ops/queue/api/state")).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonObject c = (JsonObject) json(state.body()).getCollection("components").iterator().next();
        assertEquals(4, c.getInteger("maxConcurrentRequests"));
    }

    @Test
    void severalComponentsAreListedEachByName() throws Exception {
        fixture = new DashboardFixture(HELD, 1, new LlmQueueDashboard());
        LlmQueueComponent other = new LlmQueueComponent();
        fixture.context.addComponent("llmqueue-batch", other);
        List<String> names = new ArrayList<>();
        for (Object c : json(fixture.get("/llmqueue/api/state").body()).getCollection("components")) {
            names.add(((JsonObject) c).getString("component"));
        }
        assertEquals(List.of("llmqueue", "llmqueue-batch"), names);
        HttpResponse<String> history = fixture.get("/llmqueue/api/history");
        assertEquals(200, history.statusCode());
    }

    private static List<JsonObject> objects(Collection<?> values) {
        return values.stream().map(JsonObject.class::cast).toList();
    }
}
