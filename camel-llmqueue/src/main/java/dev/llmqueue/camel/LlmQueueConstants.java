package dev.llmqueue.camel;

import org.apache.camel.spi.Metadata;

/**
 * Message headers of the llmqueue component.
 */
public final class LlmQueueConstants {

    @Metadata(label = "producer", javaType = "String",
              description = "The priority of this request, HIGH or LOW (case-insensitive; the LlmQueuePriority enum is accepted too)."
                            + " Overrides the endpoint's priority option.")
    public static final String PRIORITY = "CamelLlmQueuePriority";
    @Metadata(label = "producer", javaType = "String",
              description = "The model to use for this request. Overrides the endpoint's model option.")
    public static final String MODEL = "CamelLlmQueueModel";
    @Metadata(label = "producer", javaType = "String",
              description = "The system message for a chat request with a String body. Overrides the endpoint's systemMessage option.")
    public static final String SYSTEM_MESSAGE = "CamelLlmQueueSystemMessage";

    @Metadata(label = "producer", javaType = "Long",
              description = "A deadline for this request, in epoch milliseconds or as a java.time.Instant (also ISO-8601"
                            + " text): if it is still waiting then, it fails with LlmQueueTimeoutException at that moment"
                            + " and no call is made. The earliest of this, CamelLlmQueueTimeout and maxQueueTime"
                            + " applies; a deadline already past fails the request at once.")
    public static final String DEADLINE = "CamelLlmQueueDeadline";
    @Metadata(label = "producer", javaType = "Long",
              description = "How long this request may wait for a slot, from now: milliseconds, or a java.time.Duration"
                            + " (also as text: 30s, PT30S). Like CamelLlmQueueDeadline, but relative; the earliest of the"
                            + " two and maxQueueTime applies.")
    public static final String TIMEOUT = "CamelLlmQueueTimeout";

    @Metadata(label = "producer", javaType = "Object",
              description = "The tools offered for this request, overriding the endpoint's tools option: a JSON array"
                            + " String, or a List of Maps, of function tools in OpenAI's form"
                            + " ({\"type\":\"function\",\"function\":{\"name\":...,\"description\":...,"
                            + "\"parameters\":{...}}}). Chat only.")
    public static final String TOOLS = "CamelLlmQueueTools";
    @Metadata(label = "producer", javaType = "Object",
              description = "The JSON Schema the reply must follow for this request, overriding the endpoint's"
                            + " jsonSchema option and implying responseFormat=jsonSchema: a JSON String (or resource:"
                            + " classpath:... / resource:file:...), a Map or a Jackson JsonNode.")
    public static final String JSON_SCHEMA = "CamelLlmQueueJsonSchema";
    @Metadata(label = "producer", javaType = "Object",
              description = "Images for this request, attached to the last user message: a List (or one item) of"
                            + " byte[], java.io.File, java.nio.file.Path, Camel WrappedFile or base64 String. PNG, JPEG,"
                            + " GIF and WebP are accepted, anything else fails the exchange before it is queued.")
    public static final String IMAGES = "CamelLlmQueueImages";
    @Metadata(label = "producer", javaType = "java.util.Map<String, Object>",
              description = "Extra request JSON fields for this request, merged over the endpoint's bodyProperties;"
                            + " dots in keys nest (options.num_ctx). A field the component sets itself (model,"
                            + " messages, prompt, input, stream, or one set from an option) fails the exchange.")
    public static final String BODY_PROPERTIES = "CamelLlmQueueBodyProperties";

    @Metadata(label = "producer", javaType = "String",
              description = "The unique id the queue gave this request.")
    public static final String REQUEST_ID = "CamelLlmQueueRequestId";
    @Metadata(label = "producer", javaType = "Long",
              description = "Milliseconds the request waited on its stack before its call started.")
    public static final String WAIT_TIME = "CamelLlmQueueWaitTime";
    @Metadata(label = "producer", javaType = "Long",
              description = "Milliseconds the HTTP call to the LLM took.")
    public static final String CALL_TIME = "CamelLlmQueueCallTime";
    @Metadata(label = "producer", javaType = "Integer",
              description = "How many calls were made for this request: 1, or more after retries; 0 if it never got a"
                            + " slot.")
    public static final String ATTEMPTS = "CamelLlmQueueAttempts";
    @Metadata(label = "producer", javaType = "Integer",
              description = "Prompt tokens, when the provider reports them (ollama prompt_eval_count, openai usage.prompt_tokens).")
    public static final String PROMPT_TOKENS = "CamelLlmQueuePromptTokens";
    @Metadata(label = "producer", javaType = "Integer",
              description = "Completion tokens, when the provider reports them (ollama eval_count, openai usage.completion_tokens).")
    public static final String COMPLETION_TOKENS = "CamelLlmQueueCompletionTokens";
    @Metadata(label = "producer", javaType = "String",
              description = "The model that answered, as the provider names it.")
    public static final String RESPONSE_MODEL = "CamelLlmQueueResponseModel";
    @Metadata(label = "producer", javaType = "String",
              description = "Why the model stopped: ollama done_reason, openai finish_reason (for example stop or length).")
    public static final String FINISH_REASON = "CamelLlmQueueFinishReason";
    @Metadata(label = "producer", javaType = "java.util.List<java.util.Map<String, Object>>",
              description = "The tools the model asks to call, one Map per call with id (Ollama sends none: a generated"
                            + " one), name, arguments (a Map, absent when the arguments are not a valid JSON object) and"
                            + " argumentsJson (the arguments as the JSON text the server sent). Removed when a chat"
                            + " reply calls no tool.")
    public static final String TOOL_CALLS = "CamelLlmQueueToolCalls";
    @Metadata(label = "producer", javaType = "java.util.Map<String, Object>",
              description = "The assistant's message of a chat reply in the provider's own form (role, content, and"
                            + " tool_calls as the server sent them), ready to append to the conversation List for the"
                            + " next turn.")
    public static final String ASSISTANT_MESSAGE = "CamelLlmQueueAssistantMessage";

    @Metadata(label = "producer", javaType = "Long",
              description = "Streaming: milliseconds from the start of the call to the first token, set when the route"
                            + " resumes. CamelLlmQueueCallTime and the token headers cannot be known then: they are on"
                            + " the LlmStream body (callTime(), promptTokens(), completionTokens()).")
    public static final String TIME_TO_FIRST_TOKEN = "CamelLlmQueueTimeToFirstToken";

    private LlmQueueConstants() {
    }
}
