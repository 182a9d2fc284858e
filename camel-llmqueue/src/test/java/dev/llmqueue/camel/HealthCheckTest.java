package dev.llmqueue.camel;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheck.State;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code llmqueue} health check the component registers: readiness follows the stacks' limits and the servers'
 * reachability, liveness the component's state.
 */
class HealthCheckTest {

    private static final String API_KEY = "sk-SECRET-123";

    private FakeLlmServer server;
    private CamelContext context;
    private LlmQueueComponent component;
    private HttpServer restarted;

    @BeforeEach
    void setUp() throws Exception {
        server = new FakeLlmServer();
        context = new DefaultCamelContext();
        component = new LlmQueueComponent(n -> null);
        component.setMaxConcurrentRequests(1);
        context.addComponent("llmqueue", component);
        context.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        server.release();
        context.stop();
        server.close();
        if (restarted != null) {
            restarted.stop(0);
        }
    }

    private HealthCheck check() {
        HealthCheck check = HealthCheckHelper.getHealthCheck(context, "llmqueue");
        assertNotNull(check, "the component registers its check as llmqueue");
        return check;
    }

    private AsyncProducer producer(String uri) throws Exception {
        AsyncProducer producer = context.getEndpoint(uri).createAsyncProducer();
        ServiceHelper.startService(producer);
        return producer;
    }

    private static CompletableFuture<Exchange> send(AsyncProducer producer, String body, String priority) {
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody(body);
        exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, priority);
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        producer.process(exchange, doneSync -> done.complete(exchange));
        return done;
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** An OpenAI-compatible server on a given port: the LLM server back after a restart. */
    private HttpServer startOpenAiServer(int port) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        http.createContext("/", exchange -> {
            byte[] body = OpenAiProviderTest.CHAT_REPLY.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        return http;
    }

    @Test
    void readinessIsUpWithTheFiguresInTheDetails() {
        HealthCheck.Result result = check().callReadiness();
        assertEquals(State.UP, result.getState());
        assertEquals(0, result.getDetails().get("highPriorityQueueSize"));
        assertEquals(0, result.getDetails().get("lowPriorityQueueSize"));
        assertEquals(0, result.getDetails().get("activeRequests"));
        assertFalse(result.getDetails().containsKey("reason"));
        assertTrue(HealthCheckHelper.isResultsUp(HealthCheckHelper.invokeReadiness(context), true));
    }

    @Test
    void readinessIsDownWhileAStackIsAtItsLimitAndUpAgainWhenItDrains() throws Exception {
        component.setMaxHighQueueSize(1);
        AsyncProducer producer = producer("llmqueue:ollama?model=llama3.2&maxRetries=0&baseUrl=" + server.baseUrl());
        server.hold();
        CompletableFuture<Exchange> running = send(producer, "running", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<Exchange> waiting = send(producer, "waiting", "HIGH");

        HealthCheck.Result down = check().callReadiness();
        assertEquals(State.DOWN, down.getState());
        assertEquals(1, down.getDetails().get("highPriorityQueueSize"));
        assertEquals(1, down.getDetails().get("activeRequests"));
        String reason = (String) down.getDetails().get("reason");
        assertTrue(reason.contains("HIGH priority stack is full") && reason.contains("maxHighQueueSize=1"), reason);
        assertEquals(reason, down.getMessage().orElse(null));
        assertNull(down.getDetails().get("lastError"), "no server error behind a full stack");
        assertFalse(HealthCheckHelper.isResultsUp(HealthCheckHelper.invokeReadiness(context), true));

        server.release();
        assertNull(running.get(10, TimeUnit.SECONDS).getException());
        assertNull(waiting.get(10, TimeUnit.SECONDS).getException());
        assertEquals(State.UP, check().callReadiness().getState());
    }

    @Test
    void readinessIsDownAfterFiveConnectionFailuresAndUpOnceTheServerAnswersAgain() throws Exception {
        int port = closedPort();
        String baseUrl = "http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + port + "/v1";
        AsyncProducer producer = producer("llmqueue:openai?model=gpt-4o-mini&maxRetries=0&apiKey=" + API_KEY
                                          + "&baseUrl=" + baseUrl);
        for (int i = 1; i <= 5; i++) {
            Exchange failed = send(producer, "PROMPT-" + i, "HIGH").get(10, TimeUnit.SECONDS);
            assertInstanceOf(LlmProviderException.class, failed.getException());
            assertEquals(i < 5 ? State.UP : State.DOWN, check().callReadiness().getState(), "after " + i + " failures");
        }

        HealthCheck.Result down = check().callReadiness();
        String reason = (String) down.getDetails().get("reason");
        assertTrue(reason.contains("the last 5 calls to http://") && reason.contains(":" + port)
                   && reason.contains("failed to connect or timed out"), reason);
        String lastError = (String) down.getDetails().get("lastError");
        assertNotNull(lastError);
        assertTrue(lastError.contains("cannot connect"), lastError);
        assertFalse(String.valueOf(down.getDetails()).contains(API_KEY), "no key in the details");
        assertFalse(String.valueOf(down.getMessage()).contains(API_KEY), "no key in the message");
        assertFalse(String.valueOf(down.getDetails()).contains("PROMPT-"), "no prompt in the details");
        assertEquals(State.UP, check().callLiveness().getState(), "an unreachable server does not make it not live");

        restarted = startOpenAiServer(port);
        Exchange answered = send(producer, "back?", "HIGH").get(10, TimeUnit.SECONDS);
        assertNull(answered.getException());
        HealthCheck.Result up = check().callReadiness();
        assertEquals(State.UP, up.getState());
        assertNull(up.getDetails().get("reason"));
    }

    @Test
    void livenessIsUpWhileStartedEvenWhenNotReadyAndDownOnceStopped() throws Exception {
        component.setMaxLowQueueSize(1);
        AsyncProducer producer = producer("llmqueue:ollama?model=llama3.2&maxRetries=0&baseUrl=" + server.baseUrl());
        server.hold();
        List<CompletableFuture<Exchange>> sent = new ArrayList<>();
        sent.add(send(producer, "running", "LOW"));
        server.awaitArrivals(1);
        sent.add(send(producer, "waiting", "LOW"));
        HealthCheck check = check();
        assertEquals(State.DOWN, check.callReadiness().getState());
        assertEquals(State.UP, check.callLiveness().getState());
        assertTrue(HealthCheckHelper.isResultsUp(HealthCheckHelper.invokeLiveness(context), false));

        server.release();
        for (CompletableFuture<Exchange> f : sent) {
            f.get(10, TimeUnit.SECONDS);
        }
        component.stop();
        HealthCheck.Result live = check.callLiveness();
        assertEquals(State.DOWN, live.getState());
        assertTrue(((String) live.getDetails().get("reason")).contains("stopped"), live.getDetails().toString());
        assertEquals(State.DOWN, check.callReadiness().getState());
    }

    @Test
    void eachComponentInstanceHasItsOwnCheckUntilShutdown() throws Exception {
        LlmQueueComponent other = new LlmQueueComponent(n -> null);
        context.addComponent("llmqueue-openai", other);
        other.start();
        assertNotNull(HealthCheckHelper.getHealthCheck(context, "llmqueue-openai"));
        assertNotNull(HealthCheckHelper.getHealthCheck(context, "llmqueue"));
        context.removeComponent("llmqueue-openai");
        assertNull(HealthCheckHelper.getHealthCheck(context, "llmqueue-openai"));
        assertNotNull(HealthCheckHelper.getHealthCheck(context, "llmqueue"));
    }
}
