package dev.llmqueue.simulator;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A bare HTTP/1.1 client on a socket that decodes a chunked body itself and returns its lines one by one. Unlike
 * {@code java.net.http.HttpClient}, which may drop lines it has already received when the body ends early, it
 * returns every byte that arrived before a cut, then throws {@link EOFException}: the tests of cut streams use it to
 * see exactly what the simulator wrote.
 */
final class RawStreamClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    final int status;
    final String contentType;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean ended;

    RawStreamClient(int port, String path, String json, String... headers) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(10_000);
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        StringBuilder request = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n");
        for (int i = 0; i < headers.length; i += 2) {
            request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        OutputStream out = socket.getOutputStream();
        out.write(request.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        in = socket.getInputStream();
        String statusLine = headerLine();
        status = Integer.parseInt(statusLine.split(" ")[1]);
        String type = null;
        boolean chunked = false;
        for (String h; !(h = headerLine()).isEmpty(); ) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-type:")) {
                type = h.substring(13).trim();
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        if (!chunked) {
            throw new IOException("not a chunked body: " + statusLine);
        }
        contentType = type;
    }

    /** The next body line (without its '\n'), null after the last chunk; EOFException when the body is cut. */
    String line() throws IOException {
        for (;;) {
            byte[] buf = pending.toByteArray();
            for (int i = 0; i < buf.length; i++) {
                if (buf[i] == '\n') {
                    pending.reset();
                    pending.write(buf, i + 1, buf.length - i - 1);
                    return new String(buf, 0, i, StandardCharsets.UTF_8);
                }
            }
            if (ended) {
                if (buf.length > 0) {
                    pending.reset();
                    return new String(buf, StandardCharsets.UTF_8);
                }
                return null;
            }
            int size = Integer.parseInt(headerLine().trim(), 16);
            if (size == 0) {
                ended = true;
                headerLine(); // the CRLF after the last chunk
                continue;
            }
            pending.write(in.readNBytes(size));
            if (pending.size() < buf.length + size) {
                throw new EOFException("the body ended inside a chunk");
            }
            headerLine(); // the CRLF after the chunk data
        }
    }

    private String headerLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new EOFException("the body ended early");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
