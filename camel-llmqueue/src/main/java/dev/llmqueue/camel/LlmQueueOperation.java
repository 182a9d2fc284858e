package dev.llmqueue.camel;

/**
 * What the LLM is asked to do.
 */
public enum LlmQueueOperation {
    /** A conversation: Ollama {@code /api/chat}, OpenAI {@code /chat/completions}. */
    chat,
    /** A single prompt completion: Ollama {@code /api/generate}, OpenAI {@code /completions}. */
    generate,
    /** Embeddings of one or more texts: Ollama {@code /api/embed}, OpenAI {@code /embeddings}. */
    embed
}
