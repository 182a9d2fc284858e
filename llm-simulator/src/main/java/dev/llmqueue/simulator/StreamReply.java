package dev.llmqueue.simulator;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The events of one streamed reply in its provider's wire format: Ollama's newline-delimited JSON
 * ({@code application/x-ndjson}, one object per line) or OpenAI's server-sent events ({@code text/event-stream},
 * {@code data: <json>} and a blank line per event, ending with {@code data: [DONE]}). Pure formatting: the
 * simulator decides when each event is written.
 *
 * <p>The answer is cut into {@link Delta}s, each carrying one token or more: a plain or JSON answer one word each
 * (with the whitespace before it, so that the deltas concatenate to the exact non-streamed text); OpenAI tool
 * calls a header delta per call (id, name, empty arguments) and one delta per word of its arguments string;
 * Ollama tool calls one delta with every call (object arguments) that carries all the answer's tokens.
 */
final class StreamReply {

    static final String NDJSON = "application/x-ndjson";
    static final String EVENT_STREAM = "text/event-stream";

    private static final byte[] SSE_PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SSE_DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final int[] CONTEXT = {1, 2, 3};

    /** What a delta carries. */
    enum DeltaKind {
        /** A piece of the answer's text. */
        TEXT,
        /** OpenAI: the first delta of a tool call (index, id, type, name, empty arguments). */
        TOOL_HEADER,
        /** OpenAI: a fragment of a tool call's arguments string. */
        TOOL_ARGUMENTS,
        /** Ollama: every tool call at once, with object arguments. */
        TOOL_CALLS
    }

    /**
     * One event that carries tokens.
     *
     * @param call the tool call's index for TOOL_HEADER and TOOL_ARGUMENTS, else -1
     */
    record Delta(DeltaKind kind, int tokens, String text, int call) {
    }

    private final LlmSimulator.Endpoint endpoint;
    private final LlmSimulator.Plan plan;
    private final String id;
    private final long created;
    private final boolean sse;
    private final List<Delta> deltas;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream(512);

    /**
     * @param id      the OpenAI completion id shared by every chunk (unused for Ollama)
     * @param created the OpenAI {@code created} seconds shared by every chunk (unused for Ollama)
     */
    StreamReply(LlmSimulator.Endpoint endpoint, LlmSimulator.Plan plan, String id, long created) {
        this.endpoint = endpoint;
        this.plan = plan;
        this.id = id;
        this.created = created;
        this.sse = endpoint.openAi;
        this.deltas = deltas(endpoint, plan);
    }

    private static List<Delta> deltas(LlmSimulator.Endpoint endpoint, LlmSimulator.Plan plan) {
        List<Delta> out = new ArrayList<>();
        if (plan.toolCalls.isEmpty()) {
            for (String piece : Texts.pieces(plan.text)) {
                out.add(new Delta(DeltaKind.TEXT, 1, piece, -1));
            }
        } else if (endpoint.openAi) {
            for (int i = 0; i < plan.toolCalls.size(); i++) {
                out.add(new Delta(DeltaKind.TOOL_HEADER, 1, "", i));
                for (String piece : Texts.pieces(plan.toolCalls.get(i).argumentsJson())) {
                    out.add(new Delta(DeltaKind.TOOL_ARGUMENTS, 1, piece, i));
                }
            }
        } else {
            out.add(new Delta(DeltaKind.TOOL_CALLS, plan.tokens, "", -1));
        }
        return out;
    }

    String contentType() {
        return sse ? EVENT_STREAM : NDJSON;
    }

    List<Delta> deltas() {
        return deltas;
    }

    /** The completion tokens of all the deltas. */
    int tokens() {
        int n = 0;
        for (Delta d : deltas) {
            n += d.tokens();
        }
        return n;
    }

    /**
     * The event sent before the first delta: the role chunk {@code delta:{"role":"assistant","content":""}} of an
     * OpenAI chat text answer; null otherwise (a tool-call answer's first header delta carries the role).
     */
    byte[] opening() {
        if (endpoint != LlmSimulator.Endpoint.OPENAI_CHAT || !plan.toolCalls.isEmpty()) {
            return null;
        }
        return event(g -> {
            openAiChunkStart(g);
            g.writeStringField("role", "assistant");
            g.writeStringField("content", "");
            openAiChunkEnd(g, null);
        });
    }

    /** The event of one delta. */
    byte[] delta(Delta d) {
        switch (endpoint) {
            case OLLAMA_CHAT:
                return event(g -> {
                    ollamaStart(g);
                    g.writeObjectFieldStart("message");
                    g.writeStringField("role", "assistant");
                    g.writeStringField("content", d.text());
                    if (d.kind() == DeltaKind.TOOL_CALLS) {
                        g.writeArrayFieldStart("tool_calls");
                        for (Tools.Call c : plan.toolCalls) {
                            g.writeStartObject();
                            g.writeObjectFieldStart("function");
                            g.writeStringField("name", c.name());
                            g.writeFieldName("arguments");
                            g.writeTree(c.arguments());
                            g.writeEndObject();
                            g.writeEndObject();
                        }
                        g.writeEndArray();
                    }
                    g.writeEndObject();
                    g.writeBooleanField("done", false);
                    g.writeEndObject();
                });
            case OLLAMA_GENERATE:
                return event(g -> {
                    ollamaStart(g);
                    g.writeStringField("response", d.text());
                    g.writeBooleanField("done", false);
                    g.writeEndObject();
                });
            case OPENAI_CHAT:
                return event(g -> {
                    openAiChunkStart(g);
                    switch (d.kind()) {
                        case TOOL_HEADER: {
                            Tools.Call c = plan.toolCalls.get(d.call());
                            if (d.call() == 0) {
                                g.writeStringField("role", "assistant");
                                g.writeNullField("content");
                            }
                            g.writeArrayFieldStart("tool_calls");
                            g.writeStartObject();
                            g.writeNumberField("index", d.call());
                            g.writeStringField("id", c.id());
                            g.writeStringField("type", "function");
                            g.writeObjectFieldStart("function");
                            g.writeStringField("name", c.name());
                            g.writeStringField("arguments", "");
                            g.writeEndObject();
                            g.writeEndObject();
                            g.writeEndArray();
                            break;
                        }
                        case TOOL_ARGUMENTS:
                            g.writeArrayFieldStart("tool_calls");
                            g.writeStartObject();
                            g.writeNumberField("index", d.call());
                            g.writeObjectFieldStart("function");
                            g.writeStringField("arguments", d.text());
                            g.writeEndObject();
                            g.writeEndObject();
                            g.writeEndArray();
                            break;
                        default:
                            g.writeStringField("content", d.text());
                    }
                    openAiChunkEnd(g, null);
                });
            case OPENAI_COMPLETIONS:
                return event(g -> openAiTextChunk(g, d.text(), null));
            default:
                throw new IllegalStateException("not a streaming endpoint: " + endpoint);
        }
    }

    /**
     * The closing events, written together: Ollama's {@code done:true} line with {@code done_reason} and the
     * counters; OpenAI's finish chunk (empty delta, {@code finish_reason}), the usage chunk when
     * {@code stream_options.include_usage} was asked for, and {@code data: [DONE]}.
     *
     * @param totalNanos      {@code total_duration}
     * @param loadNanos       {@code load_duration}
     * @param promptEvalNanos {@code prompt_eval_duration}
     * @param evalNanos       {@code eval_duration}
     */
    byte[] closing(long totalNanos, long loadNanos, long promptEvalNanos, long evalNanos) {
        String reason = !plan.toolCalls.isEmpty() && endpoint.openAi
                ? "tool_calls" : plan.length ? "length" : "stop";
        switch (endpoint) {
            case OLLAMA_CHAT:
            case OLLAMA_GENERATE:
                return event(g -> {
                    ollamaStart(g);
                    if (endpoint == LlmSimulator.Endpoint.OLLAMA_CHAT) {
                        g.writeObjectFieldStart("message");
                        g.writeStringField("role", "assistant");
                        g.writeStringField("content", "");
                        g.writeEndObject();
                    } else {
                        g.writeStringField("response", "");
                    }
                    g.writeBooleanField("done", true);
                    g.writeStringField("done_reason", reason);
                    if (endpoint == LlmSimulator.Endpoint.OLLAMA_GENERATE) {
                        g.writeFieldName("context");
                        g.writeArray(CONTEXT, 0, CONTEXT.length);
                    }
                    g.writeNumberField("total_duration", totalNanos);
                    g.writeNumberField("load_duration", loadNanos);
                    g.writeNumberField("prompt_eval_count", plan.promptTokens);
                    g.writeNumberField("prompt_eval_duration", promptEvalNanos);
                    g.writeNumberField("eval_count", plan.tokens);
                    g.writeNumberField("eval_duration", evalNanos);
                    g.writeEndObject();
                });
            case OPENAI_CHAT:
            case OPENAI_COMPLETIONS: {
                ByteArrayOutputStream all = new ByteArrayOutputStream(512);
                all.writeBytes(endpoint == LlmSimulator.Endpoint.OPENAI_CHAT
                        ? event(g -> {
                            openAiChunkStart(g);
                            openAiChunkEnd(g, reason);
                        })
                        : event(g -> openAiTextChunk(g, "", reason)));
                if (plan.includeUsage) {
                    all.writeBytes(event(g -> {
                        g.writeStartObject();
                        openAiHead(g);
                        g.writeArrayFieldStart("choices");
                        g.writeEndArray();
                        g.writeObjectFieldStart("usage");
                        g.writeNumberField("prompt_tokens", plan.promptTokens);
                        g.writeNumberField("completion_tokens", plan.tokens);
                        g.writeNumberField("total_tokens", plan.promptTokens + plan.tokens);
                        g.writeEndObject();
                        g.writeEndObject();
                    }));
                }
                all.writeBytes(SSE_DONE);
                return all.toByteArray();
            }
            default:
                throw new IllegalStateException("not a streaming endpoint: " + endpoint);
        }
    }

    /**
     * The error event: Ollama {@code {"error":"..."}} on its own line, OpenAI
     * {@code data: {"error":{"message","type":"server_error","param":null,"code":null}}}.
     */
    byte[] error() {
        byte[] json = sse
                ? LlmSimulator.openAiError("The server had an error while processing your request. Sorry about that!",
                "server_error", null, null)
                : LlmSimulator.ollamaError("simulated error during generation");
        return frame(json);
    }

    /** The first event this reply would send, its JSON cut in half, still followed by its line end. */
    byte[] malformed() {
        byte[] first = opening();
        if (first == null) {
            first = deltas.isEmpty() ? closing(1, 0, 0, 0) : delta(deltas.get(0));
        }
        int jsonStart = sse ? SSE_PREFIX.length : 0;
        int jsonEnd = indexOfLineEnd(first);
        byte[] half = Arrays.copyOfRange(first, jsonStart, jsonStart + Math.max(1, (jsonEnd - jsonStart) / 2));
        return frame(half);
    }

    private static int indexOfLineEnd(byte[] event) {
        for (int i = 0; i < event.length; i++) {
            if (event[i] == '\n') {
                return i;
            }
        }
        return event.length;
    }

    // ---------------------------------------------------------------- JSON pieces

    private void ollamaStart(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("model", plan.model);
        g.writeStringField("created_at", Instant.now().toString());
    }

    private void openAiHead(JsonGenerator g) throws IOException {
        boolean chat = endpoint == LlmSimulator.Endpoint.OPENAI_CHAT;
        g.writeStringField("id", id);
        g.writeStringField("object", chat ? "chat.completion.chunk" : "text_completion");
        g.writeNumberField("created", created);
        g.writeStringField("model", plan.model);
    }

    /** Writes up to the opening of {@code choices[0].delta}. */
    private void openAiChunkStart(JsonGenerator g) throws IOException {
        g.writeStartObject();
        openAiHead(g);
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", 0);
        g.writeObjectFieldStart("delta");
    }

    /** Closes {@code delta}, writes {@code logprobs} and {@code finish_reason}, closes the chunk. */
    private void openAiChunkEnd(JsonGenerator g, String finishReason) throws IOException {
        g.writeEndObject();
        g.writeNullField("logprobs");
        g.writeStringField("finish_reason", finishReason);
        g.writeEndObject();
        g.writeEndArray();
        if (plan.includeUsage) {
            g.writeNullField("usage");
        }
        g.writeEndObject();
    }

    private void openAiTextChunk(JsonGenerator g, String text, String finishReason) throws IOException {
        g.writeStartObject();
        openAiHead(g);
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeStringField("text", text);
        g.writeNumberField("index", 0);
        g.writeNullField("logprobs");
        g.writeStringField("finish_reason", finishReason);
        g.writeEndObject();
        g.writeEndArray();
        if (plan.includeUsage) {
            g.writeNullField("usage");
        }
        g.writeEndObject();
    }

    private interface Writer {
        void write(JsonGenerator g) throws IOException;
    }

    /** One event: the JSON {@code writer} writes, framed as a line (Ollama) or a {@code data:} event (OpenAI). */
    private byte[] event(Writer writer) {
        buf.reset();
        try (JsonGenerator g = LlmSimulator.JSON.createGenerator(buf)) {
            writer.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return frame(buf.toByteArray());
    }

    private byte[] frame(byte[] json) {
        if (!sse) {
            byte[] out = Arrays.copyOf(json, json.length + 1);
            out[json.length] = '\n';
            return out;
        }
        byte[] out = new byte[SSE_PREFIX.length + json.length + 2];
        System.arraycopy(SSE_PREFIX, 0, out, 0, SSE_PREFIX.length);
        System.arraycopy(json, 0, out, SSE_PREFIX.length, json.length);
        out[out.length - 2] = '\n';
        out[out.length - 1] = '\n';
        return out;
    }
}
