package dev.llmqueue.camel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server that accepts connections, reads each request and never answers, until {@link #answer()}: it then answers
 * the calls waiting on it and every later one with an Ollama chat reply. It reports each client that closed its
 * connection while waiting, which is how a test proves a call was really aborted.
 */
final class SilentServer implements AutoCloseable {

    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final Semaphore arrivals = new Semaphore(0);
    private final Semaphore closes = new Semaphore(0);
    private volatile boolean answer;

    SilentServer() throws IOException {
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    Thread handler = new Thread(() -> handle(socket), "silent-server-call");
                    handler.setDaemon(true);
                    handler.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "silent-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** From now on, calls get an answer. */
    void answer() {
        answer = true;
    }

    void awaitArrivals(int count) throws InterruptedException {
        assertTrue(arrivals.tryAcquire(count, 10, TimeUnit.SECONDS), "expected " + count + " calls at the silent server");
    }

    /** Waits until {@code count} clients have closed their connection before an answer. */
    void awaitClientCloses(int count) throws InterruptedException {
        assertTrue(closes.tryAcquire(count, 10, TimeUnit.SECONDS),
                "expected " + count + " clients to close their connection at the silent server");
    }

    private void handle(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            int contentLength = readHeaders(in);
            if (contentLength < 0) {
                return;
            }
            in.readNBytes(contentLength);
            arrivals.release();
            // a short read timeout only to look at the answer flag now and then; a read of -1 is the client leaving
            socket.setSoTimeout(20);
            while (!answer) {
                try {
                    if (in.read() < 0) {
                        closes.release();
                        return;
                    }
                } catch (SocketTimeoutException e) {
                    // still there
                } catch (IOException e) {
                    closes.release();
                    return;
                }
            }
            byte[] body = ("{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"late answer\"},"
                           + "\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":1,\"eval_count\":2}")
                    .getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
                       + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
        } catch (IOException e) {
            // the client went away
        }
    }

    /** Reads the request head; returns its Content-Length, or -1 when the connection ended first. */
    private static int readHeaders(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            head.append((char) c);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                for (String line : head.toString().split("\r\n")) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        return Integer.parseInt(line.substring("content-length:".length()).trim());
                    }
                }
                return 0;
            }
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
