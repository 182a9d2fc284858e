package dev.llmqueue.examples;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import dev.llmqueue.simulator.LlmSimulator;
import dev.llmqueue.simulator.RecordedCall;
import dev.llmqueue.simulator.StreamFault;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The streaming example ({@code routes/stream.camel.yaml} and {@link StreamingChatRoutes}) over plain HTTP/1.1, read
 * chunk by chunk off a socket: the answer reaches the client while the simulator is still generating it, one chunk per
 * token, and a client that hangs up stops the LLM. The proof of timing is the simulator's own record of when it sent
 * its last token, never a sleep.
 */
class StreamExampleTest {

    /** 60 words at 20 a second: the simulator generates for about three seconds. */
    private static final int TOKENS = 60;
    private static final String QUESTION = "Why is the sky blue?";

    private LlmSimulator simulator;
    private Main main;
    private int port;

    @BeforeEach
    void setUp() {
        simulator = LlmSimulator.builder().tokensPerSecond(20).completionTokens(TOKENS).parallelism(2).build().start();
    }

    @AfterEach
    void tearDown() {
        if (main != null) {
            main.stop();
        }
        simulator.close();
    }

    /** The route file like {@code camel run} runs it, or the Java routes, with one slot unless told otherwise. */
    private void start(String dsl) throws Exception {
        Properties overrides = new Properties();
        overrides.setProperty("llm.provider", "ollama");
        overrides.setProperty("llm.baseUrl", simulator.ollamaBaseUrl());
        overrides.setProperty("llm.model", "llama3.2");
        overrides.setProperty("camel.server.enabled", "true");
        overrides.setProperty("camel.server.port", "0");
        overrides.setProperty("camel.management.port", "0");
        overrides.setProperty("camel.component.llmqueue.maxConcurrentRequests", "1");
        if (dsl.equals("yaml")) {
            main = QuickRun.newMain(List.of("routes/stream.camel.yaml"), overrides);
        } else {
            main = new Main();
            main.setOverrideProperties(overrides);
            main.configure().addRoutesBuilder(new StreamingChatRoutes());
        }
        main.start();
        port = main.getCamelContext().hasService(VertxPlatformHttpServer.class).getPort();
    }

    @ParameterizedTest
    @ValueSource(strings = {"yaml", "java"})
    void theAnswerReachesTheClientChunkByChunkWhileTheLlmIsStillGenerating(String dsl) throws Exception {
        start(dsl);
        try (RawHttp http = RawHttp.post(port, "/chat", "text/plain", QUESTION)) {
            assertEquals(200, http.status);
            assertEquals("chunked", http.headers.get("transfer-encoding"), http.headers.toString());
            assertEquals("text/plain; charset=utf-8", http.headers.get("content-type"));
            assertFalse(http.headers.containsKey("user-agent"), "the request's headers are not echoed");
            assertTrue(http.headers.keySet().stream().noneMatch(h -> h.startsWith("camel")), http.headers.toString());

            String first = http.nextChunk();
            long firstRead = System.nanoTime();
            assertEquals("Simulated", first, "the first token, on its own");

            List<String> chunks = new ArrayList<>(List.of(first));
            for (String chunk; (chunk = http.nextChunk()) != null; ) {
                chunks.add(chunk);
            }
            String answer = String.join("", chunks);
            assertTrue(answer.startsWith("Simulated answer to: " + QUESTION), answer);
            assertEquals(TOKENS, answer.split(" ").length, answer);
            assertEquals(TOKENS, chunks.size(), "one chunk per token: " + chunks);

            RecordedCall call = awaitCall(RecordedCall::completed);
            assertTrue(call.streamed());
            assertFalse(call.aborted());
            assertEquals(TOKENS, call.tokensSent());
            assertTrue(firstRead < call.lastTokenNanos(), "the client read the first token "
                    + TimeUnit.NANOSECONDS.toMillis(call.lastTokenNanos() - firstRead)
                    + " ms before the simulator sent its last one");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"yaml", "java"})
    void aClientThatHangsUpStopsTheLlmAndFreesTheSlot(String dsl) throws Exception {
        start(dsl);
        try (RawHttp http = RawHttp.post(port, "/chat", "text/plain", "a long story")) {
            assertEquals("Simulated", http.nextChunk());
        }
        RecordedCall left = awaitCall(RecordedCall::completed);
        assertTrue(left.aborted(), "the simulator saw its client leave: " + left);
        assertTrue(left.tokensSent() < TOKENS, "and stopped generating after " + left.tokensSent() + " tokens");

        // one slot: the next question is served, so the first call gave its slot back
        try (RawHttp http = RawHttp.post(port, "/chat", "text/plain", "next")) {
            StringBuilder answer = new StringBuilder();
            for (String chunk; (chunk = http.nextChunk()) != null; ) {
                answer.append(chunk);
            }
            assertTrue(answer.toString().startsWith("Simulated answer to: next"), answer.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"yaml", "java"})
    void aStreamThatBreaksClosesTheConnectionInsteadOfEndingTheReply(String dsl) throws Exception {
        simulator.setStreamFault(StreamFault.errorAfter(5));
        start(dsl);
        try (RawHttp http = RawHttp.post(port, "/chat", "text/plain", QUESTION)) {
            assertEquals(200, http.status, "the reply had begun");
            for (int i = 0; i < 5; i++) {
                assertTrue(http.nextChunk() != null);
            }
            assertThrows(EOFException.class, http::nextChunk, "no last chunk: the client knows the reply is cut");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"yaml", "java"})
    void aFailureBeforeTheFirstTokenFailsTheExchangeAndTheReplyIsAnError(String dsl) throws Exception {
        simulator.setFaults(dev.llmqueue.simulator.Faults.builder().serverError(1.0).build());
        start(dsl);
        try (RawHttp http = RawHttp.post(port, "/chat", "text/plain", QUESTION)) {
            assertEquals(500, http.status);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"yaml", "java"})
    void aFormPostIsAskedToSendText(String dsl) throws Exception {
        start(dsl);
        // what curl --data sends without -H 'Content-Type: text/plain'
        try (RawHttp http = RawHttp.post(port, "/chat", "application/x-www-form-urlencoded", QUESTION)) {
            assertEquals(415, http.status);
            String hint = new String(http.in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(hint.contains("Content-Type: text/plain"), hint);
        }
        assertEquals(0, simulator.recorded().size(), "nothing was asked of the LLM");
    }

    /** The user guide's "Stream, then store": the client gets the answer as it comes, a wire tap stores it whole. */
    @org.junit.jupiter.api.Test
    void aWireTapStoresTheWholeAnswerWhileTheClientReadsItChunkByChunk() throws Exception {
        start("java");
        main.getCamelContext().addRoutes(new org.apache.camel.builder.RouteBuilder() {
            @Override
            public void configure() {
                from("platform-http:/chat-and-store?httpMethodRestrict=POST")
                        .removeHeaders("*")
                        .to("llmqueue:{{llm.provider}}?model={{llm.model}}&baseUrl={{llm.baseUrl}}&streaming=true")
                        .wireTap("direct:store")
                        .setHeader("Content-Type", constant("text/plain; charset=utf-8"))
                        .setBody(method(ChunkedReply.class, "of"));

                from("direct:store")
                        // waits for the end; null when the client left before it (the stream was closed)
                        .setHeader("finishReason", simple("${body.finishReason()}"))
                        .filter(header("finishReason").isNotNull())
                        .convertBodyTo(String.class)
                        .to("mock:store");
            }
        });
        org.apache.camel.component.mock.MockEndpoint store =
                main.getCamelContext().getEndpoint("mock:store", org.apache.camel.component.mock.MockEndpoint.class);
        store.expectedMessageCount(1);
        store.expectedHeaderReceived("finishReason", "stop");
        StringBuilder read = new StringBuilder();
        try (RawHttp http = RawHttp.post(port, "/chat-and-store", "text/plain", QUESTION)) {
            for (String chunk; (chunk = http.nextChunk()) != null; ) {
                read.append(chunk);
            }
        }
        store.assertIsSatisfied();
        assertEquals(read.toString(), store.getExchanges().get(0).getMessage().getBody(String.class));
        assertEquals(TOKENS, read.toString().split(" ").length);
    }

    /**
     * Why {@link ChunkedReply} exists: Camel 4.18's platform-http (Vert.x) fills a 16 KB buffer from an InputStream
     * reply before it sends anything, so a plain {@code convertBodyTo(InputStream)} delivers the answer in one piece
     * after the LLM has finished. When a Camel upgrade makes this test fail, platform-http streams by itself: see
     * whether ChunkedReply can go.
     */
    @org.junit.jupiter.api.Test
    void withoutChunkedReplyCamel418PlatformHttpSendsTheAnswerInOnePieceAtTheEnd() throws Exception {
        start("java");
        main.getCamelContext().addRoutes(new org.apache.camel.builder.RouteBuilder() {
            @Override
            public void configure() {
                from("platform-http:/plain?httpMethodRestrict=POST")
                        .removeHeaders("*")
                        .to("llmqueue:{{llm.provider}}?model={{llm.model}}&baseUrl={{llm.baseUrl}}&streaming=true")
                        .convertBodyTo(InputStream.class);
            }
        });
        try (RawHttp http = RawHttp.post(port, "/plain", "text/plain", QUESTION)) {
            String first = http.nextChunk();
            long firstRead = System.nanoTime();
            assertEquals(TOKENS, first.split(" ").length, "the whole answer in the first chunk: " + first);
            RecordedCall call = awaitCall(RecordedCall::completed);
            assertTrue(firstRead > call.lastTokenNanos(), "read after the simulator had sent its last token");
        }
    }

    /** The only call, once it matches; polls the simulator's record (bounded), it does not sleep a guessed time. */
    private RecordedCall awaitCall(Predicate<RecordedCall> done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            List<RecordedCall> calls = simulator.recorded();
            if (!calls.isEmpty() && done.test(calls.get(0))) {
                return calls.get(0);
            }
            Thread.onSpinWait();
            Thread.sleep(5);
        }
        return fail("the simulator's call did not end: " + simulator.recorded());
    }

    /** A plain HTTP/1.1 client on a socket, which shows the chunks as the server sent them. */
    static final class RawHttp implements Closeable {
        final Socket socket;
        final InputStream in;
        final int status;
        final Map<String, String> headers = new HashMap<>();

        private RawHttp(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream());
            String statusLine = line();
            this.status = Integer.parseInt(statusLine.split(" ")[1]);
            for (String header; !(header = line()).isEmpty(); ) {
                int colon = header.indexOf(':');
                headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
            }
        }

        static RawHttp post(int port, String path, String contentType, String body) throws IOException {
            Socket socket = new Socket("localhost", port);
            socket.setSoTimeout(20_000);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost:" + port + "\r\nUser-Agent: raw-test\r\n"
                       + "Content-Type: " + contentType + "\r\nContent-Length: " + bytes.length
                       + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            return new RawHttp(socket);
        }

        /** The next chunk's text, or null after the last chunk; EOFException when the connection ends before it. */
        String nextChunk() throws IOException {
            int size = Integer.parseInt(line().split(";")[0].trim(), 16);
            if (size == 0) {
                line();
                return null;
            }
            byte[] data = in.readNBytes(size);
            if (data.length < size) {
                throw new EOFException("the connection ended inside a chunk");
            }
            line();
            return new String(data, StandardCharsets.UTF_8);
        }

        private String line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b; (b = in.read()) != '\n'; ) {
                if (b < 0) {
                    throw new EOFException("the connection ended" + (line.size() > 0 ? " inside a line" : ""));
                }
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.US_ASCII);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
