package dev.llmqueue.camel;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.llmqueue.camel.LlmQueueListener.Outcome;
import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import dev.llmqueue.camel.provider.LlmReply;
import dev.llmqueue.camel.queue.QueuedTask;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One exchange waiting for, or making, its LLM call. The scheduler ends it exactly once (complete, reject, expire,
 * cancel or skip); a second ending would be a bug and throws rather than release the exchange twice.
 */
final class LlmQueueRequest extends QueuedTask {

    private static final Logger LOG = LoggerFactory.getLogger(LlmQueueRequest.class);

    private final String id;
    private final LlmQueuePriority priority;
    private final LlmQueueEndpoint endpoint;
    private final Exchange exchange;
    private final byte[] payload;
    private final boolean embedBatch;
    private final long deadlineNanos;
    /** null in synchronous mode, where the caller waits on {@link #done} instead. */
    private final AsyncCallback callback;
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicBoolean finished = new AtomicBoolean();
    /** Whether the exchange was handed back: at its ending, or at a stream's first token. */
    private final AtomicBoolean resumed = new AtomicBoolean();
    private final long queuedNanos = System.nanoTime();
    private final LlmQueueListener.RequestInfo info;
    private final LlmQueueListener events;

    // written by execute() on call threads; each attempt is published to the next by the scheduler's lock, and the
    // last to complete() by the completion hand-off
    private int attempts;
    /** When the current call started, 0 outside a call: read by operators' views on other threads. */
    private volatile long callStartedNanos;
    private long firstStartNanos;
    private long lastEndNanos;
    private long callNanos;
    private LlmReply reply;
    private Exception failure;
    /** The streamed answer of the current attempt; null unless the endpoint streams. Read by operators' views. */
    private volatile LlmStream stream;
    /** Call thread only (execute, then complete on the same thread). */
    private boolean resumedAtFirstToken;

    LlmQueueRequest(String id, LlmQueuePriority priority, LlmQueueEndpoint endpoint, Exchange exchange, String model,
                    byte[] payload, boolean embedBatch, long deadlineNanos, AsyncCallback callback) {
        this.id = id;
        this.priority = priority;
        this.endpoint = endpoint;
        this.exchange = exchange;
        this.payload = payload;
        this.embedBatch = embedBatch;
        this.deadlineNanos = deadlineNanos;
        this.callback = callback;
        this.info = new LlmQueueListener.RequestInfo(id, priority, endpoint.getProvider(), model, endpoint.getUrl(),
                endpoint.getServerUrl());
        this.events = endpoint.getComponent().events();
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public LlmQueuePriority priority() {
        return priority;
    }

    @Override
    public Object target() {
        return endpoint.getServerUrl();
    }

    @Override
    public long deadlineNanos() {
        return deadlineNanos;
    }

    @Override
    public boolean isAbandoned() {
        return exchange.isRouteStop() || exchange.isRollbackOnly() || exchange.isRollbackOnlyLast()
               || exchange.getException() != null || exchange.getExchangeExtension().isInterrupted();
    }

    @Override
    public Signal execute() {
        long started = System.nanoTime();
        if (attempts++ == 0) {
            firstStartNanos = started;
        }
        callStartedNanos = started;
        events.onCallStarted(info, attempts, started - (attempts == 1 ? queuedNanos : lastEndNanos));
        if (LOG.isTraceEnabled()) {
            LOG.trace("request {} sends {}", id, new String(payload, StandardCharsets.UTF_8));
        }
        reply = null;
        failure = null;
        try {
            if (endpoint.isStreaming()) {
                stream = new LlmStream(endpoint.getMaxResponseSize());
                reply = endpoint.callStreaming(this, stream);
                if (reply != null) {
                    stream.end(reply.finishReason(), reply.promptTokens(), reply.completionTokens(), reply.model(),
                            reply.toolCalls(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                }
                // null: the route closed the stream early, which is no failure
                return Signal.SUCCESS;
            }
            reply = endpoint.call(this);
            if (LOG.isTraceEnabled()) {
                LOG.trace("request {} got {}", id, reply.body());
            }
            return Signal.SUCCESS;
        } catch (LlmProviderException e) {
            failure = e;
            int status = e.getStatusCode();
            return e.isRetryable() && (status == 429 || status == 503) ? Signal.OVERLOADED : Signal.FAILED;
        } catch (Exception e) {
            failure = e;
            return Signal.FAILED;
        } catch (Throwable t) {
            failure = new LlmProviderException("LLM call failed: " + t, exchange, LlmProviderException.NO_RESPONSE,
                    endpoint.getProvider(), endpoint.getUrl(), null, false, -1, t);
            return Signal.FAILED;
        } finally {
            if (resumedAtFirstToken && failure != null) {
                // the route already reads the stream: it sees the failure where the stream broke
                stream.fail(failure, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            }
            callStartedNanos = 0;
            lastEndNanos = System.nanoTime();
            callNanos = lastEndNanos - started;
            events.onCallEnded(info, attempts, callNanos, failure, reply != null ? reply.promptTokens() : null,
                    reply != null ? reply.completionTokens() : null);
        }
    }

    /**
     * A streamed answer's text delta has arrived, on the call thread: at the first one the exchange resumes with the
     * stream as its body, on the completion pool, while this thread goes on reading. Tokens were then delivered, so
     * the request is never retried.
     */
    void tokenArrived() {
        if (resumedAtFirstToken) {
            return;
        }
        resumedAtFirstToken = true;
        long ttft = System.nanoTime() - callStartedNanos;
        events.onFirstToken(info, ttft);
        if (resumed.compareAndSet(false, true)) {
            Runnable resume = resumption(() -> {
                Message message = exchange.getMessage();
                message.setHeader(LlmQueueConstants.WAIT_TIME, TimeUnit.NANOSECONDS.toMillis(firstStartNanos - queuedNanos));
                message.setHeader(LlmQueueConstants.ATTEMPTS, attempts);
                message.setHeader(LlmQueueConstants.TIME_TO_FIRST_TOKEN, TimeUnit.NANOSECONDS.toMillis(ttft));
                message.removeHeader(LlmQueueConstants.TOOL_CALLS);
                message.setBody(stream);
            });
            if (callback == null) {
                // synchronous mode: the caller's thread is waiting and reads the stream itself
                resume.run();
                return;
            }
            // never inline: this thread must go on filling the stream the route reads. On the call pool, which grows
            // with the calls in flight, so the first token reaches the route even while slow routes keep every
            // completion thread busy
            LlmQueueComponent component = endpoint.getComponent();
            for (Executor executor : new Executor[] { component.getCallExecutor(), component.getCompletionExecutor() }) {
                if (executor != null) {
                    try {
                        executor.execute(resume);
                        return;
                    } catch (Throwable e) {
                        // going down with the context: try the next
                    }
                }
            }
            Thread last = new Thread(resume, "LlmQueueFirstToken-" + id);
            last.setDaemon(true);
            last.start();
        }
    }

    /** Deltas received so far by a streaming call in flight, or -1. */
    int tokensReceived() {
        LlmStream current = stream;
        return current == null ? -1 : current.received();
    }

    @Override
    public long retryDelayNanos() {
        if (resumedAtFirstToken) {
            return -1;
        }
        if (!(failure instanceof LlmProviderException e) || !e.isRetryable() || attempts > endpoint.getMaxRetries()) {
            return -1;
        }
        return TimeUnit.MILLISECONDS.toNanos(RetryPolicy.delayMillis(attempts, endpoint.getRetryBackoff(),
                endpoint.getMaxRetryBackoff(), e.getRetryAfterMillis()));
    }

    @Override
    public void retryScheduled(long delayNanos) {
        events.onRetry(info, attempts, delayNanos, failure);
    }

    @Override
    public void complete() {
        // called on the call thread, after the slot was given back and the next request dispatched: the route may
        // resume right here, saving a thread hand-off
        deliver(failure == null ? Outcome.COMPLETED : Outcome.FAILED, null, this::applyOutcome, true);
    }

    @Override
    public void reject(Reason reason, String message) {
        deliver(Outcome.REJECTED, reason, () -> fail(new LlmQueueRejectedException(reason, message, exchange)), false);
    }

    @Override
    public void expire() {
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - queuedNanos);
        deliver(Outcome.EXPIRED, null, () -> fail(new LlmQueueTimeoutException(exchange, waited,
                "the request's deadline passed after " + waited + " ms waiting (maxQueueTime or header "
                                                                  + LlmQueueConstants.DEADLINE + "); no call was made"
                                                                  + (attempts > 0 ? " after attempt " + attempts : ""))),
                false);
    }

    @Override
    public void cancel() {
        deliver(Outcome.CANCELLED, null, () -> fail(new LlmQueueCancelledException("llmqueue request " + id + " was cancelled while waiting",
                exchange)), false);
    }

    @Override
    public void skip() {
        // the caller already gave up: the exchange keeps the state it was given up in
        deliver(Outcome.SKIPPED, null, () -> exchange.getMessage().setHeader(LlmQueueConstants.ATTEMPTS, attempts),
                false);
    }

    private void fail(Exception e) {
        exchange.getMessage().setHeader(LlmQueueConstants.ATTEMPTS, attempts);
        exchange.setException(e);
    }

    private void applyOutcome() {
        Message message = exchange.getMessage();
        message.setHeader(LlmQueueConstants.WAIT_TIME, TimeUnit.NANOSECONDS.toMillis(firstStartNanos - queuedNanos));
        message.setHeader(LlmQueueConstants.CALL_TIME, TimeUnit.NANOSECONDS.toMillis(callNanos));
        message.setHeader(LlmQueueConstants.ATTEMPTS, attempts);
        if (failure != null) {
            exchange.setException(failure);
            return;
        }
        // a streamed answer that carried no text (a tool call) resumes only now, its stream already at its end
        message.setBody(stream != null ? stream : reply.body());
        setIfPresent(message, LlmQueueConstants.PROMPT_TOKENS, reply.promptTokens());
        setIfPresent(message, LlmQueueConstants.COMPLETION_TOKENS, reply.completionTokens());
        setIfPresent(message, LlmQueueConstants.RESPONSE_MODEL, reply.model());
        setIfPresent(message, LlmQueueConstants.FINISH_REASON, reply.finishReason());
        if (reply.assistantMessage() != null) {
            // a chat reply: a tool call header left by an earlier turn must not outlive this answer
            message.setHeader(LlmQueueConstants.ASSISTANT_MESSAGE, reply.assistantMessage());
            if (reply.toolCalls() != null) {
                message.setHeader(LlmQueueConstants.TOOL_CALLS, reply.toolCalls());
            } else {
                message.removeHeader(LlmQueueConstants.TOOL_CALLS);
            }
        }
    }

    private static void setIfPresent(Message message, String header, Object value) {
        if (value != null) {
            message.setHeader(header, value);
        }
    }

    /**
     * @param onCallThread whether this runs on the call thread that made the last call, after its slot was given back:
     *                     the route then resumes inline while the component's cap of inline completions allows it;
     *                     every other ending (the timer's, a drain, a rejection) resumes on the completion pool
     */
    private void deliver(Outcome kind, Reason reason, Runnable outcome, boolean onCallThread) {
        if (!finished.compareAndSet(false, true)) {
            throw new IllegalStateException("llmqueue request " + id + " completed twice");
        }
        try {
            // counted before the route resumes, so that what the route reads of the statistics includes it
            events.onEnded(info, kind, reason);
        } finally {
            // whatever a listener did, the exchange resumes, unless a stream resumed it at its first token
            if (resumed.compareAndSet(false, true)) {
                resume(outcome, onCallThread);
            }
        }
    }

    /** Applies the outcome to the exchange, then hands it back: the caller's wait ends or the callback runs. */
    private Runnable resumption(Runnable outcome) {
        return () -> {
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
    }

    private void resume(Runnable outcome, boolean onCallThread) {
        Runnable resume = resumption(outcome);
        if (callback == null) {
            // synchronous mode: the caller's thread is waiting and carries the route on
            resume.run();
            return;
        }
        LlmQueueComponent component = endpoint.getComponent();
        if (onCallThread && component.tryInlineCompletion()) {
            try {
                resume.run();
            } finally {
                component.inlineCompletionDone();
            }
            return;
        }
        Executor completions = component.getCompletionExecutor();
        if (completions == null) {
            resume.run();
            return;
        }
        try {
            completions.execute(resume);
        } catch (Throwable e) {
            // the pool went down with the context, or cannot start a thread: completing inline is better than
            // losing the exchange
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

    Exchange exchange() {
        return exchange;
    }

    LlmQueueListener.RequestInfo info() {
        return info;
    }

    LlmQueueEndpoint endpoint() {
        return endpoint;
    }

    long queuedNanos() {
        return queuedNanos;
    }

    long callStartedNanos() {
        return callStartedNanos;
    }

    int attempts() {
        return attempts;
    }

    byte[] payload() {
        return payload;
    }

    boolean embedBatch() {
        return embedBatch;
    }
}
