package dev.llmqueue.simulator;

/**
 * A snapshot of an {@link LlmSimulator}'s counters.
 *
 * @param received               every HTTP request received (all paths, all outcomes)
 * @param served                 responses sent with a 2xx status (including GET endpoints, a "slow" fault
 *                               and a "malformed JSON" fault, which is a 200 with a broken body; a streamed reply
 *                               counts when its status line is sent, with its first event)
 * @param busyRejected           503 answers because {@code parallelism + maxQueue} requests were already in
 *                               the simulator (not counting the "busy" fault)
 * @param faultsInjected         requests that got an injected fault (any {@link Faults.Kind} but NONE)
 * @param maxObservedConcurrency the highest number of requests that held a parallelism slot at the same time;
 *                               never exceeds {@code parallelism}
 * @param currentlyServing       requests holding a parallelism slot now
 * @param currentlyWaiting       admitted requests waiting for a parallelism slot now
 * @param streamed               streamed replies started (their status line was sent)
 * @param aborted                calls whose client closed the connection before the reply ended (a write failed)
 * @param abortedTokens          completion tokens the aborted calls had sent before the client left: generated
 *                               work nobody read to the end
 */
public record SimulatorStats(
        long received,
        long served,
        long busyRejected,
        long faultsInjected,
        int maxObservedConcurrency,
        int currentlyServing,
        int currentlyWaiting,
        long streamed,
        long aborted,
        long abortedTokens) {
}
