package dev.llmqueue.camel.provider;

import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmqueue.camel.LlmQueueOperation;

/**
 * What one request asks of the LLM, before it is put in a provider's JSON. Everything here has been checked by the
 * endpoint already, except the body and the body properties' collisions, which the provider checks.
 *
 * @param body                a String, a List of message Maps (chat), a List of Strings (embed), or a Map: the
 *                            provider's whole request JSON
 * @param systemMessage       may be null
 * @param temperature         may be null
 * @param maxTokens           may be null
 * @param tools               function tools in OpenAI's form, or null
 * @param toolChoice          {@code auto}, {@code none}, {@code required} or a function name; null for none
 * @param responseFormat      {@code text}, {@code json} or {@code jsonSchema}
 * @param jsonSchema          the schema for {@code jsonSchema}, else null
 * @param jsonSchemaName      the schema's name (OpenAI {@code json_schema.name})
 * @param images              images for the last user message (chat) or the prompt (Ollama generate), or empty
 * @param bodyProperties      the endpoint's extra top-level fields (nested objects for dotted keys), or null
 * @param headerProperties    the exchange's extra fields, merged over {@code bodyProperties}, or null
 */
public record LlmRequest(LlmQueueOperation operation, String model, Object body, String systemMessage, Double temperature,
                         Integer maxTokens, ArrayNode tools, String toolChoice, String responseFormat,
                         ObjectNode jsonSchema, String jsonSchemaName, List<LlmImage> images, ObjectNode bodyProperties,
                         ObjectNode headerProperties) {

    public static final String TEXT = "text";
    public static final String JSON = "json";
    public static final String JSON_SCHEMA = "jsonSchema";

    public LlmRequest {
        images = images == null ? List.of() : List.copyOf(images);
        responseFormat = responseFormat == null ? TEXT : responseFormat;
    }

    /** A plain request: no tools, text output, no images, no extra fields. */
    public LlmRequest(LlmQueueOperation operation, String model, Object body, String systemMessage, Double temperature,
                      Integer maxTokens) {
        this(operation, model, body, systemMessage, temperature, maxTokens, null, null, TEXT, null, null, List.of(), null,
             null);
    }
}
