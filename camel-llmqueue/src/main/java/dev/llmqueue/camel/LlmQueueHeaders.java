package dev.llmqueue.camel;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.TemporalAccessor;
import java.util.Date;

import org.apache.camel.Exchange;
import org.apache.camel.util.TimeUtils;

/**
 * Reads the deadline headers, whatever form a route gives them in, and saturates instead of overflowing.
 */
final class LlmQueueHeaders {

    private LlmQueueHeaders() {
    }

    /**
     * {@link LlmQueueConstants#TIMEOUT}: milliseconds as a number or text, or a {@link Duration} (also as text: 5s,
     * 1m30s, PT5S). Must be positive.
     */
    static long timeoutMillis(Exchange exchange, Object header) {
        long millis;
        try {
            if (header instanceof Duration duration) {
                millis = saturatedMillis(duration);
            } else if (header instanceof Number number) {
                millis = saturatedLong(number);
            } else if (header instanceof CharSequence text) {
                String value = text.toString().trim();
                millis = value.startsWith("P") || value.startsWith("p") ? saturatedMillis(Duration.parse(value))
                        : TimeUtils.toMilliSeconds(value);
            } else {
                millis = 0;
            }
        } catch (RuntimeException e) {
            millis = 0;
        }
        if (millis <= 0) {
            throw new IllegalArgumentException("Invalid header " + LlmQueueConstants.TIMEOUT + " '" + header
                                               + "': expected a positive time to wait for a slot, in milliseconds or"
                                               + " as a Duration (30000, 30s, PT30S)");
        }
        return millis;
    }

    /**
     * {@link LlmQueueConstants#DEADLINE}: epoch milliseconds as a number or text, an {@link Instant} (also as ISO-8601
     * text), a {@link Date} or any date-time with an offset.
     */
    static long deadlineEpochMillis(Exchange exchange, Object header) {
        try {
            if (header instanceof Number number) {
                return saturatedLong(number);
            }
            if (header instanceof Date date) {
                return date.getTime();
            }
            if (header instanceof Instant instant) {
                return saturatedEpochMillis(instant);
            }
            if (header instanceof TemporalAccessor temporal) {
                return saturatedEpochMillis(Instant.from(temporal));
            }
            if (header instanceof CharSequence text) {
                String value = text.toString().trim();
                return value.chars().allMatch(c -> c >= '0' && c <= '9' || c == '-') && !value.isEmpty()
                        ? Long.parseLong(value) : saturatedEpochMillis(Instant.parse(value));
            }
        } catch (DateTimeException | NumberFormatException e) {
            // the message below says what was expected
        }
        throw new IllegalArgumentException("Invalid header " + LlmQueueConstants.DEADLINE + " '" + header
                                           + "': expected a deadline in epoch milliseconds or as an Instant"
                                           + " (2026-01-31T12:00:00Z)");
    }

    /**
     * A number as a long, saturated at the long's bounds (a BigInteger or BigDecimal beyond them, an infinite double);
     * NaN is refused.
     */
    private static long saturatedLong(Number number) {
        if (number instanceof Double || number instanceof Float) {
            double value = number.doubleValue();
            if (Double.isNaN(value)) {
                throw new NumberFormatException("NaN");
            }
            // a double beyond the long range converts to its bound
            return (long) value;
        }
        if (number instanceof java.math.BigInteger || number instanceof java.math.BigDecimal) {
            java.math.BigDecimal value = new java.math.BigDecimal(number.toString());
            if (value.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
                return Long.MAX_VALUE;
            }
            if (value.compareTo(java.math.BigDecimal.valueOf(Long.MIN_VALUE)) < 0) {
                return Long.MIN_VALUE;
            }
            return value.longValue();
        }
        return number.longValue();
    }

    /** a - b, or Long.MIN_VALUE / Long.MAX_VALUE where it would overflow. */
    static long saturatedSubtract(long a, long b) {
        long r = a - b;
        // overflow when the operands have different signs and the result's sign differs from a's
        if (((a ^ b) & (a ^ r)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }

    private static long saturatedMillis(Duration duration) {
        try {
            return duration.toMillis();
        } catch (ArithmeticException e) {
            return duration.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    private static long saturatedEpochMillis(Instant instant) {
        try {
            return instant.toEpochMilli();
        } catch (ArithmeticException e) {
            return instant.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }
}
