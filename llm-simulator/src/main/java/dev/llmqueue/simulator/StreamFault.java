package dev.llmqueue.simulator;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Objects;

/**
 * A fault in the middle of a streamed reply: after {@code afterTokens} completion tokens have been sent, the
 * simulator cuts the connection, sends an error event, or stops sending for a while (or until the client closes).
 *
 * <p>The fault strikes once {@code afterTokens} tokens have been sent, before the first event that would take the
 * count beyond it (an Ollama tool-call chunk carries all the answer's tokens, so a smaller count strikes before
 * it); when {@code afterTokens} is at least the answer's tokens, it strikes after the last token, before the
 * closing events (Ollama's {@code done} line, OpenAI's finish chunk and {@code [DONE]}). The HTTP status line
 * (200) and, on {@code /v1/chat/completions}, the role chunk have already been sent, even for {@code 0}.
 *
 * <p>Used three ways: probabilistically through {@link Faults.Builder#cutStream}, {@link Faults.Builder#streamError}
 * and {@link Faults.Builder#stallStream}; for every streamed reply through
 * {@link LlmSimulator.Builder#streamFault(StreamFault)}; and per request through the header
 * {@code x-sim-fault: cut-after=3} (see {@link #parse(String)} and {@link LlmSimulator#FAULT_HEADER}).
 *
 * @param type        what happens
 * @param afterTokens completion tokens sent before it happens ({@code >= 0})
 * @param stall       how long a {@link Type#STALL} sends nothing ({@link #FOREVER}: until the client closes);
 *                    {@link Duration#ZERO} for the other types
 */
public record StreamFault(Type type, int afterTokens, Duration stall) {

    /** What happens to the stream. */
    public enum Type {
        /**
         * The connection is closed at once, without the closing events and without the end of the chunked body:
         * the client sees the body end early (an {@link java.io.IOException} with most clients).
         */
        CUT,
        /**
         * An error event, then the end of the body: Ollama {@code {"error":"..."}} on its own line, OpenAI
         * {@code data: {"error":{"message":"...","type":"server_error",...}}} (no {@code [DONE]} follows).
         */
        ERROR,
        /** Nothing is sent for {@link #stall()}, then the stream goes on as if nothing happened. */
        STALL
    }

    /**
     * A stall that lasts until the client closes the connection (or the simulator is closed). The simulator
     * notices a client that has gone by writing a probe (a space, which a line-based client never sees as an
     * event) every {@link LlmSimulator#stallProbeInterval()}.
     */
    public static final Duration FOREVER = ChronoUnit.FOREVER.getDuration();

    public StreamFault {
        Objects.requireNonNull(type, "type");
        if (afterTokens < 0) {
            throw new IllegalArgumentException("afterTokens must not be negative, got " + afterTokens);
        }
        Objects.requireNonNull(stall, "stall");
        if (stall.isNegative()) {
            throw new IllegalArgumentException("stall must not be negative, got " + stall);
        }
        if (type != Type.STALL && !stall.isZero()) {
            throw new IllegalArgumentException("only a STALL has a stall duration");
        }
    }

    /** Cut the connection after {@code tokens} tokens. */
    public static StreamFault cutAfter(int tokens) {
        return new StreamFault(Type.CUT, tokens, Duration.ZERO);
    }

    /** Send an error event (and end the stream) after {@code tokens} tokens. */
    public static StreamFault errorAfter(int tokens) {
        return new StreamFault(Type.ERROR, tokens, Duration.ZERO);
    }

    /** Send nothing for {@code stall} after {@code tokens} tokens, then go on; {@link #FOREVER} for ever. */
    public static StreamFault stallAfter(int tokens, Duration stall) {
        return new StreamFault(Type.STALL, tokens, stall);
    }

    /** Send nothing after {@code tokens} tokens until the client closes the connection. */
    public static StreamFault stallForeverAfter(int tokens) {
        return stallAfter(tokens, FOREVER);
    }

    /** True for a stall that lasts until the client closes. */
    public boolean forever() {
        return type == Type.STALL && stall.equals(FOREVER);
    }

    /** The {@link Faults.Kind} that this fault is counted and recorded as. */
    public Faults.Kind kind() {
        switch (type) {
            case CUT:
                return Faults.Kind.STREAM_CUT;
            case ERROR:
                return Faults.Kind.STREAM_ERROR;
            default:
                return Faults.Kind.STREAM_STALL;
        }
    }

    /**
     * Parses {@code cut-after=N}, {@code error-after=N}, {@code stall-after=N} (for ever) or
     * {@code stall-after=N; for=D} (a duration as in {@link LlmSimulator#parseDuration(String)}; {@code forever}
     * is accepted too). Names are case-insensitive, spaces around {@code ;} and {@code =} are ignored.
     *
     * @throws IllegalArgumentException if {@code spec} is none of these
     */
    public static StreamFault parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty stream fault");
        }
        String type = null;
        int after = -1;
        Duration stall = null;
        for (String part : spec.split(";")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("not a stream fault: " + spec
                        + " (use cut-after=N, error-after=N, stall-after=N or stall-after=N; for=D)");
            }
            String name = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = p.substring(eq + 1).trim();
            switch (name) {
                case "cut-after":
                case "error-after":
                case "stall-after":
                    if (type != null) {
                        throw new IllegalArgumentException("more than one stream fault in: " + spec);
                    }
                    type = name;
                    after = tokens(value, spec);
                    break;
                case "for":
                    stall = value.equalsIgnoreCase("forever") ? FOREVER : LlmSimulator.parseDuration(value);
                    break;
                default:
                    throw new IllegalArgumentException("unknown stream fault part '" + name + "' in: " + spec);
            }
        }
        if (type == null) {
            throw new IllegalArgumentException("not a stream fault: " + spec);
        }
        if (stall != null && !type.equals("stall-after")) {
            throw new IllegalArgumentException("'for' applies to stall-after only: " + spec);
        }
        switch (type) {
            case "cut-after":
                return cutAfter(after);
            case "error-after":
                return errorAfter(after);
            default:
                return stallAfter(after, stall == null ? FOREVER : stall);
        }
    }

    private static int tokens(String value, String spec) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("not a token count: " + value + " in: " + spec);
    }

    /** The form {@link #parse(String)} reads: {@code cut-after=3}, {@code stall-after=2; for=PT0.5S}. */
    @Override
    public String toString() {
        switch (type) {
            case CUT:
                return "cut-after=" + afterTokens;
            case ERROR:
                return "error-after=" + afterTokens;
            default:
                return forever() ? "stall-after=" + afterTokens : "stall-after=" + afterTokens + "; for=" + stall;
        }
    }
}
