package dev.llmqueue.camel;

import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.llmqueue.camel.queue.LlmQueueScheduler;
import dev.llmqueue.camel.queue.LlmQueueScheduler.QueueRejection;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultAsyncProducer;

/**
 * Puts each exchange on the component's queue and returns at once; the exchange completes through its
 * {@link AsyncCallback} when the LLM has answered. With {@code asyncQueue=false} it waits for the outcome instead.
 */
public class LlmQueueProducer extends DefaultAsyncProducer {

    public LlmQueueProducer(LlmQueueEndpoint endpoint) {
        super(endpoint);
    }

    @Override
    public LlmQueueEndpoint getEndpoint() {
        return (LlmQueueEndpoint) super.getEndpoint();
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        LlmQueueEndpoint endpoint = getEndpoint();
        LlmQueueComponent component = endpoint.getComponent();
        boolean async = component.isAsyncQueue();
        LlmQueueRequest request;
        try {
            request = newRequest(exchange, async ? callback : null);
        } catch (Exception e) {
            exchange.setException(e);
            callback.done(true);
            return true;
        }
        LlmQueueScheduler scheduler = component.getScheduler();
        LlmQueueListener events = component.events();
        events.onQueued(request.info());
        try {
            scheduler.submit(request);
        } catch (QueueRejection rejection) {
            events.onEnded(request.info(), LlmQueueListener.Outcome.REJECTED, rejection.getReason());
            exchange.setException(new LlmQueueRejectedException(rejection.getReason(), rejection.getMessage(), exchange));
            callback.done(true);
            return true;
        }
        if (async) {
            return false;
        }
        request.awaitCompletion();
        callback.done(true);
        return true;
    }

    private LlmQueueRequest newRequest(Exchange exchange, AsyncCallback callback) {
        LlmQueueEndpoint endpoint = getEndpoint();
        Object priorityHeader = exchange.getMessage().getHeader(LlmQueueConstants.PRIORITY);
        LlmQueuePriority priority = priorityHeader != null ? LlmQueuePriority.parse(priorityHeader) : endpoint.getPriority();
        String model = exchange.getMessage().getHeader(LlmQueueConstants.MODEL, endpoint.getModel(), String.class);
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("No model given: set the endpoint option 'model' (for example llmqueue:"
                                               + endpoint.getProvider() + "?model=llama3.2) or the header "
                                               + LlmQueueConstants.MODEL);
        }
        byte[] payload = endpoint.requestBody(exchange, model);
        boolean embedBatch = exchange.getMessage().getBody() instanceof List;
        long deadline = deadlineNanos(exchange);
        // the id is set only on a request that is about to be queued
        String id = endpoint.getCamelContext().getUuidGenerator().generateUuid();
        exchange.getMessage().setHeader(LlmQueueConstants.REQUEST_ID, id);
        return new LlmQueueRequest(id, priority, endpoint, exchange, model, payload, embedBatch, deadline, callback);
    }

    /**
     * The earliest of maxQueueTime and the headers CamelLlmQueueTimeout and CamelLlmQueueDeadline, as a
     * System.nanoTime() value; 0 for none. Works on durations, saturated, so no value of a header can overflow: a
     * deadline beyond a century counts as none, one in the past (however far) fails the request at once.
     */
    private long deadlineNanos(Exchange exchange) {
        long remaining = Long.MAX_VALUE;
        long maxQueueTime = getEndpoint().getMaxQueueTime();
        if (maxQueueTime > 0) {
            remaining = maxQueueTime;
        }
        Object timeout = exchange.getMessage().getHeader(LlmQueueConstants.TIMEOUT);
        if (timeout != null) {
            remaining = Math.min(remaining, LlmQueueHeaders.timeoutMillis(exchange, timeout));
        }
        Object deadline = exchange.getMessage().getHeader(LlmQueueConstants.DEADLINE);
        if (deadline != null) {
            long epochMillis = LlmQueueHeaders.deadlineEpochMillis(exchange, deadline);
            remaining = Math.min(remaining, LlmQueueHeaders.saturatedSubtract(epochMillis, System.currentTimeMillis()));
        }
        if (remaining == Long.MAX_VALUE) {
            return 0;
        }
        long nanos = TimeUnit.MILLISECONDS.toNanos(Math.max(remaining, -1));
        if (nanos > LlmQueueScheduler.MAX_DEADLINE_NANOS) {
            return 0;
        }
        // never 0, which means "no deadline"
        return System.nanoTime() + nanos | 1;
    }
}
