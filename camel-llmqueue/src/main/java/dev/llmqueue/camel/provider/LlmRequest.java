package dev.llmqueue.camel.provider;

import dev.llmqueue.camel.LlmQueueOperation;

/**
 * What one request asks of the LLM, before it is put in a provider's JSON.
 *
 * @param body          a String, a List of message Maps (chat) or a List of Strings (embed)
 * @param systemMessage may be null
 * @param temperature   may be null
 * @param maxTokens     may be null
 */
public record LlmRequest(LlmQueueOperation operation, String model, Object body, String systemMessage, Double temperature,
                         Integer maxTokens) {
}
