package dev.llmqueue.camel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An HTTP server on 127.0.0.1 whose streamed replies the test writes line by line: each call waits in
 * {@link #awaitCall()} until the test sends its lines, ends it, cuts it or lets it stall. Written on a raw socket so
 * that the test sees exactly when the client closed the connection.
 */
final class StreamingServer implements AutoCloseable {

    private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "streaming-server");
        thread.setDaemon(true);
        return thread;
    });
    private final BlockingQueue<Call> calls = new LinkedBlockingQueue<>();
    private final String contentType;

    /** @param contentType application/x-ndjson (Ollama) or text/event-stream (OpenAI) */
    StreamingServer(String contentType) throws IOException {
        this.contentType = contentType;
        threads.execute(this::acceptLoop);
    }

    String baseUrl() {
        return "http://127.0.0.1:" + socket.getLocalPort();
    }

    /** The next call to arrive, with its request body; fails the test after 10 s. */
    Call awaitCall() throws InterruptedException {
        Call call = calls.poll(10, TimeUnit.SECONDS);
        assertNotNull(call, "expected a call at the streaming server");
        return call;
    }

    /** Whether a call has arrived that the test did not take yet. */
    Call pollCall() {
        return calls.poll();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                threads.execute(() -> serve(connection));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket connection) {
        try {
            InputStream in = connection.getInputStream();
            int length = 0;
            for (String line : readHead(in).split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            calls.add(new Call(connection, body));
        } catch (IOException e) {
            // the client went away before its request was read
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int last4 = 0;
        while (last4 != 0x0d0a0d0a) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the request head");
            }
            head.write(b);
            last4 = (last4 << 8) | b;
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
        Call call;
        while ((call = calls.poll()) != null) {
            call.cut();
        }
        threads.shutdownNow();
    }

    /** One call: the test writes its reply. */
    final class Call {
        final String body;
        private final Socket connection;
        private final CountDownLatch clientClosed = new CountDownLatch(1);
        private OutputStream out;

        Call(Socket connection, String body) {
            this.connection = connection;
            this.body = body;
        }

        /** Sends the status line and headers of a streamed 200 reply. */
        Call start() throws IOException {
            out = connection.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // a client that closes shows as the end of its input
            threads.execute(() -> {
                try {
                    while (connection.getInputStream().read() >= 0) {
                        // the client sends nothing more on this connection
                    }
                } catch (IOException e) {
                    // closed
                }
                clientClosed.countDown();
            });
            return this;
        }

        /** Sends one line (a line break is added) as a chunk; false when the client has gone. */
        boolean send(String line) {
            try {
                byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
                out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(bytes);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        /** Ends the reply and closes the connection. */
        void end() throws IOException {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            connection.close();
        }

        /** Replies at once with a whole, non-streamed answer (an error status, say). */
        void respond(int status, String json) throws IOException {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            OutputStream raw = connection.getOutputStream();
            raw.write(("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                       + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            raw.write(bytes);
            raw.flush();
            connection.close();
        }

        /** Drops the connection in the middle of the reply. */
        void cut() {
            try {
                connection.setSoLinger(true, 0);
                connection.close();
            } catch (IOException e) {
                // closed already
            }
        }

        /** Waits until the client closed its side of the connection. */
        void awaitClientClosed() throws InterruptedException {
            assertTrue(clientClosed.await(10, TimeUnit.SECONDS), "the client should have closed the connection");
        }
    }
}
