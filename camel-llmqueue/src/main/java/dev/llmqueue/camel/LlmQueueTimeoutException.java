package dev.llmqueue.camel;

import org.apache.camel.Exchange;
import org.apache.camel.ExchangeTimedOutException;

/**
 * A request's deadline ({@code maxQueueTime} or the header {@code CamelLlmQueueDeadline}) passed while it waited: it
 * was removed from the queue at that moment and its call was never made.
 */
public class LlmQueueTimeoutException extends ExchangeTimedOutException {

    private static final long serialVersionUID = 1L;

    public LlmQueueTimeoutException(Exchange exchange, long waitedMillis, String message) {
        super(exchange, waitedMillis, message);
    }
}
