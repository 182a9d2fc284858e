package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads a streamed reply as a client would, line by line as the lines arrive: Ollama's NDJSON (one JSON object per
 * line) or OpenAI's server-sent events ({@code data: ...} then a blank line). Closing it before the end closes the
 * connection (the client aborts).
 */
final class StreamClient implements AutoCloseable {

    final HttpResponse<Stream<String>> response;
    private final Iterator<String> lines;
    /** When {@link #line()} last returned, {@link System#nanoTime()}. */
    long lastReadNanos;

    private StreamClient(HttpResponse<Stream<String>> response) {
        this.response = response;
        this.lines = response.body().iterator();
    }

    static StreamClient open(String url, String json, String... headers) {
        try {
            return new StreamClient(Http.CLIENT.send(Http.postRequest(url, json, headers),
                    HttpResponse.BodyHandlers.ofLines()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String contentType() {
        return response.headers().firstValue("content-type").orElse("");
    }

    /** The next line, or null at the end of the body; an {@link UncheckedIOException} when the body is cut. */
    String line() {
        String line = lines.hasNext() ? lines.next() : null;
        lastReadNanos = System.nanoTime();
        return line;
    }

    /** The next NDJSON object, or null at the end of the body. */
    JsonNode ndjson() {
        String line = line();
        return line == null ? null : parse(line);
    }

    /** Every remaining NDJSON object. */
    List<JsonNode> ndjsonToEnd() {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode n; (n = ndjson()) != null; ) {
            out.add(n);
        }
        return out;
    }

    /**
     * The data of the next server-sent event (checking the {@code data: } prefix and the blank line after it), or
     * null at the end of the body.
     */
    String sse() {
        String line = line();
        if (line == null) {
            return null;
        }
        assertTrue(line.startsWith("data: "), "an event starts with 'data: ': " + line);
        String after = lines.hasNext() ? lines.next() : null;
        assertEquals("", after, "a blank line after each event");
        return line.substring("data: ".length());
    }

    /** The next server-sent event as JSON (not {@code [DONE]}). */
    JsonNode sseJson() {
        String data = sse();
        return data == null ? null : parse(data);
    }

    /** The data of every remaining event. */
    List<String> sseToEnd() {
        List<String> out = new ArrayList<>();
        for (String d; (d = sse()) != null; ) {
            out.add(d);
        }
        return out;
    }

    static JsonNode parse(String json) {
        try {
            return Http.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + json, e);
        }
    }

    @Override
    public void close() {
        response.body().close();
    }
}
