package dev.llmqueue.simulator;

import java.time.Duration;
import java.util.Objects;

/**
 * Immutable fault-injection settings for the LLM endpoints of an {@link LlmSimulator}.
 *
 * <p>For every admitted POST to an LLM endpoint the simulator draws ONE uniform random number
 * {@code r} in {@code [0, 1)} and picks at most one fault from cumulative ranges, in this order:
 * rate limited, server error, busy, slow, drop connection, malformed JSON, stream cut, stream error,
 * stream stall. So with {@code rateLimited(0.1)} and {@code serverError(0.05)}, {@code r < 0.10} gives a 429 and
 * {@code 0.10 <= r < 0.15} gives a 500. The probabilities must add up to at most 1.
 * GET endpoints ({@code /api/tags}, {@code /v1/models}) and requests rejected before admission
 * (validation errors, queue full) never get a fault.
 *
 * <p>The three stream faults ({@link StreamFault}) apply to streamed replies only: a request answered in one
 * piece that draws one gets a normal answer and is not counted as a fault. The other faults apply to streamed
 * replies too: 429, 500, 503 and a dropped connection happen before the stream starts (a plain JSON error body,
 * as the providers do), "slow" delays the first token, and "malformed JSON" sends the first event cut in half
 * (still followed by its line end) and ends the stream.
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
        /** 200 with a truncated, unparseable JSON body (a streamed reply: a truncated first event). */
        MALFORMED_JSON,
        /** A streamed reply whose connection is cut mid-stream ({@link StreamFault.Type#CUT}). */
        STREAM_CUT,
        /** A streamed reply that ends with an error event ({@link StreamFault.Type#ERROR}). */
        STREAM_ERROR,
        /** A streamed reply that stops sending for a while or for ever ({@link StreamFault.Type#STALL}). */
        STREAM_STALL;

        /** True for the faults that apply to streamed replies only. */
        public boolean streamOnly() {
            return this == STREAM_CUT || this == STREAM_ERROR || this == STREAM_STALL;
        }
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
    private final double cutStream;
    private final StreamFault cut;
    private final double streamError;
    private final StreamFault error;
    private final double stallStream;
    private final StreamFault stall;
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
        this.cutStream = b.cutStream;
        this.cut = b.cut;
        this.streamError = b.streamError;
        this.error = b.error;
        this.stallStream = b.stallStream;
        this.stall = b.stall;
        this.none = b.sum() == 0.0;
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
        b.cutStream = cutStream;
        b.cut = cut;
        b.streamError = streamError;
        b.error = error;
        b.stallStream = stallStream;
        b.stall = stall;
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

    public double cutStreamProbability() {
        return cutStream;
    }

    /** The cut of the "stream cut" fault ({@code cut-after=0} unless set). */
    public StreamFault cutStream() {
        return cut;
    }

    public double streamErrorProbability() {
        return streamError;
    }

    /** The error of the "stream error" fault ({@code error-after=0} unless set). */
    public StreamFault streamError() {
        return error;
    }

    public double stallStreamProbability() {
        return stallStream;
    }

    /** The stall of the "stream stall" fault ({@code stall-after=0}, for ever, unless set). */
    public StreamFault stallStream() {
        return stall;
    }

    /** The stream fault of a stream {@link Kind}, or null for the other kinds. */
    public StreamFault streamFault(Kind kind) {
        switch (kind) {
            case STREAM_CUT:
                return cut;
            case STREAM_ERROR:
                return error;
            case STREAM_STALL:
                return stall;
            default:
                return null;
        }
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
        edge += cutStream;
        if (r < edge) {
            return Kind.STREAM_CUT;
        }
        edge += streamError;
        if (r < edge) {
            return Kind.STREAM_ERROR;
        }
        edge += stallStream;
        if (r < edge) {
            return Kind.STREAM_STALL;
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
                && retryAfter.equals(f.retryAfter) && slowDelay.equals(f.slowDelay)
                && cutStream == f.cutStream && cut.equals(f.cut) && streamError == f.streamError
                && error.equals(f.error) && stallStream == f.stallStream && stall.equals(f.stall);
    }

    @Override
    public int hashCode() {
        return Objects.hash(rateLimited, retryAfter, serverError, busy, slow, slowDelay, dropConnection, malformedJson,
                cutStream, cut, streamError, error, stallStream, stall);
    }

    @Override
    public String toString() {
        if (none) {
            return "Faults.none()";
        }
        return "Faults{rateLimited=" + rateLimited + " (retryAfter " + retryAfter + "), serverError=" + serverError
                + ", busy=" + busy + ", slow=" + slow + " (+" + slowDelay + "), dropConnection=" + dropConnection
                + ", malformedJson=" + malformedJson + ", cutStream=" + cutStream + " (" + cut + "), streamError="
                + streamError + " (" + error + "), stallStream=" + stallStream + " (" + stall + ")}";
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
        private double cutStream;
        private StreamFault cut = StreamFault.cutAfter(0);
        private double streamError;
        private StreamFault error = StreamFault.errorAfter(0);
        private double stallStream;
        private StreamFault stall = StreamFault.stallForeverAfter(0);

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
         * A streamed reply's connection is cut after {@code afterTokens} tokens ({@link StreamFault#cutAfter}).
         * Streamed replies only.
         */
        public Builder cutStream(double probability, int afterTokens) {
            this.cutStream = probability(probability, "cutStream");
            this.cut = StreamFault.cutAfter(afterTokens);
            return this;
        }

        /**
         * A streamed reply ends with an error event after {@code afterTokens} tokens ({@link StreamFault#errorAfter}).
         * Streamed replies only.
         */
        public Builder streamError(double probability, int afterTokens) {
            this.streamError = probability(probability, "streamError");
            this.error = StreamFault.errorAfter(afterTokens);
            return this;
        }

        /**
         * A streamed reply sends nothing for {@code stall} after {@code afterTokens} tokens, then goes on
         * ({@link StreamFault#FOREVER}: until the client closes). Streamed replies only.
         */
        public Builder stallStream(double probability, int afterTokens, Duration stall) {
            this.stallStream = probability(probability, "stallStream");
            this.stall = StreamFault.stallAfter(afterTokens, stall);
            return this;
        }

        private double sum() {
            return rateLimited + serverError + busy + slow + dropConnection + malformedJson + cutStream + streamError
                    + stallStream;
        }

        /**
         * @throws IllegalArgumentException if the probabilities add up to more than 1
         */
        public Faults build() {
            double sum = sum();
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
