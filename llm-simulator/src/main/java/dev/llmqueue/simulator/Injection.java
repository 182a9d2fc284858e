package dev.llmqueue.simulator;

import java.time.Duration;
import java.util.Locale;

/**
 * The fault one request gets, whatever chose it: the random draw from {@link Faults}, the simulator's
 * {@link LlmSimulator.Builder#streamFault(StreamFault) streamFault}, or the request's {@code x-sim-fault} header.
 *
 * @param kind       the fault ({@link Faults.Kind#NONE} for none)
 * @param retryAfter the advertised delay of a {@link Faults.Kind#RATE_LIMITED}
 * @param slowDelay  the extra delay of a {@link Faults.Kind#SLOW}
 * @param stream     the stream fault of a stream kind, otherwise null
 */
record Injection(Faults.Kind kind, Duration retryAfter, Duration slowDelay, StreamFault stream) {

    static final Injection NONE = new Injection(Faults.Kind.NONE, Duration.ZERO, Duration.ZERO, null);

    /** The fault {@code kind} drawn from {@code faults}, with its settings. */
    static Injection drawn(Faults faults, Faults.Kind kind) {
        if (kind == Faults.Kind.NONE) {
            return NONE;
        }
        return new Injection(kind, faults.retryAfter(), faults.slowDelay(), faults.streamFault(kind));
    }

    static Injection of(StreamFault fault) {
        return new Injection(fault.kind(), Duration.ZERO, Duration.ZERO, fault);
    }

    /**
     * Parses the value of the {@code x-sim-fault} header: a {@link StreamFault} ({@code cut-after=N},
     * {@code error-after=N}, {@code stall-after=N[; for=D]}) or one of {@code rate-limited[=D]} (D = the
     * Retry-After, default 1s), {@code server-error}, {@code busy}, {@code slow=D}, {@code drop-connection},
     * {@code malformed-json}, {@code none}.
     *
     * @throws IllegalArgumentException if it is none of these
     */
    static Injection parse(String header) {
        String spec = header.trim();
        int eq = spec.indexOf('=');
        String name = (eq < 0 ? spec : spec.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
        String value = eq < 0 ? null : spec.substring(eq + 1).trim();
        switch (name) {
            case "none":
                return NONE;
            case "rate-limited":
                return new Injection(Faults.Kind.RATE_LIMITED,
                        value == null ? Duration.ofSeconds(1) : LlmSimulator.parseDuration(value), Duration.ZERO,
                        null);
            case "server-error":
                return simple(Faults.Kind.SERVER_ERROR, value, spec);
            case "busy":
                return simple(Faults.Kind.BUSY, value, spec);
            case "drop-connection":
                return simple(Faults.Kind.DROP_CONNECTION, value, spec);
            case "malformed-json":
                return simple(Faults.Kind.MALFORMED_JSON, value, spec);
            case "slow":
                if (value == null) {
                    throw new IllegalArgumentException("slow needs a delay, e.g. slow=2s");
                }
                return new Injection(Faults.Kind.SLOW, Duration.ZERO, LlmSimulator.parseDuration(value), null);
            case "cut-after":
            case "error-after":
            case "stall-after":
                return of(StreamFault.parse(spec));
            default:
                throw new IllegalArgumentException("unknown fault '" + spec + "' (use cut-after=N, error-after=N,"
                        + " stall-after=N[; for=D], rate-limited[=D], server-error, busy, slow=D, drop-connection,"
                        + " malformed-json or none)");
        }
    }

    private static Injection simple(Faults.Kind kind, String value, String spec) {
        if (value != null) {
            throw new IllegalArgumentException("'" + spec + "' takes no value");
        }
        return new Injection(kind, Duration.ZERO, Duration.ZERO, null);
    }
}
