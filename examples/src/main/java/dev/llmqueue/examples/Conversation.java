package dev.llmqueue.examples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The little bookkeeping a tool loop needs: the conversation List that goes to llmqueue as the body, the assistant's
 * turns appended from the header CamelLlmQueueAssistantMessage, and each tool's result as a message in the provider's
 * form. Static methods, so that YAML routes can call them with {@code method: beanType}.
 */
public final class Conversation {

    private Conversation() {
    }

    /** A new conversation: the system message and the user's question. */
    public static List<Map<String, Object>> start(String question) {
        List<Map<String, Object>> conversation = new ArrayList<>();
        conversation.add(message("system", "Answer briefly. Use the tools when they help."));
        conversation.add(message("user", question));
        return conversation;
    }

    /**
     * The tool's result as a message: OpenAI correlates it by {@code tool_call_id}, Ollama by {@code tool_name}.
     *
     * @param call     one entry of the header CamelLlmQueueToolCalls
     * @param result   what the tool route answered
     * @param provider {@code openai} or {@code ollama}
     */
    public static Map<String, Object> toolResult(Map<String, Object> call, String result, String provider) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("role", "tool");
        if ("openai".equals(provider)) {
            message.put("tool_call_id", call.get("id"));
        } else {
            message.put("tool_name", call.get("name"));
        }
        message.put("content", result);
        return message;
    }

    /** Appends the assistant's turn and the tools' results; returns the conversation for the next turn. */
    public static List<Map<String, Object>> append(List<Map<String, Object>> conversation,
                                                   Map<String, Object> assistantMessage,
                                                   List<Map<String, Object>> toolResults) {
        conversation.add(assistantMessage);
        conversation.addAll(toolResults);
        return conversation;
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("role", role);
        message.put("content", content);
        return message;
    }
}
