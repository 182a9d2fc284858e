package dev.llmqueue.camel;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15 through real HTTP: a preempted LOW call is really aborted (the server sees its client close), the HIGH
 * request is served in its slot meanwhile, and the LOW request runs again and completes once; a server that does not
 * answer has its limit lowered like an overloaded one.
 */
class PreemptionTest {

    @Test
    void aWaitingHighAbortsTheRunningLowCallWhichRunsAgainAndCompletesOnce() throws Exception {
        try (SilentServer slow = new SilentServer(); FakeLlmServer fast = new FakeLlmServer()) {
            CamelContext context = new DefaultCamelContext();
            LlmQueueComponent component = new LlmQueueComponent(name -> null);
            component.setMaxConcurrentRequests(1);
            component.setPreemptLow(true);
            context.addComponent("llmqueue", component);
            context.start();
            try {
                AsyncProducer low = producer(context, slow.baseUrl());
                AsyncProducer high = producer(context, fast.baseUrl());
                Call lowCall = send(low, "background", "LOW");
                slow.awaitArrivals(1);

                Call highCall = send(high, "chat", "HIGH");
                assertTrue(highCall.done.await(10, TimeUnit.SECONDS), "HIGH is served while the LOW call would run");
                assertEquals("echo: chat", highCall.exchange.getMessage().getBody());
                slow.awaitClientCloses(1);
                assertEquals(1, component.getPreemptedCount());
                assertEquals(1, lowCall.done.getCount(), "the LOW request is not failed: it waits to run again");

                slow.awaitArrivals(1);
                slow.answer();
                assertTrue(lowCall.done.await(10, TimeUnit.SECONDS));
                assertNull(lowCall.exchange.getException());
                assertEquals("late answer", lowCall.exchange.getMessage().getBody());
                assertEquals(1, lowCall.exchange.getMessage().getHeader(LlmQueueConstants.ATTEMPTS),
                        "the preempted call is not an attempt");
                assertEquals(1, lowCall.callbacks.get(), "completes exactly once");
                assertEquals(1, highCall.callbacks.get());
                assertEquals(2, component.getCompletedCount());
                assertEquals(0, component.getFailedCount());
            } finally {
                context.stop();
            }
        }
    }

    @Test
    void withoutPreemptLowTheHighRequestWaitsForTheLowCall() throws Exception {
        try (SilentServer slow = new SilentServer(); FakeLlmServer fast = new FakeLlmServer()) {
            CamelContext context = new DefaultCamelContext();
            LlmQueueComponent component = new LlmQueueComponent(name -> null);
            component.setMaxConcurrentRequests(1);
            context.addComponent("llmqueue", component);
            context.start();
            try {
                Call lowCall = send(producer(context, slow.baseUrl()), "background", "LOW");
                slow.awaitArrivals(1);
                Call highCall = send(producer(context, fast.baseUrl()), "chat", "HIGH");
                assertEquals(1, component.getHighPriorityQueueSize(), "HIGH waits behind the LOW call in flight");
                slow.answer();
                assertTrue(lowCall.done.await(10, TimeUnit.SECONDS));
                assertTrue(highCall.done.await(10, TimeUnit.SECONDS));
                assertEquals(0, component.getPreemptedCount());
            } finally {
                context.stop();
            }
        }
    }

    @Test
    void aReservedSlotServesHighWhileLowCallsHoldTheOthers() throws Exception {
        try (SilentServer slow = new SilentServer(); FakeLlmServer fast = new FakeLlmServer()) {
            CamelContext context = new DefaultCamelContext();
            LlmQueueComponent component = new LlmQueueComponent(name -> null);
            component.setMaxConcurrentRequests(2);
            component.setReservedHighSlots(1);
            context.addComponent("llmqueue", component);
            context.start();
            try {
                AsyncProducer low = producer(context, slow.baseUrl());
                Call low1 = send(low, "background 1", "LOW");
                Call low2 = send(low, "background 2", "LOW");
                slow.awaitArrivals(1);
                assertEquals(1, component.getLowPriorityQueueSize(), "LOW holds one slot of two");
                Call highCall = send(producer(context, fast.baseUrl()), "chat", "HIGH");
                assertTrue(highCall.done.await(10, TimeUnit.SECONDS));
                assertEquals("echo: chat", highCall.exchange.getMessage().getBody());
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> component.setMaxConcurrentRequests(1));
                assertTrue(e.getMessage().contains("reservedHighSlots") && e.getMessage().contains("maxConcurrentRequests"),
                        e.getMessage());
                assertEquals(2, component.getMaxConcurrentRequests());
                slow.answer();
                assertTrue(low1.done.await(10, TimeUnit.SECONDS));
                assertTrue(low2.done.await(10, TimeUnit.SECONDS));
            } finally {
                context.stop();
            }
        }
    }

    @Test
    void aReservationAsLargeAsTheSlotsIsRefusedAtStart() {
        CamelContext context = new DefaultCamelContext();
        LlmQueueComponent component = new LlmQueueComponent(name -> null);
        component.setMaxConcurrentRequests(2);
        component.setReservedHighSlots(2);
        Exception e = assertThrows(Exception.class, () -> {
            context.addComponent("llmqueue", component);
            context.start();
        });
        String message = String.valueOf(org.apache.camel.util.ObjectHelper.getException(IllegalArgumentException.class, e));
        assertTrue(message.contains("reservedHighSlots (2)") && message.contains("maxConcurrentRequests (2)"), message);
    }

    @Test
    void callsThatTimeOutLowerTheServersLimitLikeAnOverload() throws Exception {
        try (SilentServer silent = new SilentServer()) {
            CamelContext context = new DefaultCamelContext();
            LlmQueueComponent component = new LlmQueueComponent(name -> null);
            component.setMaxConcurrentRequests(4);
            context.addComponent("llmqueue", component);
            context.start();
            try {
                AsyncProducer producer = context.getEndpoint("llmqueue:ollama?model=llama3.2&maxRetries=0"
                                                             + "&requestTimeout=300&baseUrl=" + silent.baseUrl())
                        .createAsyncProducer();
                ServiceHelper.startService(producer);
                Call[] calls = new Call[4];
                for (int i = 0; i < calls.length; i++) {
                    calls[i] = send(producer, "p" + i, "LOW");
                }
                for (Call call : calls) {
                    assertTrue(call.done.await(10, TimeUnit.SECONDS));
                    assertTrue(call.exchange.getException() instanceof LlmProviderException,
                            String.valueOf(call.exchange.getException()));
                }
                assertEquals("{" + silent.baseUrl() + "=1}", component.getEffectiveLimits(),
                        "a server that does not answer ends up with one slot");
            } finally {
                context.stop();
            }
        }
    }

    private static AsyncProducer producer(CamelContext context, String baseUrl) throws Exception {
        AsyncProducer producer = context.getEndpoint("llmqueue:ollama?model=llama3.2&maxRetries=0&baseUrl=" + baseUrl)
                .createAsyncProducer();
        ServiceHelper.startService(producer);
        return producer;
    }

    private static Call send(AsyncProducer producer, String body, String priority) {
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody(body);
        exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, priority);
        Call call = new Call(exchange);
        producer.process(exchange, doneSync -> {
            call.callbacks.incrementAndGet();
            call.done.countDown();
        });
        return call;
    }

    private static final class Call {
        final Exchange exchange;
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicInteger callbacks = new AtomicInteger();

        Call(Exchange exchange) {
            this.exchange = exchange;
        }
    }
}
