package dev.llmqueue.camel;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Micrometer meters, published to a {@link SimpleMeterRegistry} bound in the Camel registry before the start.
 */
class MetersTest {

    private FakeLlmServer server;
    private CamelContext context;
    private LlmQueueComponent component;
    private SimpleMeterRegistry meters;

    @BeforeEach
    void setUp() throws Exception {
        server = new FakeLlmServer();
        meters = new SimpleMeterRegistry();
        context = new DefaultCamelContext();
        context.getRegistry().bind("meterRegistry", meters);
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
    }

    private AsyncProducer producer() throws Exception {
        AsyncProducer producer = context.getEndpoint("llmqueue:ollama?model=llama3.2&maxRetries=0&baseUrl="
                                                     + server.baseUrl()).createAsyncProducer();
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

    /** The tag keys of every meter of that name, as one set per meter. */
    private Set<Set<String>> tagKeys(String name) {
        return meters.find(name).meters().stream()
                .map(m -> m.getId().getTags().stream().map(Tag::getKey).collect(Collectors.toSet()))
                .collect(Collectors.toSet());
    }

    private double gauge(String name, String... tags) {
        return meters.get(name).tags(tags).gauge().value();
    }

    @Test
    void everyMeterHasItsNameAndTags() throws Exception {
        assertNull(send(producer(), "hello", "HIGH").get(10, TimeUnit.SECONDS).getException());
        assertEquals(Set.of(Set.of("priority")), tagKeys("llmqueue.queue.size"));
        assertEquals(Set.of(Set.of()), tagKeys("llmqueue.requests.active"));
        assertEquals(Set.of(Set.of("priority")), tagKeys("llmqueue.wait"));
        assertEquals(Set.of(Set.of("provider", "model", "outcome")), tagKeys("llmqueue.call"));
        assertEquals(Set.of(Set.of("type", "model")), tagKeys("llmqueue.tokens"));
        assertEquals(Set.of(Set.of("reason")), tagKeys("llmqueue.rejected"));
        assertEquals(Meter.Type.GAUGE, meters.get("llmqueue.queue.size").tag("priority", "HIGH").meter().getId().getType());
        assertEquals(Meter.Type.GAUGE, meters.get("llmqueue.queue.size").tag("priority", "LOW").meter().getId().getType());
        assertEquals(Meter.Type.GAUGE, meters.get("llmqueue.requests.active").meter().getId().getType());
        assertEquals(Meter.Type.TIMER, meters.get("llmqueue.wait").tag("priority", "LOW").meter().getId().getType());
        assertEquals(Meter.Type.TIMER, meters.get("llmqueue.call").meter().getId().getType());
        assertEquals(Meter.Type.COUNTER, meters.get("llmqueue.tokens").tag("type", "prompt").meter().getId().getType());
        for (LlmQueueRejectedException.Reason reason : LlmQueueRejectedException.Reason.values()) {
            assertNotNull(meters.find("llmqueue.rejected").tag("reason", reason.name()).counter(), reason.name());
        }
    }

    @Test
    void gaugesFollowTheStacksAndTheCallsInFlight() throws Exception {
        AsyncProducer producer = producer();
        server.hold();
        List<CompletableFuture<Exchange>> sent = new ArrayList<>();
        sent.add(send(producer, "running", "HIGH"));
        server.awaitArrivals(1);
        sent.add(send(producer, "h", "HIGH"));
        sent.add(send(producer, "l1", "LOW"));
        sent.add(send(producer, "l2", "LOW"));
        assertEquals(1.0, gauge("llmqueue.queue.size", "priority", "HIGH"));
        assertEquals(2.0, gauge("llmqueue.queue.size", "priority", "LOW"));
        assertEquals(1.0, gauge("llmqueue.requests.active"));
        server.release();
        for (CompletableFuture<Exchange> f : sent) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertEquals(0.0, gauge("llmqueue.queue.size", "priority", "HIGH"));
        assertEquals(0.0, gauge("llmqueue.queue.size", "priority", "LOW"));
        assertEquals(0.0, gauge("llmqueue.requests.active"));
    }

    @Test
    void timersAndTokenCountersCountEachCall() throws Exception {
        AsyncProducer producer = producer();
        for (int i = 0; i < 3; i++) {
            assertNull(send(producer, "h" + i, "HIGH").get(10, TimeUnit.SECONDS).getException());
        }
        assertNull(send(producer, "l", "LOW").get(10, TimeUnit.SECONDS).getException());
        server.respondWith(request -> FakeLlmServer.json(500, "{\"error\":\"boom\"}"));
        assertInstanceOf(LlmProviderException.class, send(producer, "e", "HIGH").get(10, TimeUnit.SECONDS).getException());

        assertEquals(4, meters.get("llmqueue.wait").tag("priority", "HIGH").timer().count());
        assertEquals(1, meters.get("llmqueue.wait").tag("priority", "LOW").timer().count());
        assertEquals(4, meters.get("llmqueue.call").tags("provider", "ollama", "model", "llama3.2", "outcome", "success")
                .timer().count());
        assertEquals(1, meters.get("llmqueue.call").tags("provider", "ollama", "model", "llama3.2", "outcome", "error")
                .timer().count());
        assertTrue(meters.get("llmqueue.call").tag("outcome", "success").timer().totalTime(TimeUnit.NANOSECONDS) > 0);
        // the fake server reports prompt_eval_count 3 and eval_count 2 for each reply
        assertEquals(12.0, meters.get("llmqueue.tokens").tags("type", "prompt", "model", "llama3.2").counter().count());
        assertEquals(8.0, meters.get("llmqueue.tokens").tags("type", "completion", "model", "llama3.2").counter().count());
    }

    @Test
    void rejectionsAreCountedByReason() throws Exception {
        component.setMaxHighQueueSize(1);
        AsyncProducer producer = producer();
        server.hold();
        CompletableFuture<Exchange> running = send(producer, "running", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<Exchange> waiting = send(producer, "waiting", "HIGH");
        assertInstanceOf(LlmQueueRejectedException.class, send(producer, "full", "HIGH").get(10, TimeUnit.SECONDS)
                .getException());
        component.setDisableBackground(true);
        assertInstanceOf(LlmQueueRejectedException.class, send(producer, "low", "LOW").get(10, TimeUnit.SECONDS)
                .getException());
        server.release();
        running.get(10, TimeUnit.SECONDS);
        waiting.get(10, TimeUnit.SECONDS);
        assertEquals(1.0, meters.get("llmqueue.rejected").tag("reason", "QUEUE_FULL").counter().count());
        assertEquals(1.0, meters.get("llmqueue.rejected").tag("reason", "BACKGROUND_DISABLED").counter().count());
        assertEquals(0.0, meters.get("llmqueue.rejected").tag("reason", "SHUTTING_DOWN").counter().count());
    }

    @Test
    void amongSeveralRegistriesTheOneNamedMetricsRegistryIsUsed() throws Exception {
        SimpleMeterRegistry other = new SimpleMeterRegistry();
        SimpleMeterRegistry camelMicrometers = new SimpleMeterRegistry();
        CamelContext second = new DefaultCamelContext();
        second.getRegistry().bind("other", other);
        second.getRegistry().bind("metricsRegistry", camelMicrometers);
        second.addComponent("llmqueue", new LlmQueueComponent(n -> null));
        second.start();
        try {
            assertNotNull(camelMicrometers.find("llmqueue.queue.size").gauge());
            assertNull(other.find("llmqueue.queue.size").gauge());
        } finally {
            second.stop();
        }
    }

    @Test
    void stoppingTheComponentRemovesItsGauges() throws Exception {
        assertNotNull(meters.find("llmqueue.queue.size").gauge());
        component.stop();
        assertNull(meters.find("llmqueue.queue.size").gauge());
        assertNull(meters.find("llmqueue.requests.active").gauge());
        assertFalse(meters.find("llmqueue.wait").timers().isEmpty(), "timers and counters stay with the registry");
    }
}
