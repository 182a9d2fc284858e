package dev.llmqueue.camel;

import org.apache.camel.CamelExchangeException;
import org.apache.camel.Exchange;

/**
 * The queue refused a request before any call to the LLM was made.
 */
public class LlmQueueRejectedException extends CamelExchangeException {

    private static final long serialVersionUID = 1L;

    /** Why a request was refused. */
    public enum Reason {
        /** The request's stack was at its limit ({@code maxHighQueueSize} / {@code maxLowQueueSize}). */
        QUEUE_FULL,
        /** A LOW request while {@code disableBackground} is on. */
        BACKGROUND_DISABLED,
        /** The component is stopping or stopped. */
        SHUTTING_DOWN,
        /**
         * With {@code coordination=redis} and {@code redisFailureMode=reject}: Redis cannot be reached, so no instance
         * can be asked for a slot.
         */
        COORDINATION_UNAVAILABLE
    }

    private final Reason reason;

    public LlmQueueRejectedException(Reason reason, String message, Exchange exchange) {
        super(message, exchange);
        this.reason = reason;
    }

    public Reason getReason() {
        return reason;
    }
}
