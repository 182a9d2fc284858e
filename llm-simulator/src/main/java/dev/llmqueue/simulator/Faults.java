package dev.llmqueue.simulator;

import java.time.Duration;
import java.util.Objects;

/**
 * Immutable fault-injection settings for the LLM endpoints of an {@link LlmSimulator}.
 *
 * <p>For every admitted POST to an LLM endpoint the simulator draws ONE uniform random number
 * {@code r} in {@code [0, 1)} and picks at most one fault from cumulative ranges, in this order:
 * rate limited, server error, busy, slow, drop connection, malformed JSON. So with
 * {@code rateLimited(0.1)} and {@code serverError(0.05)}, {@code r < 0.10} gives a 429 and
 * {@code 0.10 <= r < 0.15} gives a 500. The probabilities must add up to at most 1.
 * GET endpoints ({@code /api/tags}, {@code /v1/models}) and requests rejected before admission
 * (validation errors, queue full) never get a fault.
 */
public final class Faults {

    /** The fault picked for one request. */
    public enum Kind {
        /** No fault: a normal answer. */
        NONE,
        /** 429 with {@code Retry-After} (and {@code retry-after-ms} on {@code /v1} paths). */
        RATE_LIMITED,
        /** 500 in the provider's error shape. */
        SERVER_ERROR,
        /** 503 "server busy" in the provider's error shape. */
        BUSY,
        /** A normal answer after an extra delay. */
        SLOW,
        /** The connection is closed without any HTTP response. */
        DROP_CONNECTION,
        /** 200 with a truncated, unparseable JSON body. */
        MALFORMED_JSON
    }

    private static final Faults NONE = new Faults(new Builder());

    private final double rateLimited;
    private final Duration retryAfter;
    private final double serverError;
    private final double busy;
    private final double slow;
    private final Duration slowDelay;
    private final double dropConnection;
    private final double malformedJson;
    private final boolean none;

    private Faults(Builder b) {
        this.rateLimited = b.rateLimited;
        this.retryAfter = b.retryAfter;
        this.serverError = b.serverError;
        this.busy = b.busy;
        this.slow = b.slow;
        this.slowDelay = b.slowDelay;
        this.dropConnection = b.dropConnection;
        this.malformedJson = b.malformedJson;
        this.none = rateLimited + serverError + busy + slow + dropConnection + malformedJson == 0.0;
    }

    /** No faults at all. */
    public static Faults none() {
        return NONE;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder pre-filled with these settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.rateLimited = rateLimited;
        b.retryAfter = retryAfter;
        b.serverError = serverError;
        b.busy = busy;
        b.slow = slow;
        b.slowDelay = slowDelay;
        b.dropConnection = dropConnection;
        b.malformedJson = malformedJson;
        return b;
    }

    /** True when every probability is zero. */
    public boolean isNone() {
        return none;
    }

    public double rateLimitedProbability() {
        return rateLimited;
    }

    /** The value advertised in {@code Retry-After} / {@code retry-after-ms} on a simulated 429. */
    public Duration retryAfter() {
        return retryAfter;
    }

    public double serverErrorProbability() {
        return serverError;
    }

    public double busyProbability() {
        return busy;
    }

    public double slowProbability() {
        return slow;
    }

    /** The delay a "slow" fault adds to the service time. */
    public Duration slowDelay() {
        return slowDelay;
    }

    public double dropConnectionProbability() {
        return dropConnection;
    }

    public double malformedJsonProbability() {
        return malformedJson;
    }

    /**
     * Picks the fault for a random draw {@code r} in {@code [0, 1)} using the cumulative ranges
     * described in the class comment.
     */
    public Kind pick(double r) {
        if (none) {
            return Kind.NONE;
        }
        double edge = rateLimited;
        if (r < edge) {
            return Kind.RATE_LIMITED;
        }
        edge += serverError;
        if (r < edge) {
            return Kind.SERVER_ERROR;
        }
        edge += busy;
        if (r < edge) {
            return Kind.BUSY;
        }
        edge += slow;
        if (r < edge) {
            return Kind.SLOW;
        }
        edge += dropConnection;
        if (r < edge) {
            return Kind.DROP_CONNECTION;
        }
        edge += malformedJson;
        if (r < edge) {
            return Kind.MALFORMED_JSON;
        }
        return Kind.NONE;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Faults)) {
            return false;
        }
        Faults f = (Faults) o;
        return rateLimited == f.rateLimited && serverError == f.serverError && busy == f.busy
                && slow == f.slow && dropConnection == f.dropConnection && malformedJson == f.malformedJson
                && retryAfter.equals(f.retryAfter) && slowDelay.equals(f.slowDelay);
    }

    @Override
    public int hashCode() {
        return Objects.hash(rateLimited, retryAfter, serverError, busy, slow, slowDelay, dropConnection, malformedJson);
    }

    @Override
    public String toString() {
        if (none) {
            return "Faults.none()";
        }
        return "Faults{rateLimited=" + rateLimited + " (retryAfter " + retryAfter + "), serverError=" + serverError
                + ", busy=" + busy + ", slow=" + slow + " (+" + slowDelay + "), dropConnection=" + dropConnection
                + ", malformedJson=" + malformedJson + '}';
    }

    /** Fluent builder; every probability defaults to 0. */
    public static final class Builder {
        private double rateLimited;
        private Duration retryAfter = Duration.ofSeconds(1);
        private double serverError;
        private double busy;
        private double slow;
        private Duration slowDelay = Duration.ZERO;
        private double dropConnection;
        private double malformedJson;

        private Builder() {
        }

        /** 429 with {@code Retry-After: ceil(retryAfter in seconds)} (plus {@code retry-after-ms} on /v1). */
        public Builder rateLimited(double probability, Duration retryAfter) {
            this.rateLimited = probability(probability, "rateLimited");
            this.retryAfter = nonNegative(retryAfter, "retryAfter");
            return this;
        }

        /** 500 in the provider's error shape. */
        public Builder serverError(double probability) {
            this.serverError = probability(probability, "serverError");
            return this;
        }

        /** 503 "server busy, please try again.  maximum pending requests exceeded". */
        public Builder busy(double probability) {
            this.busy = probability(probability, "busy");
            return this;
        }

        /** A normal answer, but {@code delay} is added to the service time. */
        public Builder slow(double probability, Duration delay) {
            this.slow = probability(probability, "slow");
            this.slowDelay = nonNegative(delay, "slow delay");
            return this;
        }

        /** The connection is closed without any HTTP response. */
        public Builder dropConnection(double probability) {
            this.dropConnection = probability(probability, "dropConnection");
            return this;
        }

        /** 200 with a truncated (unparseable) JSON body. */
        public Builder malformedJson(double probability) {
            this.malformedJson = probability(probability, "malformedJson");
            return this;
        }

        /**
         * @throws IllegalArgumentException if the probabilities add up to more than 1
         */
        public Faults build() {
            double sum = rateLimited + serverError + busy + slow + dropConnection + malformedJson;
            if (sum > 1.0 + 1e-9) {
                throw new IllegalArgumentException("fault probabilities add up to " + sum + ", more than 1");
            }
            return new Faults(this);
        }

        private static double probability(double p, String name) {
            if (!(p >= 0.0 && p <= 1.0)) {
                throw new IllegalArgumentException(name + " probability must be in [0, 1], got " + p);
            }
            return p;
        }

        private static Duration nonNegative(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative, got " + d);
            }
            return d;
        }
    }
}
