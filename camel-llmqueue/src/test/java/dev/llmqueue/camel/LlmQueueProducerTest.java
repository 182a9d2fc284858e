package dev.llmqueue.camel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.builder.RouteBuilder;
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
 * The scheduling semantics through the whole component, against a fake Ollama that can hold calls.
 */
class LlmQueueProducerTest {

    private final Map<String, String> environment = new HashMap<>();
    private FakeLlmServer server;
    private CamelContext context;
    private LlmQueueComponent component;

    @BeforeEach
    void setUp() throws Exception {
        server = new FakeLlmServer();
        context = new DefaultCamelContext();
        component = new LlmQueueComponent(environment::get);
        context.addComponent("llmqueue", component);
    }

    @AfterEach
    void tearDown() throws Exception {
        server.release();
        context.stop();
        server.close();
    }

    private String uri(String options) {
        return "llmqueue:ollama?model=llama3.2&baseUrl=" + server.baseUrl() + (options.isEmpty() ? "" : "&" + options);
    }

    private AsyncProducer producer(String options) throws Exception {
        AsyncProducer producer = context.getEndpoint(uri(options)).createAsyncProducer();
        ServiceHelper.startService(producer);
        return producer;
    }

    /** One exchange sent with process(exchange, callback) from the test thread. */
    private static final class Sent {
        final Exchange exchange;
        final boolean returned;
        final AtomicInteger callbacks = new AtomicInteger();
        final CompletableFuture<Boolean> done = new CompletableFuture<>();
        volatile String resumedOn;

        Sent(AsyncProducer producer, Exchange exchange) {
            this.exchange = exchange;
            this.returned = producer.process(exchange, doneSync -> {
                resumedOn = Thread.currentThread().getName();
                callbacks.incrementAndGet();
                done.complete(doneSync);
            });
        }

        Exchange await() throws Exception {
            done.get(10, TimeUnit.SECONDS);
            return exchange;
        }
    }

    private Sent send(AsyncProducer producer, String prompt, String priority) {
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody(prompt);
        if (priority != null) {
            exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, priority);
        }
        return new Sent(producer, exchange);
    }

    @Test
    void processReturnsFalseAtOnceAndCompletesThroughTheCallbackOnce() throws Exception {
        context.start();
        AsyncProducer producer = producer("");
        server.hold();
        Sent sent = send(producer, "hello", null);
        assertFalse(sent.returned, "process must return false: the exchange continues asynchronously");
        server.awaitArrivals(1);
        assertEquals(0, sent.callbacks.get(), "no completion while the LLM has not answered");
        server.release();
        Exchange exchange = sent.await();
        assertFalse(sent.done.get(), "done(false): completed on another thread");
        assertEquals("echo: hello", exchange.getMessage().getBody());
        assertEquals(1, sent.callbacks.get());
    }

    @Test
    void waitingRequestsAreServedHighFirstAndNewestFirstWithinEachPriority() throws Exception {
        component.setMaxConcurrentRequests(1);
        context.start();
        AsyncProducer producer = producer("");
        server.hold();
        Sent first = send(producer, "first", "HIGH");
        server.awaitArrivals(1);
        List<Sent> queued = List.of(send(producer, "high-1", "HIGH"), send(producer, "low-1", "LOW"),
                send(producer, "high-2", "HIGH"), send(producer, "low-2", "LOW"), send(producer, "high-3", "HIGH"));
        assertEquals(3, component.getScheduler().getHighPriorityQueueSize());
        assertEquals(2, component.getScheduler().getLowPriorityQueueSize());
        server.release();
        first.await();
        for (Sent sent : queued) {
            assertNull(sent.await().getException());
        }
        assertEquals(List.of("first", "high-3", "high-2", "high-1", "low-2", "low-1"), server.prompts());
    }

    @Test
    void noMoreCallsInFlightThanMaxConcurrentRequestsAcrossAllEndpoints() throws Exception {
        component.setMaxConcurrentRequests(2);
        context.start();
        AsyncProducer chat = producer("");
        AsyncProducer generate = producer("operation=generate");
        server.hold();
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            sent.add(send(i % 2 == 0 ? chat : generate, "p" + i, null));
        }
        server.awaitArrivals(2);
        assertEquals(2, component.getScheduler().getActiveRequests());
        assertEquals(6, component.getScheduler().getHighPriorityQueueSize());
        server.respondWith(request -> request.getUrl().encodedPath().endsWith("generate")
                ? FakeLlmServer.json(200, "{\"model\":\"llama3.2\",\"response\":\"ok\",\"done\":true}")
                : FakeLlmServer.echo(request));
        server.release();
        for (Sent s : sent) {
            assertNull(s.await().getException());
        }
        assertEquals(8, server.requestCount());
        assertEquals(2, server.maxInFlight());
    }

    @Test
    void theRouteResumesOnTheCallThreadAfterTheSlotIsReleased() throws Exception {
        List<String> seen = new ArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:chat")
                        .to(uri(""))
                        .process(e -> seen.add(Thread.currentThread().getName() + " active="
                                               + component.getScheduler().getActiveRequests()));
            }
        });
        context.start();
        String reply = context.createProducerTemplate().requestBody("direct:chat", "hi", String.class);
        assertEquals("echo: hi", reply);
        assertEquals(1, seen.size());
        assertTrue(seen.get(0).contains("LlmQueueCall"), "no hand-off to another thread: " + seen.get(0));
        assertTrue(seen.get(0).endsWith("active=0"), "the slot was given back first: " + seen.get(0));
    }

    @Test
    void routesBeyondTheInlineCapResumeOnTheCompletionPool() throws Exception {
        // with every call thread busy in a slow route, the next replies resume on the completion pool instead of
        // making the call pool grow without bound
        // the cap is the completion pool's size: max(maxConcurrentRequests, 2 x cores)
        int cap = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());
        component.setMaxConcurrentRequests(2);
        java.util.concurrent.CountDownLatch routesBlocked = new java.util.concurrent.CountDownLatch(cap);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        List<String> threads = java.util.Collections.synchronizedList(new ArrayList<>());
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:slow")
                        .to(uri(""))
                        .process(e -> {
                            String name = Thread.currentThread().getName();
                            threads.add(name);
                            if (name.contains("LlmQueueCall")) {
                                routesBlocked.countDown();
                                assertTrue(release.await(20, TimeUnit.SECONDS));
                            }
                        });
            }
        });
        context.start();
        org.apache.camel.ProducerTemplate template = context.createProducerTemplate();
        List<java.util.concurrent.CompletableFuture<Object>> sent = new ArrayList<>();
        for (int i = 0; i < cap; i++) {
            sent.add(template.asyncRequestBody("direct:slow", "blocked " + i));
        }
        assertTrue(routesBlocked.await(10, TimeUnit.SECONDS), "the first replies resumed inline");
        String next = template.requestBody("direct:slow", "next", String.class);
        assertEquals("echo: next", next);
        assertTrue(threads.get(threads.size() - 1).contains("LlmQueueCompletion"), threads.toString());
        release.countDown();
        for (java.util.concurrent.CompletableFuture<Object> future : sent) {
            future.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void thousandsOfWaitingRequestsHoldNoThreads() throws Exception {
        component.setMaxConcurrentRequests(1);
        context.start();
        AsyncProducer producer = producer("priority=LOW");
        server.hold();
        List<Sent> sent = new ArrayList<>();
        sent.add(send(producer, "blocker", null));
        server.awaitArrivals(1);
        int threadsBefore = Thread.activeCount();
        for (int i = 0; i < 2000; i++) {
            sent.add(send(producer, "p" + i, null));
        }
        assertEquals(2000, component.getScheduler().getLowPriorityQueueSize());
        assertTrue(Thread.activeCount() - threadsBefore < 5,
                "queued requests must not hold threads: " + threadsBefore + " -> " + Thread.activeCount());
        component.setMaxConcurrentRequests(8); // drain faster
        server.release();
        for (Sent s : sent) {
            assertNull(s.await().getException());
            assertEquals(1, s.callbacks.get());
        }
    }

    @Test
    void synchronousModeWaitsForTheReplyAndReturnsTrue() throws Exception {
        component.setAsyncQueue(false);
        context.start();
        AsyncProducer producer = producer("");
        Sent sent = send(producer, "sync", null);
        assertTrue(sent.returned, "asyncQueue=false: process completes before it returns");
        assertTrue(sent.done.isDone());
        assertTrue(sent.done.get(), "done(true)");
        assertEquals("echo: sync", sent.exchange.getMessage().getBody());
        assertEquals(Thread.currentThread().getName(), sent.resumedOn);
    }

    @Test
    void synchronousModeSharesTheStacksAndSlots() throws Exception {
        component.setAsyncQueue(false);
        component.setMaxConcurrentRequests(1);
        context.start();
        AsyncProducer producer = producer("");
        server.hold();
        CompletableFuture<Exchange> first = CompletableFuture.supplyAsync(() -> send(producer, "one", null).exchange);
        server.awaitArrivals(1);
        CompletableFuture<Exchange> second = CompletableFuture.supplyAsync(() -> send(producer, "two", null).exchange);
        while (component.getScheduler().getHighPriorityQueueSize() == 0) {
            Thread.onSpinWait(); // the second caller is parked on the stack, its thread waiting in process()
        }
        assertEquals(1, server.requestCount());
        server.release();
        assertEquals("echo: one", first.get(10, TimeUnit.SECONDS).getMessage().getBody());
        assertEquals("echo: two", second.get(10, TimeUnit.SECONDS).getMessage().getBody());
    }

    @Test
    void disabledBackgroundRejectsLowAtOnceAndSendsNothing() throws Exception {
        component.setDisableBackground(true);
        context.start();
        AsyncProducer producer = producer("priority=LOW");
        Sent low = send(producer, "background", null);
        assertTrue(low.returned, "rejected synchronously");
        LlmQueueRejectedException e = assertInstanceOf(LlmQueueRejectedException.class, low.exchange.getException());
        assertEquals(Reason.BACKGROUND_DISABLED, e.getReason());
        assertTrue(e.getMessage().contains("background"), e.getMessage());
        assertEquals(0, server.requestCount());
        Sent high = send(producer, "user", "HIGH");
        assertEquals("echo: user", high.await().getMessage().getBody());
    }

    @Test
    void aFullStackRejectsWithQueueFullNamingTheStackAndLimit() throws Exception {
        component.setMaxConcurrentRequests(1);
        component.setMaxHighQueueSize(2);
        context.start();
        AsyncProducer producer = producer("");
        server.hold();
        List<Sent> accepted = new ArrayList<>(List.of(send(producer, "running", null)));
        server.awaitArrivals(1);
        accepted.add(send(producer, "w1", null));
        accepted.add(send(producer, "w2", null));
        Sent rejected = send(producer, "w3", null);
        assertTrue(rejected.returned);
        LlmQueueRejectedException e = assertInstanceOf(LlmQueueRejectedException.class, rejected.exchange.getException());
        assertEquals(Reason.QUEUE_FULL, e.getReason());
        assertTrue(e.getMessage().contains("HIGH") && e.getMessage().contains("maxHighQueueSize=2"), e.getMessage());
        server.release();
        for (Sent s : accepted) {
            assertNull(s.await().getException());
        }
        assertEquals(3, server.requestCount());
    }

    @Test
    void stoppingTheContextFailsWaitingRequestsAtOnceAndCompletesTheCallInFlightOnce() throws Exception {
        component.setMaxConcurrentRequests(1);
        context.start();
        AsyncProducer producer = producer("");
        server.hold();
        Sent running = send(producer, "running", null);
        server.awaitArrivals(1);
        List<Sent> waiting = List.of(send(producer, "w1", null), send(producer, "w2", "LOW"), send(producer, "w3", null));
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> context.stop());
        for (Sent s : waiting) {
            LlmQueueRejectedException e
                    = assertInstanceOf(LlmQueueRejectedException.class, s.await().getException());
            assertEquals(Reason.SHUTTING_DOWN, e.getReason());
        }
        server.release();
        stopping.get(30, TimeUnit.SECONDS);
        running.await(); // with no route to wait for it, the call may finish or be cut by the transport's stop
        for (Sent s : waiting) {
            assertEquals(1, s.callbacks.get());
        }
        assertEquals(1, running.callbacks.get());
        assertEquals(1, server.requestCount(), "no waiting request was started during the stop");
    }

    @Test
    void gracefulShutdownLetsTheRoutesCallInFlightFinishAndFailsTheWaitingOnes() throws Exception {
        component.setMaxConcurrentRequests(1);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:chat").to(uri(""));
            }
        });
        context.start();
        server.hold();
        CompletableFuture<Exchange> running = context.createProducerTemplate().asyncSend("direct:chat",
                e -> e.getMessage().setBody("running"));
        server.awaitArrivals(1);
        List<CompletableFuture<Exchange>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String body = "w" + i;
            waiting.add(context.createProducerTemplate().asyncSend("direct:chat", e -> e.getMessage().setBody(body)));
        }
        while (component.getScheduler().getHighPriorityQueueSize() < 3) {
            Thread.onSpinWait(); // the async sends reach the stack on the template's threads
        }
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> context.stop());
        for (CompletableFuture<Exchange> w : waiting) {
            LlmQueueRejectedException e = assertInstanceOf(LlmQueueRejectedException.class,
                    w.get(10, TimeUnit.SECONDS).getException());
            assertEquals(Reason.SHUTTING_DOWN, e.getReason());
        }
        server.release();
        assertEquals("echo: running", running.get(10, TimeUnit.SECONDS).getMessage().getBody());
        stopping.get(30, TimeUnit.SECONDS);
        assertEquals(1, server.requestCount());
    }

    @Test
    void aRequestAfterStopIsRejectedAsShuttingDown() throws Exception {
        context.start();
        AsyncProducer producer = producer("");
        component.stop();
        Sent late = send(producer, "late", null);
        LlmQueueRejectedException e = assertInstanceOf(LlmQueueRejectedException.class, late.exchange.getException());
        assertEquals(Reason.SHUTTING_DOWN, e.getReason());
        assertEquals(0, server.requestCount());
    }

    @Test
    void thePriorityHeaderOverridesTheEndpointAndIgnoresCase() throws Exception {
        component.setMaxConcurrentRequests(1);
        context.start();
        AsyncProducer producer = producer("priority=HIGH");
        server.hold();
        Sent blocker = send(producer, "blocker", null);
        server.awaitArrivals(1);
        Sent low = send(producer, "low", "low");
        Exchange enumHeader = producer.getEndpoint().createExchange();
        enumHeader.getMessage().setBody("enum");
        enumHeader.getMessage().setHeader(LlmQueueConstants.PRIORITY, LlmQueuePriority.LOW);
        Sent lowEnum = new Sent(producer, enumHeader);
        assertEquals(2, component.getScheduler().getLowPriorityQueueSize());
        assertEquals(0, component.getScheduler().getHighPriorityQueueSize());
        server.release();
        blocker.await();
        low.await();
        lowEnum.await();
    }

    @Test
    void anInvalidPriorityHeaderFailsNamingTheValueAndQueuesNothing() throws Exception {
        context.start();
        AsyncProducer producer = producer("");
        Sent sent = send(producer, "hello", "urgent");
        assertTrue(sent.returned);
        IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class, sent.exchange.getException());
        assertTrue(e.getMessage().contains("'urgent'") && e.getMessage().contains("HIGH")
                   && e.getMessage().contains("LOW"), e.getMessage());
        assertEquals(0, server.requestCount());
        assertEquals(0, component.getScheduler().getHighPriorityQueueSize());
    }

    @Test
    void everyRequestGetsAUniqueRequestId() throws Exception {
        component.setMaxConcurrentRequests(4);
        context.start();
        AsyncProducer producer = producer("");
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            sent.add(send(producer, "p" + i, null));
        }
        Set<String> ids = new HashSet<>();
        for (Sent s : sent) {
            ids.add(s.await().getMessage().getHeader(LlmQueueConstants.REQUEST_ID, String.class));
        }
        assertEquals(500, ids.size());
        assertFalse(ids.contains(null));
    }

    @Test
    void waitAndCallTimesAreReportedInMilliseconds() throws Exception {
        context.start();
        Exchange exchange = send(producer(""), "timed", null).await();
        assertInstanceOf(Long.class, exchange.getMessage().getHeader(LlmQueueConstants.WAIT_TIME));
        assertInstanceOf(Long.class, exchange.getMessage().getHeader(LlmQueueConstants.CALL_TIME));
        assertTrue(exchange.getMessage().getHeader(LlmQueueConstants.WAIT_TIME, Long.class) >= 0);
    }

    @Test
    void anUnknownProviderFailsAtEndpointCreationNamingTheSupportedOnes() {
        context.start();
        ResolveEndpointFailedException e = assertThrows(ResolveEndpointFailedException.class,
                () -> context.getEndpoint("llmqueue:gemini?model=x"));
        String message = e.getMessage() + " " + e.getCause().getMessage();
        assertTrue(message.contains("gemini") && message.contains("ollama") && message.contains("openai"), message);
    }

    @Test
    void anUnknownOptionFailsAtEndpointCreationNamingIt() {
        context.start();
        ResolveEndpointFailedException e = assertThrows(ResolveEndpointFailedException.class,
                () -> context.getEndpoint("llmqueue:ollama?model=x&maxTokenz=5"));
        assertTrue(e.getMessage().contains("maxTokenz"), e.getMessage());
    }

    @Test
    void aBaseUrlThatIsNotAUrlFailsNamingIt() {
        context.start();
        Exception e = assertThrows(Exception.class,
                () -> context.getEndpoint("llmqueue:ollama?model=x&baseUrl=localhost:11434").createProducer());
        String messages = e.getMessage() + " " + (e.getCause() != null ? e.getCause().getMessage() : "");
        assertTrue(messages.contains("baseUrl") && messages.contains("localhost:11434"), messages);
    }
}
