package dev.llmqueue.camel;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import dev.llmqueue.camel.provider.LlmReply;
import dev.llmqueue.camel.queue.QueuedTask;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * One exchange waiting for, or making, its LLM call. The scheduler calls exactly one of {@link #complete()} and
 * {@link #reject}, once; a second completion would be a bug and throws rather than release the exchange twice.
 */
final class LlmQueueRequest implements QueuedTask {

    private final String id;
    private final LlmQueuePriority priority;
    private final LlmQueueEndpoint endpoint;
    private final Exchange exchange;
    private final byte[] payload;
    private final boolean embedBatch;
    /** null in synchronous mode, where the caller waits on {@link #done} instead. */
    private final AsyncCallback callback;
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicBoolean finished = new AtomicBoolean();
    private final long queuedNanos = System.nanoTime();

    // written by execute() and read by complete() on the same call thread, then published by the completion hand-off
    private long startedNanos;
    private long callNanos;
    private LlmReply reply;
    private Exception failure;

    LlmQueueRequest(String id, LlmQueuePriority priority, LlmQueueEndpoint endpoint, Exchange exchange, byte[] payload,
                    boolean embedBatch, AsyncCallback callback) {
        this.id = id;
        this.priority = priority;
        this.endpoint = endpoint;
        this.exchange = exchange;
        this.payload = payload;
        this.embedBatch = embedBatch;
        this.callback = callback;
    }

    @Override
    public LlmQueuePriority priority() {
        return priority;
    }

    @Override
    public void execute() {
        startedNanos = System.nanoTime();
        try {
            reply = endpoint.call(this);
        } catch (Exception e) {
            failure = e;
        } catch (Throwable t) {
            failure = new LlmProviderException("LLM call failed: " + t, exchange, LlmProviderException.NO_RESPONSE,
                    endpoint.getProvider(), endpoint.getUrl(), null, t);
        } finally {
            callNanos = System.nanoTime() - startedNanos;
        }
    }

    @Override
    public void complete() {
        deliver(this::applyOutcome);
    }

    @Override
    public void reject(Reason reason, String message) {
        deliver(() -> exchange.setException(new LlmQueueRejectedException(reason, message, exchange)));
    }

    private void applyOutcome() {
        Message message = exchange.getMessage();
        message.setHeader(LlmQueueConstants.WAIT_TIME, TimeUnit.NANOSECONDS.toMillis(startedNanos - queuedNanos));
        message.setHeader(LlmQueueConstants.CALL_TIME, TimeUnit.NANOSECONDS.toMillis(callNanos));
        if (failure != null) {
            exchange.setException(failure);
            return;
        }
        message.setBody(reply.body());
        setIfPresent(message, LlmQueueConstants.PROMPT_TOKENS, reply.promptTokens());
        setIfPresent(message, LlmQueueConstants.COMPLETION_TOKENS, reply.completionTokens());
        setIfPresent(message, LlmQueueConstants.RESPONSE_MODEL, reply.model());
        setIfPresent(message, LlmQueueConstants.FINISH_REASON, reply.finishReason());
    }

    private static void setIfPresent(Message message, String header, Object value) {
        if (value != null) {
            message.setHeader(header, value);
        }
    }

    private void deliver(Runnable outcome) {
        if (!finished.compareAndSet(false, true)) {
            throw new IllegalStateException("llmqueue request " + id + " completed twice");
        }
        Runnable resume = () -> {
            try {
                outcome.run();
            } catch (Throwable t) {
                exchange.setException(t);
            } finally {
                done.countDown();
                if (callback != null) {
                    callback.done(false);
                }
            }
        };
        if (callback == null) {
            // synchronous mode: the caller's thread is waiting and carries the route on
            resume.run();
            return;
        }
        Executor completions = endpoint.getComponent().getCompletionExecutor();
        if (completions == null) {
            resume.run();
            return;
        }
        try {
            completions.execute(resume);
        } catch (RejectedExecutionException e) {
            // the pool went down with the context; completing inline is better than losing the exchange
            resume.run();
        }
    }

    /** Synchronous mode: blocks until the request completed. */
    void awaitCompletion() {
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    String id() {
        return id;
    }

    Exchange exchange() {
        return exchange;
    }

    byte[] payload() {
        return payload;
    }

    boolean embedBatch() {
        return embedBatch;
    }
}
