package dev.llmqueue.camel;

import java.util.concurrent.TimeUnit;

import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One DEBUG line per step of a request; WARN for a failed call that will be retried (the failure that ends a request
 * is the exchange's exception, reported once by the route's error handler). Never a prompt, a reply or a key: {@link RequestInfo}
 * carries none.
 */
final class LlmQueueLogger implements LlmQueueListener {

    private static final Logger LOG = LoggerFactory.getLogger(LlmQueueComponent.class);

    @Override
    public void onQueued(RequestInfo request) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("queued {} {} model={} url={}", request.requestId(), request.priority(), request.model(),
                    request.url());
        }
    }

    @Override
    public void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("dispatched {} {} attempt={} waited={}ms", request.requestId(), request.priority(), attempt,
                    TimeUnit.NANOSECONDS.toMillis(waitNanos));
        }
    }

    @Override
    public void onCallEnded(RequestInfo request, int attempt, long callNanos, Exception failure, Integer promptTokens,
                            Integer completionTokens) {
        if (failure != null) {
            // the failure that ends a request is the exchange's exception, which the route's error handler reports;
            // one that will be retried is logged by onRetry
            if (LOG.isDebugEnabled()) {
                LOG.debug("call failed: request {} attempt {} url {}: {}", request.requestId(), attempt, request.url(),
                        describe(failure));
            }
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("called {} {} attempt={} call={}ms promptTokens={} completionTokens={}", request.requestId(),
                    request.priority(), attempt, TimeUnit.NANOSECONDS.toMillis(callNanos), promptTokens,
                    completionTokens);
        }
    }

    @Override
    public void onPreempted(RequestInfo request, int attempt, long callNanos) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("preempted {} {} attempt={} after {}ms: its slot goes to a waiting HIGH request, it waits on top"
                      + " of its stack", request.requestId(), request.priority(), attempt,
                    TimeUnit.NANOSECONDS.toMillis(callNanos));
        }
    }

    @Override
    public void onRetry(RequestInfo request, int attempt, long delayNanos, Exception failure) {
        LOG.warn("LLM call failed, retrying in {} ms: request {} {} attempt {} url {}: {}",
                TimeUnit.NANOSECONDS.toMillis(delayNanos), request.requestId(), request.priority(), attempt,
                request.url(), describe(failure));
    }

    /** The status and the provider's message; the message never holds a key (the exceptions are built that way). */
    private static String describe(Exception failure) {
        if (failure instanceof LlmProviderException e) {
            return "status " + e.getStatusCode() + ": " + e.getMessage();
        }
        return String.valueOf(failure);
    }

    @Override
    public void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} {}{}", outcome.name().toLowerCase(java.util.Locale.ROOT), request.requestId(),
                    request.priority(), reason != null ? " reason=" + reason : "");
        }
    }
}
