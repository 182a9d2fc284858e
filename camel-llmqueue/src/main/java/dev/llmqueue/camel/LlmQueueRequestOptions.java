package dev.llmqueue.camel;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmqueue.camel.provider.LlmImage;
import dev.llmqueue.camel.provider.LlmProvider;
import dev.llmqueue.camel.provider.LlmReply;
import dev.llmqueue.camel.provider.LlmReplyFormatException;
import dev.llmqueue.camel.provider.LlmRequest;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.WrappedFile;
import org.apache.camel.support.ResourceHelper;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;

/**
 * The request options of one endpoint (tools, output format, body properties, HTTP headers), checked and parsed once
 * when the endpoint is created. Per exchange it builds the provider's {@link LlmRequest} from them and the exchange's
 * headers (on the caller's thread, before queueing), sets the HTTP headers of each call, and reads the reply into what
 * the exchange gets (on the call thread). Immutable once built, so any thread may use it.
 */
final class LlmQueueRequestOptions {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Parses one complete JSON value: trailing text after it is an error. */
    private static final ObjectReader STRICT_JSON = MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Binds outputClass; properties the class lacks are ignored, types that do not fit fail. */
    private static final ObjectReader BINDER = MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Set<String> TOOL_CHOICES = Set.of("auto", "none", "required");
    private static final Pattern FUNCTION_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** Headers the component sets itself, or that the HTTP client owns. */
    private static final Set<String> OWNED_HEADERS = Set.of("content-type", "content-length", "host", "transfer-encoding",
            "accept", "connection");
    private static final int QUOTED_CONTENT = 500;

    private final LlmQueueEndpoint endpoint;
    private final LlmProvider provider;
    private final LlmQueueOperation operation;
    private final ArrayNode tools;
    private final String toolChoice;
    private final String responseFormat;
    private final ObjectNode jsonSchema;
    private final String jsonSchemaName;
    private final Class<?> outputClass;
    private final boolean rawResponse;
    private final ObjectNode bodyProperties;
    private final Map<String, String> httpHeaders;
    private final String apiKeyHeader;

    private LlmQueueRequestOptions(LlmQueueEndpoint endpoint) {
        this.endpoint = endpoint;
        this.provider = endpoint.llmProvider();
        this.operation = endpoint.getOperation();
        CamelContext context = endpoint.getCamelContext();

        if (endpoint.getTools() != null) {
            requireChat("tools");
            tools = tools(context, endpoint.getTools(), "Endpoint option tools");
        } else {
            tools = null;
        }
        toolChoice = endpoint.getToolChoice() == null ? null : toolChoice(endpoint.getToolChoice());
        if (toolChoice != null && tools != null) {
            checkToolChoiceAmong(tools, "Endpoint option tools");
        }

        String format = endpoint.getResponseFormat() == null ? LlmRequest.TEXT : endpoint.getResponseFormat();
        if (!Set.of(LlmRequest.TEXT, LlmRequest.JSON, LlmRequest.JSON_SCHEMA).contains(format)) {
            throw new IllegalArgumentException("Endpoint option responseFormat must be text, json or jsonSchema, was '"
                                               + format + "'");
        }
        String name = endpoint.getJsonSchemaName();
        if (name == null || !FUNCTION_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Endpoint option jsonSchemaName must be 1 to 64 letters, digits, '_', '-'"
                                               + " or '.', was '" + name + "'");
        }
        jsonSchemaName = name;
        outputClass = endpoint.getOutputClass() == null ? null : loadClass(context, endpoint.getOutputClass());
        if (endpoint.getJsonSchema() != null) {
            jsonSchema = schema(context, endpoint.getJsonSchema(), "Endpoint option jsonSchema");
            format = LlmRequest.JSON_SCHEMA;
        } else if (outputClass != null) {
            jsonSchema = LlmQueueSchemas.forClass(outputClass);
            format = LlmRequest.JSON_SCHEMA;
        } else if (LlmRequest.JSON_SCHEMA.equals(format)) {
            throw new IllegalArgumentException("Endpoint option responseFormat=jsonSchema needs the option jsonSchema"
                                               + " (a JSON Schema) or outputClass (a class to generate it from)");
        } else {
            jsonSchema = null;
        }
        if (!LlmRequest.TEXT.equals(format)) {
            checkJsonOutputSupported(format.equals(LlmRequest.JSON) ? "Endpoint option responseFormat=json"
                    : endpoint.getOutputClass() != null && endpoint.getJsonSchema() == null
                            ? "Endpoint option outputClass" : "Endpoint option jsonSchema");
        }
        responseFormat = format;
        rawResponse = endpoint.isRawResponse();

        bodyProperties = properties(endpoint.getBodyProperties(), true, "Endpoint option bodyProperties.");
        String keyHeader = endpoint.getApiKeyHeader();
        if (keyHeader == null || !HEADER_NAME.matcher(keyHeader).matches()) {
            throw new IllegalArgumentException("Endpoint option apiKeyHeader must be an HTTP header name, such as"
                                               + " Authorization or api-key, was '" + keyHeader + "'");
        }
        apiKeyHeader = keyHeader;
        httpHeaders = httpHeaders(endpoint.getHttpHeaders(), endpoint.getApiKey() != null ? keyHeader : null);

        // a request built from the options alone: any collision of a body property with a field the options set
        // fails now, naming the key, instead of failing every exchange later
        provider.requestBody(new LlmRequest(operation, "model", "probe", endpoint.getSystemMessage(),
                endpoint.getTemperature(), endpoint.getMaxTokens(), tools, toolChoice, responseFormat, jsonSchema,
                jsonSchemaName, List.of(), bodyProperties, null));
    }

    static LlmQueueRequestOptions of(LlmQueueEndpoint endpoint) {
        return new LlmQueueRequestOptions(endpoint);
    }

    // ---- per exchange, on the caller's thread ----

    /**
     * The request of one exchange: the options, overridden or completed by the exchange's headers.
     *
     * @throws IllegalArgumentException naming the header that is wrong and what was expected
     */
    LlmRequest request(Exchange exchange, String model, Object body, String systemMessage) {
        Message message = exchange.getMessage();
        CamelContext context = exchange.getContext();
        ArrayNode requestTools = tools;
        Object toolsHeader = message.getHeader(LlmQueueConstants.TOOLS);
        if (toolsHeader != null) {
            if (operation != LlmQueueOperation.chat) {
                throw new IllegalArgumentException("Header " + LlmQueueConstants.TOOLS + " needs operation chat, the"
                                                   + " endpoint's operation is " + operation);
            }
            requestTools = tools(context, toolsHeader, "Header " + LlmQueueConstants.TOOLS);
            if (toolChoice != null) {
                checkToolChoiceAmong(requestTools, "Header " + LlmQueueConstants.TOOLS);
            }
        }
        String format = responseFormat;
        ObjectNode schema = jsonSchema;
        Object schemaHeader = message.getHeader(LlmQueueConstants.JSON_SCHEMA);
        if (schemaHeader != null) {
            schema = schema(context, schemaHeader, "Header " + LlmQueueConstants.JSON_SCHEMA);
            format = LlmRequest.JSON_SCHEMA;
            checkJsonOutputSupported("Header " + LlmQueueConstants.JSON_SCHEMA);
        }
        List<LlmImage> images = images(context, message.getHeader(LlmQueueConstants.IMAGES));
        ObjectNode headerProperties = null;
        Object propertiesHeader = message.getHeader(LlmQueueConstants.BODY_PROPERTIES);
        if (propertiesHeader != null) {
            if (!(propertiesHeader instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException("Header " + LlmQueueConstants.BODY_PROPERTIES + " is a "
                                                   + propertiesHeader.getClass().getName() + ", expected a Map");
            }
            headerProperties = properties(map, false, "Header " + LlmQueueConstants.BODY_PROPERTIES + " key ");
        }
        return new LlmRequest(operation, model, body, systemMessage, endpoint.getTemperature(), endpoint.getMaxTokens(),
                requestTools, toolChoice, format, schema, jsonSchemaName, images, bodyProperties, headerProperties);
    }

    // ---- per call, on the call thread ----

    /** The API key and the extra headers; their values are never logged nor put in a message. */
    void setHttpHeaders(HttpRequest post, String apiKey) {
        httpHeaders.forEach(post::setHeader);
        if (apiKey != null && !apiKey.isEmpty()) {
            if (HttpHeaders.AUTHORIZATION.equalsIgnoreCase(apiKeyHeader)) {
                post.setHeader(HttpHeaders.AUTHORIZATION, "Bearer " + apiKey);
            } else {
                post.setHeader(apiKeyHeader, apiKey);
            }
        }
    }

    /**
     * Reads a 2xx reply into what the exchange gets: tool calls and the assistant's message as the provider read them;
     * the content checked as JSON and bound to outputClass when JSON was asked; the whole JSON for rawResponse.
     *
     * @throws LlmReplyFormatException the reply lacks what the provider's API documents
     * @throws LlmProviderException    JSON was asked and the content is not JSON or does not bind (not retryable)
     */
    LlmReply reply(LlmQueueRequest request, int status, byte[] json) throws LlmReplyFormatException, LlmProviderException {
        // the exchange is suspended while its request is queued and called: reading it here races with nothing
        Message message = request.exchange().getMessage();
        boolean batch = request.embedBatch()
                        || message.getBody() instanceof Map<?, ?> whole && whole.get("input") instanceof Collection;
        LlmReply reply = provider.parseReply(operation, json, batch);
        Object body = reply.body();
        boolean jsonAsked = operation != LlmQueueOperation.embed
                            && (!LlmRequest.TEXT.equals(responseFormat)
                                || message.getHeader(LlmQueueConstants.JSON_SCHEMA) != null);
        if (jsonAsked && reply.toolCalls() == null) {
            String content = body instanceof String text ? text : null;
            try {
                JsonNode parsed = content == null || content.isBlank() ? null : STRICT_JSON.readTree(content);
                if (parsed == null || parsed.isMissingNode()) {
                    throw notJson(request, status, content, "it is empty", null);
                }
            } catch (JsonProcessingException e) {
                throw notJson(request, status, content, "it is not valid JSON: " + e.getOriginalMessage(), e);
            }
            if (outputClass != null && !rawResponse) {
                try {
                    body = BINDER.forType(outputClass).readValue(content);
                } catch (IOException e) {
                    throw notJson(request, status, content, "it does not bind to outputClass " + outputClass.getName()
                                                            + ": " + conciseMessage(e),
                            e);
                }
            }
        }
        if (rawResponse) {
            try {
                body = MAPPER.readValue(json, Map.class);
            } catch (IOException e) {
                throw new LlmReplyFormatException("the reply is not a JSON object (" + e.getMessage() + ")", e);
            }
        }
        return new LlmReply(body, reply.promptTokens(), reply.completionTokens(), reply.model(), reply.finishReason(),
                reply.toolCalls(), reply.assistantMessage());
    }

    private LlmProviderException notJson(LlmQueueRequest request, int status, String content, String why,
                                         Throwable cause) {
        String quoted = content == null ? "(no content)"
                : content.length() > QUOTED_CONTENT ? content.substring(0, QUOTED_CONTENT) + "..." : content;
        return new LlmProviderException(
                "The " + operation + " reply of " + provider.name() + " from POST " + endpoint.getUrl() + " was asked"
                                        + " for JSON (" + responseFormatName(request) + ") but " + why + ". Content: "
                                        + quoted,
                request.exchange(), status, provider.name(), endpoint.getUrl(), null, false, -1, cause);
    }

    private String responseFormatName(LlmQueueRequest request) {
        if (request.exchange().getMessage().getHeader(LlmQueueConstants.JSON_SCHEMA) != null) {
            return "header " + LlmQueueConstants.JSON_SCHEMA;
        }
        return outputClass != null ? "outputClass " + outputClass.getName() : "responseFormat=" + responseFormat;
    }

    /** Jackson's message without the location, which repeats the content. */
    private static String conciseMessage(IOException e) {
        return e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    }

    // ---- parsing and checks ----

    private void requireChat(String option) {
        if (operation != LlmQueueOperation.chat) {
            throw new IllegalArgumentException("Endpoint option " + option + " needs operation chat, the endpoint's"
                                               + " operation is " + operation);
        }
    }

    private void checkJsonOutputSupported(String what) {
        if (operation == LlmQueueOperation.embed) {
            throw new IllegalArgumentException(what + " asks for JSON output, which operation embed does not have");
        }
        if (operation == LlmQueueOperation.generate && "openai".equals(provider.name())) {
            throw new IllegalArgumentException(what + " asks for JSON output, which the OpenAI completions API"
                                               + " (operation generate) does not have; use operation chat");
        }
    }

    /** A JSON array of function tools, from JSON text, a resource, a JsonNode or a List of Maps. */
    private static ArrayNode tools(CamelContext context, Object value, String where) {
        JsonNode node = json(context, value, where, "a JSON array of function tools");
        if (!node.isArray() || node.isEmpty()) {
            throw new IllegalArgumentException(where + " must be a non-empty JSON array of function tools"
                                               + " ([{\"type\":\"function\",\"function\":{\"name\":...}}]), was "
                                               + (node.isArray() ? "empty" : "a JSON " + node.getNodeType()));
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode tool = node.get(i);
            String problem = null;
            if (!tool.isObject()) {
                problem = "is not an object";
            } else if (!"function".equals(tool.path("type").asText(null))) {
                problem = "has no \"type\":\"function\"";
            } else if (!tool.path("function").isObject()) {
                problem = "has no object \"function\"";
            } else if (!tool.path("function").path("name").isTextual()
                       || tool.path("function").path("name").asText().isBlank()) {
                problem = "has no \"function\".\"name\"";
            } else if (tool.path("function").has("parameters") && !tool.path("function").path("parameters").isObject()) {
                problem = "has \"function\".\"parameters\" that is not a JSON Schema object";
            }
            if (problem != null) {
                throw new IllegalArgumentException(where + ": tool " + i + " " + problem + "; expected"
                                                   + " {\"type\":\"function\",\"function\":{\"name\":...,"
                                                   + "\"description\":...,\"parameters\":{...}}}");
            }
        }
        return (ArrayNode) node;
    }

    /** auto, none, required, a function name, or {"type":"function","function":{"name":...}} as a name. */
    private static String toolChoice(String value) {
        String choice = value.trim();
        if (TOOL_CHOICES.contains(choice)) {
            return choice;
        }
        if (choice.startsWith("{")) {
            try {
                JsonNode node = STRICT_JSON.readTree(choice);
                if ("function".equals(node.path("type").asText(null)) && node.path("function").path("name").isTextual()) {
                    choice = node.path("function").path("name").asText();
                }
            } catch (IOException e) {
                // reported below
            }
        }
        if (!FUNCTION_NAME.matcher(choice).matches()) {
            throw new IllegalArgumentException("Endpoint option toolChoice must be auto, none, required or the name of"
                                               + " a tool (1 to 64 letters, digits, '_', '-' or '.'), was '" + value
                                               + "'");
        }
        return choice;
    }

    private void checkToolChoiceAmong(ArrayNode offered, String where) {
        if (TOOL_CHOICES.contains(toolChoice)) {
            return;
        }
        List<String> names = new ArrayList<>();
        offered.forEach(tool -> names.add(tool.path("function").path("name").asText()));
        if (!names.contains(toolChoice)) {
            throw new IllegalArgumentException("Endpoint option toolChoice names the tool '" + toolChoice + "', which "
                                               + where + " does not offer (it offers " + names + ")");
        }
    }

    private static ObjectNode schema(CamelContext context, Object value, String where) {
        JsonNode node = json(context, value, where, "a JSON Schema object");
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + " must be a JSON Schema object, was a JSON " + node.getNodeType());
        }
        return (ObjectNode) node;
    }

    /** JSON from text (inline or resource:...), a JsonNode, or Java Maps and Lists. */
    private static JsonNode json(CamelContext context, Object value, String where, String expected) {
        if (value instanceof JsonNode node) {
            return node;
        }
        if (value instanceof CharSequence chars) {
            String text = resource(context, chars.toString().trim(), where);
            try {
                JsonNode node = STRICT_JSON.readTree(text);
                if (node == null || node.isMissingNode()) {
                    throw new IllegalArgumentException(where + " is empty; expected " + expected);
                }
                return node;
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(where + " is not valid JSON (" + e.getOriginalMessage() + ");"
                                                   + " expected " + expected, e);
            }
        }
        if (value instanceof Map || value instanceof Collection) {
            try {
                return MAPPER.valueToTree(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + " cannot be written as JSON (" + e.getMessage() + ");"
                                                   + " expected " + expected, e);
            }
        }
        throw new IllegalArgumentException(where + " is a " + value.getClass().getName() + "; expected " + expected
                                           + " as JSON text, resource:classpath:..., resource:file:..., or Java Maps and"
                                           + " Lists");
    }

    /** The text itself, or the content of a resource:classpath:... / resource:file:... */
    private static String resource(CamelContext context, String text, String where) {
        if (!text.startsWith("resource:")) {
            return text;
        }
        String uri = text.substring("resource:".length());
        try (InputStream in = ResourceHelper.resolveMandatoryResourceAsInputStream(context, uri)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": the resource '" + uri + "' cannot be read (" + e.getMessage()
                                               + ")", e);
        }
    }

    private static Class<?> loadClass(CamelContext context, String name) {
        Class<?> type = context.getClassResolver().resolveClass(name.trim());
        if (type == null) {
            throw new IllegalArgumentException("Endpoint option outputClass: the class '" + name + "' cannot be loaded");
        }
        return type;
    }

    /**
     * Body properties as nested JSON objects: dotted keys nest. Strings are parsed as JSON when they are valid JSON
     * (URI options), or kept as they are (header values, which have their own Java types).
     */
    private static ObjectNode properties(Map<?, ?> map, boolean parseStrings, String where) {
        if (map == null || map.isEmpty()) {
            return null;
        }
        ObjectNode root = MAPPER.createObjectNode();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String key = String.valueOf(entry.getKey());
            String[] parts = key.split("\\.", -1);
            ObjectNode parent = root;
            for (int i = 0; i < parts.length; i++) {
                String part = parts[i];
                if (part.isBlank()) {
                    throw new IllegalArgumentException(where + "'" + key + "' has an empty name part");
                }
                if (i == parts.length - 1) {
                    JsonNode value = value(entry.getValue(), parseStrings, where + "'" + key + "'");
                    JsonNode existing = parent.get(part);
                    if (existing != null && existing.isObject() && value.isObject()) {
                        overlay((ObjectNode) existing, value);
                    } else if (existing != null) {
                        throw new IllegalArgumentException(where + "'" + key + "' is given twice");
                    } else {
                        parent.set(part, value);
                    }
                } else {
                    JsonNode child = parent.get(part);
                    if (child == null) {
                        parent = parent.putObject(part);
                    } else if (child.isObject()) {
                        parent = (ObjectNode) child;
                    } else {
                        throw new IllegalArgumentException(where + "'" + key + "' nests under '" + part
                                                           + "', which is given a value that is not an object");
                    }
                }
            }
        }
        return root;
    }

    private static JsonNode value(Object value, boolean parseStrings, String where) {
        if (value instanceof String text && parseStrings) {
            try {
                JsonNode node = STRICT_JSON.readTree(text);
                if (node != null && !node.isMissingNode()) {
                    return node;
                }
            } catch (JsonProcessingException e) {
                // not JSON: a string
            }
            return MAPPER.getNodeFactory().textNode(text);
        }
        try {
            return MAPPER.valueToTree(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " cannot be written as JSON (" + e.getMessage() + ")", e);
        }
    }

    private static Map<String, String> httpHeaders(Map<String, Object> headers, String apiKeyHeader) {
        Map<String, String> result = new java.util.LinkedHashMap<>();
        if (headers == null) {
            return result;
        }
        for (Map.Entry<String, Object> header : headers.entrySet()) {
            String name = header.getKey();
            if (name == null || !HEADER_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("Endpoint option httpHeaders." + name + " is not an HTTP header name");
            }
            if (OWNED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("Endpoint option httpHeaders." + name + ": the component sets this"
                                                   + " header itself");
            }
            if (apiKeyHeader != null && apiKeyHeader.equalsIgnoreCase(name)) {
                throw new IllegalArgumentException("Endpoint option httpHeaders." + name + " would override the header"
                                                   + " that carries apiKey (apiKeyHeader); set the key one way only");
            }
            if (header.getValue() == null) {
                // the value is never quoted: it may be a secret
                throw new IllegalArgumentException("Endpoint option httpHeaders." + name + " has no value");
            }
            result.put(name, header.getValue().toString());
        }
        return result;
    }

    /** The images of the header CamelLlmQueueImages, read and checked; empty without the header. */
    private List<LlmImage> images(CamelContext context, Object header) {
        if (header == null) {
            return List.of();
        }
        if (operation == LlmQueueOperation.embed) {
            throw new IllegalArgumentException("Header " + LlmQueueConstants.IMAGES + ": images need operation chat (or"
                                               + " generate with ollama), the endpoint's operation is embed");
        }
        List<?> items = header instanceof List<?> list ? list
                : header instanceof Object[] array ? List.of(array) : List.of(header);
        if (items.isEmpty()) {
            return List.of();
        }
        List<LlmImage> images = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            Object item = items.get(i);
            String where = "Header " + LlmQueueConstants.IMAGES + " item " + i;
            byte[] bytes = imageBytes(context, item, where);
            try {
                images.add(LlmImage.of(bytes));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + " (" + describe(item) + ") " + e.getMessage(), e);
            }
        }
        return images;
    }

    private static byte[] imageBytes(CamelContext context, Object item, String where) {
        if (item instanceof byte[] bytes) {
            return bytes;
        }
        if (item instanceof File file) {
            return read(file.toPath(), where);
        }
        if (item instanceof Path path) {
            return read(path, where);
        }
        if (item instanceof WrappedFile<?> wrapped) {
            Object file = wrapped.getFile();
            if (file instanceof File f) {
                return read(f.toPath(), where);
            }
            byte[] bytes = context.getTypeConverter().tryConvertTo(byte[].class, wrapped.getBody());
            if (bytes == null) {
                throw new IllegalArgumentException(where + " is a WrappedFile whose content cannot be read");
            }
            return bytes;
        }
        if (item instanceof String text) {
            String base64 = text.trim();
            if (base64.startsWith("data:") && base64.contains(";base64,")) {
                base64 = base64.substring(base64.indexOf(";base64,") + ";base64,".length());
            }
            try {
                return Base64.getMimeDecoder().decode(base64);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + " is a String but not base64 (" + e.getMessage() + ")", e);
            }
        }
        throw new IllegalArgumentException(where + " is a " + (item == null ? "null" : item.getClass().getName())
                                           + "; expected byte[], java.io.File, java.nio.file.Path, a Camel WrappedFile"
                                           + " or a base64 String");
    }

    private static byte[] read(Path path, String where) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": cannot read the file " + path + " (" + e + ")", e);
        }
    }

    private static String describe(Object item) {
        if (item instanceof File file) {
            return file.getPath();
        }
        if (item instanceof Path path) {
            return path.toString();
        }
        if (item instanceof WrappedFile<?> wrapped) {
            return String.valueOf(wrapped.getFile());
        }
        return item instanceof byte[] bytes ? bytes.length + " bytes" : "a base64 String";
    }

    private static void overlay(ObjectNode base, JsonNode over) {
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
}
