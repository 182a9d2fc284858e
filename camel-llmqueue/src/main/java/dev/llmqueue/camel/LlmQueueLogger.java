package dev.llmqueue.camel;

import java.util.concurrent.TimeUnit;

import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One DEBUG line per step of a request; WARN for provider errors. Never a prompt, a reply or a key: {@link RequestInfo}
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
        if (failure instanceof LlmProviderException e) {
            LOG.warn("{} call failed: request {} attempt {} status {} url {}{}", e.getProvider(), request.requestId(),
                    attempt, e.getStatusCode(), e.getUrl(), e.isRetryable() ? " (may be retried)" : "");
        } else if (failure != null) {
            LOG.warn("LLM call failed: request {} attempt {} url {}: {}", request.requestId(), attempt, request.url(),
                    failure.getClass().getName());
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("called {} {} attempt={} call={}ms promptTokens={} completionTokens={}", request.requestId(),
                    request.priority(), attempt, TimeUnit.NANOSECONDS.toMillis(callNanos), promptTokens,
                    completionTokens);
        }
    }

    @Override
    public void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} {}{}", outcome.name().toLowerCase(java.util.Locale.ROOT), request.requestId(),
                    request.priority(), reason != null ? " reason=" + reason : "");
        }
    }
}
