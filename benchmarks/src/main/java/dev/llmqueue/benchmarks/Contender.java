package dev.llmqueue.benchmarks;

/**
 * The three ways of sending the same LLM request that every comparison runs side by side.
 */
public enum Contender {

    /** A plain camel-http route to the simulator, no queue: the floor. */
    direct("direct", "from(direct).to(http) — no queue, the caller's thread makes the call"),
    /** Our component. */
    llmqueue("llmqueue", "from(direct).to(llmqueue:ollama) — HIGH/LOW LIFO stacks, maxConcurrentRequests slots"),
    /** What a Camel user builds today without us: seda with concurrentConsumers in front of the same HTTP call. */
    fifo("fifo", "from(direct).to(seda); from(seda?concurrentConsumers=N).to(http) — FIFO, no priority");

    private final String label;
    private final String description;

    Contender(String label, String description) {
        this.label = label;
        this.description = description;
    }

    public String label() {
        return label;
    }

    public String description() {
        return description;
    }
}
