package dev.llmqueue.camel;

/** What {@code coordination=redis} does while Redis cannot be reached. */
public enum LlmQueueRedisFailureMode {
    /**
     * New requests fail with {@link LlmQueueRejectedException} ({@code COORDINATION_UNAVAILABLE}); waiting ones wait for
     * Redis or their deadline; calls in flight finish.
     */
    reject,
    /**
     * Each instance queues alone with its own {@code maxConcurrentRequests} until Redis is back: the calls in flight
     * across instances may then add up to that limit times the number of instances.
     */
    local
}
