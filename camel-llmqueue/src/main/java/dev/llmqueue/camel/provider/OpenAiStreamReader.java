package dev.llmqueue.camel.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmqueue.camel.LlmQueueOperation;

/**
 * An OpenAI-compatible server's streamed answer: server-sent events {@code data: {...chunk...}}, a blank line between
 * them, ending with {@code data: [DONE]}. Chunks carry {@code choices[0].delta.content} (chat) or
 * {@code choices[0].text} (completions); tool calls come as {@code delta.tool_calls} fragments, joined per
 * {@code index}; with {@code stream_options.include_usage} a last chunk with no choices carries {@code usage}.
 */
final class OpenAiStreamReader extends LlmStreamReader {

    private final ArrayNode toolCalls = LlmProvider.MAPPER.createArrayNode();
    private String model;
    private String finishReason;
    private JsonNode usage;

    OpenAiStreamReader(LlmProvider provider, LlmQueueOperation operation) {
        super(provider, operation);
    }

    @Override
    protected String read(String line) throws LlmReplyFormatException, LlmStreamErrorException {
        // blank lines separate events; ':' starts a comment; event:, id: and retry: lines carry nothing we need
        if (!line.startsWith("data:")) {
            return null;
        }
        String data = line.substring(5).trim();
        if (data.equals("[DONE]")) {
            finished();
            return null;
        }
        JsonNode event = json(data);
        String error = error(event);
        if (error != null) {
            throw new LlmStreamErrorException(error);
        }
        if (event.path("model").isTextual()) {
            model = event.get("model").asText();
        }
        if (event.path("usage").isObject()) {
            usage = event.get("usage");
        }
        JsonNode choice = event.path("choices").path(0);
        if (choice.isMissingNode()) {
            return null;
        }
        if (choice.path("finish_reason").isTextual()) {
            finishReason = choice.get("finish_reason").asText();
        }
        if (operation == LlmQueueOperation.generate) {
            return choice.path("text").isTextual() ? choice.get("text").asText() : null;
        }
        JsonNode delta = choice.path("delta");
        for (JsonNode fragment : delta.path("tool_calls")) {
            addToolCallFragment(fragment);
        }
        return delta.path("content").isTextual() ? delta.get("content").asText() : null;
    }

    /** Tool calls arrive in pieces: the id and name first, then the arguments' JSON text, piece by piece. */
    private void addToolCallFragment(JsonNode fragment) throws LlmReplyFormatException {
        // a fragment without an index continues the last call
        int index = fragment.path("index").isInt() ? fragment.get("index").intValue() : Math.max(0, toolCalls.size() - 1);
        if (index < 0 || index > toolCalls.size() + 64) {
            throw new LlmReplyFormatException("a tool call fragment has the index " + index + " while "
                                              + toolCalls.size() + " calls were started");
        }
        while (toolCalls.size() <= index) {
            ObjectNode call = toolCalls.addObject();
            call.put("type", "function");
            call.putObject("function").put("arguments", "");
        }
        ObjectNode call = (ObjectNode) toolCalls.get(index);
        if (fragment.path("id").isTextual()) {
            call.put("id", fragment.get("id").asText());
        }
        ObjectNode function = (ObjectNode) call.get("function");
        JsonNode piece = fragment.path("function");
        if (piece.path("name").isTextual()) {
            function.put("name", piece.get("name").asText());
        }
        if (piece.path("arguments").isTextual()) {
            function.put("arguments", function.get("arguments").asText() + piece.get("arguments").asText());
        }
    }

    /** Some servers close the stream without [DONE]: a finish reason seen is then the end. */
    @Override
    public boolean isComplete() {
        return isDone() || finishReason != null;
    }

    @Override
    protected ObjectNode whole() {
        ObjectNode root = LlmProvider.MAPPER.createObjectNode();
        if (model != null) {
            root.put("model", model);
        }
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (operation == LlmQueueOperation.generate) {
            choice.put("text", text.toString());
        } else {
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            if (text.length() == 0 && !toolCalls.isEmpty()) {
                message.putNull("content");
            } else {
                message.put("content", text.toString());
            }
            if (!toolCalls.isEmpty()) {
                message.set("tool_calls", toolCalls);
            }
        }
        choice.put("finish_reason", finishReason);
        if (usage != null) {
            root.set("usage", usage);
        }
        return root;
    }
}
