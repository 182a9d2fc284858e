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

    private LlmQueueConstants() {
    }
}
