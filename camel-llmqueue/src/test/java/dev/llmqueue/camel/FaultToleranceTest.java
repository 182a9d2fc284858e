package dev.llmqueue.camel;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hundreds of requests against a server that answers at random with a reply, 500, 503, malformed JSON or a dropped
 * connection: every exchange must complete exactly once, with the reply or an LlmProviderException.
 */
class FaultToleranceTest {

    @Test
    void everyExchangeCompletesExactlyOnceWhateverTheServerAnswers() throws Exception {
        int requests = 400;
        Random random = new Random(20261127);
        try (FakeLlmServer server = new FakeLlmServer()) {
            server.respondWith(request -> {
                int draw;
                synchronized (random) {
                    draw = random.nextInt(5);
                }
                return switch (draw) {
                    case 0 -> FakeLlmServer.json(500, "{\"error\":\"internal error\"}");
                    case 1 -> FakeLlmServer.json(503,
                            "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}");
                    case 2 -> FakeLlmServer.json(200, "{\"model\":\"llama3.2\",\"message\":{\"role\":");
                    case 3 -> new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build();
                    default -> FakeLlmServer.echo(request);
                };
            });
            CamelContext context = new DefaultCamelContext();
            LlmQueueComponent component = new LlmQueueComponent(name -> null);
            component.setMaxConcurrentRequests(4);
            context.addComponent("llmqueue", component);
            context.start();
            try {
                AsyncProducer producer = context.getEndpoint(
                        "llmqueue:ollama?model=llama3.2&requestTimeout=10s&baseUrl=" + server.baseUrl()).createAsyncProducer();
                ServiceHelper.startService(producer);

                List<Exchange> exchanges = new ArrayList<>();
                AtomicInteger[] callbacks = new AtomicInteger[requests];
                CountDownLatch allDone = new CountDownLatch(requests);
                for (int i = 0; i < requests; i++) {
                    Exchange exchange = producer.getEndpoint().createExchange();
                    exchange.getMessage().setBody("p" + i);
                    exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, i % 3 == 0 ? "LOW" : "HIGH");
                    AtomicInteger count = callbacks[i] = new AtomicInteger();
                    exchanges.add(exchange);
                    producer.process(exchange, doneSync -> {
                        count.incrementAndGet();
                        allDone.countDown();
                    });
                }
                assertTrue(allDone.await(60, TimeUnit.SECONDS), "every exchange must complete");

                int succeeded = 0;
                int failed = 0;
                for (int i = 0; i < requests; i++) {
                    assertEquals(1, callbacks[i].get(), "callbacks of exchange " + i);
                    Exchange exchange = exchanges.get(i);
                    if (exchange.getException() == null) {
                        assertEquals("echo: p" + i, exchange.getMessage().getBody());
                        succeeded++;
                    } else {
                        LlmProviderException e = assertInstanceOf(LlmProviderException.class, exchange.getException());
                        assertTrue(e.getMessage().contains(server.baseUrl()), e.getMessage());
                        failed++;
                    }
                }
                System.out.printf("fault test: %d sent, %d succeeded, %d failed%n", requests, succeeded, failed);
                assertEquals(requests, succeeded + failed);
                assertTrue(succeeded > 0 && failed > 0, "the server must have produced both outcomes");
                assertEquals(0, component.getScheduler().getActiveRequests());
                assertEquals(0, component.getScheduler().getHighPriorityQueueSize()
                                + component.getScheduler().getLowPriorityQueueSize());
            } finally {
                context.stop();
            }
        }
    }
}
