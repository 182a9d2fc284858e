package dev.llmqueue.camel;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.management.Attribute;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The component's MBean, read and written through a real MBeanServer while requests wait.
 */
class ManagementTest {

    private FakeLlmServer server;
    private CamelContext context;
    private LlmQueueComponent component;
    private MBeanServer mbeans;
    private ObjectName name;

    @BeforeEach
    void setUp() throws Exception {
        server = new FakeLlmServer();
        context = new DefaultCamelContext();
        context.getCamelContextExtension().setName("jmx-" + System.nanoTime());
        component = new LlmQueueComponent(n -> null);
        component.setMaxConcurrentRequests(1);
        context.addComponent("llmqueue", component);
        context.start();
        mbeans = ManagementFactory.getPlatformMBeanServer();
        name = new ObjectName("org.apache.camel:context=" + context.getName() + ",type=components,name=\"llmqueue\"");
    }

    @AfterEach
    void tearDown() throws Exception {
        server.release();
        context.stop();
        server.close();
    }

    private AsyncProducer producer(String options) throws Exception {
        AsyncProducer producer = context.getEndpoint("llmqueue:ollama?model=llama3.2&maxRetries=0&baseUrl="
                                                     + server.baseUrl() + options).createAsyncProducer();
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

    private Object attribute(String attribute) throws Exception {
        return mbeans.getAttribute(name, attribute);
    }

    @Test
    void theQueueFiguresAreExactWhileRequestsWait() throws Exception {
        AsyncProducer producer = producer("");
        server.hold();
        List<CompletableFuture<Exchange>> sent = new ArrayList<>();
        sent.add(send(producer, "running", "HIGH"));
        server.awaitArrivals(1);
        sent.add(send(producer, "h1", "HIGH"));
        sent.add(send(producer, "l1", "LOW"));
        sent.add(send(producer, "l2", "LOW"));
        assertEquals(1, attribute("HighPriorityQueueSize"));
        assertEquals(2, attribute("LowPriorityQueueSize"));
        assertEquals(1, attribute("ActiveRequests"), "one call in flight, not the idle workers");
        assertEquals(1, attribute("MaxConcurrentRequests"));
        server.release();
        for (CompletableFuture<Exchange> f : sent) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertEquals(4L, attribute("CompletedCount"));
        assertEquals(0, attribute("ActiveRequests"));
    }

    @Test
    void failedAndRejectedAreCountedApart() throws Exception {
        server.respondWith(request -> FakeLlmServer.json(404, "{\"error\":\"model not found\"}"));
        component.setDisableBackground(true);
        AsyncProducer producer = producer("");
        assertInstanceOf(LlmProviderException.class, send(producer, "x", "HIGH").get(10, TimeUnit.SECONDS).getException());
        assertInstanceOf(LlmQueueRejectedException.class, send(producer, "y", "LOW").get(10, TimeUnit.SECONDS).getException());
        assertEquals(1L, attribute("FailedCount"));
        assertEquals(1L, attribute("RejectedCount"));
        assertEquals(0L, attribute("CompletedCount"));
        mbeans.invoke(name, "resetStatistics", null, null);
        assertEquals(0L, attribute("FailedCount"));
        assertEquals(0L, attribute("RejectedCount"));
    }

    @Test
    void raisingMaxConcurrentRequestsDispatchesWaitingRequestsAtOnce() throws Exception {
        AsyncProducer producer = producer("");
        server.hold();
        List<CompletableFuture<Exchange>> sent = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sent.add(send(producer, "p" + i, "HIGH"));
        }
        server.awaitArrivals(1);
        mbeans.setAttribute(name, new Attribute("MaxConcurrentRequests", 3));
        server.awaitArrivals(2);
        assertEquals(3, attribute("ActiveRequests"));
        assertEquals(1, attribute("HighPriorityQueueSize"));
        server.release();
        for (CompletableFuture<Exchange> f : sent) {
            assertNull(f.get(10, TimeUnit.SECONDS).getException());
        }
    }

    @Test
    void loweringMaxConcurrentRequestsLetsCallsFinishAndStartsNoneAboveTheNewLimit() throws Exception {
        mbeans.setAttribute(name, new Attribute("MaxConcurrentRequests", 3));
        AsyncProducer producer = producer("");
        server.hold();
        List<CompletableFuture<Exchange>> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sent.add(send(producer, "p" + i, "HIGH"));
        }
        server.awaitArrivals(3);
        mbeans.setAttribute(name, new Attribute("MaxConcurrentRequests", 1));
        assertEquals(3, attribute("ActiveRequests"), "calls in flight are not cut");
        assertEquals(2, attribute("HighPriorityQueueSize"));
        server.release();
        for (CompletableFuture<Exchange> f : sent) {
            assertNull(f.get(10, TimeUnit.SECONDS).getException());
        }
        assertEquals(3, server.maxInFlight());
    }

    @Test
    void disablingBackgroundFailsWaitingLowRequestsAtOnceAndHighGoesOn() throws Exception {
        AsyncProducer producer = producer("");
        server.hold();
        CompletableFuture<Exchange> running = send(producer, "running", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<Exchange> low = send(producer, "low", "LOW");
        CompletableFuture<Exchange> high = send(producer, "high", "HIGH");
        mbeans.setAttribute(name, new Attribute("DisableBackground", true));
        LlmQueueRejectedException e = assertInstanceOf(LlmQueueRejectedException.class,
                low.get(10, TimeUnit.SECONDS).getException());
        assertEquals(Reason.BACKGROUND_DISABLED, e.getReason());
        assertEquals(true, attribute("DisableBackground"));
        server.release();
        assertNull(running.get(10, TimeUnit.SECONDS).getException());
        assertNull(high.get(10, TimeUnit.SECONDS).getException());
        mbeans.setAttribute(name, new Attribute("DisableBackground", false));
        assertNull(send(producer, "low again", "LOW").get(10, TimeUnit.SECONDS).getException());
    }

    @Test
    void listQueuedShowsEachWaitingRequestWithoutSecrets() throws Exception {
        AsyncProducer producer = producer("&apiKey=sk-very-secret&httpHeaders.X-Gateway-Token=gw-very-secret");
        server.hold();
        CompletableFuture<Exchange> running = send(producer, "running", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<Exchange> waiting = send(producer, "waiting", "LOW");
        @SuppressWarnings("unchecked")
        List<String> queued = (List<String>) mbeans.invoke(name, "listQueued", null, null);
        assertEquals(1, queued.size());
        String line = queued.get(0);
        assertTrue(line.contains("priority=LOW") && line.contains("model=llama3.2") && line.contains("ageMs="), line);
        assertTrue(line.contains("requestId="), line);
        assertTrue(!line.contains("sk-very-secret"), line);
        assertTrue(!line.contains("gw-very-secret"), "an extra HTTP header's value may be a credential: " + line);
        server.release();
        running.get(10, TimeUnit.SECONDS);
        waiting.get(10, TimeUnit.SECONDS);
    }

    @Test
    void cancelThroughJmxFailsTheWaitingRequest() throws Exception {
        AsyncProducer producer = producer("");
        server.hold();
        CompletableFuture<Exchange> running = send(producer, "running", "HIGH");
        server.awaitArrivals(1);
        Exchange waiting = producer.getEndpoint().createExchange();
        waiting.getMessage().setBody("waiting");
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        producer.process(waiting, doneSync -> done.complete(waiting));
        String id = waiting.getMessage().getHeader(LlmQueueConstants.REQUEST_ID, String.class);
        assertEquals(true, mbeans.invoke(name, "cancel", new Object[] { id }, new String[] { String.class.getName() }));
        assertInstanceOf(LlmQueueCancelledException.class, done.get(10, TimeUnit.SECONDS).getException());
        assertEquals(1L, attribute("CancelledCount"));
        server.release();
        running.get(10, TimeUnit.SECONDS);
    }
}
