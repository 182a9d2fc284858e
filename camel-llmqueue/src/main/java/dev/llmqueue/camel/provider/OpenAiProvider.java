package dev.llmqueue.camel.provider;

import java.util.List;

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
        json.set("messages", messages);
        writeSampling(json, request);
    }

    @Override
    protected void writeGenerate(ObjectNode json, LlmRequest request, String prompt) {
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
        return reply(root, choice, text);
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
