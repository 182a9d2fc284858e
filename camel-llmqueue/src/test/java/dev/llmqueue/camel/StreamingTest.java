package dev.llmqueue.camel;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streaming through the queue, with a server whose every line the test writes: the route resumes at the first token,
 * the slot follows the server's generation, a close aborts the call, and failures reach the reader exactly where the
 * stream broke. Ollama's documented NDJSON and OpenAI's documented server-sent events.
 */
class StreamingTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private StreamingServer server;
    private CamelContext context;
    private LlmQueueComponent component;
    /** One permit per request that ended (onEnded), which for a stream comes after the route resumed. */
    private final java.util.concurrent.Semaphore ended = new java.util.concurrent.Semaphore(0);

    private void awaitEnded(int requests) throws InterruptedException {
        assertTrue(ended.tryAcquire(requests, 10, TimeUnit.SECONDS), "expected " + requests + " requests to end");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (context != null) {
            context.stop();
        }
        if (server != null) {
            server.close();
        }
    }

    private AsyncProducer start(String provider, String options) throws Exception {
        server = new StreamingServer(provider.equals("ollama") ? "application/x-ndjson" : "text/event-stream");
        context = new DefaultCamelContext();
        component = new LlmQueueComponent(name -> null);
        component.setMaxConcurrentRequests(1);
        component.addListener(new LlmQueueListener() {
            @Override
            public void onEnded(RequestInfo request, Outcome outcome, LlmQueueRejectedException.Reason reason) {
                ended.release();
            }
        });
        context.addComponent("llmqueue", component);
        context.start();
        String base = server.baseUrl() + (provider.equals("openai") ? "/v1" : "");
        AsyncProducer producer = context.getEndpoint("llmqueue:" + provider + "?model=m&streaming=true&retryBackoff=10"
                                                     + "&baseUrl=" + base + (options.isEmpty() ? "" : "&" + options))
                .createAsyncProducer();
        ServiceHelper.startService(producer);
        return producer;
    }

    /** Sends a prompt; the future completes when the route resumes, and fails if it ever resumes twice. */
    private static CompletableFuture<Exchange> send(AsyncProducer producer, String prompt) {
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody(prompt);
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        producer.process(exchange, doneSync -> {
            if (calls.incrementAndGet() > 1) {
                done.obtrudeException(new AssertionError("the exchange resumed twice"));
            }
            done.complete(exchange);
        });
        return done;
    }

    private static Exchange await(CompletableFuture<Exchange> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }

    private static String ollamaToken(String text) {
        return "{\"model\":\"m\",\"created_at\":\"2026-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\""
               + text + "\"},\"done\":false}";
    }

    private static final String OLLAMA_DONE = "{\"model\":\"m\",\"created_at\":\"2026-01-01T00:00:01Z\",\"message\":"
                                              + "{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":"
                                              + "\"stop\",\"total_duration\":5,\"prompt_eval_count\":7,\"eval_count\":3}";

    private static String openAiToken(String text) {
        return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\",\"choices\":"
               + "[{\"index\":0,\"delta\":{\"content\":\"" + text + "\"},\"finish_reason\":null}]}\n";
    }

    private static List<String> drain(LlmStream stream) {
        List<String> deltas = new ArrayList<>();
        stream.forEachRemaining(deltas::add);
        return deltas;
    }

    // ---- the request ----

    @Test
    void ollamaIsAskedToStream() throws Exception {
        AsyncProducer producer = start("ollama", "");
        send(producer, "hi");
        JsonNode body = MAPPER.readTree(server.awaitCall().body);
        assertTrue(body.get("stream").asBoolean(), body.toString());
    }

    @Test
    void openAiIsAskedToStreamWithUsage() throws Exception {
        AsyncProducer producer = start("openai", "");
        send(producer, "hi");
        JsonNode body = MAPPER.readTree(server.awaitCall().body);
        assertTrue(body.get("stream").asBoolean(), body.toString());
        assertTrue(body.path("stream_options").path("include_usage").asBoolean(), body.toString());
    }

    @Test
    void streamingIsRefusedForEmbedAndWithOutputClass() throws Exception {
        context = new DefaultCamelContext();
        context.addComponent("llmqueue", new LlmQueueComponent(name -> null));
        Exception embed = assertThrows(Exception.class,
                () -> context.getEndpoint("llmqueue:ollama?model=m&operation=embed&streaming=true"));
        assertTrue(String.valueOf(org.apache.camel.util.ObjectHelper.getException(IllegalArgumentException.class, embed))
                .contains("streaming is for operation chat or generate"));
        Exception raw = assertThrows(Exception.class,
                () -> context.getEndpoint("llmqueue:ollama?model=m&rawResponse=true&streaming=true"));
        assertTrue(String.valueOf(org.apache.camel.util.ObjectHelper.getException(IllegalArgumentException.class, raw))
                .contains("rawResponse"));
    }

    // ---- the route resumes at the first token ----

    @Test
    void theRouteResumesAtTheFirstTokenWhileTheServerStillGenerates() throws Exception {
        AsyncProducer producer = start("ollama", "");
        CompletableFuture<Exchange> resumed = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        assertFalse(resumed.isDone(), "nothing has arrived yet");
        call.send(ollamaToken("Hello"));
        Exchange exchange = await(resumed);
        LlmStream stream = assertInstanceOf(LlmStream.class, exchange.getMessage().getBody());
        assertTrue(stream.hasNext());
        assertEquals("Hello", stream.next());
        assertFalse(stream.isDone(), "the server is still generating");
        assertTrue(exchange.getMessage().getHeader(LlmQueueConstants.TIME_TO_FIRST_TOKEN, Long.class) >= 0);
        assertEquals(1, exchange.getMessage().getHeader(LlmQueueConstants.ATTEMPTS));
        call.send(ollamaToken(" world"));
        call.send(OLLAMA_DONE);
        call.end();
        assertEquals(List.of(" world"), drain(stream));
        assertEquals("Hello world", stream.text());
        assertEquals("stop", stream.finishReason());
        assertEquals(7, stream.promptTokens());
        assertEquals(3, stream.completionTokens());
        assertEquals("m", stream.responseModel());
        assertEquals(1L, component.getStatistics().timeToFirstTokenPercentiles(LlmQueuePriority.HIGH).get("count"));
    }

    @Test
    void openAiServerSentEventsAreReadIncrementallyWithUsageAtTheEnd() throws Exception {
        AsyncProducer producer = start("openai", "");
        CompletableFuture<Exchange> resumed = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\","
                  + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n");
        call.send(openAiToken("Bon"));
        LlmStream stream = (LlmStream) await(resumed).getMessage().getBody();
        assertEquals("Bon", stream.next());
        call.send(openAiToken("jour"));
        call.send("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\","
                  + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n");
        call.send("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\","
                  + "\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n");
        call.send("data: [DONE]\n");
        call.end();
        assertEquals(List.of("jour"), drain(stream));
        assertEquals("Bonjour", stream.text());
        assertEquals("stop", stream.finishReason());
        assertEquals(9, stream.promptTokens());
        assertEquals(2, stream.completionTokens());
        assertEquals("gpt-x", stream.responseModel());
    }

    @Test
    void aReplyThatOnlyCallsToolsResumesAtItsEndWithTheToolCalls() throws Exception {
        AsyncProducer producer = start("openai", "");
        CompletableFuture<Exchange> resumed = send(producer, "weather in Paris?");
        StreamingServer.Call call = server.awaitCall().start();
        call.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
                  + "[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                  + "\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n");
        call.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
                  + "{\"arguments\":\"{\\\"city\\\": \"}}]},\"finish_reason\":null}]}\n");
        assertFalse(resumed.isDone(), "no text yet: the route waits for the end");
        call.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
                  + "{\"arguments\":\"\\\"Paris\\\"}\"}}]},\"finish_reason\":null}]}\n");
        call.send("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n");
        call.send("data: [DONE]\n");
        call.end();
        Exchange exchange = await(resumed);
        LlmStream stream = (LlmStream) exchange.getMessage().getBody();
        assertFalse(stream.hasNext());
        assertEquals("tool_calls", stream.finishReason());
        List<Map<String, Object>> calls = stream.toolCalls();
        assertEquals("get_weather", calls.get(0).get("name"));
        assertEquals(Map.of("city", "Paris"), calls.get(0).get("arguments"));
        assertEquals(calls, exchange.getMessage().getHeader(LlmQueueConstants.TOOL_CALLS));
    }

    // ---- the slot follows the server's generation ----

    @Test
    void closingTheStreamAbortsTheCallAndTheNextRequestStartsAtOnce() throws Exception {
        AsyncProducer producer = start("ollama", "");
        CompletableFuture<Exchange> first = send(producer, "long answer");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(ollamaToken("Once"));
        LlmStream stream = (LlmStream) await(first).getMessage().getBody();
        CompletableFuture<Exchange> second = send(producer, "next");
        assertNull(server.pollCall(), "one slot: the next request waits while the first generates");
        stream.close();
        call.awaitClientClosed();
        StreamingServer.Call next = server.awaitCall();
        assertTrue(next.body.contains("next"), "the slot went to the waiting request");
        next.start().send(ollamaToken("ok"));
        next.send(OLLAMA_DONE);
        next.end();
        assertEquals("ok", ((LlmStream) await(second).getMessage().getBody()).text());
        awaitEnded(2);
        assertEquals(2, component.getCompletedCount(), "a closed stream is no failure");
    }

    @Test
    void aRouteThatNeverReadsDoesNotHoldTheSlot() throws Exception {
        AsyncProducer producer = start("ollama", "");
        CompletableFuture<Exchange> first = send(producer, "unread");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(ollamaToken("a"));
        LlmStream unread = (LlmStream) await(first).getMessage().getBody();
        send(producer, "next");
        for (int i = 0; i < 100; i++) {
            call.send(ollamaToken("b"));
        }
        call.send(OLLAMA_DONE);
        call.end();
        assertTrue(server.awaitCall().body.contains("next"), "the slot came back when the server finished");
        assertEquals(101, unread.text().length(), "everything was buffered for the route");
    }

    @Test
    void listInFlightShowsTheTokensReceivedSoFar() throws Exception {
        AsyncProducer producer = start("ollama", "");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(ollamaToken("one"));
        call.send(ollamaToken("two"));
        LlmStream stream = (LlmStream) await(first).getMessage().getBody();
        assertEquals("one", stream.next());
        assertEquals("two", stream.next());
        assertTrue(component.listInFlight().get(0).endsWith(" tokens=2"), component.listInFlight().toString());
        call.send(OLLAMA_DONE);
        call.end();
    }

    // ---- failures ----

    @Test
    void anErrorEventAfterTheFirstTokenIsThrownWhereTheStreamBrokeAndNotRetried() throws Exception {
        AsyncProducer producer = start("ollama", "");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(ollamaToken("partial"));
        LlmStream stream = (LlmStream) await(first).getMessage().getBody();
        call.send("{\"error\":\"model runner has unexpectedly stopped\"}");
        assertEquals("partial", stream.next());
        LlmProviderException e = assertThrows(LlmProviderException.class, stream::hasNext);
        assertTrue(e.getMessage().contains("model runner has unexpectedly stopped"), e.getMessage());
        awaitEnded(1);
        assertNull(server.pollCall(), "tokens were delivered: no retry");
        assertEquals(1, component.getFailedCount());
    }

    @Test
    void anOpenAiErrorEventAfterTheFirstTokenIsThrownWhereTheStreamBroke() throws Exception {
        AsyncProducer producer = start("openai", "");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(openAiToken("partial"));
        LlmStream stream = (LlmStream) await(first).getMessage().getBody();
        call.send("data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n");
        assertEquals("partial", stream.next());
        LlmProviderException e = assertThrows(LlmProviderException.class, stream::hasNext);
        assertTrue(e.getMessage().contains("The server had an error"), e.getMessage());
    }

    @Test
    void aCutConnectionAfterTheFirstTokenFailsTheStream() throws Exception {
        AsyncProducer producer = start("openai", "");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(openAiToken("partial"));
        LlmStream stream = (LlmStream) await(first).getMessage().getBody();
        call.cut();
        assertEquals("partial", stream.next());
        assertThrows(LlmProviderException.class, stream::hasNext);
        assertThrows(LlmProviderException.class, stream::text, "the whole text is not to be had either");
    }

    @Test
    void aCutBeforeTheFirstTokenIsRetriedLikeAnyCall() throws Exception {
        AsyncProducer producer = start("ollama", "");
        CompletableFuture<Exchange> resumed = send(producer, "hi");
        StreamingServer.Call first = server.awaitCall().start();
        first.cut();
        StreamingServer.Call second = server.awaitCall().start();
        second.send(ollamaToken("retried"));
        second.send(OLLAMA_DONE);
        second.end();
        Exchange exchange = await(resumed);
        assertEquals(2, exchange.getMessage().getHeader(LlmQueueConstants.ATTEMPTS));
        assertEquals("retried", ((LlmStream) exchange.getMessage().getBody()).text());
    }

    @Test
    void anErrorStatusBeforeTheStreamFailsTheExchangeAsToday() throws Exception {
        AsyncProducer producer = start("ollama", "maxRetries=0");
        CompletableFuture<Exchange> resumed = send(producer, "hi");
        server.awaitCall().respond(404, "{\"error\":\"model \\\"m\\\" not found, try pulling it first\"}");
        LlmProviderException e = assertInstanceOf(LlmProviderException.class, await(resumed).getException());
        assertEquals(404, e.getStatusCode());
    }

    @Test
    void silenceLongerThanRequestTimeoutBetweenTwoChunksFailsTheStream() throws Exception {
        AsyncProducer producer = start("ollama", "requestTimeout=300");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(ollamaToken("then silence"));
        LlmStream stream = (LlmStream) await(first).getMessage().getBody();
        assertEquals("then silence", stream.next());
        LlmProviderException e = assertThrows(LlmProviderException.class, stream::hasNext);
        assertTrue(e.getMessage().contains("requestTimeout (300 ms)"), e.getMessage());
        call.cut();
    }

    @Test
    void theReaderAndTheSlotDoNotWaitForAServerThatKeepsItsConnectionOpenAfterTheLastEvent() throws Exception {
        AsyncProducer producer = start("ollama", "requestTimeout=60000");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(ollamaToken("Hello"));
        LlmStream stream = (LlmStream) await(first).getMessage().getBody();
        send(producer, "next");
        call.send(OLLAMA_DONE);
        // no end(): the server keeps the connection open
        assertEquals("Hello", stream.text());
        assertTrue(server.awaitCall().body.contains("next"), "the slot came back without waiting for requestTimeout");
        awaitEnded(1);
        assertEquals(1, component.getCompletedCount());
        call.cut();
    }

    @Test
    void anErrorEventFailsTheReaderAtOnceEvenIfTheServerKeepsTheConnectionOpen() throws Exception {
        AsyncProducer producer = start("openai", "requestTimeout=60000");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(openAiToken("partial"));
        LlmStream stream = (LlmStream) await(first).getMessage().getBody();
        send(producer, "next");
        call.send("data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n");
        assertEquals("partial", stream.next());
        assertThrows(LlmProviderException.class, stream::hasNext);
        assertTrue(server.awaitCall().body.contains("next"), "the slot came back at the error");
        call.cut();
    }

    @Test
    void keepAlivesBeforeTheFirstTokenDoNotStretchRequestTimeout() throws Exception {
        AsyncProducer producer = start("openai", "requestTimeout=500&maxRetries=0");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        // the fake server's pace, not a synchronisation: a comment every 100 ms, never a token
        while (!first.isDone() && call.send(": keep-alive\n")) {
            Thread.sleep(100);
        }
        LlmProviderException e = assertInstanceOf(LlmProviderException.class, await(first).getException());
        assertTrue(e.getMessage().contains("requestTimeout (500 ms)"), e.getMessage());
        call.cut();
    }

    @Test
    void keepAlivesAfterTheFirstTokenDoNotCountAsTokens() throws Exception {
        AsyncProducer producer = start("openai", "requestTimeout=500");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(openAiToken("partial"));
        LlmStream stream = (LlmStream) await(first).getMessage().getBody();
        assertEquals("partial", stream.next());
        CompletableFuture<Boolean> failed = CompletableFuture.supplyAsync(() -> {
            try {
                stream.hasNext();
                return false;
            } catch (Exception e) {
                return e instanceof LlmProviderException && e.getMessage().contains("requestTimeout");
            }
        });
        while (!failed.isDone() && call.send(": keep-alive\n")) {
            Thread.sleep(100);
        }
        assertTrue(failed.get(10, TimeUnit.SECONDS));
        call.cut();
    }

    @Test
    void aToolCallFragmentWithAnAbsurdIndexFailsTheCallInsteadOfAllocating() throws Exception {
        AsyncProducer producer = start("openai", "maxRetries=0");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":100000000,\"id\":\"x\","
                  + "\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n");
        LlmProviderException e = assertInstanceOf(LlmProviderException.class, await(first).getException());
        assertTrue(e.getMessage().contains("index 100000000"), e.getMessage());
        call.cut();
    }

    @Test
    void aSurrogatePairSplitAcrossTwoDeltasReadsWholeFromTheInputStream() throws Exception {
        AsyncProducer producer = start("ollama", "");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(ollamaToken("\\ud83d"));
        InputStream in = await(first).getMessage().getBody(InputStream.class);
        call.send(ollamaToken("\\ude00!"));
        call.send(OLLAMA_DONE);
        call.end();
        assertEquals("\ud83d\ude00!", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void theFirstTokenReachesTheRouteWhileSlowRoutesKeepEveryCompletionThreadBusy() throws Exception {
        AsyncProducer producer = start("ollama", "");
        int completionThreads = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());
        java.util.concurrent.CountDownLatch slowRoutes = new java.util.concurrent.CountDownLatch(completionThreads);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        for (int i = 0; i < completionThreads; i++) {
            // past their deadline on arrival: they end on the completion pool, where their routes then block
            Exchange late = producer.getEndpoint().createExchange();
            late.getMessage().setBody("late " + i);
            late.getMessage().setHeader(LlmQueueConstants.DEADLINE, 1L);
            producer.process(late, doneSync -> {
                slowRoutes.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        assertTrue(slowRoutes.await(10, TimeUnit.SECONDS), "every completion thread runs a slow route");
        CompletableFuture<Exchange> streamed = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(ollamaToken("first"));
        LlmStream stream = (LlmStream) await(streamed).getMessage().getBody();
        assertEquals("first", stream.next(), "resumed while the completion pool was busy");
        release.countDown();
        call.send(OLLAMA_DONE);
        call.end();
    }

    // ---- reading it with Camel's converters ----

    @Test
    void asAStringTheStreamIsTheWholeTextOnceItHasEnded() throws Exception {
        AsyncProducer producer = start("ollama", "");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(ollamaToken("a"));
        Exchange exchange = await(first);
        call.send(ollamaToken("b"));
        call.send(OLLAMA_DONE);
        call.end();
        assertEquals("ab", exchange.getMessage().getBody(String.class));
    }

    @Test
    void asAnInputStreamTheTextArrivesAsItIsGenerated() throws Exception {
        AsyncProducer producer = start("ollama", "");
        CompletableFuture<Exchange> first = send(producer, "hi");
        StreamingServer.Call call = server.awaitCall().start();
        call.send(ollamaToken("héllo"));
        InputStream in = await(first).getMessage().getBody(InputStream.class);
        byte[] firstBytes = in.readNBytes("héllo".getBytes(StandardCharsets.UTF_8).length);
        assertEquals("héllo", new String(firstBytes, StandardCharsets.UTF_8), "read before the server finished");
        call.send(ollamaToken(" there"));
        call.send(OLLAMA_DONE);
        call.end();
        assertEquals(" there", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
}
