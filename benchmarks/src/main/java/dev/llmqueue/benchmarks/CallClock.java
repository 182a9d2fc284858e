package dev.llmqueue.benchmarks;

import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueueListener;
import org.apache.camel.Exchange;

/**
 * Stamps the moment a call thread starts an llmqueue request's call ({@link LlmQueueListener#onCallStarted}): the end
 * of the dispatch hand-off (route thread → call thread). Meant for one request in flight: it keeps the last call's
 * start and request id only (two volatile writes per call), and the route's last processor takes it back by the id in
 * the header {@code CamelLlmQueueRequestId}. Off unless {@link #arm armed}.
 */
final class CallClock implements LlmQueueListener {

    private static volatile boolean armed;
    private static volatile long lastStart;
    private static volatile String lastId;

    static void arm() {
        lastId = null;
        armed = true;
    }

    static void disarm() {
        armed = false;
        lastId = null;
    }

    @Override
    public void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
        if (armed) {
            lastStart = System.nanoTime();
            lastId = request.requestId();
        }
    }

    /** When the call of this exchange's request started, or 0 when not seen (not armed, or another request since). */
    static long startOf(Exchange exchange) {
        if (!armed) {
            return 0;
        }
        String id = lastId;
        long start = lastStart;
        return id != null && id.equals(exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID)) ? start : 0;
    }
}
