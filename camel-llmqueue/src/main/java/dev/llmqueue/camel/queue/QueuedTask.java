package dev.llmqueue.camel.queue;

import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueRejectedException;

/**
 * One request as the scheduler sees it. The scheduler guarantees that, once {@link LlmQueueScheduler#submit} has
 * accepted a task, exactly one of these happens: {@link #execute()} then {@link #complete()}, or {@link #reject}.
 */
public interface QueuedTask {

    LlmQueuePriority priority();

    /**
     * Makes the call. Runs on a call thread while the task holds a slot; must not throw (a failure is an outcome to
     * deliver in {@link #complete()}).
     */
    void execute();

    /** Delivers the outcome of {@link #execute()}. Called after the slot has been released. */
    void complete();

    /** Fails a task that was accepted but will never execute (shutdown, background disabled). */
    void reject(LlmQueueRejectedException.Reason reason, String message);
}
