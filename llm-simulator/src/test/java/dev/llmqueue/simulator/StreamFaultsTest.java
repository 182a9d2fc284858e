package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.llmqueue.simulator.Http.await;
import static dev.llmqueue.simulator.Http.json;
import static dev.llmqueue.simulator.Http.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Faults in the middle of a stream, and clients that leave before the end. */
class StreamFaultsTest {

    private static final String CHAT = "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String CHAT_IN_ONE_PIECE =
            "{\"model\":\"llama3.2\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String OPENAI_CHAT = "{\"model\":\"gpt-4o-mini\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String FAULT = LlmSimulator.FAULT_HEADER;

    private LlmSimulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    private LlmSimulator start() {
        sim = LlmSimulator.builder().stallProbeInterval(Duration.ofMillis(20)).build().start();
        return sim;
    }

    private StreamClient ollama(String... headers) {
        return StreamClient.open(sim.ollamaBaseUrl() + "/api/chat", CHAT, headers);
    }

    /** A bare socket client: it shows every byte written before a cut. */
    private RawStreamClient raw(String path, String json, String... headers) throws IOException {
        return new RawStreamClient(sim.port(), path, json, headers);
    }

    private StreamClient openAi(String... headers) {
        return StreamClient.open(sim.openAiBaseUrl() + "/chat/completions", OPENAI_CHAT, headers);
    }

    private RecordedCall onlyCall() {
        await(() -> sim.recorded().get(0).completed(), "the call completed");
        return sim.recorded().get(0);
    }

    // ---------------------------------------------------------------- cut

    @Test
    void cutAfterOnOllamaEndsTheBodyEarlyAfterThatManyTokens() throws Exception {
        start();
        try (RawStreamClient client = raw("/api/chat", CHAT, FAULT, "cut-after=3")) {
            assertEquals(200, client.status);
            assertEquals("application/x-ndjson", client.contentType);
            for (int i = 0; i < 3; i++) {
                assertFalse(StreamClient.parse(client.line()).get("done").asBoolean());
            }
            assertThrows(EOFException.class, client::line);
        }
        RecordedCall call = onlyCall();

        assertEquals(Faults.Kind.STREAM_CUT, call.fault());
        assertEquals(3, call.tokensSent());
        assertEquals(200, call.status());
        assertFalse(call.aborted(), "the simulator cut it, the client did not leave");
        assertEquals(1, sim.stats().faultsInjected());
        assertEquals(0, sim.stats().currentlyServing());
    }

    @Test
    void cutAfterOnOpenAiEndsTheBodyAfterTheRoleChunkAndThatManyTokens() throws Exception {
        start();
        try (RawStreamClient client = raw("/v1/chat/completions", OPENAI_CHAT, FAULT, "cut-after=2")) {
            assertEquals("text/event-stream", client.contentType);
            assertEquals("assistant", sse(client).at("/choices/0/delta/role").asText());
            assertEquals("Simulated", sse(client).at("/choices/0/delta/content").asText());
            assertEquals(" answer", sse(client).at("/choices/0/delta/content").asText());
            assertThrows(EOFException.class, client::line);
        }
        assertEquals(2, onlyCall().tokensSent());
    }

    private static JsonNode sse(RawStreamClient client) throws IOException {
        String line = client.line();
        assertTrue(line.startsWith("data: "), line);
        assertEquals("", client.line());
        return StreamClient.parse(line.substring(6));
    }

    @Test
    void aFaultAfterMoreTokensThanTheAnswerStrikesBeforeTheClosingEvents() throws Exception {
        start();
        try (RawStreamClient client = raw("/api/chat", CHAT, FAULT, "cut-after=100")) {
            for (int i = 0; i < 12; i++) {
                assertFalse(StreamClient.parse(client.line()).get("done").asBoolean());
            }
            assertThrows(EOFException.class, client::line, "no done line");
        }
        assertEquals(12, onlyCall().tokensSent());
    }

    // ---------------------------------------------------------------- error

    @Test
    void errorAfterOnOllamaSendsAnErrorLineAndEndsTheStream() {
        start();
        List<JsonNode> lines;
        try (StreamClient client = ollama(FAULT, "error-after=2")) {
            lines = client.ndjsonToEnd();
        }

        assertEquals(3, lines.size(), lines.toString());
        assertEquals("Simulated", lines.get(0).at("/message/content").asText());
        assertEquals(1, lines.get(2).size(), "only the error: " + lines.get(2));
        assertTrue(lines.get(2).get("error").isTextual());
        RecordedCall call = onlyCall();
        assertEquals(Faults.Kind.STREAM_ERROR, call.fault());
        assertEquals(2, call.tokensSent());
        assertEquals(0, sim.stats().currentlyServing());
    }

    @Test
    void errorAfterOnOpenAiSendsAnErrorEventAndNoDone() {
        start();
        List<String> events;
        try (StreamClient client = openAi(FAULT, "error-after=0")) {
            events = client.sseToEnd();
        }

        assertEquals(2, events.size(), events.toString());
        assertEquals("assistant", StreamClient.parse(events.get(0)).at("/choices/0/delta/role").asText());
        JsonNode error = StreamClient.parse(events.get(1)).get("error");
        assertEquals("server_error", error.get("type").asText());
        assertTrue(error.get("message").isTextual());
        assertEquals(0, onlyCall().tokensSent());
    }

    // ---------------------------------------------------------------- stall

    @Test
    void aStallForADurationSendsNothingThenTheStreamGoesOn() {
        start();
        List<String> events;
        try (StreamClient client = openAi(FAULT, "stall-after=1; for=200ms")) {
            events = client.sseToEnd();
        }

        assertEquals(15, events.size(), "a complete stream: " + events);
        assertEquals("[DONE]", events.get(14));
        RecordedCall call = onlyCall();
        assertEquals(Faults.Kind.STREAM_STALL, call.fault());
        assertEquals(12, call.tokensSent());
        assertTrue(call.lastTokenNanos() - call.firstTokenNanos() >= TimeUnit.MILLISECONDS.toNanos(200),
                "the tokens after the first waited for the stall");
    }

    @Test
    void aStallForeverLastsUntilTheClientClosesThenTheCallIsAborted() {
        start();
        StreamClient client = openAi(FAULT, "stall-after=2");
        client.sseJson();
        client.sseJson();
        client.sseJson();

        assertFalse(sim.recorded().get(0).completed(), "still stalled while the client reads");
        assertEquals(1, sim.stats().currentlyServing());
        client.close();
        await(() -> sim.stats().aborted() == 1, "the simulator noticed the client left");

        RecordedCall call = sim.recorded().get(0);
        assertTrue(call.completed());
        assertTrue(call.aborted());
        assertEquals(2, call.tokensSent());
        assertEquals(2, sim.stats().abortedTokens());
        assertEquals(0, sim.stats().currentlyServing());
    }

    @Test
    void theClientReadTheFirstTokenWhileTheSimulatorWasStillGenerating() {
        start();
        try (StreamClient client = ollama(FAULT, "stall-after=1")) {
            assertEquals("Simulated", client.ndjson().at("/message/content").asText());

            RecordedCall now = sim.recorded().get(0);
            assertFalse(now.completed());
            assertTrue(now.firstTokenNanos() > 0 && now.firstTokenNanos() <= client.lastReadNanos);
            assertEquals(1, now.tokensSent());
        }
    }

    // ---------------------------------------------------------------- a client that leaves

    @Test
    void aClientThatLeavesMidStreamStopsTheGenerationAndFreesTheSlot() throws Exception {
        sim = LlmSimulator.builder().parallelism(1).maxQueue(0).tokensPerSecond(50).completionTokens(100)
                .build().start(); // two seconds of tokens
        try (StreamClient client = ollama()) {
            assertNotNull(client.ndjson());
            assertNotNull(client.ndjson());
        }
        await(() -> sim.stats().aborted() == 1, "the simulator noticed the client left");

        RecordedCall call = sim.recorded().get(0);
        assertTrue(call.aborted());
        assertTrue(call.tokensSent() >= 2 && call.tokensSent() < 100, "sent " + call.tokensSent());
        assertEquals(call.tokensSent(), sim.stats().abortedTokens());
        assertEquals(0, sim.stats().currentlyServing());
        assertEquals(200, post(sim.ollamaBaseUrl() + "/api/chat", CHAT_IN_ONE_PIECE).statusCode());
    }

    // ---------------------------------------------------------------- how faults are chosen

    @Test
    void theBuildersStreamFaultHitsEveryStreamButNotRepliesInOnePiece() throws Exception {
        sim = LlmSimulator.builder().streamFault(StreamFault.errorAfter(1)).build().start();

        for (int i = 0; i < 2; i++) {
            try (StreamClient client = ollama()) {
                List<JsonNode> lines = client.ndjsonToEnd();
                assertEquals(2, lines.size());
                assertTrue(lines.get(1).has("error"));
            }
        }
        assertEquals(200, post(sim.ollamaBaseUrl() + "/api/chat", CHAT_IN_ONE_PIECE).statusCode());
        assertEquals(2, sim.stats().faultsInjected());
        assertEquals(StreamFault.errorAfter(1), sim.streamFault().orElseThrow());
    }

    @Test
    void setStreamFaultChangesItLiveAndTheHeaderWinsOverIt() {
        start();
        sim.setStreamFault(StreamFault.cutAfter(0));

        try (StreamClient client = ollama(FAULT, "error-after=0")) {
            assertTrue(client.ndjson().has("error"));
        }
        sim.setStreamFault(null);
        try (StreamClient client = ollama()) {
            assertEquals(13, client.ndjsonToEnd().size());
        }
    }

    @Test
    void probabilisticStreamFaultsApplyToStreamsOnly() throws Exception {
        sim = LlmSimulator.builder().faults(Faults.builder().cutStream(1.0, 1).build()).build().start();

        try (RawStreamClient client = raw("/api/chat", CHAT)) {
            assertNotNull(client.line());
            assertThrows(EOFException.class, client::line);
        }
        HttpResponse<String> inOnePiece = post(sim.ollamaBaseUrl() + "/api/chat", CHAT_IN_ONE_PIECE);

        assertEquals(200, inOnePiece.statusCode());
        assertTrue(json(inOnePiece).get("done").asBoolean());
        assertEquals(1, sim.stats().faultsInjected(), "the reply in one piece drew a stream fault: no fault");
        assertSame(Faults.Kind.NONE, sim.recorded().get(1).fault());
    }

    @Test
    void faultsBeforeTheStreamAnswerWithAPlainErrorBody() throws Exception {
        sim = LlmSimulator.builder().faults(Faults.builder().rateLimited(1.0, Duration.ofSeconds(2)).build())
                .build().start();

        HttpResponse<String> r = post(sim.openAiBaseUrl() + "/chat/completions", OPENAI_CHAT);

        assertEquals(429, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
        assertEquals("2", r.headers().firstValue("retry-after").orElseThrow());
        assertEquals("rate_limit_exceeded", json(r).at("/error/code").asText());
        assertFalse(sim.recorded().get(0).streamed());
    }

    @Test
    void malformedJsonOnAStreamSendsTheFirstEventCutInHalf() {
        start();
        try (StreamClient client = ollama(FAULT, "malformed-json")) {
            String line = client.line();
            assertThrows(UncheckedIOException.class, () -> StreamClient.parse(line));
            assertNull(client.line(), "then the body ends");
        }
        assertEquals(Faults.Kind.MALFORMED_JSON, onlyCall().fault());
    }

    @Test
    void theHeaderInjectsTheOtherFaultsToo() throws Exception {
        sim = LlmSimulator.builder().faults(Faults.builder().serverError(1.0).build()).build().start();

        HttpResponse<String> limited = post(sim.ollamaBaseUrl() + "/api/chat", CHAT_IN_ONE_PIECE,
                FAULT, "rate-limited=3s");
        HttpResponse<String> busy = post(sim.openAiBaseUrl() + "/chat/completions", OPENAI_CHAT, FAULT, "busy");
        HttpResponse<String> none = post(sim.ollamaBaseUrl() + "/api/chat", CHAT_IN_ONE_PIECE, FAULT, "none");

        assertEquals(429, limited.statusCode());
        assertEquals("3", limited.headers().firstValue("retry-after").orElseThrow());
        assertEquals(503, busy.statusCode());
        assertEquals(200, none.statusCode(), "none wins over the Faults");
        assertThrows(IOException.class, () -> post(sim.ollamaBaseUrl() + "/api/chat", CHAT, FAULT,
                "drop-connection"));
        assertEquals(3, sim.stats().faultsInjected());
    }

    @Test
    void aStreamFaultOnAReplyInOnePieceOrAnUnreadableHeaderIs400() throws Exception {
        start();

        HttpResponse<String> ollama = post(sim.ollamaBaseUrl() + "/api/chat", CHAT_IN_ONE_PIECE, FAULT, "cut-after=1");
        HttpResponse<String> openAi = post(sim.openAiBaseUrl() + "/chat/completions", OPENAI_CHAT, FAULT, "cut");

        assertEquals(400, ollama.statusCode());
        assertTrue(json(ollama).get("error").asText().contains("streamed replies only"));
        assertEquals(400, openAi.statusCode());
        assertEquals("invalid_request_error", json(openAi).at("/error/type").asText());
        assertTrue(json(openAi).at("/error/message").asText().contains(FAULT));
        assertEquals(0, sim.stats().faultsInjected());
        assertEquals(0, sim.stats().maxObservedConcurrency(), "rejected before taking a slot");
    }

    // ---------------------------------------------------------------- StreamFault and Faults

    @Test
    void streamFaultsParseAndPrintTheHeaderForm() {
        assertEquals(StreamFault.cutAfter(3), StreamFault.parse("cut-after=3"));
        assertEquals(StreamFault.errorAfter(0), StreamFault.parse(" Error-After = 0 "));
        assertEquals(StreamFault.stallForeverAfter(2), StreamFault.parse("stall-after=2"));
        assertEquals(StreamFault.stallAfter(2, Duration.ofMillis(500)), StreamFault.parse("stall-after=2; for=500ms"));
        assertEquals(StreamFault.stallForeverAfter(1), StreamFault.parse("stall-after=1; for=forever"));
        for (StreamFault f : new StreamFault[] {StreamFault.cutAfter(3), StreamFault.stallForeverAfter(2),
                StreamFault.stallAfter(1, Duration.ofMillis(1500))}) {
            assertEquals(f, StreamFault.parse(f.toString()));
        }
        assertTrue(StreamFault.stallForeverAfter(0).forever());
        for (String bad : new String[] {"", "cut", "cut-after=-1", "cut-after=x", "error-after=1; for=1s",
                "cut-after=1; stall-after=2", "stall-after=1; for=soon"}) {
            assertThrows(IllegalArgumentException.class, () -> StreamFault.parse(bad), bad);
        }
    }

    @Test
    void streamFaultKindsComeAfterTheOthersInTheCumulativeRanges() {
        Faults f = Faults.builder().serverError(0.1).cutStream(0.1, 3).streamError(0.1, 4)
                .stallStream(0.1, 5, Duration.ofSeconds(1)).build();

        assertSame(Faults.Kind.SERVER_ERROR, f.pick(0.05));
        assertSame(Faults.Kind.STREAM_CUT, f.pick(0.15));
        assertSame(Faults.Kind.STREAM_ERROR, f.pick(0.25));
        assertSame(Faults.Kind.STREAM_STALL, f.pick(0.35));
        assertSame(Faults.Kind.NONE, f.pick(0.45));
        assertEquals(StreamFault.cutAfter(3), f.cutStream());
        assertEquals(StreamFault.errorAfter(4), f.streamError());
        assertEquals(StreamFault.stallAfter(5, Duration.ofSeconds(1)), f.stallStream());
        assertEquals(f, f.toBuilder().build());
        assertTrue(Faults.Kind.STREAM_CUT.streamOnly() && !Faults.Kind.DROP_CONNECTION.streamOnly());
        assertThrows(IllegalArgumentException.class, () -> Faults.builder().busy(0.6).stallStream(0.6, 1,
                Duration.ZERO).build());
    }
}
