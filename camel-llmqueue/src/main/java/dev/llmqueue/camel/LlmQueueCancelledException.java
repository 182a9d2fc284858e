package dev.llmqueue.camel;

import org.apache.camel.CamelExchangeException;
import org.apache.camel.Exchange;

/**
 * A waiting request was cancelled (the management operation {@code cancel(requestId)}); its call was never made.
 */
public class LlmQueueCancelledException extends CamelExchangeException {

    private static final long serialVersionUID = 1L;

    public LlmQueueCancelledException(String message, Exchange exchange) {
        super(message, exchange);
    }
}
