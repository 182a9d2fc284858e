package dev.llmqueue.camel.provider;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueueOperation;

/**
 * One LLM server dialect: the paths, the request JSON, the reply JSON and the error JSON. Knows nothing of queues
 * or HTTP transport.
 */
public abstract class LlmProvider {

    protected static final ObjectMapper MAPPER = new ObjectMapper();

    private static final LlmProvider OLLAMA = new OllamaProvider();
    private static final LlmProvider OPENAI = new OpenAiProvider();

    /** The names accepted in {@code llmqueue:provider}. */
    public static final String NAMES = "ollama, openai";

    /**
     * @throws IllegalArgumentException naming the unknown provider and the supported ones
     */
    public static LlmProvider forName(String name) {
        if ("ollama".equals(name)) {
            return OLLAMA;
        }
        if ("openai".equals(name)) {
            return OPENAI;
        }
        throw new IllegalArgumentException(
                "Unknown llmqueue provider '" + name + "' in llmqueue:" + name + ". Supported providers: " + NAMES);
    }

    /** {@code ollama} or {@code openai}. */
    public abstract String name();

    public abstract String defaultBaseUrl();

    /** The path appended to the base URL for an operation. */
    public abstract String path(LlmQueueOperation operation);

    /** Top-level fields no body property may set: they carry the request itself. */
    public static final Set<String> RESERVED_FIELDS = Set.of("model", "messages", "prompt", "input", "stream");

    /**
     * The request's JSON. Checks the body first. A Map body is the whole request JSON: sent as it is, with
     * {@code model} filled in when absent and the body properties merged under it.
     *
     * @throws IllegalArgumentException saying what body was expected, or which body property collides with a field the
     *                                  component sets
     */
    public final byte[] requestBody(LlmRequest request) {
        return requestBody(request, false);
    }

    /**
     * The request's JSON, asking for a streamed answer when {@code streaming} is set (Ollama {@code "stream": true};
     * OpenAI also {@code "stream_options": {"include_usage": true}}, so the last event carries the token counts).
     */
    public final byte[] requestBody(LlmRequest request, boolean streaming) {
        ObjectNode json;
        if (request.body() instanceof Map<?, ?> whole) {
            json = wholeRequest(request, whole);
        } else {
            json = MAPPER.createObjectNode();
            json.put("model", request.model());
            switch (request.operation()) {
                case chat -> writeChat(json, request, messages(request));
                case generate -> writeGenerate(json, request, prompt(request));
                case embed -> {
                    if (!request.images().isEmpty()) {
                        throw new IllegalArgumentException("Header " + LlmQueueConstants.IMAGES
                                                           + ": images cannot be embedded; use operation chat");
                    }
                    json.set("input", embedInput(request));
                }
                default -> throw new IllegalStateException("unhandled operation " + request.operation());
            }
            ObjectNode properties = bodyProperties(request);
            if (properties != null) {
                mergeOwned(json, properties, "", request);
            }
        }
        if (streaming) {
            writeStreaming(json);
        }
        try {
            return MAPPER.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot write the request body as JSON: " + e.getMessage(), e);
        }
    }

    /** Asks for a streamed answer. */
    protected void writeStreaming(ObjectNode json) {
        json.put("stream", true);
    }

    /** A reader for one streamed answer of a chat or generate call. */
    public abstract LlmStreamReader streamReader(LlmQueueOperation operation);

    protected abstract void writeChat(ObjectNode json, LlmRequest request, ArrayNode messages);

    protected abstract void writeGenerate(ObjectNode json, LlmRequest request, String prompt);

    /**
     * Reads a 2xx answer.
     *
     * @param embedBatch for embed: whether the input was a list (answer {@code List<float[]>}) or one text
     *                   ({@code float[]})
     */
    public final LlmReply parseReply(LlmQueueOperation operation, byte[] body, boolean embedBatch)
            throws LlmReplyFormatException {
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new LlmReplyFormatException("the reply is not valid JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new LlmReplyFormatException("the reply cannot be read (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new LlmReplyFormatException("the reply is not a JSON object");
        }
        return switch (operation) {
            case chat -> readChat(root);
            case generate -> readGenerate(root);
            case embed -> readEmbed(root, embedBatch);
        };
    }

    protected abstract LlmReply readChat(JsonNode root) throws LlmReplyFormatException;

    // ---- shared request writing ----

    /** The body properties of the endpoint with the exchange's merged over them, or null when there are none. */
    private static ObjectNode bodyProperties(LlmRequest request) {
        ObjectNode merged = request.bodyProperties() == null ? null : request.bodyProperties().deepCopy();
        if (request.headerProperties() != null) {
            if (merged == null) {
                merged = request.headerProperties().deepCopy();
            } else {
                overlay(merged, request.headerProperties());
            }
        }
        if (merged != null) {
            for (Iterator<String> names = merged.fieldNames(); names.hasNext();) {
                String name = names.next();
                if (RESERVED_FIELDS.contains(name)) {
                    throw new IllegalArgumentException(source(request, name) + " would override '" + name
                                                       + "', which the component sets itself (" + RESERVED_FIELDS
                                                       + " cannot be body properties)");
                }
            }
        }
        return merged;
    }

    /** Where a body property came from, for an error message. */
    private static String source(LlmRequest request, String path) {
        JsonNode header = request.headerProperties();
        for (String part : path.split("\\.")) {
            header = header == null ? null : header.get(part);
        }
        return header != null
                ? "Header " + LlmQueueConstants.BODY_PROPERTIES + " key '" + path + "'"
                : "Endpoint option bodyProperties." + path;
    }

    /** Adds the properties to the component's JSON, failing on any field the component already set. */
    private static void mergeOwned(ObjectNode json, ObjectNode properties, String path, LlmRequest request) {
        for (Iterator<Map.Entry<String, JsonNode>> fields = properties.fields(); fields.hasNext();) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
            JsonNode existing = json.get(field.getKey());
            if (existing == null) {
                json.set(field.getKey(), field.getValue().deepCopy());
            } else if (existing.isObject() && field.getValue().isObject()) {
                mergeOwned((ObjectNode) existing, (ObjectNode) field.getValue(), name, request);
            } else {
                throw new IllegalArgumentException(source(request, name) + " collides with the field '" + name
                                                   + "' that the component sets from its own options; set it one way"
                                                   + " only");
            }
        }
    }

    /** Copies {@code over} onto {@code base}: objects merge field by field, anything else replaces. */
    protected static void overlay(ObjectNode base, JsonNode over) {
        for (Iterator<Map.Entry<String, JsonNode>> fields = over.fields(); fields.hasNext();) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode existing = base.get(field.getKey());
            if (existing != null && existing.isObject() && field.getValue().isObject()) {
                overlay((ObjectNode) existing, field.getValue());
            } else {
                base.set(field.getKey(), field.getValue().deepCopy());
            }
        }
    }

    private ObjectNode wholeRequest(LlmRequest request, Map<?, ?> whole) {
        if (!request.images().isEmpty()) {
            throw new IllegalArgumentException("Header " + LlmQueueConstants.IMAGES + " cannot be used with a Map body"
                                               + " (the whole request JSON): put the images in the Map");
        }
        ObjectNode given;
        try {
            given = MAPPER.valueToTree(whole);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid " + request.operation() + " body: the Map (the whole request"
                                               + " JSON) cannot be written as JSON: " + e.getMessage(), e);
        }
        ObjectNode json = MAPPER.createObjectNode();
        if (!given.has("model")) {
            json.put("model", request.model());
        }
        ObjectNode properties = bodyProperties(request);
        if (properties != null) {
            overlay(json, properties);
        }
        overlay(json, given);
        if (json.path("stream").asBoolean(false)) {
            throw new IllegalArgumentException("Invalid " + request.operation() + " body: \"stream\": true is not"
                                               + " supported in a Map body; set the endpoint option streaming=true");
        }
        completeWholeRequest(json);
        return json;
    }

    /** Adds what a whole-request Map body needs and lacks; Ollama adds {@code "stream": false}. */
    protected void completeWholeRequest(ObjectNode json) {
    }

    /** Sets {@code tools} when the request has some. */
    protected static void writeTools(ObjectNode json, LlmRequest request) {
        if (request.tools() != null) {
            json.set("tools", request.tools().deepCopy());
        }
    }

    /**
     * The last user message of the conversation, to attach images to.
     *
     * @throws IllegalArgumentException when there is none, or when it already carries images or content parts
     */
    protected static ObjectNode lastUserMessage(ArrayNode messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            JsonNode message = messages.get(i);
            if ("user".equals(message.path("role").asText())) {
                if (message.has("images") || message.path("content").isArray()) {
                    throw new IllegalArgumentException("Header " + LlmQueueConstants.IMAGES + ": the last user"
                                                       + " message (message " + i + ") already carries images or"
                                                       + " content parts; put all images there, or none");
                }
                return (ObjectNode) message;
            }
        }
        throw new IllegalArgumentException("Header " + LlmQueueConstants.IMAGES + ": the conversation has no user"
                                           + " message to attach the images to");
    }

    // ---- shared reply reading: tool calls and the assistant message ----

    /**
     * One tool call as the exchange gets it: {@code id}, {@code name}, {@code arguments} (a Map, only when the
     * arguments are a JSON object) and {@code argumentsJson} (the arguments as the server sent them, as JSON text).
     *
     * @param arguments a JSON string (OpenAI) or a JSON object (Ollama), or null
     */
    protected static Map<String, Object> toolCall(String id, String name, JsonNode arguments) {
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("id", id != null ? id : generatedToolCallId());
        call.put("name", name);
        JsonNode parsed = null;
        String json;
        if (arguments == null || arguments.isNull() || arguments.isMissingNode()) {
            json = null;
        } else if (arguments.isTextual()) {
            json = arguments.asText();
            try {
                parsed = MAPPER.readTree(json);
            } catch (IOException e) {
                // invalid JSON, as OpenAI warns may happen: the text alone is kept
            }
        } else {
            json = arguments.toString();
            parsed = arguments;
        }
        if (parsed != null && parsed.isObject()) {
            call.put("arguments", MAPPER.convertValue(parsed, MAP_TYPE));
        }
        call.put("argumentsJson", json);
        return call;
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>> MAP_TYPE
            = new com.fasterxml.jackson.core.type.TypeReference<>() {
            };

    /** A JSON object as a Map (insertion-ordered), nested objects as Maps and arrays as Lists. */
    protected static Map<String, Object> asMap(JsonNode object) {
        return MAPPER.convertValue(object, MAP_TYPE);
    }

    /** An id for a tool call whose server gave none (Ollama). */
    private static String generatedToolCallId() {
        return "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    /**
     * The assistant's message for the next turn: {@code role}, {@code content} and, when present, {@code tool_calls}
     * exactly as the server sent them.
     */
    protected static Map<String, Object> assistantMessage(JsonNode message) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("role", message.path("role").isTextual() ? message.get("role").asText() : "assistant");
        JsonNode content = message.get("content");
        result.put("content", content == null || content.isNull() ? null
                : content.isTextual() ? content.asText() : MAPPER.convertValue(content, Object.class));
        JsonNode calls = message.get("tool_calls");
        if (calls != null && calls.isArray() && !calls.isEmpty()) {
            result.put("tool_calls", MAPPER.convertValue(calls, List.class));
        }
        return result;
    }

    protected abstract LlmReply readGenerate(JsonNode root) throws LlmReplyFormatException;

    protected abstract LlmReply readEmbed(JsonNode root, boolean batch) throws LlmReplyFormatException;

    /**
     * The provider's own error text from an error body: Ollama {@code {"error":"..."}}, OpenAI
     * {@code {"error":{"message":"..."}}}, and the variants OpenAI-compatible servers use. Falls back to the raw body,
     * shortened.
     */
    public String errorText(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            JsonNode root = MAPPER.readTree(body);
            if (root != null) {
                JsonNode error = root.path("error");
                if (error.isTextual()) {
                    return error.asText();
                }
                if (error.path("message").isTextual()) {
                    return error.path("message").asText();
                }
                if (root.path("message").isTextual()) {
                    return root.path("message").asText();
                }
                if (root.path("detail").isTextual()) {
                    return root.path("detail").asText();
                }
            }
        } catch (IOException e) {
            // not JSON: the raw text is the best we have
        }
        String text = new String(body, java.nio.charset.StandardCharsets.UTF_8).strip();
        return text.length() > 500 ? text.substring(0, 500) + "..." : text;
    }

    /**
     * Whether a 429 answer means the account is out of quota (OpenAI's {@code insufficient_quota}), which no retry
     * will fix, rather than a rate limit.
     */
    public boolean isQuotaExhausted(byte[] body) {
        if (body == null || body.length == 0) {
            return false;
        }
        try {
            JsonNode error = MAPPER.readTree(body).path("error");
            return "insufficient_quota".equals(error.path("code").asText())
                   || "insufficient_quota".equals(error.path("type").asText());
        } catch (IOException e) {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8).contains("insufficient_quota");
        }
    }

    /**
     * What to add to the message of a 404 answer. A 404 about the model (it does not exist, or is not pulled) needs
     * nothing. A 404 from a path the server did not recognise means that {@code baseUrl} is wrong, and the hint says
     * how it probably is. A pure function of its arguments.
     *
     * @param baseUrl the endpoint's base URL, without a trailing slash
     * @param body    the body of the 404 answer, possibly empty
     * @return a question to append to the error message, or null
     */
    public String notFoundHint(String baseUrl, byte[] body) {
        return null;
    }

    /**
     * Whether an error body says that the model does not exist: OpenAI's {@code "code": "model_not_found"}, or a
     * message that names a model and says "not found" (Ollama: {@code model "x" not found, try pulling it first}) or
     * "does not exist" (OpenAI, vLLM: {@code The model `x` does not exist}).
     */
    protected final boolean isModelNotFound(byte[] body) {
        if (body == null || body.length == 0) {
            return false;
        }
        try {
            JsonNode root = MAPPER.readTree(body);
            if (root != null && "model_not_found".equals(root.path("error").path("code").asText())) {
                return true;
            }
        } catch (IOException e) {
            // not JSON: the text decides
        }
        String text = errorText(body);
        String lower = text == null ? "" : text.toLowerCase(java.util.Locale.ROOT);
        return lower.contains("model") && (lower.contains("not found") || lower.contains("does not exist"));
    }

    /** The path of a base URL without its trailing slash: empty for a server's root. */
    protected static String pathOf(String baseUrl) {
        String path;
        try {
            path = java.net.URI.create(baseUrl).getRawPath();
        } catch (IllegalArgumentException e) {
            path = null;
        }
        if (path == null) {
            return "";
        }
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    // ---- shared body checks ----

    private static ArrayNode messages(LlmRequest request) {
        ArrayNode messages = MAPPER.createArrayNode();
        Object body = request.body();
        if (body instanceof List<?> list) {
            int index = 0;
            for (Object item : list) {
                if (!(item instanceof Map<?, ?> message)) {
                    throw new IllegalArgumentException("Invalid chat body: message " + index + " is a "
                                                       + typeName(item)
                                                       + ", expected a Map with 'role' and 'content'");
                }
                if (!(message.get("role") instanceof String)) {
                    throw new IllegalArgumentException(
                            "Invalid chat body: message " + index + " has no 'role' (system, user, assistant or tool)");
                }
                if (!message.containsKey("content") && !message.containsKey("tool_calls")) {
                    throw new IllegalArgumentException("Invalid chat body: message " + index + " has no 'content'");
                }
                messages.add(MAPPER.valueToTree(message));
                index++;
            }
            if (messages.isEmpty()) {
                throw new IllegalArgumentException("Invalid chat body: the message list is empty");
            }
            return messages;
        }
        String text = requireText(body, "chat",
                "a String (one user message), a List of Maps with 'role' and 'content' (the whole conversation) or a"
                             + " Map (the whole request JSON)");
        if (request.systemMessage() != null && !request.systemMessage().isEmpty()) {
            messages.addObject().put("role", "system").put("content", request.systemMessage());
        }
        messages.addObject().put("role", "user").put("content", text);
        return messages;
    }

    private static String prompt(LlmRequest request) {
        return requireText(request.body(), "generate", "a String (the prompt) or a Map (the whole request JSON)");
    }

    private static JsonNode embedInput(LlmRequest request) {
        Object body = request.body();
        if (body instanceof List<?> list) {
            ArrayNode input = MAPPER.createArrayNode();
            int index = 0;
            for (Object item : list) {
                if (!(item instanceof String text)) {
                    throw new IllegalArgumentException("Invalid embed body: item " + index + " is a " + typeName(item)
                                                       + ", expected a String");
                }
                input.add(text);
                index++;
            }
            if (input.isEmpty()) {
                throw new IllegalArgumentException("Invalid embed body: the list of texts is empty");
            }
            return input;
        }
        return MAPPER.getNodeFactory().textNode(requireText(body, "embed",
                "a String, a List of Strings or a Map (the whole request JSON)"));
    }

    private static String requireText(Object body, String operation, String expected) {
        if (body == null) {
            throw new IllegalArgumentException("The message body is null: operation " + operation + " expects " + expected);
        }
        if (!(body instanceof String text)) {
            throw new IllegalArgumentException("Unsupported message body type " + typeName(body) + ": operation "
                                               + operation + " expects " + expected
                                               + " (text may also come as byte[], InputStream, Reader or a file)");
        }
        if (text.isBlank()) {
            throw new IllegalArgumentException("The message body is empty: operation " + operation + " expects " + expected);
        }
        return text;
    }

    private static String typeName(Object value) {
        return value == null ? "null" : value.getClass().getName();
    }

    // ---- shared reply reading ----

    protected static String requiredText(JsonNode node, String field, String path) throws LlmReplyFormatException {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new LlmReplyFormatException("the reply has no text field '" + path + "'");
        }
        return value.asText();
    }

    protected static Integer optionalInt(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.canConvertToInt() && value.isNumber() ? value.intValue() : null;
    }

    protected static String optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() ? value.asText() : null;
    }

    protected static float[] vector(JsonNode array, String path) throws LlmReplyFormatException {
        if (array == null || !array.isArray() || array.isEmpty()) {
            throw new LlmReplyFormatException("the reply has no embedding array at '" + path + "'");
        }
        float[] vector = new float[array.size()];
        for (int i = 0; i < vector.length; i++) {
            JsonNode value = array.get(i);
            if (!value.isNumber()) {
                throw new LlmReplyFormatException("the embedding at '" + path + "' holds a non-number at index " + i);
            }
            vector[i] = value.floatValue();
        }
        return vector;
    }

    protected static Object embeddingsBody(List<float[]> vectors, boolean batch, String path)
            throws LlmReplyFormatException {
        if (vectors.isEmpty()) {
            throw new LlmReplyFormatException("the reply has no embeddings at '" + path + "'");
        }
        return batch ? vectors : vectors.get(0);
    }

    protected static List<float[]> newVectorList(int size) {
        return new ArrayList<>(size);
    }
}
