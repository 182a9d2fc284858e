package dev.llmqueue.camel.queue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import dev.llmqueue.camel.queue.LlmQueueScheduler.QueueRejection;
import org.junit.jupiter.api.Test;

import static dev.llmqueue.camel.LlmQueuePriority.HIGH;
import static dev.llmqueue.camel.LlmQueuePriority.LOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scheduler alone, without HTTP: a manual executor holds every started call until the test runs it, so each
 * order below is decided by the scheduler, never by thread timing.
 */
class LlmQueueSchedulerTest {

    private final ManualExecutor executor = new ManualExecutor();
    private final List<String> events = new ArrayList<>();

    private LlmQueueScheduler scheduler(int slots) {
        LlmQueueScheduler scheduler = new LlmQueueScheduler(slots, 100, 100, false);
        scheduler.start(executor);
        return scheduler;
    }

    @Test
    void submitReturnsWithoutRunningTheCallOnTheCallersThread() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("a", HIGH));
        assertEquals(List.of(), events);
        assertEquals(1, executor.pending());
    }

    @Test
    void highIsServedBeforeLowWhateverTheArrivalOrder() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("blocker", HIGH));
        scheduler.submit(task("low1", LOW));
        scheduler.submit(task("high1", HIGH));
        scheduler.submit(task("low2", LOW));
        executor.runAll();
        assertEquals(List.of("blocker", "high1", "low2", "low1"), executed());
    }

    @Test
    void newestRequestIsServedFirstWithinAPriority() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("blocker", HIGH));
        scheduler.submit(task("a", HIGH));
        scheduler.submit(task("b", HIGH));
        scheduler.submit(task("c", HIGH));
        executor.runAll();
        assertEquals(List.of("blocker", "c", "b", "a"), executed());
    }

    @Test
    void seedScenarioServesNewestHighThenOlderHighThenNewestLowThenOlderLow() {
        // the seed's example: A(HIGH) B(LOW) C(HIGH) D(LOW) while the worker is busy
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("busy", LOW));
        scheduler.submit(task("A", HIGH));
        scheduler.submit(task("B", LOW));
        scheduler.submit(task("C", HIGH));
        scheduler.submit(task("D", LOW));
        executor.runAll();
        assertEquals(List.of("busy", "C", "A", "D", "B"), executed());
    }

    @Test
    void aRequestIsPoppedOnlyWhenASlotIsFreeSoALateHighOvertakesAnEarlierLow() {
        // the system we reproduce popped LOW before it had a worker and made a later HIGH wait behind it
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("running", HIGH));
        scheduler.submit(task("low", LOW));
        assertEquals(1, scheduler.getLowPriorityQueueSize(), "LOW must stay on its stack while no slot is free");
        scheduler.submit(task("high", HIGH));
        executor.runAll();
        assertEquals(List.of("running", "high", "low"), executed());
    }

    @Test
    void neverMoreCallsInFlightThanSlots() {
        LlmQueueScheduler scheduler = scheduler(3);
        for (int i = 0; i < 10; i++) {
            scheduler.submit(task("t" + i, i % 2 == 0 ? HIGH : LOW));
        }
        assertEquals(3, executor.pending());
        assertEquals(3, scheduler.getActiveRequests());
        assertEquals(7, scheduler.getHighPriorityQueueSize() + scheduler.getLowPriorityQueueSize());
        executor.runOne();
        assertEquals(3, executor.pending(), "one finished, exactly one more started");
        assertEquals(3, scheduler.getActiveRequests());
    }

    @Test
    void theSlotIsReleasedAndTheNextCallStartedBeforeTheRouteResumes() {
        LlmQueueScheduler scheduler = scheduler(1);
        List<String> seenAtCompletion = new ArrayList<>();
        scheduler.submit(new RecordingTask("first", HIGH) {
            @Override
            public void complete() {
                seenAtCompletion.add("active=" + scheduler.getActiveRequests() + " pending=" + executor.pending());
            }
        });
        scheduler.submit(task("second", HIGH));
        executor.runOne();
        // the second call was handed to the executor (it holds the only slot) before "first" completed
        assertEquals(List.of("active=1 pending=1"), seenAtCompletion);
    }

    @Test
    void everyTaskCompletesExactlyOnceWithExecuteBeforeComplete() {
        LlmQueueScheduler scheduler = scheduler(2);
        List<RecordingTask> tasks = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            RecordingTask task = task("t" + i, i % 3 == 0 ? LOW : HIGH);
            tasks.add(task);
            scheduler.submit(task);
        }
        executor.runAll();
        for (RecordingTask task : tasks) {
            assertEquals(List.of("execute", "complete"), task.calls, task.name);
        }
        assertEquals(0, scheduler.getActiveRequests());
    }

    @Test
    void raisingTheLimitStartsWaitingRequestsAtOnce() {
        LlmQueueScheduler scheduler = scheduler(1);
        for (int i = 0; i < 5; i++) {
            scheduler.submit(task("t" + i, HIGH));
        }
        assertEquals(1, executor.pending());
        scheduler.setMaxConcurrentRequests(4);
        assertEquals(4, executor.pending());
        assertEquals(4, scheduler.getActiveRequests());
    }

    @Test
    void loweringTheLimitLetsCallsFinishAndStartsNoneUntilBelowIt() {
        LlmQueueScheduler scheduler = scheduler(3);
        for (int i = 0; i < 6; i++) {
            scheduler.submit(task("t" + i, HIGH));
        }
        scheduler.setMaxConcurrentRequests(1);
        assertEquals(3, scheduler.getActiveRequests(), "calls in flight are not cut short");
        executor.runOne();
        executor.runOne();
        assertEquals(1, scheduler.getActiveRequests(), "nothing new started while at or above the new limit");
        assertEquals(3, scheduler.getHighPriorityQueueSize());
        executor.runOne();
        assertEquals(1, scheduler.getActiveRequests(), "below the limit: the next one starts");
        assertEquals(2, scheduler.getHighPriorityQueueSize());
    }

    @Test
    void aFullStackRejectsWithQueueFullNamingTheStackAndItsLimit() {
        LlmQueueScheduler scheduler = new LlmQueueScheduler(1, 2, 5, false);
        scheduler.start(executor);
        scheduler.submit(task("running", HIGH));
        scheduler.submit(task("w1", HIGH));
        scheduler.submit(task("w2", HIGH));
        QueueRejection rejection = assertThrows(QueueRejection.class, () -> scheduler.submit(task("w3", HIGH)));
        assertEquals(Reason.QUEUE_FULL, rejection.getReason());
        assertTrue(rejection.getMessage().contains("HIGH"), rejection.getMessage());
        assertTrue(rejection.getMessage().contains("maxHighQueueSize=2"), rejection.getMessage());
        scheduler.submit(task("low", LOW)); // the other stack has room
        assertEquals(1, scheduler.getLowPriorityQueueSize());
    }

    @Test
    void disabledBackgroundRejectsLowAtTheDoorAndLetsHighIn() {
        LlmQueueScheduler scheduler = new LlmQueueScheduler(1, 10, 10, true);
        scheduler.start(executor);
        QueueRejection rejection = assertThrows(QueueRejection.class, () -> scheduler.submit(task("low", LOW)));
        assertEquals(Reason.BACKGROUND_DISABLED, rejection.getReason());
        assertTrue(rejection.getMessage().contains("disabled"), rejection.getMessage());
        scheduler.submit(task("high", HIGH));
        executor.runAll();
        assertEquals(List.of("high"), executed());
    }

    @Test
    void disablingBackgroundFailsTheLowRequestsAlreadyWaiting() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("running", HIGH));
        RecordingTask low1 = task("low1", LOW);
        RecordingTask low2 = task("low2", LOW);
        scheduler.submit(low1);
        scheduler.submit(low2);
        scheduler.submit(task("high", HIGH));
        scheduler.setDisableBackground(true);
        assertEquals(List.of("reject BACKGROUND_DISABLED"), low1.calls);
        assertEquals(List.of("reject BACKGROUND_DISABLED"), low2.calls);
        assertEquals(0, scheduler.getLowPriorityQueueSize());
        executor.runAll();
        assertEquals(List.of("running", "high"), executed());
        scheduler.setDisableBackground(false);
        scheduler.submit(task("low3", LOW));
        executor.runAll();
        assertEquals(List.of("running", "high", "low3"), executed());
    }

    @Test
    void stopFailsEveryWaitingRequestAndRefusesNewOnes() {
        LlmQueueScheduler scheduler = scheduler(1);
        RecordingTask running = task("running", HIGH);
        RecordingTask high = task("high", HIGH);
        RecordingTask low = task("low", LOW);
        scheduler.submit(running);
        scheduler.submit(high);
        scheduler.submit(low);
        scheduler.stop();
        assertEquals(List.of("reject SHUTTING_DOWN"), high.calls);
        assertEquals(List.of("reject SHUTTING_DOWN"), low.calls);
        QueueRejection rejection = assertThrows(QueueRejection.class, () -> scheduler.submit(task("late", HIGH)));
        assertEquals(Reason.SHUTTING_DOWN, rejection.getReason());
        executor.runAll(); // the call in flight still finishes and completes
        assertEquals(List.of("execute", "complete"), running.calls);
        assertEquals(0, scheduler.getActiveRequests());
    }

    @Test
    void aCallRefusedByTheExecutorIsRejectedAndGivesItsSlotBack() {
        LlmQueueScheduler scheduler = new LlmQueueScheduler(1, 10, 10, false);
        scheduler.start(command -> {
            throw new RejectedExecutionException("pool is shut down");
        });
        RecordingTask task = task("t", HIGH);
        scheduler.submit(task);
        assertEquals(List.of("reject SHUTTING_DOWN"), task.calls);
        assertEquals(0, scheduler.getActiveRequests());
    }

    @Test
    void thousandsOfWaitingRequestsCostNoThreadAndNoExecutorTask() {
        LlmQueueScheduler scheduler = new LlmQueueScheduler(2, 100_000, 100_000, false);
        scheduler.start(executor);
        for (int i = 0; i < 20_000; i++) {
            scheduler.submit(task("t" + i, i % 2 == 0 ? HIGH : LOW));
        }
        assertEquals(2, executor.pending(), "only the two started calls reach the executor");
        assertEquals(19_998, scheduler.getHighPriorityQueueSize() + scheduler.getLowPriorityQueueSize());
    }

    @Test
    void invalidLimitsAreRefusedWithTheOptionName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LlmQueueScheduler(0, 10, 10, false));
        assertTrue(e.getMessage().contains("maxConcurrentRequests"), e.getMessage());
        LlmQueueScheduler scheduler = scheduler(1);
        e = assertThrows(IllegalArgumentException.class, () -> scheduler.setMaxLowQueueSize(0));
        assertTrue(e.getMessage().contains("maxLowQueueSize"), e.getMessage());
    }

    private RecordingTask task(String name, LlmQueuePriority priority) {
        return new RecordingTask(name, priority);
    }

    private List<String> executed() {
        return events;
    }

    /** Holds started calls until the test runs them, one at a time, in the order they were started. */
    static final class ManualExecutor implements Executor {
        private final Deque<Runnable> started = new ArrayDeque<>();

        @Override
        public void execute(Runnable command) {
            started.addLast(command);
        }

        int pending() {
            return started.size();
        }

        void runOne() {
            started.removeFirst().run();
        }

        void runAll() {
            while (!started.isEmpty()) {
                runOne();
            }
        }
    }

    class RecordingTask implements QueuedTask {
        final String name;
        final LlmQueuePriority priority;
        final List<String> calls = new ArrayList<>();

        RecordingTask(String name, LlmQueuePriority priority) {
            this.name = name;
            this.priority = priority;
        }

        @Override
        public LlmQueuePriority priority() {
            return priority;
        }

        @Override
        public void execute() {
            events.add(name);
            calls.add("execute");
        }

        @Override
        public void complete() {
            calls.add("complete");
        }

        @Override
        public void reject(Reason reason, String message) {
            calls.add("reject " + reason);
        }
    }
}
