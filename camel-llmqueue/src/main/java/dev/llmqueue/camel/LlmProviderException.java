package dev.llmqueue.camel;

import org.apache.camel.CamelExchangeException;
import org.apache.camel.Exchange;

/**
 * A call to the LLM server failed: a non-2xx answer, no answer at all (connection refused, timeout, dropped
 * connection), or an answer that could not be read.
 */
public class LlmProviderException extends CamelExchangeException {

    private static final long serialVersionUID = 1L;

    /** The status code when the call produced no HTTP response. */
    public static final int NO_RESPONSE = -1;

    private final int statusCode;
    private final String provider;
    private final String url;
    private final String providerMessage;
    private final boolean retryable;
    private final long retryAfterMillis;
    /** Whether the server could not be reached or did not answer in time: overload for adaptive concurrency. */
    private boolean unanswered;

    public LlmProviderException(String message, Exchange exchange, int statusCode, String provider, String url,
                                String providerMessage, boolean retryable, long retryAfterMillis, Throwable cause) {
        super(message, exchange, cause);
        this.statusCode = statusCode;
        this.provider = provider;
        this.url = url;
        this.providerMessage = providerMessage;
        this.retryable = retryable;
        this.retryAfterMillis = retryAfterMillis;
    }

    /** The HTTP status code, or {@link #NO_RESPONSE} when the server gave no HTTP response. */
    public int getStatusCode() {
        return statusCode;
    }

    /** {@code ollama} or {@code openai}. */
    public String getProvider() {
        return provider;
    }

    /** The URL that was called (never carries credentials). */
    public String getUrl() {
        return url;
    }

    /** The provider's own error text, when it sent one. */
    public String getProviderMessage() {
        return providerMessage;
    }

    /**
     * Whether the server said "slow down" or could not be reached (no response, timeout, 429 rate limit, 502, 503,
     * 504), so the same request may succeed later; false for "give up" answers (400, 401, 403, 404, 422, 429
     * insufficient_quota, 500, an unreadable reply).
     */
    public boolean isRetryable() {
        return retryable;
    }

    /** How long the server asked to wait ({@code retry-after-ms} or {@code Retry-After}), or -1 when it did not say. */
    public long getRetryAfterMillis() {
        return retryAfterMillis;
    }

    /**
     * Whether the call failed to connect or timed out (connectTimeout, requestTimeout): the scheduler counts it as
     * overload of that server, as it does 429 and 503, so that a server that does not answer cannot hold every slot.
     */
    public boolean isUnanswered() {
        return unanswered;
    }

    LlmProviderException unanswered(boolean unanswered) {
        this.unanswered = unanswered;
        return this;
    }
}
