package dev.llmqueue.benchmarks;

import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueueListener;
import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import org.apache.camel.Exchange;

/**
 * Stamps the steps of an llmqueue request as the component reports them to its listeners: the call thread starting
 * the call ({@link #onCallStarted}: the end of the dispatch hand-off, route thread → call thread), the call ending
 * ({@link #onCallEnded}: reply read and parsed), a stream's first token ({@link #onFirstToken}: its line read and
 * parsed, just before the route is resumed) and the request ending ({@link #onEnded}: slot given back, just before the
 * route resumes). Meant for one request in flight: it keeps the last request's stamps and id only (a few volatile
 * writes per request), and the route's last processor takes them back by the id in the header
 * {@code CamelLlmQueueRequestId}. Off unless {@link #arm armed}.
 */
final class CallClock implements LlmQueueListener {

    /** One request's steps (System.nanoTime(); 0 when not seen). */
    record Steps(long callStarted, long callEnded, long firstToken, long ended) {
        static final Steps NONE = new Steps(0, 0, 0, 0);
    }

    private static volatile boolean armed;
    private static volatile String lastId;
    private static volatile long callStarted;
    private static volatile long callEnded;
    private static volatile long firstToken;
    private static volatile long ended;

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
            long now = System.nanoTime();
            callEnded = 0;
            firstToken = 0;
            ended = 0;
            callStarted = now;
            lastId = request.requestId();
        }
    }

    @Override
    public void onCallEnded(RequestInfo request, int attempt, long callNanos, Exception failure, Integer promptTokens,
                            Integer completionTokens) {
        if (armed) {
            callEnded = System.nanoTime();
        }
    }

    @Override
    public void onFirstToken(RequestInfo request, long ttftNanos) {
        if (armed) {
            firstToken = System.nanoTime();
        }
    }

    @Override
    public void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
        if (armed) {
            ended = System.nanoTime();
        }
    }

    /** When the call of this exchange's request started, or 0 when not seen (not armed, or another request since). */
    static long startOf(Exchange exchange) {
        return stepsOf(exchange).callStarted();
    }

    /** This exchange's request's steps so far, or {@link Steps#NONE}. */
    static Steps stepsOf(Exchange exchange) {
        if (!armed) {
            return Steps.NONE;
        }
        String id = lastId;
        Steps steps = new Steps(callStarted, callEnded, firstToken, ended);
        return id != null && id.equals(exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID)) ? steps
                : Steps.NONE;
    }
}
