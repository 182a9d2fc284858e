package dev.llmqueue.camel.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmqueue.camel.LlmQueueOperation;

/**
 * Ollama's streamed answer: one JSON object per line, {@code message.content} (chat) or {@code response} (generate)
 * carrying a delta, tool calls whole in one line, the last line {@code "done": true} with the reason and the counters.
 */
final class OllamaStreamReader extends LlmStreamReader {

    private final ArrayNode toolCalls = LlmProvider.MAPPER.createArrayNode();
    private JsonNode last;

    OllamaStreamReader(LlmProvider provider, LlmQueueOperation operation) {
        super(provider, operation);
    }

    @Override
    protected String read(String line) throws LlmReplyFormatException, LlmStreamErrorException {
        if (line.isBlank()) {
            return null;
        }
        JsonNode event = json(line);
        String error = error(event);
        if (error != null) {
            throw new LlmStreamErrorException(error);
        }
        String delta;
        if (operation == LlmQueueOperation.chat) {
            JsonNode message = event.path("message");
            if (message.path("tool_calls").isArray()) {
                toolCalls.addAll((ArrayNode) message.get("tool_calls"));
            }
            delta = message.path("content").isTextual() ? message.get("content").asText() : null;
        } else {
            delta = event.path("response").isTextual() ? event.get("response").asText() : null;
        }
        if (event.path("done").asBoolean(false)) {
            last = event;
            finished();
        }
        return delta;
    }

    @Override
    protected ObjectNode whole() {
        ObjectNode root = last != null ? last.deepCopy() : LlmProvider.MAPPER.createObjectNode();
        if (operation == LlmQueueOperation.chat) {
            ObjectNode message = root.putObject("message");
            message.put("role", "assistant");
            message.put("content", text.toString());
            if (!toolCalls.isEmpty()) {
                message.set("tool_calls", toolCalls);
            }
        } else {
            root.put("response", text.toString());
        }
        return root;
    }
}
