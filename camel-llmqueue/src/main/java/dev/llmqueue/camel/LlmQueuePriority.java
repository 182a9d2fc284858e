package dev.llmqueue.camel;

import java.util.Locale;

/**
 * The two stacks of the queue. HIGH is always served before LOW.
 */
public enum LlmQueuePriority {
    HIGH,
    LOW;

    /**
     * Reads a priority given as this enum or as its name in any case.
     *
     * @throws IllegalArgumentException naming the bad value and the allowed ones
     */
    public static LlmQueuePriority parse(Object value) {
        if (value instanceof LlmQueuePriority priority) {
            return priority;
        }
        if (value instanceof CharSequence text) {
            String name = text.toString().trim().toUpperCase(Locale.ROOT);
            for (LlmQueuePriority priority : values()) {
                if (priority.name().equals(name)) {
                    return priority;
                }
            }
        }
        throw new IllegalArgumentException(
                "Invalid llmqueue priority '" + value + "': allowed values are HIGH and LOW (case-insensitive)");
    }
}
