package dev.llmqueue.camel.queue;

import java.util.List;

import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.queue.QueuedTask.Signal;

/**
 * Decides, instead of the scheduler, which waiting task gets the next slot: with {@code coordination=redis} one queue
 * shared by several instances. The scheduler keeps owning its tasks (their stacks, deadlines, retries and their one
 * ending); the authority only learns of tickets (a number per waiting task) and answers with
 * {@link LlmQueueScheduler#granted}, {@link LlmQueueScheduler#refused} or {@link LlmQueueScheduler#dropped}.
 * <p>
 * The scheduler calls every method here under its lock, so that what the authority is told is in the scheduler's own
 * order (a rejoin snapshot, then a release, never the other way round). Each method must therefore only dispatch and
 * return at once, and must never call back into the scheduler on the calling thread.
 */
public interface SlotAuthority {

    /** One task as the authority knows it. */
    record Ticket(long ticket, LlmQueuePriority priority, String server) {
    }

    /**
     * Whether the authority decides now. False while it is unreachable and configured to fall back: the scheduler then
     * decides by itself, with its own {@code maxConcurrentRequests}, until the authority is back and has been told what
     * the scheduler holds ({@link LlmQueueScheduler#rejoin()}).
     */
    boolean decides();

    /**
     * Why a new request may not wait now (the authority is unreachable and does not fall back), or null when it may.
     */
    String refusal();

    /** A task was pushed on its stack and asks for a slot. */
    void request(long ticket, LlmQueuePriority priority, String server);

    /** A waiting task left (cancelled, expired, dropped, abandoned, stopped): its ticket, or its grant, goes. */
    void withdraw(long ticket);

    /** A call ended: its slot goes back and is handed on. {@code signal} adapts the server's limit; null does not. */
    void release(long ticket, Signal signal);

    /**
     * Replaces everything the authority holds for this scheduler with what it holds now: the calls in flight, and the
     * waiting tasks oldest first. Grants made before it carry an older {@code epoch} and are ignored.
     */
    void rejoin(long epoch, List<Ticket> running, List<Ticket> waiting);
}
