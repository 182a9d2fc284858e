package dev.llmqueue.camel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.llmqueue.simulator.Faults;
import dev.llmqueue.simulator.LlmSimulator;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * 20,000 requests of mixed priority through 8 slots against a server that injects every fault (429 with Retry-After,
 * 503 busy, 500, timeouts, dropped connections, malformed JSON), while requests expire and get cancelled and the
 * limit and the background switch change mid-run. Every request has a deadline, so thousands of deadlines wait at once;
 * a phase where the server rate-limits everything puts more than a thousand requests between two attempts at once; a
 * block of 1,500 requests shares one deadline and expires in one burst; and a listener throws an Error on every
 * seventh event. More, in each case, than any pool or timer of Camel's holds by default. Nothing may be lost, and every
 * failure has a documented type.
 */
public class SoakTest {

    private static final int REQUESTS = 20_000;

    @Test
    void everyExchangeCompletesExactlyOnceThroughAFaultStorm() throws Exception {
        Faults faults = Faults.builder()
                .rateLimited(0.04, Duration.ofMillis(20))
                .busy(0.04)
                .serverError(0.03)
                .slow(0.002, Duration.ofSeconds(2))
                .dropConnection(0.02)
                .malformedJson(0.02)
                .build();
        try (LlmSimulator simulator = LlmSimulator.builder().parallelism(8).maxQueue(64).faults(faults).seed(7)
                .recordCalls(false).build().start()) {
            CamelContext context = new DefaultCamelContext();
            LlmQueueComponent component = new LlmQueueComponent(name -> null);
            component.setMaxConcurrentRequests(8);
            component.setMaxHighQueueSize(REQUESTS);
            component.setMaxLowQueueSize(REQUESTS);
            component.addListener(new ThrowingListener());
            context.addComponent("llmqueue", component);
            context.start();
            Map<String, Integer> outcomes = new TreeMap<>();
            try {
                AsyncProducer producer = context.getEndpoint("llmqueue:ollama?model=llama3.2&requestTimeout=300"
                                                             + "&retryBackoff=5&maxRetryBackoff=1000&baseUrl="
                                                             + simulator.ollamaBaseUrl())
                        .createAsyncProducer();
                ServiceHelper.startService(producer);

                List<Exchange> exchanges = new ArrayList<>(REQUESTS);
                AtomicInteger[] callbacks = new AtomicInteger[REQUESTS];
                CountDownLatch allDone = new CountDownLatch(REQUESTS);
                long started = System.nanoTime();
                long burstDeadline = 0;
                int peakWaiting = 0;
                int peakRetrying = 0;
                for (int i = 0; i < REQUESTS; i++) {
                    switch (i) {
                        case 3_000 -> burstDeadline = System.currentTimeMillis() + 100;
                        case 5_000 -> component.setMaxConcurrentRequests(4);
                        case 6_000 -> {
                            // every call answers 429: with all 8 slots kept (adaptive concurrency would halve them to
                            // one), the backlog moves between attempts within moments
                            component.setAdaptiveConcurrency(false);
                            simulator.setFaults(Faults.builder().rateLimited(1.0, Duration.ofSeconds(1)).build());
                        }
                        case 8_000 -> {
                            peakWaiting = component.getHighPriorityQueueSize() + component.getLowPriorityQueueSize();
                            peakRetrying = awaitRetrying(component, 1_000);
                            simulator.setFaults(faults);
                            component.setAdaptiveConcurrency(true);
                        }
                        case 10_000 -> component.setDisableBackground(true);
                        case 12_000 -> component.setDisableBackground(false);
                        case 15_000 -> component.setMaxConcurrentRequests(8);
                        default -> {
                        }
                    }
                    Exchange exchange = producer.getEndpoint().createExchange();
                    exchange.getMessage().setBody("request " + i);
                    exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, i % 3 == 0 ? "HIGH" : "LOW");
                    if (i >= 3_000 && i < 4_500) {
                        exchange.getMessage().setHeader(LlmQueueConstants.DEADLINE, burstDeadline);
                    } else if (i % 20 == 0) {
                        exchange.getMessage().setHeader(LlmQueueConstants.DEADLINE, System.currentTimeMillis() + 30);
                    } else {
                        exchange.getMessage().setHeader(LlmQueueConstants.TIMEOUT, Duration.ofSeconds(30));
                    }
                    AtomicInteger count = callbacks[i] = new AtomicInteger();
                    exchanges.add(exchange);
                    producer.process(exchange, doneSync -> {
                        count.incrementAndGet();
                        allDone.countDown();
                    });
                    if (i % 97 == 0) {
                        component.cancel(exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID, String.class));
                    }
                }
                assertTrue(allDone.await(60, TimeUnit.SECONDS), "every exchange must complete; still waiting: "
                                                                 + allDone.getCount());
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

                for (int i = 0; i < REQUESTS; i++) {
                    assertEquals(1, callbacks[i].get(), "callbacks of exchange " + i);
                    outcomes.merge(outcome(exchanges.get(i)), 1, Integer::sum);
                }
                System.out.printf("soak: %d requests in %d ms: %s; peak waiting with a deadline %d, peak retrying %d;"
                                  + " simulator %s%n", REQUESTS, millis, outcomes, peakWaiting, peakRetrying,
                        simulator.stats());
                assertTrue(peakWaiting > 1_000, "more deadlines waiting at once than a default timer holds: " + peakWaiting);
                assertTrue(peakRetrying > 1_000, "more requests between attempts at once than a timer holds: " + peakRetrying);
                assertEquals(REQUESTS, outcomes.values().stream().mapToInt(Integer::intValue).sum());
                // the phase where the server rate-limits everything fails some for good
                assertTrue(outcomes.getOrDefault("succeeded", 0) > REQUESTS / 3, outcomes.toString());
                LlmQueueStatistics statistics = component.getStatistics();
                assertEquals(outcomes.getOrDefault("succeeded", 0), (int) statistics.getCompleted());
                assertEquals(outcomes.getOrDefault("failed", 0), (int) statistics.getFailed());
                assertEquals(outcomes.getOrDefault("rejected", 0), (int) statistics.getRejected());
                assertEquals(outcomes.getOrDefault("expired", 0), (int) statistics.getExpired());
                assertEquals(outcomes.getOrDefault("cancelled", 0), (int) statistics.getCancelled());
                assertEquals(0, component.getHighPriorityQueueSize() + component.getLowPriorityQueueSize());
                assertEquals(0, component.getActiveRequests());
                assertEquals(0, component.getScheduler().getRetryingCount());
            } finally {
                context.stop();
            }
        }
        List<String> leaked = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && (t.getName().contains("Camel") || t.getName().contains("LlmQueue")))
                .map(Thread::getName).toList();
        assertEquals(List.of(), leaked, "threads left by the component after the context stopped");
    }

    /** Waits until more than {@code count} requests are between two attempts; returns how many. */
    private static int awaitRetrying(LlmQueueComponent component, int count) {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int retrying;
        while ((retrying = component.getRetryingRequests()) <= count && System.nanoTime() < giveUp) {
            Thread.onSpinWait();
        }
        return retrying;
    }

    /** Throws an Error on every seventh event: a broken listener must never cost an exchange its completion. */
    private static final class ThrowingListener implements LlmQueueListener {
        private final AtomicInteger events = new AtomicInteger();

        private void maybeThrow() {
            if (events.incrementAndGet() % 7 == 0) {
                throw new AssertionError("a broken listener");
            }
        }

        @Override
        public void onQueued(RequestInfo request) {
            maybeThrow();
        }

        @Override
        public void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
            maybeThrow();
        }

        @Override
        public void onCallEnded(RequestInfo request, int attempt, long callNanos, Exception failure,
                                Integer promptTokens, Integer completionTokens) {
            maybeThrow();
        }

        @Override
        public void onRetry(RequestInfo request, int attempt, long delayNanos, Exception failure) {
            maybeThrow();
        }

        @Override
        public void onEnded(RequestInfo request, Outcome outcome, LlmQueueRejectedException.Reason reason) {
            maybeThrow();
        }
    }

    /** How an exchange ended, by the documented exception types; also read by the Redis soak test. */
    public static String outcome(Exchange exchange) {
        Exception e = exchange.getException();
        if (e == null) {
            return "succeeded";
        } else if (e instanceof LlmProviderException) {
            return "failed";
        } else if (e instanceof LlmQueueRejectedException) {
            return "rejected";
        } else if (e instanceof LlmQueueTimeoutException) {
            return "expired";
        } else if (e instanceof LlmQueueCancelledException) {
            return "cancelled";
        }
        return fail("an undocumented exception type: " + e);
    }
}
