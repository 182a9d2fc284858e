package dev.llmqueue.simulator;

import java.util.List;
import java.util.Map;

/**
 * One HTTP request as seen by an {@link LlmSimulator}. Times are {@link System#nanoTime()} values.
 *
 * @param path         the request path, without query string (e.g. {@code /api/chat})
 * @param method       the HTTP method
 * @param body         the request body decoded as UTF-8 ({@code ""} when empty)
 * @param headers      the request headers, names in lower case, unmodifiable
 * @param arrivalNanos when the request (with its body) had been read
 * @param startNanos   when it got a parallelism slot; {@code 0} if it never got one (validation error,
 *                     queue full, GET endpoint)
 * @param endNanos     when its service finished (slot released) or its response was about to be written;
 *                     {@code 0} while still in progress
 * @param status       the HTTP status sent, {@link #DROPPED} for a dropped connection, {@code 0} while in progress
 */
public record RecordedCall(
        String path,
        String method,
        String body,
        Map<String, List<String>> headers,
        long arrivalNanos,
        long startNanos,
        long endNanos,
        int status) {

    /** {@link #status()} of a call whose connection was dropped by the "drop connection" fault. */
    public static final int DROPPED = -1;

    /** The first value of a header (name case-insensitive), or {@code null}. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** True once the simulator has answered (or dropped) this call. */
    public boolean completed() {
        return status != 0;
    }
}
