package dev.llmqueue.camel.provider;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmqueue.camel.LlmQueueOperation;

/**
 * The OpenAI API as OpenAI, vLLM, llama.cpp's server, LM Studio, Groq and others serve it:
 * {@code {baseUrl}/chat/completions}, {@code /completions}, {@code /embeddings}.
 */
final class OpenAiProvider extends LlmProvider {

    @Override
    public String name() {
        return "openai";
    }

    @Override
    public String defaultBaseUrl() {
        return "https://api.openai.com/v1";
    }

    @Override
    public String path(LlmQueueOperation operation) {
        return switch (operation) {
            case chat -> "/chat/completions";
            case generate -> "/completions";
            case embed -> "/embeddings";
        };
    }

    /**
     * The paths are appended to a baseUrl that includes the API version: a 404 that is not about the model, from a
     * baseUrl that does not end with {@code /v1}, most likely means {@code /v1} was left out.
     */
    @Override
    public String notFoundHint(String baseUrl, byte[] body) {
        if (isModelNotFound(body) || pathOf(baseUrl).endsWith("/v1")) {
            return null;
        }
        return "is `/v1` missing from baseUrl?";
    }

    @Override
    protected void writeChat(ObjectNode json, LlmRequest request, ArrayNode messages) {
        if (!request.images().isEmpty()) {
            ObjectNode user = lastUserMessage(messages);
            // the text becomes the first part, each image a data URL part after it
            ArrayNode parts = MAPPER.createArrayNode();
            JsonNode text = user.get("content");
            if (text != null && text.isTextual() && !text.asText().isEmpty()) {
                parts.addObject().put("type", "text").put("text", text.asText());
            }
            request.images().forEach(image -> parts.addObject().put("type", "image_url")
                    .putObject("image_url").put("url", image.dataUrl()));
            user.set("content", parts);
        }
        json.set("messages", messages);
        writeSampling(json, request);
        writeTools(json, request);
        if (request.tools() != null && request.toolChoice() != null) {
            switch (request.toolChoice()) {
                case "auto", "none", "required" -> json.put("tool_choice", request.toolChoice());
                default -> json.putObject("tool_choice").put("type", "function")
                        .putObject("function").put("name", request.toolChoice());
            }
        }
        switch (request.responseFormat()) {
            case LlmRequest.JSON -> json.putObject("response_format").put("type", "json_object");
            case LlmRequest.JSON_SCHEMA -> {
                ObjectNode schema = json.putObject("response_format").put("type", "json_schema")
                        .putObject("json_schema");
                schema.put("name", request.jsonSchemaName());
                schema.set("schema", request.jsonSchema().deepCopy());
                schema.put("strict", true);
            }
            default -> {
                // text: no response_format
            }
        }
    }

    @Override
    protected void writeGenerate(ObjectNode json, LlmRequest request, String prompt) {
        // the legacy completions API has neither images nor tools nor response_format
        if (!request.images().isEmpty()) {
            throw new IllegalArgumentException("Header " + dev.llmqueue.camel.LlmQueueConstants.IMAGES
                                               + ": the OpenAI completions API (operation generate) takes no images;"
                                               + " use operation chat");
        }
        json.put("prompt", prompt);
        writeSampling(json, request);
    }

    private static void writeSampling(ObjectNode json, LlmRequest request) {
        if (request.temperature() != null) {
            json.put("temperature", request.temperature());
        }
        if (request.maxTokens() != null) {
            json.put("max_tokens", request.maxTokens());
        }
    }

    @Override
    public LlmStreamReader streamReader(LlmQueueOperation operation) {
        return new OpenAiStreamReader(this, operation);
    }

    @Override
    protected void writeStreaming(ObjectNode json) {
        json.put("stream", true);
        // the last event then carries the token counts
        json.putObject("stream_options").put("include_usage", true);
    }

    @Override
    protected LlmReply readChat(JsonNode root) throws LlmReplyFormatException {
        JsonNode choice = firstChoice(root);
        JsonNode message = choice.get("message");
        if (message == null || !message.isObject()) {
            throw new LlmReplyFormatException("the reply has no object field 'choices[0].message'");
        }
        JsonNode content = message.get("content");
        String text;
        if (content != null && content.isTextual()) {
            text = content.asText();
        } else if (message.path("tool_calls").isArray() || message.path("refusal").isTextual()) {
            // a tool call or a refusal carries no content; the finish reason says which
            text = message.path("refusal").isTextual() ? message.get("refusal").asText() : null;
        } else {
            throw new LlmReplyFormatException("the reply has no text field 'choices[0].message.content'");
        }
        JsonNode usage = root.path("usage");
        return new LlmReply(text, optionalInt(usage, "prompt_tokens"), optionalInt(usage, "completion_tokens"),
                optionalText(root, "model"), optionalText(choice, "finish_reason"),
                toolCalls(message.get("tool_calls")), assistantMessage(message));
    }

    /**
     * OpenAI's {@code message.tool_calls}: {@code [{id, type: "function", function: {name, arguments: "<JSON
     * text>"}}]}; the arguments text may be invalid JSON.
     */
    private static List<Map<String, Object>> toolCalls(JsonNode calls) throws LlmReplyFormatException {
        if (calls == null || !calls.isArray() || calls.isEmpty()) {
            return null;
        }
        List<Map<String, Object>> result = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            JsonNode call = calls.get(i);
            JsonNode function = call.path("function");
            String name = requiredText(function, "name", "choices[0].message.tool_calls[" + i + "].function.name");
            result.add(toolCall(optionalText(call, "id"), name, function.get("arguments")));
        }
        return result;
    }

    @Override
    protected LlmReply readGenerate(JsonNode root) throws LlmReplyFormatException {
        JsonNode choice = firstChoice(root);
        return reply(root, choice, requiredText(choice, "text", "choices[0].text"));
    }

    private static JsonNode firstChoice(JsonNode root) throws LlmReplyFormatException {
        JsonNode choices = root.get("choices");
        if (choices == null || !choices.isArray()) {
            throw new LlmReplyFormatException("the reply has no array field 'choices'");
        }
        if (choices.isEmpty()) {
            throw new LlmReplyFormatException("the reply has an empty 'choices' array");
        }
        return choices.get(0);
    }

    private static LlmReply reply(JsonNode root, JsonNode choice, String text) {
        JsonNode usage = root.path("usage");
        return new LlmReply(text, optionalInt(usage, "prompt_tokens"), optionalInt(usage, "completion_tokens"),
                optionalText(root, "model"), optionalText(choice, "finish_reason"));
    }

    @Override
    protected LlmReply readEmbed(JsonNode root, boolean batch) throws LlmReplyFormatException {
        JsonNode data = root.get("data");
        if (data == null || !data.isArray()) {
            throw new LlmReplyFormatException("the reply has no array field 'data'");
        }
        float[][] ordered = new float[data.size()][];
        for (int i = 0; i < data.size(); i++) {
            JsonNode item = data.get(i);
            int index = item.path("index").isInt() ? item.get("index").intValue() : i;
            if (index < 0 || index >= ordered.length || ordered[index] != null) {
                throw new LlmReplyFormatException("the reply's 'data[" + i + "].index' is " + index
                                                  + ", expected a distinct index below " + ordered.length);
            }
            ordered[index] = vector(item.get("embedding"), "data[" + i + "].embedding");
        }
        List<float[]> vectors = newVectorList(ordered.length);
        vectors.addAll(List.of(ordered));
        return new LlmReply(embeddingsBody(vectors, batch, "data"), optionalInt(root.path("usage"), "prompt_tokens"),
                null, optionalText(root, "model"), null);
    }
}
