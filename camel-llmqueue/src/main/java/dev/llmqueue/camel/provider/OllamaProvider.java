package dev.llmqueue.camel.provider;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmqueue.camel.LlmQueueOperation;

/**
 * Ollama's native API: {@code /api/chat}, {@code /api/generate}, {@code /api/embed}.
 */
final class OllamaProvider extends LlmProvider {

    @Override
    public String name() {
        return "ollama";
    }

    @Override
    public String defaultBaseUrl() {
        return "http://localhost:11434";
    }

    @Override
    public String path(LlmQueueOperation operation) {
        return switch (operation) {
            case chat -> "/api/chat";
            case generate -> "/api/generate";
            case embed -> "/api/embed";
        };
    }

    /**
     * Ollama serves its API under the server's root ({@code /api/...}): a 404 that is not about the model comes from a
     * baseUrl with a path, such as {@code http://host:11434/v1} (the OpenAI-compatible endpoint) or {@code .../api}.
     */
    @Override
    public String notFoundHint(String baseUrl, byte[] body) {
        if (isModelNotFound(body) || pathOf(baseUrl).isEmpty()) {
            return null;
        }
        return "is baseUrl the server's root, such as " + defaultBaseUrl() + "?";
    }

    @Override
    protected void writeChat(ObjectNode json, LlmRequest request, ArrayNode messages) {
        if (!request.images().isEmpty()) {
            ArrayNode images = lastUserMessage(messages).putArray("images");
            request.images().forEach(image -> images.add(image.base64()));
        }
        json.set("messages", messages);
        // Ollama has no tool_choice: the tools are offered and the model decides
        writeTools(json, request);
        writeFormat(json, request);
        // Ollama streams unless told not to
        json.put("stream", false);
        writeOptions(json, request);
    }

    @Override
    protected void writeGenerate(ObjectNode json, LlmRequest request, String prompt) {
        json.put("prompt", prompt);
        if (request.systemMessage() != null && !request.systemMessage().isEmpty()) {
            json.put("system", request.systemMessage());
        }
        if (!request.images().isEmpty()) {
            ArrayNode images = json.putArray("images");
            request.images().forEach(image -> images.add(image.base64()));
        }
        writeFormat(json, request);
        json.put("stream", false);
        writeOptions(json, request);
    }

    /** {@code "format": "json"}, or the schema object itself. */
    private static void writeFormat(ObjectNode json, LlmRequest request) {
        switch (request.responseFormat()) {
            case LlmRequest.JSON -> json.put("format", "json");
            case LlmRequest.JSON_SCHEMA -> json.set("format", request.jsonSchema().deepCopy());
            default -> {
                // text: no format
            }
        }
    }

    @Override
    protected void completeWholeRequest(ObjectNode json) {
        if (!json.has("stream")) {
            json.put("stream", false);
        }
    }

    private static void writeOptions(ObjectNode json, LlmRequest request) {
        if (request.temperature() == null && request.maxTokens() == null) {
            return;
        }
        ObjectNode options = json.putObject("options");
        if (request.temperature() != null) {
            options.put("temperature", request.temperature());
        }
        if (request.maxTokens() != null) {
            options.put("num_predict", request.maxTokens());
        }
    }

    @Override
    public LlmStreamReader streamReader(LlmQueueOperation operation) {
        return new OllamaStreamReader(this, operation);
    }

    @Override
    protected LlmReply readChat(JsonNode root) throws LlmReplyFormatException {
        JsonNode message = root.get("message");
        if (message == null || !message.isObject()) {
            throw new LlmReplyFormatException("the reply has no object field 'message'");
        }
        List<Map<String, Object>> toolCalls = toolCalls(message.get("tool_calls"));
        String content;
        if (toolCalls == null) {
            content = requiredText(message, "content", "message.content");
        } else {
            // a tool call comes with an empty content: no text
            content = optionalText(message, "content");
            content = content == null || content.isEmpty() ? null : content;
        }
        return new LlmReply(content, optionalInt(root, "prompt_eval_count"), optionalInt(root, "eval_count"),
                optionalText(root, "model"), optionalText(root, "done_reason"), toolCalls, assistantMessage(message));
    }

    /** Ollama's {@code message.tool_calls}: {@code [{function: {name, arguments: {...}}}]}, with no id. */
    private static List<Map<String, Object>> toolCalls(JsonNode calls) throws LlmReplyFormatException {
        if (calls == null || !calls.isArray() || calls.isEmpty()) {
            return null;
        }
        List<Map<String, Object>> result = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            JsonNode function = calls.get(i).path("function");
            String name = requiredText(function, "name", "message.tool_calls[" + i + "].function.name");
            result.add(toolCall(optionalText(calls.get(i), "id"), name, function.get("arguments")));
        }
        return result;
    }

    @Override
    protected LlmReply readGenerate(JsonNode root) throws LlmReplyFormatException {
        return reply(root, requiredText(root, "response", "response"));
    }

    private static LlmReply reply(JsonNode root, Object body) {
        return new LlmReply(body, optionalInt(root, "prompt_eval_count"), optionalInt(root, "eval_count"),
                optionalText(root, "model"), optionalText(root, "done_reason"));
    }

    @Override
    protected LlmReply readEmbed(JsonNode root, boolean batch) throws LlmReplyFormatException {
        JsonNode embeddings = root.get("embeddings");
        if (embeddings == null || !embeddings.isArray()) {
            throw new LlmReplyFormatException("the reply has no array field 'embeddings'");
        }
        List<float[]> vectors = newVectorList(embeddings.size());
        for (int i = 0; i < embeddings.size(); i++) {
            vectors.add(vector(embeddings.get(i), "embeddings[" + i + "]"));
        }
        return new LlmReply(embeddingsBody(vectors, batch, "embeddings"), optionalInt(root, "prompt_eval_count"), null,
                optionalText(root, "model"), null);
    }
}
