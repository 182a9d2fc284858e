package dev.llmqueue.camel;

/**
 * What a full stack does with one more request.
 */
public enum LlmQueueWhenFull {
    /** Refuse the new request with {@link LlmQueueRejectedException} (QUEUE_FULL). */
    rejectNew,
    /**
     * Accept the new request and fail the oldest waiting one (the bottom of the stack, the least useful under LIFO)
     * with {@link LlmQueueRejectedException} (QUEUE_FULL).
     */
    dropOldest
}
