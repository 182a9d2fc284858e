package dev.llmqueue.camel;

/** Who decides which waiting request gets the next slot. */
public enum LlmQueueCoordination {
    /** This instance alone, in memory: no Redis needed. */
    local,
    /** Every instance sharing a {@code queueName}, through Redis: one global limit and one global priority order. */
    redis
}
