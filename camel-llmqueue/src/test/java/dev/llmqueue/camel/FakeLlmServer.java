package dev.llmqueue.camel;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import javax.net.ServerSocketFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An Ollama-speaking MockWebServer that records the prompts in the order they arrived, counts the calls in flight,
 * and can hold every call until the test releases it: the way tests make queue order deterministic.
 */
public final class FakeLlmServer implements AutoCloseable {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private final MockWebServer server = new MockWebServer();
    private final List<String> prompts = Collections.synchronizedList(new ArrayList<>());
    private final Semaphore arrivals = new Semaphore(0);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile CountDownLatch gate;
    private volatile Function<RecordedRequest, MockResponse> responder = FakeLlmServer::echo;

    public FakeLlmServer() throws IOException {
        server.setServerSocketFactory(new NoDelayServerSocketFactory());
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
                prompts.add(prompt(request));
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                try {
                    arrivals.release();
                    CountDownLatch held = gate;
                    if (held != null) {
                        held.await();
                    }
                    return responder.apply(request);
                } finally {
                    inFlight.decrementAndGet();
                }
            }
        });
        server.start();
    }

    public String baseUrl() {
        String url = server.url("/").toString();
        return url.substring(0, url.length() - 1);
    }

    /** From now on every call waits at the server until {@link #release()}. */
    public void hold() {
        gate = new CountDownLatch(1);
    }

    public void release() {
        CountDownLatch held = gate;
        gate = null;
        if (held != null) {
            held.countDown();
        }
    }

    /** Waits until {@code count} more calls have arrived. */
    public void awaitArrivals(int count) throws InterruptedException {
        assertTrue(arrivals.tryAcquire(count, 10, TimeUnit.SECONDS), "expected " + count + " calls at the server");
    }

    public void respondWith(Function<RecordedRequest, MockResponse> responder) {
        this.responder = responder;
    }

    /** The last message's content (chat) or the prompt (generate), in arrival order. */
    public List<String> prompts() {
        synchronized (prompts) {
            return new ArrayList<>(prompts);
        }
    }

    public int requestCount() {
        return server.getRequestCount();
    }

    public int maxInFlight() {
        return maxInFlight.get();
    }

    @Override
    public void close() throws IOException {
        release();
        server.close();
    }

    /**
     * MockWebServer writes a reply's head and body separately; with Nagle's algorithm on, the body then waits for
     * the client's delayed ACK (about 40 ms a call).
     */
    private static final class NoDelayServerSocketFactory extends ServerSocketFactory {
        @Override
        public ServerSocket createServerSocket() throws IOException {
            return new ServerSocket() {
                @Override
                public Socket accept() throws IOException {
                    Socket socket = new Socket();
                    implAccept(socket);
                    socket.setTcpNoDelay(true);
                    return socket;
                }
            };
        }

        @Override
        public ServerSocket createServerSocket(int port) throws IOException {
            throw new UnsupportedOperationException();
        }

        @Override
        public ServerSocket createServerSocket(int port, int backlog) throws IOException {
            throw new UnsupportedOperationException();
        }

        @Override
        public ServerSocket createServerSocket(int port, int backlog, InetAddress address) throws IOException {
            throw new UnsupportedOperationException();
        }
    }

    static String prompt(RecordedRequest request) {
        try {
            JsonNode json = MAPPER.readTree(request.getBody().utf8());
            JsonNode messages = json.path("messages");
            if (messages.isArray() && !messages.isEmpty()) {
                return messages.get(messages.size() - 1).path("content").asText();
            }
            return json.path("prompt").asText(json.path("input").toString());
        } catch (IOException e) {
            return "<unreadable>";
        }
    }

    /** An Ollama chat reply whose content echoes the prompt. */
    static MockResponse echo(RecordedRequest request) {
        String json = "{\"model\":\"llama3.2\",\"created_at\":\"2026-11-27T10:00:00Z\","
                      + "\"message\":{\"role\":\"assistant\",\"content\":" + quote("echo: " + prompt(request)) + "},"
                      + "\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":3,\"eval_count\":2}";
        return json(200, json);
    }

    static MockResponse json(int status, String body) {
        return new MockResponse.Builder().code(status).setHeader("Content-Type", "application/json").body(body).build();
    }

    static String quote(String text) {
        try {
            return MAPPER.writeValueAsString(text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
