package dev.llmqueue.camel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the component logs, captured with every {@code dev.llmqueue} logger at TRACE. The surefire execution
 * {@code logging-test} runs this class in a JVM of its own with {@code org.slf4j.simpleLogger.log.dev.llmqueue=trace}
 * (slf4j-simple reads levels once); slf4j-simple writes to {@code System.err}, which each test captures.
 */
class LoggingTest {

    private static final String API_KEY = "sk-SECRET-123";

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private PrintStream originalErr;
    private FakeLlmServer server;
    private CamelContext context;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(LoggerFactory.getLogger(LlmQueueComponent.class).isTraceEnabled(),
                "needs dev.llmqueue at TRACE: run by the surefire execution logging-test");
        originalErr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        server = new FakeLlmServer();
        context = new DefaultCamelContext();
        context.addComponent("llmqueue", new LlmQueueComponent(n -> null));
        context.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (context != null) {
            context.stop();
        }
        if (server != null) {
            server.close();
        }
        if (originalErr != null) {
            System.setErr(originalErr);
        }
    }

    private String log() {
        return captured.toString(StandardCharsets.UTF_8);
    }

    private Exchange send(String uri, String body, String priority) throws Exception {
        AsyncProducer producer = context.getEndpoint(uri).createAsyncProducer();
        ServiceHelper.startService(producer);
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody(body);
        exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, priority);
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        producer.process(exchange, doneSync -> done.complete(exchange));
        return done.get(10, TimeUnit.SECONDS);
    }

    private static String id(Exchange exchange) {
        return exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID, String.class);
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void debugLinesFollowEachStepOfARequest() throws Exception {
        Exchange done = send("llmqueue:ollama?model=llama3.2&baseUrl=" + server.baseUrl(), "hello", "LOW");
        assertNull(done.getException());
        String id = id(done);
        String log = log();
        assertTrue(log.contains("DEBUG dev.llmqueue.camel.LlmQueueComponent - queued " + id + " LOW model=llama3.2"), log);
        assertTrue(log.contains("dispatched " + id + " LOW attempt=1 waited="), log);
        assertTrue(log.contains("called " + id + " LOW attempt=1 call="), log);
        assertTrue(log.contains("completed " + id + " LOW"), log);
    }

    @Test
    void aFailureThatWillBeRetriedIsOneWarningWithStatusUrlAndDelay() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        server.respondWith(request -> calls.getAndIncrement() == 0
                ? FakeLlmServer.json(503, "{\"error\":\"server busy\"}") : FakeLlmServer.echo(request));
        Exchange done = send("llmqueue:ollama?model=llama3.2&retryBackoff=10&baseUrl=" + server.baseUrl(), "hello",
                "HIGH");
        assertNull(done.getException());
        String log = log();
        assertTrue(log.contains("WARN dev.llmqueue.camel.LlmQueueComponent - LLM call failed, retrying in "), log);
        assertTrue(log.contains("request " + id(done) + " HIGH attempt 1 url " + server.baseUrl() + "/api/chat: status 503"),
                log);
    }

    @Test
    void theFailureThatEndsARequestIsLeftToTheRoutesErrorHandlerAndNotLoggedAgain() throws Exception {
        server.respondWith(request -> FakeLlmServer.json(404, "{\"error\":\"model not found\"}"));
        Exchange done = send("llmqueue:ollama?model=nope&maxRetries=0&baseUrl=" + server.baseUrl(), "hello", "HIGH");
        assertInstanceOf(LlmProviderException.class, done.getException());
        String log = log();
        assertFalse(log.contains(" WARN "), "no warning of ours for a failure the exchange carries:\n" + log);
        assertFalse(log.contains("may be retried"), log);
        assertTrue(log.contains("call failed: request " + id(done) + " attempt 1"), "at DEBUG:\n" + log);
        assertTrue(log.contains("failed " + id(done) + " HIGH"), log);
    }

    @Test
    void promptsAndRepliesAppearOnlyAtTrace() throws Exception {
        send("llmqueue:ollama?model=llama3.2&baseUrl=" + server.baseUrl(), "what is the secret prompt", "HIGH");
        for (String line : log().split("\\R")) {
            if (line.contains("what is the secret prompt")) {
                assertTrue(line.contains(" TRACE "), "prompt or reply at a level above TRACE: " + line);
            }
        }
        assertTrue(log().contains("TRACE dev.llmqueue.camel.LlmQueueRequest"), "TRACE is on and the prompt shows");
    }

    @Test
    void theApiKeyNeverAppearsWhateverTheCallEndsWith() throws Exception {
        String uri = "llmqueue:openai?model=gpt-4o-mini&apiKey=" + API_KEY + "&maxRetries=1&retryBackoff=10"
                     + "&baseUrl=";
        server.respondWith(request -> FakeLlmServer.json(200, OpenAiProviderTest.CHAT_REPLY));
        assertNull(send(uri + server.baseUrl() + "/v1", "success", "HIGH").getException());
        server.respondWith(request -> FakeLlmServer.json(401,
                "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\","
                                                                        + "\"code\":\"invalid_api_key\"}}"));
        assertInstanceOf(LlmProviderException.class, send(uri + server.baseUrl() + "/v1", "unauthorised", "HIGH")
                .getException());
        server.respondWith(request -> FakeLlmServer.json(429,
                "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}"));
        Exchange limited = send(uri + server.baseUrl() + "/v1", "rate limited", "LOW");
        assertInstanceOf(LlmProviderException.class, limited.getException());
        assertEquals(2, limited.getMessage().getHeader(LlmQueueConstants.ATTEMPTS), "retried once");
        Exchange refused = send(uri + "http://127.0.0.1:" + closedPort() + "/v1", "refused", "HIGH");
        assertInstanceOf(LlmProviderException.class, refused.getException());

        String log = log();
        assertTrue(log.contains(" TRACE ") && log.contains(" DEBUG ") && log.contains(" WARN "), log);
        assertTrue(log.contains("status 401") && log.contains("status 429"), log);
        assertTrue(log.contains("cannot connect") || log.contains("url http://127.0.0.1:"), log);
        assertFalse(log.contains(API_KEY), "the API key was logged:\n" + log);
        assertFalse(log.contains("SECRET"), "part of the API key was logged:\n" + log);
    }
}
