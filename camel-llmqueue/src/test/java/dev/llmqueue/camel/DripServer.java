package dev.llmqueue.camel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An Ollama-speaking HTTP server on 127.0.0.1, written on a raw socket so that it can send a reply slowly: the reply to
 * the prompt {@code slow} arrives one byte per {@code dripPeriod}, every other prompt gets an echo at once. It records
 * the prompts in arrival order and whether the client cut the slow reply before its end.
 */
final class DripServer implements AutoCloseable {

    static final String SLOW = "slow";
    /** How many bytes the slow reply has: at one byte per drip period, it takes this many periods. */
    static final int SLOW_REPLY_BYTES = 600;

    private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "drip-server");
        thread.setDaemon(true);
        return thread;
    });
    private final List<Socket> connections = Collections.synchronizedList(new ArrayList<>());
    private final List<String> prompts = Collections.synchronizedList(new ArrayList<>());
    private final Semaphore arrivals = new Semaphore(0);
    private final CountDownLatch slowReplyCut = new CountDownLatch(1);
    private final CountDownLatch slowReplyFinished = new CountDownLatch(1);
    private final Duration dripPeriod;

    DripServer(Duration dripPeriod) throws IOException {
        this.dripPeriod = dripPeriod;
        threads.execute(this::acceptLoop);
    }

    String baseUrl() {
        return "http://127.0.0.1:" + socket.getLocalPort();
    }

    /** The prompts received, in arrival order. */
    List<String> prompts() {
        synchronized (prompts) {
            return new ArrayList<>(prompts);
        }
    }

    void awaitArrivals(int count) throws InterruptedException {
        assertTrue(arrivals.tryAcquire(count, 10, TimeUnit.SECONDS), "expected " + count + " requests at the server");
    }

    /** Whether the client closed the connection of the slow reply before all of it was sent. */
    boolean awaitSlowReplyCut(long timeout, TimeUnit unit) throws InterruptedException {
        return slowReplyCut.await(timeout, unit);
    }

    boolean slowReplyFinished() {
        return slowReplyFinished.getCount() == 0;
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                connection.setTcpNoDelay(true);
                connections.add(connection);
                threads.execute(() -> serve(connection));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            InputStream in = connection.getInputStream();
            String prompt = FakeLlmServer.MAPPER.readTree(readRequestBody(in)).path("messages").path(0).path("content")
                    .asText();
            prompts.add(prompt);
            arrivals.release();
            OutputStream out = connection.getOutputStream();
            if (!SLOW.equals(prompt)) {
                byte[] body = reply("echo: " + prompt, 0);
                out.write(head(body.length));
                out.write(body);
                out.flush();
                return;
            }
            byte[] body = reply("slow answer", SLOW_REPLY_BYTES);
            out.write(head(body.length));
            out.flush();
            try {
                for (byte b : body) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(dripPeriod.toMillis()); // the drip itself, not a synchronisation
                }
                slowReplyFinished.countDown();
            } catch (IOException e) {
                slowReplyCut.countDown();
            }
        } catch (IOException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] head(int length) {
        return ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** An Ollama chat reply, padded with spaces to {@code size} bytes when that is larger. */
    private static byte[] reply(String content, int size) {
        StringBuilder json = new StringBuilder("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":"
                                               + FakeLlmServer.quote(content) + "},\"done\":true,\"done_reason\":\"stop\"");
        while (json.length() < size - 1) {
            json.append(' ');
        }
        return json.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] readRequestBody(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the request ended in its head");
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        int length = 0;
        for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        return in.readNBytes(length);
    }

    @Override
    public void close() throws IOException {
        socket.close();
        synchronized (connections) {
            for (Socket connection : connections) {
                connection.close();
            }
        }
        threads.shutdownNow();
    }
}
