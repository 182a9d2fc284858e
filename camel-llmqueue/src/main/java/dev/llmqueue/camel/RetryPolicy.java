package dev.llmqueue.camel;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When to try a failed call again: exponential back-off with jitter, or what the server asked for.
 */
final class RetryPolicy {

    private RetryPolicy() {
    }

    /**
     * The wait before attempt {@code attempt + 1}: the server's {@code retryAfterMillis} when it gave one, else
     * {@code backoff × 2^(attempt-1)} ±25 %, both capped by {@code maxBackoff}.
     */
    static long delayMillis(int attempt, long backoff, long maxBackoff, long retryAfterMillis) {
        if (retryAfterMillis >= 0) {
            return Math.min(retryAfterMillis, maxBackoff);
        }
        long base = backoff << Math.min(attempt - 1, 30);
        if (base <= 0 || base > maxBackoff) {
            base = maxBackoff;
        }
        double jitter = 0.75 + ThreadLocalRandom.current().nextDouble() * 0.5;
        return Math.min((long) (base * jitter), maxBackoff);
    }

    /**
     * Reads {@code retry-after-ms} (OpenAI: milliseconds) or {@code Retry-After} (seconds, or an HTTP date).
     *
     * @return milliseconds to wait, or -1 when neither header holds a usable value
     */
    static long retryAfterMillis(String retryAfterMs, String retryAfter, long nowMillis) {
        if (retryAfterMs != null) {
            try {
                double ms = Double.parseDouble(retryAfterMs.trim());
                if (ms >= 0) {
                    return (long) Math.ceil(ms);
                }
            } catch (NumberFormatException e) {
                // fall back to Retry-After
            }
        }
        if (retryAfter == null || retryAfter.isBlank()) {
            return -1;
        }
        String value = retryAfter.trim();
        try {
            double seconds = Double.parseDouble(value);
            return seconds < 0 ? -1 : (long) Math.ceil(seconds * 1000);
        } catch (NumberFormatException e) {
            // an HTTP date
        }
        try {
            long at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
            return Math.max(0, at - nowMillis);
        } catch (DateTimeParseException e) {
            return -1;
        }
    }
}
