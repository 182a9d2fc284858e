package dev.llmqueue.camel;

import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retries, deadlines, cancellation, abandoned callers, load shedding and bad input, through the whole component.
 */
class ResilienceTest {

    private static final String BUSY = "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}";

    private FakeLlmServer server;
    private CamelContext context;
    private LlmQueueComponent component;

    @BeforeEach
    void setUp() throws Exception {
        server = new FakeLlmServer();
        context = new DefaultCamelContext();
        component = new LlmQueueComponent(name -> null);
        context.addComponent("llmqueue", component);
    }

    @AfterEach
    void tearDown() throws Exception {
        server.release();
        context.stop();
        server.close();
    }

    private String uri(String options) {
        return "llmqueue:ollama?model=llama3.2&retryBackoff=10&baseUrl=" + server.baseUrl()
               + (options.isEmpty() ? "" : "&" + options);
    }

    private AsyncProducer producer(String options) throws Exception {
        AsyncProducer producer = context.getEndpoint(uri(options)).createAsyncProducer();
        ServiceHelper.startService(producer);
        return producer;
    }

    private static CompletableFuture<Exchange> send(AsyncProducer producer, String prompt) {
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody(prompt);
        return send(producer, exchange);
    }

    private static CompletableFuture<Exchange> send(AsyncProducer producer, Exchange exchange) {
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        producer.process(exchange, doneSync -> {
            if (calls.incrementAndGet() > 1) {
                done.completeExceptionally(new AssertionError("callback called twice"));
            }
            done.complete(exchange);
        });
        return done;
    }

    private static Exchange await(CompletableFuture<Exchange> future) throws Exception {
        return future.get(20, TimeUnit.SECONDS);
    }

    /** Answers with the given responses in turn, then with echo replies. */
    private void respondInTurn(Function<RecordedRequest, MockResponse>... responses) {
        AtomicInteger call = new AtomicInteger();
        server.respondWith(request -> {
            int n = call.getAndIncrement();
            return n < responses.length ? responses[n].apply(request) : FakeLlmServer.echo(request);
        });
    }

    private static Function<RecordedRequest, MockResponse> status(int code, String body, String... headers) {
        return request -> {
            MockResponse.Builder builder = new MockResponse.Builder().code(code).body(body);
            for (int i = 0; i < headers.length; i += 2) {
                builder.setHeader(headers[i], headers[i + 1]);
            }
            return builder.build();
        };
    }

    // ---- retries ----

    @Test
    void aBusyServerIsRetriedUntilItAnswersAndTheAttemptsAreReported() throws Exception {
        respondInTurn(status(503, BUSY), status(429, "{\"error\":{\"message\":\"slow down\",\"code\":\"rate_limit_exceeded\"}}"));
        context.start();
        Exchange exchange = await(send(producer(""), "hello"));
        assertNull(exchange.getException());
        assertEquals("echo: hello", exchange.getMessage().getBody());
        assertEquals(3, exchange.getMessage().getHeader(LlmQueueConstants.ATTEMPTS));
        assertEquals(3, server.requestCount());
    }

    @Test
    void afterMaxRetriesTheLastFailureIsReported() throws Exception {
        server.respondWith(status(502, "bad gateway"));
        context.start();
        Exchange exchange = await(send(producer("maxRetries=2"), "hello"));
        LlmProviderException e = assertInstanceOf(LlmProviderException.class, exchange.getException());
        assertEquals(502, e.getStatusCode());
        assertEquals(3, exchange.getMessage().getHeader(LlmQueueConstants.ATTEMPTS));
        assertEquals(3, server.requestCount());
    }

    @Test
    void giveUpAnswersAreNeverRetried() throws Exception {
        context.start();
        AsyncProducer producer = producer("");
        for (int status : new int[] { 400, 401, 403, 404, 422, 500 }) {
            int before = server.requestCount();
            server.respondWith(status(status, "{\"error\":\"no\"}"));
            Exchange exchange = await(send(producer, "hello"));
            assertEquals(status, assertInstanceOf(LlmProviderException.class, exchange.getException()).getStatusCode());
            assertEquals(before + 1, server.requestCount(), "HTTP " + status + " must not be retried");
        }
    }

    @Test
    void insufficientQuotaFailsAtOnceWithItsText() throws Exception {
        server.respondWith(status(429, "{\"error\":{\"message\":\"You exceeded your current quota, please check your plan"
                                        + " and billing details.\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}",
                "Retry-After", "1"));
        context.start();
        Exchange exchange = await(send(producer(""), "hello"));
        LlmProviderException e = assertInstanceOf(LlmProviderException.class, exchange.getException());
        assertFalse(e.isRetryable());
        assertTrue(e.getMessage().contains("You exceeded your current quota"), e.getMessage());
        assertEquals(1, server.requestCount());
    }

    @Test
    void theServersRetryAfterIsHonoured() throws Exception {
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        AtomicInteger call = new AtomicInteger();
        server.respondWith(request -> {
            arrivals.add(System.nanoTime());
            return call.getAndIncrement() == 0 ? status(429, "{}", "retry-after-ms", "300").apply(request)
                    : FakeLlmServer.echo(request);
        });
        context.start();
        assertNull(await(send(producer(""), "hello")).getException());
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(arrivals.get(1) - arrivals.get(0));
        assertTrue(waitedMillis >= 300, "retried after " + waitedMillis + " ms, asked for 300");
    }

    @Test
    void aRequestWaitingToRetryHoldsNoSlot() throws Exception {
        component.setMaxConcurrentRequests(1);
        component.setAdaptiveConcurrency(false);
        AtomicInteger call = new AtomicInteger();
        server.respondWith(request -> call.getAndIncrement() == 0
                ? status(503, BUSY, "Retry-After", "1").apply(request) : FakeLlmServer.echo(request));
        context.start();
        AsyncProducer producer = producer("");
        CompletableFuture<Exchange> first = send(producer, "first");
        server.awaitArrivals(1);
        while (component.getScheduler().getRetryingCount() == 0) {
            Thread.onSpinWait(); // the 503 is on its way back
        }
        Exchange second = await(send(producer, "second"));
        assertEquals("echo: second", second.getMessage().getBody(), "served while the first waits out its back-off");
        assertFalse(first.isDone());
        assertEquals("echo: first", await(first).getMessage().getBody());
        assertEquals(List.of("first", "second", "first"), server.prompts());
    }

    @Test
    void aServerThatCannotBeReachedIsRetried() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        context.start();
        AsyncProducer producer = context.getEndpoint("llmqueue:ollama?model=m&retryBackoff=5&baseUrl=http://127.0.0.1:" + port)
                .createAsyncProducer();
        ServiceHelper.startService(producer);
        Exchange exchange = await(send(producer, "hello"));
        LlmProviderException e = assertInstanceOf(LlmProviderException.class, exchange.getException());
        assertEquals(LlmProviderException.NO_RESPONSE, e.getStatusCode());
        assertTrue(e.isRetryable());
        assertEquals(3, exchange.getMessage().getHeader(LlmQueueConstants.ATTEMPTS));
    }

    // ---- deadlines, cancellation, abandoned callers ----

    @Test
    void aRequestPastItsDeadlineHeaderFailsAtThatMomentWithoutACall() throws Exception {
        component.setMaxConcurrentRequests(1);
        context.start();
        AsyncProducer producer = producer("");
        server.hold();
        CompletableFuture<Exchange> running = send(producer, "running");
        server.awaitArrivals(1);
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody("hurry");
        exchange.getMessage().setHeader(LlmQueueConstants.DEADLINE, System.currentTimeMillis() + 100);
        Exchange expired = await(send(producer, exchange));
        LlmQueueTimeoutException e = assertInstanceOf(LlmQueueTimeoutException.class, expired.getException());
        assertTrue(e.getMessage().contains("deadline"), e.getMessage());
        assertFalse(running.isDone(), "it expired while the slot was still taken: at its deadline, not when popped");
        assertEquals(0, component.getHighPriorityQueueSize());
        server.release();
        await(running);
        assertEquals(List.of("running"), server.prompts());
    }

    @Test
    void maxQueueTimeBoundsTheWaitOnTheStack() throws Exception {
        component.setMaxConcurrentRequests(1);
        context.start();
        AsyncProducer producer = producer("maxQueueTime=100");
        server.hold();
        CompletableFuture<Exchange> running = send(producer, "running");
        server.awaitArrivals(1);
        Exchange expired = await(send(producer, "waits too long"));
        assertInstanceOf(LlmQueueTimeoutException.class, expired.getException());
        server.release();
        assertNull(await(running).getException(), "the call that got its slot in time is not cut");
    }

    @Test
    void cancellingAWaitingRequestFailsItAndItsCallIsNeverMade() throws Exception {
        component.setMaxConcurrentRequests(1);
        context.start();
        AsyncProducer producer = producer("");
        server.hold();
        CompletableFuture<Exchange> running = send(producer, "running");
        server.awaitArrivals(1);
        Exchange waiting = producer.getEndpoint().createExchange();
        waiting.getMessage().setBody("never sent");
        CompletableFuture<Exchange> cancelled = send(producer, waiting);
        String id = waiting.getMessage().getHeader(LlmQueueConstants.REQUEST_ID, String.class);
        assertTrue(component.cancel(id));
        assertInstanceOf(LlmQueueCancelledException.class, await(cancelled).getException());
        assertFalse(component.cancel(id), "already gone");
        server.release();
        await(running);
        assertEquals(List.of("running"), server.prompts());
    }

    @Test
    void aRequestWhoseRouteWasStoppedMeanwhileIsSkipped() throws Exception {
        component.setMaxConcurrentRequests(1);
        context.start();
        AsyncProducer producer = producer("");
        server.hold();
        CompletableFuture<Exchange> running = send(producer, "running");
        server.awaitArrivals(1);
        Exchange abandoned = producer.getEndpoint().createExchange();
        abandoned.getMessage().setBody("nobody waits for this");
        CompletableFuture<Exchange> skipped = send(producer, abandoned);
        abandoned.setRouteStop(true); // the caller gave up
        server.release();
        await(running);
        assertNull(await(skipped).getException());
        assertEquals(List.of("running"), server.prompts(), "no GPU time for an abandoned request");
    }

    // ---- load shedding ----

    @Test
    void dropOldestFailsTheBottomOfAFullStackToAcceptANewRequest() throws Exception {
        component.setMaxConcurrentRequests(1);
        component.setMaxLowQueueSize(2);
        component.setWhenFull(LlmQueueWhenFull.dropOldest);
        context.start();
        AsyncProducer producer = producer("priority=LOW");
        server.hold();
        CompletableFuture<Exchange> running = send(producer, "running");
        server.awaitArrivals(1);
        CompletableFuture<Exchange> oldest = send(producer, "oldest");
        CompletableFuture<Exchange> middle = send(producer, "middle");
        CompletableFuture<Exchange> newest = send(producer, "newest");
        LlmQueueRejectedException e = assertInstanceOf(LlmQueueRejectedException.class, await(oldest).getException());
        assertEquals(Reason.QUEUE_FULL, e.getReason());
        server.release();
        for (CompletableFuture<Exchange> f : List.of(running, middle, newest)) {
            assertNull(await(f).getException());
        }
        assertEquals(List.of("running", "newest", "middle"), server.prompts());
    }

    // ---- bad input: a clear error, nothing sent ----

    private void assertRejectedInput(Object body, String... expectedInMessage) throws Exception {
        context.start();
        Exchange exchange = producer("").getEndpoint().createExchange();
        exchange.getMessage().setBody(body);
        Exchange failed = await(send(producer(""), exchange));
        IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class, failed.getException());
        for (String expected : expectedInMessage) {
            assertTrue(e.getMessage().contains(expected), e.getMessage());
        }
        assertEquals(0, server.requestCount());
    }

    @Test
    void aNullBodyIsRefused() throws Exception {
        assertRejectedInput(null, "null", "String");
    }

    @Test
    void anEmptyBodyIsRefused() throws Exception {
        assertRejectedInput("  ", "empty");
    }

    @Test
    void aBodyOfAnUnsupportedTypeIsRefusedNamingTheAcceptedTypes() throws Exception {
        // a Map is the whole request JSON (issue 9), so another type stands for "unsupported" here
        assertRejectedInput(java.util.Set.of("role", "user"), "Unsupported message body type", "String", "List", "Map");
    }

    @Test
    void aMessageWithoutRoleOrContentIsRefused() throws Exception {
        assertRejectedInput(List.of(java.util.Map.of("content", "hi")), "message 0", "role");
        setUp();
        assertRejectedInput(List.of(java.util.Map.of("role", "user")), "message 0", "content");
    }

    @Test
    void badOptionsFailWhenTheEndpointIsCreatedNamingTheOption() {
        context.start();
        for (String[] bad : new String[][] {
                { "temperature=warm", "temperature" },
                { "maxTokens=-5", "maxTokens" },
                { "baseUrl=not a url", "baseUrl" },
                { "maxRetries=-1", "maxRetries" } }) {
            Exception e = assertThrows(ResolveEndpointFailedException.class,
                    () -> context.getEndpoint("llmqueue:ollama?model=m&" + bad[0]));
            String messages = e.getMessage() + " " + (e.getCause() != null ? e.getCause().getMessage() : "");
            assertTrue(messages.contains(bad[1]), messages);
        }
    }

    // ---- bad replies ----

    @Test
    void aReplyOverMaxResponseSizeFailsNamingTheLimit() throws Exception {
        server.respondWith(status(200, "{\"message\":{\"content\":\"" + "x".repeat(5000) + "\"}}"));
        context.start();
        Exchange exchange = await(send(producer("maxResponseSize=1000"), "hello"));
        LlmProviderException e = assertInstanceOf(LlmProviderException.class, exchange.getException());
        assertTrue(e.getMessage().contains("maxResponseSize"), e.getMessage());
        assertEquals(1, server.requestCount(), "an oversized reply is not retried");
    }

    @Test
    void aReplyWithInvalidUtf8FailsSayingTheReplyIsNotValid() throws Exception {
        okio.Buffer invalid = new okio.Buffer().writeUtf8("{\"message\":{\"content\":\"").writeByte(0xC3).writeByte(0x28)
                .writeUtf8("\"}}");
        server.respondWith(request -> new MockResponse.Builder().code(200).body(invalid.clone()).build());
        context.start();
        Exchange exchange = await(send(producer(""), "hello"));
        LlmProviderException e = assertInstanceOf(LlmProviderException.class, exchange.getException());
        assertTrue(e.getMessage().contains("not valid JSON") && e.getMessage().contains("UTF-8"), e.getMessage());
    }
}
