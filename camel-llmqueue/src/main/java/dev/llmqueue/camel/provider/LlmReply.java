package dev.llmqueue.camel.provider;

import java.util.List;
import java.util.Map;

/**
 * What the LLM answered, read out of a provider's JSON.
 *
 * @param body             the reply text (chat, generate; null for a chat reply that only calls tools), a
 *                         {@code float[]} or a {@code List<float[]>} (embed)
 * @param promptTokens     null when the provider did not report it
 * @param completionTokens null when the provider did not report it
 * @param model            the model that answered, may be null
 * @param finishReason     may be null
 * @param toolCalls        chat: one Map per tool call ({@code id}, {@code name}, {@code arguments} when they are a JSON
 *                         object, {@code argumentsJson}); null when the model called no tool
 * @param assistantMessage chat: the assistant's message in the provider's own form (role, content, tool_calls), ready
 *                         to append to the conversation; null for generate and embed
 */
public record LlmReply(Object body, Integer promptTokens, Integer completionTokens, String model, String finishReason,
                       List<Map<String, Object>> toolCalls, Map<String, Object> assistantMessage) {

    public LlmReply(Object body, Integer promptTokens, Integer completionTokens, String model, String finishReason) {
        this(body, promptTokens, completionTokens, model, finishReason, null, null);
    }
}
