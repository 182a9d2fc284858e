package dev.llmqueue.dashboard;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.simulator.LlmSimulator;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;

/**
 * A Camel context with an llmqueue component in front of the LLM simulator, the dashboard, and an HTTP server on a
 * free port: {@code direct:high} and {@code direct:low} queue a chat request at that priority.
 */
final class DashboardFixture implements AutoCloseable {

    final LlmSimulator simulator;
    final CamelContext context;
    final LlmQueueComponent queue;
    final LlmQueueDashboard dashboard;
    private final VertxPlatformHttpServer server;
    private final List<AsyncProducer> producers = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private int sent;
    private volatile String lastRequestId;

    DashboardFixture(Duration serviceTime, int slots, LlmQueueDashboard dashboard) throws Exception {
        simulator = LlmSimulator.builder().serviceTime(serviceTime).parallelism(slots).recordCalls(false).build().start();
        context = new DefaultCamelContext();
        VertxPlatformHttpServerConfiguration configuration = new VertxPlatformHttpServerConfiguration();
        configuration.setBindPort(0);
        server = new VertxPlatformHttpServer(configuration);
        context.addService(server);
        queue = new LlmQueueComponent();
        queue.setMaxConcurrentRequests(slots);
        context.addComponent("llmqueue", queue);
        String uri = "llmqueue:ollama?model=llama3.2&baseUrl=" + simulator.ollamaBaseUrl();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // the tests read each exchange's exception; nothing to log
                errorHandler(noErrorHandler());
                from("direct:high").routeId("high").to(uri + "&priority=HIGH");
                from("direct:low").routeId("low").to(uri + "&priority=LOW");
            }
        });
        this.dashboard = dashboard;
        context.addRoutes(dashboard);
        context.start();
    }

    int port() {
        return server.getPort();
    }

    String url(String path) {
        return "http://localhost:" + port() + path;
    }

    /** Queues one chat request; the future completes with the exchange when the route resumes. */
    synchronized CompletableFuture<Exchange> send(String priority) throws Exception {
        AsyncProducer producer = context.getEndpoint("direct:" + priority.toLowerCase()).createAsyncProducer();
        producer.start();
        producers.add(producer);
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody(priority + " question " + (++sent));
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        producer.process(exchange, doneSync -> done.complete(exchange));
        // set by the llmqueue producer before process() returns
        lastRequestId = exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID, String.class);
        return done;
    }

    /** The request id of the last request sent. */
    String lastRequestId() {
        return lastRequestId;
    }

    List<CompletableFuture<Exchange>> send(String priority, int count) throws Exception {
        List<CompletableFuture<Exchange>> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.add(send(priority));
        }
        return all;
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String token, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code api/state}'s first component. */
    JsonObject state() throws Exception {
        JsonObject root = (JsonObject) Jsoner.deserialize(get(dashboard.getPath() == null ? "/llmqueue/api/state"
                : dashboard.getPath() + "/api/state").body());
        return (JsonObject) root.getCollection("components").iterator().next();
    }

    @Override
    public void close() {
        // first the server, so that calls in flight fail at once and stopping does not wait for them
        simulator.close();
        for (AsyncProducer producer : producers) {
            try {
                producer.stop();
            } catch (Exception e) {
                // closing anyway
            }
        }
        context.stop();
    }
}
