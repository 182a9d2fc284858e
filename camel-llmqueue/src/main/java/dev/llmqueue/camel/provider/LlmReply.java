package dev.llmqueue.camel.provider;

/**
 * What the LLM answered, read out of a provider's JSON.
 *
 * @param body             the reply text (chat, generate), a {@code float[]} or a {@code List<float[]>} (embed)
 * @param promptTokens     null when the provider did not report it
 * @param completionTokens null when the provider did not report it
 * @param model            the model that answered, may be null
 * @param finishReason     may be null
 */
public record LlmReply(Object body, Integer promptTokens, Integer completionTokens, String model, String finishReason) {
}
