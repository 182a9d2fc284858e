package dev.llmqueue.simulator;

import java.util.List;
import java.util.Map;

/**
 * One HTTP request as seen by an {@link LlmSimulator}. Times are {@link System#nanoTime()} values.
 *
 * @param path            the request path, without query string (e.g. {@code /api/chat})
 * @param method          the HTTP method
 * @param body            the request body decoded as UTF-8 ({@code ""} when empty)
 * @param headers         the request headers, names in lower case, unmodifiable
 * @param arrivalNanos    when the request (with its body) had been read
 * @param startNanos      when it got a parallelism slot; {@code 0} if it never got one (validation error,
 *                        queue full, GET endpoint)
 * @param endNanos        when its service finished (slot released) or its response was about to be written;
 *                        {@code 0} while still in progress. A streamed reply releases its slot after its last
 *                        token (or when it is cut, fails, or the client goes away), just before the closing events
 * @param status          the HTTP status sent, {@link #DROPPED} for a dropped connection, {@code 0} while in
 *                        progress; a streamed reply (whose 200 went out with its first event) gets its status when
 *                        its stream has ended, so {@link #completed()} means the same for both
 * @param streamed        whether the reply was streamed (Ollama NDJSON, OpenAI server-sent events)
 * @param firstTokenNanos when the first completion token was handed to the connection (a streamed reply: its first
 *                        token event; a reply in one piece: the reply); {@code 0} if none was
 * @param lastTokenNanos  when the last completion token sent was handed to the connection; {@code 0} if none was
 * @param tokensSent      completion tokens handed to the connection (a streamed reply stopped early has fewer than
 *                        its answer; a reply in one piece has all of them once written)
 * @param aborted         whether the client closed the connection before the reply ended (a write failed); a
 *                        streamed reply then stops generating at once and frees its slot
 * @param fault           the fault injected into this call ({@link Faults.Kind#NONE} for none)
 */
public record RecordedCall(
        String path,
        String method,
        String body,
        Map<String, List<String>> headers,
        long arrivalNanos,
        long startNanos,
        long endNanos,
        int status,
        boolean streamed,
        long firstTokenNanos,
        long lastTokenNanos,
        int tokensSent,
        boolean aborted,
        Faults.Kind fault) {

    /** {@link #status()} of a call whose connection was dropped by the "drop connection" fault. */
    public static final int DROPPED = -1;

    /** The first value of a header (name case-insensitive), or {@code null}. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** True once the simulator has answered (or dropped) this call; for a streamed reply, once its stream ended. */
    public boolean completed() {
        return status != 0;
    }
}
