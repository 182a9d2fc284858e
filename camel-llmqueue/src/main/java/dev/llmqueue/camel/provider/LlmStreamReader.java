package dev.llmqueue.camel.provider;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmqueue.camel.LlmQueueOperation;

/**
 * Reads one streamed answer, line by line as the transport receives them: Ollama's newline-delimited JSON, or an
 * OpenAI-compatible server's server-sent events. It hands back each text delta, and at the end the answer as if it
 * had not been streamed ({@link #reply()}: text, token counts, finish reason, tool calls and the assistant message),
 * built by the provider's own non-streamed reading of the pieces it gathered. Pure: no I/O, one instance per call.
 */
public abstract class LlmStreamReader {

    protected final LlmProvider provider;
    protected final LlmQueueOperation operation;
    protected final StringBuilder text = new StringBuilder();
    private boolean done;

    protected LlmStreamReader(LlmProvider provider, LlmQueueOperation operation) {
        this.provider = provider;
        this.operation = operation;
    }

    /**
     * Reads one line (without its line break).
     *
     * @return the text delta it carries, or null when it carries none
     * @throws LlmReplyFormatException a line that cannot be read
     * @throws LlmStreamErrorException the server reported an error in the stream
     */
    public final String line(String line) throws LlmReplyFormatException, LlmStreamErrorException {
        if (done) {
            return null;
        }
        String delta = read(line);
        if (delta != null && !delta.isEmpty()) {
            text.append(delta);
            return delta;
        }
        return null;
    }

    protected abstract String read(String line) throws LlmReplyFormatException, LlmStreamErrorException;

    /** The stream's last event has been read. */
    protected final void finished() {
        done = true;
    }

    /** Whether the stream's last event has been read. */
    public final boolean isDone() {
        return done;
    }

    /** Whether the answer is whole when the connection ends now. */
    public boolean isComplete() {
        return done;
    }

    /** After {@link #isDone()}: the whole answer, as the non-streamed reply would have given it. */
    public final LlmReply reply() throws LlmReplyFormatException {
        JsonNode whole = whole();
        return operation == LlmQueueOperation.chat ? provider.readChat(whole) : provider.readGenerate(whole);
    }

    /** The non-streamed reply's JSON, assembled from what the stream carried. */
    protected abstract ObjectNode whole();

    protected static JsonNode json(String text) throws LlmReplyFormatException {
        try {
            JsonNode node = LlmProvider.MAPPER.readTree(text);
            if (node == null || !node.isObject()) {
                throw new LlmReplyFormatException("a stream event is not a JSON object: " + shortened(text));
            }
            return node;
        } catch (IOException e) {
            throw new LlmReplyFormatException("a stream event is not valid JSON: " + shortened(text), e);
        }
    }

    /** The server's error in a stream event ({@code {"error": "..."}} or {@code {"error": {"message": ...}}}), or null. */
    protected static String error(JsonNode event) {
        JsonNode error = event.get("error");
        if (error == null || error.isNull()) {
            return null;
        }
        if (error.isTextual()) {
            return error.asText();
        }
        return error.path("message").isTextual() ? error.get("message").asText() : error.toString();
    }

    private static String shortened(String text) {
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }
}
