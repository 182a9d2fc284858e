package dev.llmqueue.camel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetryPolicyTest {

    private static final long NOW = 1_700_000_000_000L; // Tue, 14 Nov 2023 22:13:20 GMT

    @Test
    void retryAfterMsWinsOverRetryAfter() {
        assertEquals(1500, RetryPolicy.retryAfterMillis("1500", "7", NOW));
        assertEquals(21, RetryPolicy.retryAfterMillis("20.2", null, NOW));
    }

    @Test
    void retryAfterInSeconds() {
        assertEquals(7000, RetryPolicy.retryAfterMillis(null, "7", NOW));
        assertEquals(1500, RetryPolicy.retryAfterMillis(null, "1.5", NOW));
    }

    @Test
    void retryAfterAsAnHttpDate() {
        assertEquals(10_000, RetryPolicy.retryAfterMillis(null, "Tue, 14 Nov 2023 22:13:30 GMT", NOW));
        assertEquals(0, RetryPolicy.retryAfterMillis(null, "Tue, 14 Nov 2023 22:00:00 GMT", NOW), "a past date: now");
    }

    @Test
    void unusableValuesMeanTheServerDidNotSay() {
        assertEquals(-1, RetryPolicy.retryAfterMillis(null, null, NOW));
        assertEquals(-1, RetryPolicy.retryAfterMillis("soon", "later", NOW));
        assertEquals(-1, RetryPolicy.retryAfterMillis(null, "-3", NOW));
    }

    @Test
    void theServersWishIsCappedByMaxRetryBackoff() {
        assertEquals(30_000, RetryPolicy.delayMillis(1, 500, 30_000, 120_000));
        assertEquals(2_000, RetryPolicy.delayMillis(1, 500, 30_000, 2_000));
    }

    @Test
    void backOffDoublesWithJitterOfAQuarterAndIsCapped() {
        for (int attempt = 1; attempt <= 4; attempt++) {
            long base = 500L << (attempt - 1);
            for (int i = 0; i < 200; i++) {
                long delay = RetryPolicy.delayMillis(attempt, 500, 30_000, -1);
                assertTrue(delay >= base * 3 / 4 && delay <= base * 5 / 4, attempt + ": " + delay);
            }
        }
        assertTrue(RetryPolicy.delayMillis(40, 500, 30_000, -1) <= 30_000);
    }
}
