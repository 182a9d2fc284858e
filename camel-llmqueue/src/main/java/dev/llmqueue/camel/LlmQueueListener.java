package dev.llmqueue.camel;

import dev.llmqueue.camel.LlmQueueRejectedException.Reason;

/**
 * Follows requests through the queue: for statistics, metrics, health and logging. Called on the thread where the
 * step happens (the caller's, a call thread, the timer's); must be quick and should not throw: a listener that throws
 * (even an {@link Error}) is logged once and ignored, and never keeps an exchange from completing.
 */
public interface LlmQueueListener {

    /** How a request ended. */
    enum Outcome {
        /** The reply was delivered. */
        COMPLETED,
        /** The last call failed: {@link LlmProviderException} or another error. */
        FAILED,
        /** Refused before any call, or drained while waiting: {@link LlmQueueRejectedException}. */
        REJECTED,
        /** Its deadline passed while it waited: {@link LlmQueueTimeoutException}. */
        EXPIRED,
        /** Cancelled by an operator: {@link LlmQueueCancelledException}. */
        CANCELLED,
        /** Its caller gave up before its turn: no call made, exchange left as it was. */
        SKIPPED
    }

    /**
     * What a listener may know of a request: never its prompt, never a key.
     *
     * @param url       the URL called
     * @param serverUrl the server's base URL, the unit of adaptive concurrency and of reachability
     */
    record RequestInfo(String requestId, LlmQueuePriority priority, String provider, String model, String url,
                       String serverUrl) {
    }

    /** The request was accepted onto its stack (it may be refused right after: see {@link #onEnded}). */
    default void onQueued(RequestInfo request) {
    }

    /** A call starts; {@code waitNanos} is the time since the request was queued, or since its last attempt ended. */
    default void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
    }

    /**
     * A call ended; {@code failure} is null on success. Token counts are null when the provider did not report them.
     */
    default void onCallEnded(RequestInfo request, int attempt, long callNanos, Exception failure, Integer promptTokens,
                             Integer completionTokens) {
    }

    /** A streamed answer's first token arrived, {@code ttftNanos} after its call started; the route resumes now. */
    default void onFirstToken(RequestInfo request, long ttftNanos) {
    }

    /**
     * A call failed and will be tried again after {@code delayNanos}; the request holds no slot meanwhile. Not called
     * for the last attempt: a request that fails for good ends with {@link #onEnded} ({@link Outcome#FAILED}).
     */
    default void onRetry(RequestInfo request, int attempt, long delayNanos, Exception failure) {
    }

    /**
     * A LOW call was preempted: its slot went to a waiting HIGH request, its HTTP request was cancelled after
     * {@code callNanos}, and the request is back on top of its stack with its deadline. Not a failure and not an
     * attempt: {@code attempt} is the attempt the call would have been, and the next call is that attempt again.
     * {@link #onCallEnded} reported the aborted call just before.
     */
    default void onPreempted(RequestInfo request, int attempt, long callNanos) {
    }

    /** The request ended; {@code reason} is set for {@link Outcome#REJECTED}. Called exactly once per request. */
    default void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
    }
}
