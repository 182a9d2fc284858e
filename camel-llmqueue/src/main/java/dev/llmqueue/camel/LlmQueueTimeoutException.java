package dev.llmqueue.camel;

import org.apache.camel.Exchange;
import org.apache.camel.ExchangeTimedOutException;

/**
 * A request's deadline ({@code maxQueueTime} or the header {@code CamelLlmQueueDeadline}) passed while it waited: it
 * was removed from the queue at that moment and its call was never made.
 */
public class LlmQueueTimeoutException extends ExchangeTimedOutException {

    private static final long serialVersionUID = 1L;
    private final String reason;

    public LlmQueueTimeoutException(Exchange exchange, long waitedMillis, String message) {
        super(exchange, waitedMillis, message);
        this.reason = message;
    }

    /** Our own sentence, not the superclass's "The OUT message was not received within..." of Camel 2 days. */
    @Override
    public String getMessage() {
        return createExceptionMessage(reason, getExchange(), null);
    }
}
