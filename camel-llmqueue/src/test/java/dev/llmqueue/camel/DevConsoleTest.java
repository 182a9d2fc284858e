package dev.llmqueue.camel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.console.DevConsole;
import org.apache.camel.console.DevConsole.MediaType;
import org.apache.camel.console.DevConsoleResolver;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.util.json.JsonArray;
import org.apache.camel.util.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code llmqueue} dev console, resolved the way {@code camel run --console} and {@code /q/dev/llmqueue} resolve
 * it, read while one call is held at the server and more requests wait.
 */
class DevConsoleTest {

    private FakeLlmServer server;
    private CamelContext context;
    private LlmQueueComponent component;
    private DevConsole console;

    @BeforeEach
    void setUp() throws Exception {
        server = new FakeLlmServer();
        context = new DefaultCamelContext();
        component = new LlmQueueComponent(n -> null);
        component.setMaxConcurrentRequests(1);
        context.addComponent("llmqueue", component);
        context.start();
        console = context.getCamelContextExtension().getContextPlugin(DevConsoleResolver.class)
                .resolveDevConsole("llmqueue");
    }

    @AfterEach
    void tearDown() throws Exception {
        server.release();
        context.stop();
        server.close();
    }

    private AsyncProducer producer() throws Exception {
        AsyncProducer producer = context.getEndpoint("llmqueue:ollama?model=llama3.2&maxRetries=0&baseUrl="
                                                     + server.baseUrl()).createAsyncProducer();
        ServiceHelper.startService(producer);
        return producer;
    }

    /** Sends a request and returns its exchange; the exchange carries its request id at once. */
    private static Exchange send(AsyncProducer producer, String body, String priority, List<CompletableFuture<?>> done) {
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody(body);
        exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, priority);
        CompletableFuture<Exchange> future = new CompletableFuture<>();
        done.add(future);
        producer.process(exchange, doneSync -> future.complete(exchange));
        return exchange;
    }

    private static String id(Exchange exchange) {
        return exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID, String.class);
    }

    private JsonObject json(Map<String, Object> options) {
        return assertInstanceOf(JsonObject.class, console.call(MediaType.JSON, options));
    }

    private static void awaitAll(List<CompletableFuture<?>> done) throws Exception {
        for (CompletableFuture<?> f : done) {
            f.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theConsoleIsFoundByItsId() {
        assertInstanceOf(LlmQueueDevConsole.class, console);
        assertEquals("llmqueue", console.getId());
        assertEquals("camel", console.getGroup());
    }

    @Test
    void jsonShowsTheStacksNewestFirstAndTheCallInFlight() throws Exception {
        AsyncProducer producer = producer();
        List<CompletableFuture<?>> done = new ArrayList<>();
        server.hold();
        Exchange running = send(producer, "running", "HIGH", done);
        server.awaitArrivals(1);
        Exchange h1 = send(producer, "h1", "HIGH", done);
        Exchange l1 = send(producer, "l1", "LOW", done);
        Exchange h2 = send(producer, "h2", "HIGH", done);
        Exchange l2 = send(producer, "l2", "LOW", done);

        JsonObject json = json(Map.of());
        assertEquals("llmqueue", json.get("component"));
        assertEquals(2, json.get("highPriorityQueueSize"));
        assertEquals(2, json.get("lowPriorityQueueSize"));
        assertEquals(1, json.get("activeRequests"));
        assertEquals(1, json.get("maxConcurrentRequests"));
        assertEquals(false, json.get("disableBackground"));
        JsonArray queued = assertInstanceOf(JsonArray.class, json.get("queued"));
        assertEquals(List.of(id(h2), id(h1), id(l2), id(l1)),
                queued.stream().map(q -> ((JsonObject) q).getString("requestId")).toList(),
                "HIGH then LOW, newest first in each");
        JsonObject first = (JsonObject) queued.get(0);
        assertEquals("HIGH", first.get("priority"));
        assertEquals("llama3.2", first.get("model"));
        assertTrue(first.getLong("ageMs") >= 0);
        assertEquals("LOW", ((JsonObject) queued.get(2)).get("priority"));
        JsonArray inFlight = assertInstanceOf(JsonArray.class, json.get("inFlight"));
        assertEquals(1, inFlight.size());
        JsonObject call = (JsonObject) inFlight.get(0);
        assertEquals(id(running), call.getString("requestId"));
        assertEquals("HIGH", call.get("priority"));
        assertEquals("llama3.2", call.get("model"));
        assertEquals(server.baseUrl() + "/api/chat", call.get("url"));
        assertTrue(call.getLong("ageMs") >= 0);

        server.release();
        awaitAll(done);
        JsonObject after = json(Map.of());
        assertEquals(5L, after.get("completed"));
        assertEquals(0L, after.get("failed"));
        assertEquals(0L, after.get("rejected"));
        assertEquals(0, ((JsonArray) after.get("queued")).size());
        assertEquals(0, ((JsonArray) after.get("inFlight")).size(), "a finished call leaves inFlight");
    }

    @Test
    void jsonCountsRejectedAndFailedRequests() throws Exception {
        server.respondWith(request -> FakeLlmServer.json(404, "{\"error\":\"model not found\"}"));
        component.setDisableBackground(true);
        AsyncProducer producer = producer();
        List<CompletableFuture<?>> done = new ArrayList<>();
        send(producer, "x", "HIGH", done);
        send(producer, "y", "LOW", done);
        awaitAll(done);
        JsonObject json = json(Map.of());
        assertEquals(true, json.get("disableBackground"));
        assertEquals(1L, json.get("failed"));
        assertEquals(1L, json.get("rejected"));
        assertEquals(0L, json.get("completed"));
    }

    @Test
    void jsonHasWaitAndCallPercentilesPerPriority() throws Exception {
        AsyncProducer producer = producer();
        List<CompletableFuture<?>> done = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            send(producer, "h" + i, "HIGH", done);
        }
        send(producer, "l", "LOW", done);
        awaitAll(done);
        JsonObject json = json(Map.of());
        for (String key : List.of("waitTime", "callTime")) {
            JsonObject times = assertInstanceOf(JsonObject.class, json.get(key), key);
            JsonObject high = assertInstanceOf(JsonObject.class, times.get("HIGH"), key);
            JsonObject low = assertInstanceOf(JsonObject.class, times.get("LOW"), key);
            assertEquals(3L, high.get("count"), key);
            assertEquals(1L, low.get("count"), key);
            for (String p : List.of("p50", "p95", "p99")) {
                assertNotNull(high.get(p), key + " " + p);
                assertTrue(high.getLong(p) >= 0, key + " " + p);
            }
            assertTrue(high.getLong("p50") <= high.getLong("p95") && high.getLong("p95") <= high.getLong("p99"), key);
        }
    }

    @Test
    void textShowsTheFiguresAndEachRequest() throws Exception {
        AsyncProducer producer = producer();
        List<CompletableFuture<?>> done = new ArrayList<>();
        server.hold();
        Exchange running = send(producer, "running", "HIGH", done);
        server.awaitArrivals(1);
        Exchange waiting = send(producer, "waiting", "LOW", done);
        String text = (String) console.call(MediaType.TEXT, Map.of());
        assertTrue(text.contains("LLM queue: llmqueue"), text);
        assertTrue(text.contains("Waiting: HIGH 0 of 10000, LOW 1 of 10000"), text);
        assertTrue(text.contains("In flight: 1 of 1 slots"), text);
        assertTrue(text.contains("Background disabled: false"), text);
        assertTrue(text.contains("queued     LOW  " + id(waiting)), text);
        assertTrue(text.contains("in flight  HIGH " + id(running)), text);
        assertTrue(text.contains("url=" + server.baseUrl() + "/api/chat"), text);
        assertTrue(text.contains("Wait HIGH p50="), text);
        server.release();
        awaitAll(done);
    }

    @Test
    void jsonListsEveryLlmQueueComponentAndShowsTheOneAskedFor() throws Exception {
        LlmQueueComponent other = new LlmQueueComponent(n -> null);
        other.setMaxConcurrentRequests(7);
        context.addComponent("llmqueue-openai", other);
        JsonObject json = json(Map.of(LlmQueueDevConsole.COMPONENT, "llmqueue-openai"));
        assertEquals("llmqueue-openai", json.get("component"));
        assertEquals(7, json.get("maxConcurrentRequests"));
        assertEquals(List.of("llmqueue", "llmqueue-openai"), json.get("components"));
        assertEquals("llmqueue", json(Map.of()).get("component"), "the component named llmqueue by default");
        assertNull(json(Map.of(LlmQueueDevConsole.COMPONENT, "nope")).get("highPriorityQueueSize"));
    }
}
