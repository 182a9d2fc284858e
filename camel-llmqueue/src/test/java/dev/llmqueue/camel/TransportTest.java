package dev.llmqueue.camel;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.component.http.HttpEndpoint;
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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The HTTP call itself: its timeouts (connectTimeout for the connection and the TLS handshake, requestTimeout for the
 * whole reply), the message each failure gets, and that every failure of the transport ends in an
 * LlmProviderException. Servers run on 127.0.0.1 only.
 */
class TransportTest {

    private CamelContext context;
    private LlmQueueComponent component;
    private final List<AutoCloseable> servers = new ArrayList<>();

    @BeforeEach
    void setUp() {
        context = new DefaultCamelContext();
        component = new LlmQueueComponent(name -> null);
        context.addComponent("llmqueue", component);
    }

    @AfterEach
    void tearDown() throws Exception {
        context.stop();
        for (AutoCloseable server : servers) {
            server.close();
        }
    }

    private <T extends AutoCloseable> T server(T server) {
        servers.add(server);
        return server;
    }

    private AsyncProducer producer(String baseUrl, String options) throws Exception {
        context.start();
        AsyncProducer producer = context.getEndpoint("llmqueue:ollama?model=m&maxRetries=0&baseUrl=" + baseUrl
                                                     + (options.isEmpty() ? "" : "&" + options))
                .createAsyncProducer();
        ServiceHelper.startService(producer);
        return producer;
    }

    private static CompletableFuture<Exchange> send(AsyncProducer producer, String prompt) {
        Exchange exchange = producer.getEndpoint().createExchange();
        exchange.getMessage().setBody(prompt);
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        producer.process(exchange, doneSync -> done.complete(exchange));
        return done;
    }

    private static LlmProviderException failure(CompletableFuture<Exchange> exchange) throws Exception {
        return assertInstanceOf(LlmProviderException.class, exchange.get(20, TimeUnit.SECONDS).getException());
    }

    // ---- the reply ----

    @Test
    void maxResponseSizeOfIntegerMaxValueAcceptsAReply() throws Exception {
        FakeLlmServer llm = server(new FakeLlmServer());

        Exchange exchange = send(producer(llm.baseUrl(), "maxResponseSize=2147483647"), "hello").get(20, TimeUnit.SECONDS);

        assertNull(exchange.getException());
        assertEquals("echo: hello", exchange.getMessage().getBody());
    }

    @Test
    void requestTimeoutBoundsTheWholeReplyNotEachRead() throws Exception {
        component.setMaxConcurrentRequests(1);
        DripServer llm = server(new DripServer(Duration.ofMillis(100)));
        AsyncProducer producer = producer(llm.baseUrl(), "requestTimeout=1000");

        CompletableFuture<Exchange> slow = send(producer, DripServer.SLOW);
        llm.awaitArrivals(1);
        CompletableFuture<Exchange> next = send(producer, "next");

        LlmProviderException e = failure(slow);
        assertTrue(e.getMessage().contains("the whole reply did not arrive within requestTimeout (1000 ms)"),
                e.getMessage());
        assertEquals(LlmProviderException.NO_RESPONSE, e.getStatusCode());
        assertTrue(e.isRetryable());
        assertEquals("echo: next", next.get(20, TimeUnit.SECONDS).getMessage().getBody(), "the slot came back");
        assertTrue(llm.awaitSlowReplyCut(10, TimeUnit.SECONDS), "the client closed the slow reply's connection");
        assertFalse(llm.slowReplyFinished(), "the drip takes " + DripServer.SLOW_REPLY_BYTES / 10 + " s");
        assertEquals(List.of(DripServer.SLOW, "next"), llm.prompts());
    }

    // ---- failures of the transport ----

    @Test
    void aCallOnAStoppedHttpTransportFailsWithAnLlmProviderExceptionSayingWhatHappened() throws Exception {
        FakeLlmServer llm = server(new FakeLlmServer());
        AsyncProducer producer = producer(llm.baseUrl(), "");
        for (Endpoint endpoint : context.getEndpoints()) {
            if (endpoint instanceof HttpEndpoint) {
                ServiceHelper.stopService(endpoint);
            }
        }

        LlmProviderException e = failure(send(producer, "hello"));

        String url = llm.baseUrl() + "/api/chat";
        assertEquals(LlmProviderException.NO_RESPONSE, e.getStatusCode());
        assertEquals(url, e.getUrl());
        assertFalse(e.isRetryable(), "not an I/O failure: trying again cannot help");
        assertTrue(e.getMessage().contains("ollama") && e.getMessage().contains(url), e.getMessage());
        assertTrue(e.getMessage().contains("Connection pool shut down"), e.getMessage());
        assertEquals(0, llm.requestCount());
    }

    // ---- which timeout fired ----

    @Test
    void aRefusedConnectionAsksWhetherTheServerIsRunning() throws Exception {
        String base = "http://127.0.0.1:" + ProviderTestSupport.closedPort();

        LlmProviderException e = failure(send(producer(base, ""), "hello"));

        assertTrue(e.getMessage().contains("cannot connect; is the server running at " + base + "?"), e.getMessage());
        assertTrue(e.isRetryable());
    }

    @Test
    void aConnectionNotMadeWithinConnectTimeoutNamesConnectTimeout() throws Exception {
        RawServer full = server(RawServer.withFullBacklog());
        String base = "http://127.0.0.1:" + full.port();

        LlmProviderException e = failure(send(producer(base, "connectTimeout=300&requestTimeout=30s"), "hello"));

        assertTrue(e.getMessage().contains("no connection within connectTimeout (300 ms)"), e.getMessage());
        assertFalse(e.getMessage().contains("requestTimeout"), e.getMessage());
        assertTrue(e.isRetryable());
    }

    @Test
    void anHttpsBaseUrlAgainstAServerThatNeverHandshakesNamesConnectTimeoutAndAsksForHttps() throws Exception {
        RawServer silent = server(RawServer.accepting(socket -> { }));
        String base = "https://127.0.0.1:" + silent.port();

        LlmProviderException e = failure(send(producer(base, "connectTimeout=300&requestTimeout=30s"), "hello"));

        assertTrue(e.getMessage().contains("no connection within connectTimeout (300 ms)"), e.getMessage());
        assertTrue(e.getMessage().contains("is the server speaking https at " + base + "?"), e.getMessage());
        assertFalse(e.getMessage().contains("requestTimeout"), e.getMessage());
    }

    @Test
    void anHttpsBaseUrlAgainstAPlainHttpServerAsksForHttps() throws Exception {
        RawServer plain = server(RawServer.accepting(socket -> {
            try {
                socket.getInputStream().read(new byte[512]); // the TLS ClientHello, read as an HTTP request
                OutputStream out = socket.getOutputStream();
                out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                // the client went away
            }
        }));
        String base = "https://127.0.0.1:" + plain.port();

        LlmProviderException e = failure(send(producer(base, "connectTimeout=5s"), "hello"));

        assertTrue(e.getMessage().contains("TLS handshake failed"), e.getMessage());
        assertTrue(e.getMessage().contains("is the server speaking https at " + base + "?"), e.getMessage());
    }

    @Test
    void aServerThatNeverAnswersNamesRequestTimeout() throws Exception {
        RawServer silent = server(RawServer.accepting(socket -> { }));
        String base = "http://127.0.0.1:" + silent.port();

        LlmProviderException e = failure(send(producer(base, "requestTimeout=500"), "hello"));

        assertTrue(e.getMessage().contains("requestTimeout (500 ms)"), e.getMessage());
        assertFalse(e.getMessage().contains("connectTimeout"), e.getMessage());
        assertTrue(e.isRetryable());
    }

    // ---- the connectTimeout option ----

    @Test
    void connectTimeoutDefaultsToTenSeconds() {
        context.start();
        LlmQueueEndpoint endpoint = context.getEndpoint("llmqueue:ollama?model=m", LlmQueueEndpoint.class);

        assertEquals(10_000, endpoint.getConnectTimeout());
    }

    @Test
    void theComponentsConnectTimeoutIsTheEndpointsDefaultAndTheUriOverridesIt() {
        component.setConnectTimeout(1234);
        context.start();

        assertEquals(1234, context.getEndpoint("llmqueue:ollama?model=m", LlmQueueEndpoint.class).getConnectTimeout());
        assertEquals(5000, context.getEndpoint("llmqueue:ollama?model=m&connectTimeout=5s", LlmQueueEndpoint.class)
                .getConnectTimeout());
    }

    /**
     * A TCP server on 127.0.0.1 that hands every accepted connection to a handler and keeps it open until closed.
     */
    private static final class RawServer implements AutoCloseable {

        private final ServerSocket socket;
        private final List<Socket> held = new CopyOnWriteArrayList<>();

        private RawServer(ServerSocket socket) {
            this.socket = socket;
        }

        static RawServer accepting(Consumer<Socket> handler) throws IOException {
            RawServer server = new RawServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
            Thread acceptor = new Thread(() -> {
                while (true) {
                    try {
                        Socket connection = server.socket.accept();
                        server.held.add(connection);
                        handler.accept(connection);
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            }, "raw-server");
            acceptor.setDaemon(true);
            acceptor.start();
            return server;
        }

        /**
         * A server that never accepts, whose accept queue is full: the kernel drops further connection attempts, so a
         * client's connect times out.
         */
        static RawServer withFullBacklog() throws IOException {
            RawServer server = new RawServer(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            for (int i = 0; i < 16; i++) {
                Socket filler = new Socket();
                try {
                    filler.connect(server.socket.getLocalSocketAddress(), 200);
                    server.held.add(filler);
                } catch (SocketTimeoutException e) {
                    filler.close();
                    return server; // full
                }
            }
            server.close();
            assumeTrue(false, "this system accepts connections beyond a listen backlog of 1: cannot provoke a connect timeout");
            return null;
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket connection : held) {
                connection.close();
            }
        }
    }
}
