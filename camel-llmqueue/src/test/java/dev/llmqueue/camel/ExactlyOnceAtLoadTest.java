package dev.llmqueue.camel;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.llmqueue.camel.LlmQueueListener.Outcome;
import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import mockwebserver3.MockResponse;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exactly-once completion past every pool and timer size, with listeners that throw, and with deadlines of any value:
 * the defects a review of the first release found (issue 14), each pinned through the whole component.
 */
class ExactlyOnceAtLoadTest {

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

    private AsyncProducer producer(String options) throws Exception {
        AsyncProducer producer = context.getEndpoint("llmqueue:ollama?model=llama3.2&retryBackoff=10&baseUrl="
                                                     + server.baseUrl() + (options.isEmpty() ? "" : "&" + options))
                .createAsyncProducer();
        ServiceHelper.startService(producer);
        return producer;
    }

    /** Sends one exchange; the future fails if its callback is ever called twice. */
    private static CompletableFuture<Exchange> send(AsyncProducer producer, Exchange exchange) {
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        producer.process(exchange, doneSync -> {
            if (calls.incrementAndGet() > 1) {
                done.obtrudeException(new AssertionError("callback called twice"));
            }
            done.complete(exchange);
        });
        return done;
    }

    private static CompletableFuture<Exchange> send(AsyncProducer producer, String prompt) {
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody(prompt);
        return send(producer, exchange);
    }

    private static Exchange await(CompletableFuture<Exchange> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    private static Exchange withHeader(AsyncProducer producer, String header, Object value) {
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody("hello");
        exchange.getMessage().setHeader(header, value);
        return exchange;
    }

    // ---- past the timer's and the pools' sizes ----

    @Test
    void moreThanAThousandRequestsWithDeadlinesWaitAndAllCompleteOnceAtStop() throws Exception {
        component.setMaxConcurrentRequests(1);
        server.hold();
        context.start();
        AsyncProducer producer = producer("maxQueueTime=60000");
        List<CompletableFuture<Exchange>> sent = new ArrayList<>();
        for (int i = 0; i < 1005; i++) {
            sent.add(send(producer, "r" + i));
        }
        server.awaitArrivals(1);
        assertEquals(1004, component.getHighPriorityQueueSize(), "every request past the first waits");
        assertEquals(0, component.getRejectedCount());
        context.stop();
        server.release();
        int rejected = 0;
        for (CompletableFuture<Exchange> future : sent) {
            Exchange exchange = await(future);
            if (exchange.getException() instanceof LlmQueueRejectedException e) {
                assertEquals(Reason.SHUTTING_DOWN, e.getReason());
                rejected++;
            }
        }
        assertEquals(1004, rejected, "each waiting request failed once, at stop");
    }

    @Test
    void moreThanAThousandRequestsWaitingToRetryAllComeBackAndComplete() throws Exception {
        component.setMaxConcurrentRequests(8);
        component.setAdaptiveConcurrency(false);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        server.respondWith(request -> {
            // each request's first attempt is refused
            if (seen.add(request.getBody().utf8())) {
                return new MockResponse.Builder().code(503).setHeader("retry-after-ms", "1000")
                        .body("{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}").build();
            }
            return FakeLlmServer.echo(request);
        });
        context.start();
        AsyncProducer producer = producer("maxRetries=1&maxRetryBackoff=60000&maxQueueTime=120000");
        List<CompletableFuture<Exchange>> sent = new ArrayList<>();
        for (int i = 0; i < 1100; i++) {
            sent.add(send(producer, "r" + i));
        }
        for (CompletableFuture<Exchange> future : sent) {
            Exchange exchange = await(future);
            assertNull(exchange.getException());
            assertEquals(2, exchange.getMessage().getHeader(LlmQueueConstants.ATTEMPTS));
        }
        assertEquals(1100, component.getCompletedCount());
        assertEquals(0, component.getRetryingRequests());
    }

    @Test
    void dropOldestPastAThousandDeadlinesFailsEveryDroppedRequestOnce() throws Exception {
        component.setMaxConcurrentRequests(1);
        component.setMaxHighQueueSize(1000);
        component.setWhenFull(LlmQueueWhenFull.dropOldest);
        server.hold();
        context.start();
        AsyncProducer producer = producer("maxQueueTime=60000");
        List<CompletableFuture<Exchange>> sent = new ArrayList<>();
        sent.add(send(producer, "running"));
        server.awaitArrivals(1);
        for (int i = 0; i < 1200; i++) {
            sent.add(send(producer, "r" + i));
        }
        for (int i = 1; i <= 200; i++) {
            LlmQueueRejectedException e = assertInstanceOf(LlmQueueRejectedException.class,
                    await(sent.get(i)).getException());
            assertEquals(Reason.QUEUE_FULL, e.getReason());
        }
        assertEquals(1000, component.getHighPriorityQueueSize());
        server.release();
        for (CompletableFuture<Exchange> future : sent) {
            await(future);
        }
        assertEquals(1001, component.getCompletedCount());
    }

    @Test
    void aBurstOfEndingsRunsOnABoundedNumberOfCompletionThreads() throws Exception {
        component.setMaxConcurrentRequests(2);
        CountDownLatch expired = new CountDownLatch(900);
        component.addListener(new LlmQueueListener() {
            @Override
            public void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
                if (outcome == Outcome.EXPIRED) {
                    expired.countDown();
                }
            }
        });
        server.hold();
        context.start();
        AsyncProducer producer = producer("");
        send(producer, "running-1");
        send(producer, "running-2");
        server.awaitArrivals(2);
        CountDownLatch routeContinues = new CountDownLatch(1);
        CountDownLatch resumed = new CountDownLatch(900);
        long deadline = System.currentTimeMillis() + 1000;
        for (int i = 0; i < 900; i++) {
            Exchange exchange = withHeader(producer, LlmQueueConstants.DEADLINE, deadline);
            producer.process(exchange, doneSync -> {
                resumed.countDown();
                try {
                    // a slow route continuation
                    routeContinues.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        assertTrue(expired.await(30, TimeUnit.SECONDS), "900 deadlines passed together");
        long completionThreads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().contains("LlmQueueCompletion")).count();
        int bound = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());
        assertTrue(completionThreads <= bound, completionThreads + " completion threads for 900 endings, bound " + bound);
        routeContinues.countDown();
        assertTrue(resumed.await(30, TimeUnit.SECONDS), "every exchange resumed: " + resumed.getCount() + " left");
    }

    @Test
    void stopWhileEveryCompletionThreadIsBlockedStillCompletesTheQueuedExchanges() throws Exception {
        context.getShutdownStrategy().setTimeout(1);
        component.setMaxConcurrentRequests(1);
        int threads = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());
        int queued = 200;
        CountDownLatch expired = new CountDownLatch(threads + queued);
        component.addListener(new LlmQueueListener() {
            @Override
            public void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
                if (outcome == Outcome.EXPIRED) {
                    expired.countDown();
                }
            }
        });
        server.hold();
        context.start();
        AsyncProducer producer = producer("");
        send(producer, "running");
        server.awaitArrivals(1);
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger blocked = new AtomicInteger(threads);
        List<AtomicInteger> callbacks = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 500;
        for (int i = 0; i < threads + queued; i++) {
            AtomicInteger count = new AtomicInteger();
            callbacks.add(count);
            producer.process(withHeader(producer, LlmQueueConstants.DEADLINE, deadline), doneSync -> {
                count.incrementAndGet();
                if (blocked.getAndDecrement() > 0) {
                    try {
                        // a route continuation that only an interruption ends
                        never.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
        }
        assertTrue(expired.await(30, TimeUnit.SECONDS));
        context.stop();
        server.release();
        for (int i = 0; i < callbacks.size(); i++) {
            assertEquals(1, callbacks.get(i).get(), "callbacks of exchange " + i + " once stop returned");
        }
    }

    @Test
    void aRetryIsAnnouncedBeforeTheNextAttemptStarts() throws Exception {
        component.setMaxConcurrentRequests(8);
        component.setAdaptiveConcurrency(false);
        Map<String, List<String>> events = new ConcurrentHashMap<>();
        component.addListener(new LlmQueueListener() {
            private void add(RequestInfo request, String event) {
                events.computeIfAbsent(request.requestId(), id -> java.util.Collections.synchronizedList(new ArrayList<>()))
                        .add(event);
            }

            @Override
            public void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
                add(request, "start " + attempt);
            }

            @Override
            public void onRetry(RequestInfo request, int attempt, long delayNanos, Exception failure) {
                add(request, "retry " + attempt + (failure == null ? " without its failure" : ""));
            }

            @Override
            public void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
                add(request, "end " + outcome);
            }
        });
        Set<String> seen = ConcurrentHashMap.newKeySet();
        server.respondWith(request -> seen.add(request.getBody().utf8())
                ? new MockResponse.Builder().code(503).setHeader("retry-after-ms", "0").body("{\"error\":\"busy\"}").build()
                : FakeLlmServer.echo(request));
        context.start();
        AsyncProducer producer = producer("");
        List<CompletableFuture<Exchange>> sent = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            sent.add(send(producer, "r" + i));
        }
        for (CompletableFuture<Exchange> future : sent) {
            assertNull(await(future).getException());
        }
        assertEquals(300, events.size());
        events.forEach((id, list) -> assertEquals(List.of("start 1", "retry 1", "start 2", "end COMPLETED"), list, id));
    }

    // ---- listeners ----

    @Test
    void aListenerThatThrowsAnErrorNeverKeepsAnExchangeFromCompleting() throws Exception {
        component.addListener(new LlmQueueListener() {
            @Override
            public void onQueued(RequestInfo request) {
                throw new AssertionError("broken listener");
            }

            @Override
            public void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
                throw new AssertionError("broken listener");
            }

            @Override
            public void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
                throw new AssertionError("broken listener");
            }
        });
        context.start();
        Exchange exchange = await(send(producer(""), "hello"));
        assertNull(exchange.getException());
        assertEquals("echo: hello", exchange.getMessage().getBody());
        assertEquals(1, component.getCompletedCount(), "the other listeners still counted it");
    }

    @Test
    void aListenerThatThrowsAnErrorDuringStopLetsEveryWaitingRequestComplete() throws Exception {
        component.setMaxConcurrentRequests(1);
        component.addListener(new LlmQueueListener() {
            @Override
            public void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
                throw new AssertionError("broken listener");
            }
        });
        server.hold();
        context.start();
        AsyncProducer producer = producer("");
        CompletableFuture<Exchange> running = send(producer, "running");
        server.awaitArrivals(1);
        List<CompletableFuture<Exchange>> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waiting.add(send(producer, "w" + i));
        }
        context.stop();
        for (CompletableFuture<Exchange> future : waiting) {
            assertInstanceOf(LlmQueueRejectedException.class, await(future).getException());
        }
        server.release();
        await(running);
    }

    // ---- deadlines of any value ----

    @Test
    void aDeadlineAtTheEndOfTimeLeavesMaxQueueTimeInForce() throws Exception {
        component.setMaxConcurrentRequests(1);
        server.hold();
        context.start();
        AsyncProducer producer = producer("maxQueueTime=300");
        send(producer, "running");
        server.awaitArrivals(1);
        Exchange exchange = await(send(producer, withHeader(producer, LlmQueueConstants.DEADLINE, Long.MAX_VALUE)));
        assertInstanceOf(LlmQueueTimeoutException.class, exchange.getException());
    }

    @Test
    void aDeadlineAtTheBeginningOfTimeFailsAtOnceWithoutACall() throws Exception {
        context.start();
        Exchange exchange = await(send(producer(""), withHeader(producer(""), LlmQueueConstants.DEADLINE,
                Long.MIN_VALUE)));
        assertInstanceOf(LlmQueueTimeoutException.class, exchange.getException());
        assertEquals(0, server.requestCount());
    }

    @Test
    void aFarFutureDeadlineKeepsRetriesOn() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        server.respondWith(request -> calls.getAndIncrement() == 0
                ? FakeLlmServer.json(503, "{\"error\":\"busy\"}") : FakeLlmServer.echo(request));
        context.start();
        AsyncProducer producer = producer("");
        Exchange exchange = await(send(producer, withHeader(producer, LlmQueueConstants.DEADLINE,
                System.currentTimeMillis() + TimeUnit.DAYS.toMillis(365L * 1000))));
        assertNull(exchange.getException());
        assertEquals(2, exchange.getMessage().getHeader(LlmQueueConstants.ATTEMPTS));
    }

    @Test
    void anInstantIsAcceptedAsADeadline() throws Exception {
        context.start();
        AsyncProducer producer = producer("");
        Exchange past = await(send(producer, withHeader(producer, LlmQueueConstants.DEADLINE,
                Instant.now().minusSeconds(1))));
        assertInstanceOf(LlmQueueTimeoutException.class, past.getException());
        Exchange future = await(send(producer, withHeader(producer, LlmQueueConstants.DEADLINE,
                Instant.now().plusSeconds(60))));
        assertNull(future.getException());
        Exchange text = await(send(producer, withHeader(producer, LlmQueueConstants.DEADLINE,
                Instant.now().plusSeconds(60).toString())));
        assertNull(text.getException());
    }

    @Test
    void theTimeoutHeaderBoundsTheWaitRelativeToNow() throws Exception {
        component.setMaxConcurrentRequests(1);
        server.hold();
        context.start();
        AsyncProducer producer = producer("");
        send(producer, "running");
        server.awaitArrivals(1);
        for (Object timeout : new Object[] { 100, Duration.ofMillis(100), "100ms", "PT0.1S" }) {
            Exchange exchange = await(send(producer, withHeader(producer, LlmQueueConstants.TIMEOUT, timeout)));
            assertInstanceOf(LlmQueueTimeoutException.class, exchange.getException(), "timeout " + timeout);
        }
        assertEquals(1, server.requestCount(), "no call for any of them");
    }

    @Test
    void anInvalidTimeoutHeaderFailsNamingTheHeaderAndQueuesNothing() throws Exception {
        context.start();
        AsyncProducer producer = producer("");
        for (Object timeout : new Object[] { "soon", 0, -5, Duration.ofSeconds(-1), Double.NaN,
                java.math.BigInteger.ONE.shiftLeft(64).negate() }) {
            Exchange exchange = await(send(producer, withHeader(producer, LlmQueueConstants.TIMEOUT, timeout)));
            IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class, exchange.getException());
            assertTrue(e.getMessage().contains(LlmQueueConstants.TIMEOUT), e.getMessage());
            assertNull(exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID), "no id: it was never queued");
        }
        assertEquals(0, server.requestCount());
    }

    @Test
    void aHugeTimeoutSaturatesInsteadOfWrappingRound() throws Exception {
        context.start();
        AsyncProducer producer = producer("");
        // 2^64 + 1 ms would wrap round to 1 ms with Number.longValue()
        Exchange exchange = await(send(producer, withHeader(producer, LlmQueueConstants.TIMEOUT,
                java.math.BigInteger.ONE.shiftLeft(64).add(java.math.BigInteger.ONE))));
        assertNull(exchange.getException());
        Exchange nan = await(send(producer, withHeader(producer, LlmQueueConstants.DEADLINE, Double.NaN)));
        assertInstanceOf(IllegalArgumentException.class, nan.getException());
    }

    @Test
    void anInvalidDeadlineHeaderSetsNoRequestId() throws Exception {
        context.start();
        AsyncProducer producer = producer("");
        Exchange exchange = await(send(producer, withHeader(producer, LlmQueueConstants.DEADLINE, "tomorrow")));
        IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class, exchange.getException());
        assertTrue(e.getMessage().contains(LlmQueueConstants.DEADLINE), e.getMessage());
        assertNull(exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID));
    }

    @Test
    void aDeadlineFailureSaysWhatHappenedInItsOwnWords() throws Exception {
        component.setMaxConcurrentRequests(1);
        server.hold();
        context.start();
        AsyncProducer producer = producer("maxQueueTime=50");
        send(producer, "running");
        server.awaitArrivals(1);
        Exchange exchange = await(send(producer, "late"));
        LlmQueueTimeoutException e = assertInstanceOf(LlmQueueTimeoutException.class, exchange.getException());
        assertTrue(e.getMessage().startsWith("the request's deadline passed after "), e.getMessage());
        assertFalse(e.getMessage().contains("OUT message"), e.getMessage());
    }
}
