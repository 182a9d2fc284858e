package dev.llmqueue.camel.provider;

/**
 * A 2xx answer that does not hold what the provider's API documents.
 */
public class LlmReplyFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    public LlmReplyFormatException(String message) {
        super(message);
    }

    public LlmReplyFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
