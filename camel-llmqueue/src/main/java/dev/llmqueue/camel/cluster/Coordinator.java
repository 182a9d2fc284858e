package dev.llmqueue.camel.cluster;

import java.util.Map;

import dev.llmqueue.camel.queue.SlotAuthority;

/**
 * What the component needs of the shared queue beyond the scheduler's {@link SlotAuthority}. Free of any Redis client
 * type: with {@code coordination=local} the component holds none, and no Lettuce class is ever loaded.
 */
public interface Coordinator extends SlotAuthority {

    /** The figures of every instance sharing a queue, as Redis keeps them. */
    record GlobalFigures(long highWaiting, long lowWaiting, long running, long runningLow, long instances) {
    }

    /** Connects (waiting a few seconds at most) and joins the queue; keeps trying in the background when it cannot. */
    void start();

    /** Leaves the queue (its tickets and slots go) and closes the connections. */
    void stop();

    /** Writes shared settings; every instance applies them within a push. */
    void configure(Map<String, String> settings);

    /** The figures of every instance together, or null when Redis does not answer within a second. */
    GlobalFigures globalFigures();

    boolean isAvailable();

    /** Why Redis cannot be reached, or null when it can. */
    String getOutage();

    String getNodeId();

    /** The Redis address without user or password. */
    String getRedis();
}
