package dev.llmqueue.camel.provider;

/**
 * The server reported an error in the middle of a streamed answer (Ollama {@code {"error":"..."}}, OpenAI
 * {@code data: {"error":{...}}}).
 */
public class LlmStreamErrorException extends Exception {

    private static final long serialVersionUID = 1L;

    public LlmStreamErrorException(String providerMessage) {
        super(providerMessage);
    }
}
