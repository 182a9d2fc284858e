package dev.llmqueue.camel.queue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import dev.llmqueue.camel.LlmQueueWhenFull;
import dev.llmqueue.camel.queue.LlmQueueScheduler.QueueRejection;
import dev.llmqueue.camel.queue.QueuedTask.Signal;
import org.junit.jupiter.api.Test;

import static dev.llmqueue.camel.LlmQueuePriority.HIGH;
import static dev.llmqueue.camel.LlmQueuePriority.LOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scheduler alone, without HTTP: a manual executor holds every started call until the test runs it, so each
 * order below is decided by the scheduler, never by thread timing.
 */
class LlmQueueSchedulerTest {

    private final ManualExecutor executor = new ManualExecutor();
    private final ManualTimer timer = new ManualTimer();
    private final List<String> events = new ArrayList<>();

    private LlmQueueScheduler scheduler(int slots) {
        return started(new LlmQueueScheduler(slots, 100, 100, false));
    }

    private LlmQueueScheduler started(LlmQueueScheduler scheduler) {
        scheduler.setClock(timer::now);
        scheduler.start(executor, timer);
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
        LlmQueueScheduler scheduler = started(new LlmQueueScheduler(1, 2, 5, false));
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
        LlmQueueScheduler scheduler = started(new LlmQueueScheduler(1, 10, 10, true));
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
        }, timer);
        RecordingTask task = task("t", HIGH);
        scheduler.submit(task);
        assertEquals(List.of("reject SHUTTING_DOWN"), task.calls);
        assertEquals(0, scheduler.getActiveRequests());
    }

    @Test
    void thousandsOfWaitingRequestsCostNoThreadAndNoExecutorTask() {
        LlmQueueScheduler scheduler = started(new LlmQueueScheduler(2, 100_000, 100_000, false));
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

    // ---- deadlines ----

    @Test
    void aWaitingRequestFailsAtItsDeadlineAndLeavesItsStack() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("running", HIGH));
        RecordingTask waiting = task("waiting", HIGH);
        waiting.deadline = timer.now() + TimeUnit.MILLISECONDS.toNanos(200);
        scheduler.submit(waiting);
        timer.advance(199, TimeUnit.MILLISECONDS);
        assertEquals(List.of(), waiting.calls);
        timer.advance(1, TimeUnit.MILLISECONDS);
        assertEquals(List.of("expire"), waiting.calls, "failed at that moment, not when it would have been popped");
        assertEquals(0, scheduler.getHighPriorityQueueSize());
        executor.runAll();
        assertEquals(List.of("running"), events, "its call is never made");
    }

    @Test
    void aRequestWhoseDeadlineAlreadyPassedFailsAtOnce() {
        LlmQueueScheduler scheduler = scheduler(1);
        RecordingTask late = task("late", HIGH);
        late.deadline = timer.now() - 1;
        scheduler.submit(late);
        assertEquals(List.of("expire"), late.calls);
        assertEquals(0, executor.pending());
    }

    @Test
    void aRequestThatStartsInTimeDisarmsItsDeadline() {
        LlmQueueScheduler scheduler = scheduler(1);
        RecordingTask task = task("t", HIGH);
        task.deadline = timer.now() + TimeUnit.SECONDS.toNanos(1);
        scheduler.submit(task);
        assertEquals(0, timer.pending());
        timer.advance(2, TimeUnit.SECONDS);
        executor.runAll();
        assertEquals(List.of("execute", "complete"), task.calls);
    }

    // ---- retries ----

    @Test
    void aRequestWaitingToRetryHoldsNoSlotAndReturnsOnTopOfItsStack() {
        LlmQueueScheduler scheduler = scheduler(1);
        RecordingTask flaky = task("flaky", HIGH);
        flaky.signals.add(Signal.OVERLOADED);
        flaky.retryDelay = TimeUnit.MILLISECONDS.toNanos(100);
        scheduler.submit(flaky);
        scheduler.submit(task("other-1", HIGH));
        scheduler.submit(task("other-2", HIGH));
        executor.runOne(); // flaky fails
        assertEquals(1, scheduler.getRetryingCount());
        assertEquals(1, scheduler.getActiveRequests(), "its slot went to the next request at once");
        assertEquals(List.of("execute"), flaky.calls, "not completed: it will try again");
        timer.advance(100, TimeUnit.MILLISECONDS);
        assertEquals(0, scheduler.getRetryingCount());
        executor.runAll();
        assertEquals(List.of("flaky", "other-2", "flaky", "other-1"), events,
                "back on top of its stack, it goes before the older other-1");
        assertEquals(List.of("execute", "execute", "complete"), flaky.calls);
    }

    @Test
    void aDeadlineThatPassesDuringTheBackOffEndsTheRequestWithoutARetry() {
        LlmQueueScheduler scheduler = scheduler(1);
        RecordingTask flaky = task("flaky", HIGH);
        flaky.deadline = timer.now() + TimeUnit.MILLISECONDS.toNanos(50);
        flaky.signals.add(Signal.FAILED);
        flaky.retryDelay = TimeUnit.MILLISECONDS.toNanos(100);
        scheduler.submit(flaky);
        executor.runAll();
        assertEquals(List.of("execute", "complete"), flaky.calls, "a retry after the deadline is not attempted");
    }

    @Test
    void stopFailsTheRequestsWaitingToRetry() {
        LlmQueueScheduler scheduler = scheduler(1);
        RecordingTask flaky = task("flaky", LOW);
        flaky.signals.add(Signal.FAILED);
        flaky.retryDelay = TimeUnit.SECONDS.toNanos(1);
        scheduler.submit(flaky);
        executor.runAll();
        scheduler.stop();
        assertEquals(List.of("execute", "reject SHUTTING_DOWN"), flaky.calls);
        assertEquals(0, timer.pending());
    }

    @Test
    void disablingBackgroundFailsLowRequestsWaitingToRetry() {
        LlmQueueScheduler scheduler = scheduler(1);
        RecordingTask flaky = task("flaky", LOW);
        flaky.signals.add(Signal.FAILED);
        flaky.retryDelay = TimeUnit.SECONDS.toNanos(1);
        scheduler.submit(flaky);
        executor.runAll();
        scheduler.setDisableBackground(true);
        assertEquals(List.of("execute", "reject BACKGROUND_DISABLED"), flaky.calls);
    }

    // ---- adaptive concurrency ----

    @Test
    void anOverloadedServerHasItsLimitHalvedAndSuccessesRaiseItByOne() {
        LlmQueueScheduler scheduler = scheduler(4);
        RecordingTask overloaded = task("overloaded", HIGH);
        overloaded.signals.add(Signal.OVERLOADED);
        scheduler.submit(overloaded);
        for (int i = 0; i < 20; i++) {
            scheduler.submit(task("t" + i, HIGH));
        }
        assertEquals(4, scheduler.getActiveRequests());
        executor.runOne(); // 429: limit 4 -> 2
        assertEquals(Map.of("server-1", 2), scheduler.getEffectiveLimits());
        assertEquals(3, scheduler.getActiveRequests(), "calls in flight go on");
        executor.runOne();
        assertEquals(2, scheduler.getActiveRequests(), "nothing starts while at or above the new limit");
        executor.runOne(); // a second success at limit 2: 2 -> 3
        assertEquals(Map.of("server-1", 3), scheduler.getEffectiveLimits());
        assertEquals(3, scheduler.getActiveRequests());
    }

    @Test
    void anotherServerKeepsItsOwnLimit() {
        LlmQueueScheduler scheduler = scheduler(2);
        RecordingTask overloaded = task("a1", HIGH);
        overloaded.signals.add(Signal.OVERLOADED);
        scheduler.submit(overloaded);
        RecordingTask other = task("b1", HIGH);
        other.target = "server-2";
        scheduler.submit(other);
        executor.runOne(); // a1: 429
        assertEquals(1, scheduler.getEffectiveLimits().get("server-1"));
        assertEquals(2, scheduler.getEffectiveLimits().get("server-2"));
    }

    // ---- nothing waiting costs a bounded resource; state follows the active servers ----

    @Test
    void aHundredThousandWaitingDeadlinesArmOneTimer() {
        LlmQueueScheduler scheduler = started(new LlmQueueScheduler(1, 200_000, 200_000, false));
        scheduler.submit(task("running", HIGH));
        List<RecordingTask> waiting = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            RecordingTask task = task("t" + i, i % 2 == 0 ? HIGH : LOW);
            // deadlines in every order, so the heap really sorts
            task.deadline = timer.now() + TimeUnit.MILLISECONDS.toNanos(1 + (i * 7919L) % 1000);
            waiting.add(task);
            scheduler.submit(task);
        }
        assertEquals(1, timer.pending(), "one timer entry, whatever the number of deadlines");
        timer.advance(500, TimeUnit.MILLISECONDS);
        long expired = waiting.stream().filter(t -> t.calls.equals(List.of("expire"))).count();
        assertEquals(50_000, expired, "exactly the deadlines up to now have passed");
        assertEquals(1, timer.pending());
        timer.advance(500, TimeUnit.MILLISECONDS);
        assertTrue(waiting.stream().allMatch(t -> t.calls.equals(List.of("expire"))), "each expired exactly once");
        assertEquals(0, timer.pending(), "nothing left to wake up for");
        assertEquals(0, scheduler.getHighPriorityQueueSize() + scheduler.getLowPriorityQueueSize());
    }

    @Test
    void deadlinesExpireInDeadlineOrderNotArrivalOrder() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("running", HIGH));
        List<String> expired = new ArrayList<>();
        for (int millis : new int[] { 300, 100, 200 }) {
            RecordingTask task = new RecordingTask("d" + millis, HIGH) {
                @Override
                public void expire() {
                    expired.add(name);
                }
            };
            task.deadline = timer.now() + TimeUnit.MILLISECONDS.toNanos(millis);
            scheduler.submit(task);
        }
        timer.advance(1, TimeUnit.SECONDS);
        assertEquals(List.of("d100", "d200", "d300"), expired);
    }

    @Test
    void moreThanAThousandRequestsWaitingToRetryAllComeBackAndComplete() {
        LlmQueueScheduler scheduler = started(new LlmQueueScheduler(1, 5000, 5000, false));
        List<RecordingTask> tasks = new ArrayList<>();
        for (int i = 0; i < 1100; i++) {
            RecordingTask task = task("t" + i, HIGH);
            task.signals.add(Signal.OVERLOADED);
            task.retryDelay = TimeUnit.SECONDS.toNanos(4);
            task.deadline = timer.now() + TimeUnit.MINUTES.toNanos(1);
            tasks.add(task);
            scheduler.submit(task);
        }
        scheduler.setAdaptiveConcurrency(false);
        executor.runAll();
        assertEquals(1100, scheduler.getRetryingCount(), "every first attempt failed and waits out its back-off");
        assertEquals(1, timer.pending(), "one timer entry for 1100 retries and their deadlines");
        timer.advance(4, TimeUnit.SECONDS);
        executor.runAll();
        assertTrue(tasks.stream().allMatch(t -> t.calls.equals(List.of("execute", "execute", "complete"))));
        assertEquals(0, scheduler.getRetryingCount());
        assertEquals(0, timer.pending());
    }

    @Test
    void aDeadlineBeyondACenturyCountsAsNoneAndNeverDisablesRetries() {
        LlmQueueScheduler scheduler = scheduler(1);
        RecordingTask flaky = task("flaky", HIGH);
        // as far in the future as a long allows: now + MAX_VALUE wraps round to a negative nanoTime
        flaky.deadline = timer.now() + Long.MAX_VALUE;
        flaky.signals.add(Signal.FAILED);
        flaky.retryDelay = TimeUnit.MILLISECONDS.toNanos(100);
        scheduler.submit(flaky);
        assertEquals(List.of(), flaky.calls, "not expired on arrival");
        executor.runAll();
        timer.advance(100, TimeUnit.MILLISECONDS);
        executor.runAll();
        assertEquals(List.of("execute", "execute", "complete"), flaky.calls);
    }

    @Test
    void dropOldestBeyondAThousandDeadlinesEndsEveryDroppedRequest() {
        LlmQueueScheduler scheduler = started(new LlmQueueScheduler(1, 1000, 1000, false));
        scheduler.setWhenFull(LlmQueueWhenFull.dropOldest);
        scheduler.submit(task("running", HIGH));
        List<RecordingTask> tasks = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            RecordingTask task = task("t" + i, HIGH);
            task.deadline = timer.now() + TimeUnit.MINUTES.toNanos(1);
            tasks.add(task);
            scheduler.submit(task);
        }
        assertEquals(1000, scheduler.getHighPriorityQueueSize());
        for (int i = 0; i < 500; i++) {
            assertEquals(List.of("reject QUEUE_FULL"), tasks.get(i).calls, "t" + i);
        }
        timer.advance(1, TimeUnit.MINUTES);
        for (int i = 500; i < 1500; i++) {
            assertEquals(List.of("expire"), tasks.get(i).calls, "t" + i);
        }
    }

    @Test
    void aServerWithNothingWaitingOrRunningIsForgotten() {
        LlmQueueScheduler scheduler = scheduler(2);
        for (int i = 0; i < 20_000; i++) {
            RecordingTask task = task("t" + i, HIGH);
            task.target = "http://server-" + i;
            scheduler.submit(task);
            executor.runAll();
        }
        assertEquals(0, scheduler.serverCounts()[0], "no server is kept once its work is done");
        assertEquals(0, scheduler.serverCounts()[1]);
        assertEquals(Map.of(), scheduler.getEffectiveLimits());
    }

    @Test
    void anIdleServerKeepsItsLoweredLimitForItsNextRequests() {
        LlmQueueScheduler scheduler = scheduler(4);
        RecordingTask overloaded = task("overloaded", HIGH);
        overloaded.signals.add(Signal.OVERLOADED);
        scheduler.submit(overloaded);
        executor.runAll();
        assertEquals(Map.of("server-1", 2), scheduler.getEffectiveLimits());
        assertEquals(0, scheduler.serverCounts()[0]);
        for (int i = 0; i < 4; i++) {
            scheduler.submit(task("t" + i, HIGH));
        }
        assertEquals(2, scheduler.getActiveRequests(), "the lowered limit still holds when work comes back");
    }

    @Test
    void onlyTheMostRecentlyIdleLoweredLimitsAreRemembered() {
        LlmQueueScheduler scheduler = scheduler(4);
        for (int i = 0; i < LlmQueueScheduler.REMEMBERED_LIMITS + 500; i++) {
            RecordingTask task = task("t" + i, HIGH);
            task.target = "http://server-" + i;
            task.signals.add(Signal.OVERLOADED);
            scheduler.submit(task);
            executor.runAll();
        }
        assertEquals(LlmQueueScheduler.REMEMBERED_LIMITS, scheduler.serverCounts()[1]);
        assertFalse(scheduler.getEffectiveLimits().containsKey("http://server-0"), "the least recently idle went");
        assertEquals(2, scheduler.getEffectiveLimits().get("http://server-" + (LlmQueueScheduler.REMEMBERED_LIMITS + 499)));
    }

    // ---- an ending that throws never stops the others ----

    @Test
    void stopEndsEveryWaitingRequestEvenWhenOneThrowsWhileEnding() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("running", HIGH));
        List<RecordingTask> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            RecordingTask task = i != 0 ? task("w" + i, HIGH) : new RecordingTask("thrower", HIGH) {
                @Override
                public void reject(Reason reason, String message) {
                    super.reject(reason, message);
                    throw new AssertionError("a broken ending");
                }
            };
            waiting.add(task);
            scheduler.submit(task);
        }
        scheduler.stop();
        assertTrue(waiting.stream().allMatch(t -> t.calls.equals(List.of("reject SHUTTING_DOWN"))));
    }

    @Test
    void aCallThatCannotGetAThreadIsRejectedAndGivesItsSlotBack() {
        LlmQueueScheduler scheduler = new LlmQueueScheduler(1, 10, 10, false);
        scheduler.start(command -> {
            throw new OutOfMemoryError("unable to create native thread");
        }, timer);
        RecordingTask task = task("t", HIGH);
        scheduler.submit(task);
        assertEquals(List.of("reject SHUTTING_DOWN"), task.calls);
        assertEquals(0, scheduler.getActiveRequests());
    }

    @Test
    void aRequestForAServerWithRoomIsNotHeldBackByAServerAtItsLimit() {
        LlmQueueScheduler scheduler = scheduler(2);
        RecordingTask overloaded = task("a0", HIGH);
        overloaded.signals.add(Signal.OVERLOADED);
        scheduler.submit(overloaded);
        executor.runAll(); // server-1 limit 1
        scheduler.submit(task("a1", HIGH)); // runs: server-1 now at its limit
        scheduler.submit(task("a2", HIGH)); // waits for server-1
        RecordingTask b = task("b", LOW);
        b.target = "server-2";
        scheduler.submit(b);
        assertEquals(2, executor.pending(), "b starts though a2, above it, waits for its own server");
        executor.runAll();
        assertEquals(List.of("a0", "a1", "b", "a2"), events);
    }

    @Test
    void requestsForSeveralServersAreStillServedHighFirstAndNewestFirstAcrossServers() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("running", HIGH));
        String[][] arrivals = { { "a-low", "server-1", "LOW" }, { "b-high", "server-2", "HIGH" },
                { "c-high", "server-1", "HIGH" }, { "d-low", "server-2", "LOW" }, { "e-high", "server-2", "HIGH" } };
        for (String[] arrival : arrivals) {
            RecordingTask t = task(arrival[0], LlmQueuePriority.valueOf(arrival[2]));
            t.target = arrival[1];
            scheduler.submit(t);
        }
        assertEquals(3, scheduler.getHighPriorityQueueSize());
        assertEquals(2, scheduler.getLowPriorityQueueSize());
        executor.runAll();
        assertEquals(List.of("running", "e-high", "c-high", "b-high", "d-low", "a-low"), events);
    }

    @Test
    void dropOldestDropsTheOldestOfThePriorityAcrossServers() {
        LlmQueueScheduler scheduler = started(new LlmQueueScheduler(1, 10, 2, false));
        scheduler.setWhenFull(LlmQueueWhenFull.dropOldest);
        scheduler.submit(task("running", HIGH));
        RecordingTask oldest = task("oldest", LOW);
        oldest.target = "server-2";
        scheduler.submit(oldest);
        scheduler.submit(task("newer", LOW));
        scheduler.submit(task("newest", LOW));
        assertEquals(List.of("reject QUEUE_FULL"), oldest.calls);
    }

    // ---- aging, load shedding, cancellation, abandoned callers ----

    @Test
    void aLowRequestThatWaitedLongerThanLowPriorityMaxWaitGoesBeforeHigh() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.setLowPriorityMaxWait(1000);
        scheduler.submit(task("running", HIGH));
        scheduler.submit(task("old-low", LOW));
        timer.advance(1, TimeUnit.SECONDS);
        scheduler.submit(task("new-high", HIGH));
        executor.runAll();
        assertEquals(List.of("running", "old-low", "new-high"), events);
    }

    @Test
    void underSteadyHighLoadEveryLowRequestStartsWithinLowPriorityMaxWaitPlusOneServiceTime() {
        long serviceMillis = 50;
        long maxWaitMillis = 1000;
        LlmQueueScheduler scheduler = started(new LlmQueueScheduler(1, 100_000, 100_000, false));
        scheduler.setLowPriorityMaxWait(maxWaitMillis);
        Map<String, Long> lowQueuedAt = new java.util.HashMap<>();
        Map<String, Long> lowStartedAt = new java.util.HashMap<>();
        int highs = 0;
        for (int step = 0; step < 400; step++) {
            // HIGH arrives continuously: two new ones per service time, so HIGH alone would always fill the slot
            scheduler.submit(task("high-" + highs++, HIGH));
            scheduler.submit(task("high-" + highs++, HIGH));
            if (step % 10 == 0) {
                String name = "low-" + step;
                lowQueuedAt.put(name, timer.now());
                scheduler.submit(task(name, LOW));
            }
            // one call per service time: the manual executor runs a call when it ends, so it started one
            // service time earlier, when the previous call ended and the scheduler chose it
            int before = events.size();
            executor.runOne();
            String ended = events.get(before);
            if (ended.startsWith("low-")) {
                lowStartedAt.put(ended, timer.now() - TimeUnit.MILLISECONDS.toNanos(serviceMillis));
            }
            timer.advance(serviceMillis, TimeUnit.MILLISECONDS);
        }
        long boundNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMillis + serviceMillis);
        lowQueuedAt.forEach((name, queued) -> {
            if (queued + boundNanos <= timer.now()) {
                assertTrue(lowStartedAt.containsKey(name), name + " never started");
                long waited = lowStartedAt.get(name) - queued;
                assertTrue(waited <= boundNanos, name + " waited " + TimeUnit.NANOSECONDS.toMillis(waited) + " ms");
            }
        });
        assertTrue(lowStartedAt.size() >= 30, "background work makes progress: " + lowStartedAt.size() + " LOW started");
    }

    @Test
    void withoutAgingHighAlwaysGoesFirst() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("running", HIGH));
        scheduler.submit(task("old-low", LOW));
        timer.advance(1, TimeUnit.HOURS);
        scheduler.submit(task("new-high", HIGH));
        executor.runAll();
        assertEquals(List.of("running", "new-high", "old-low"), events);
    }

    @Test
    void dropOldestFailsTheBottomOfAFullStackAndAcceptsTheNewRequest() {
        LlmQueueScheduler scheduler = started(new LlmQueueScheduler(1, 10, 2, false));
        scheduler.setWhenFull(LlmQueueWhenFull.dropOldest);
        scheduler.submit(task("running", HIGH));
        RecordingTask oldest = task("oldest", LOW);
        scheduler.submit(oldest);
        scheduler.submit(task("middle", LOW));
        scheduler.submit(task("newest", LOW));
        assertEquals(List.of("reject QUEUE_FULL"), oldest.calls);
        assertEquals(2, scheduler.getLowPriorityQueueSize());
        executor.runAll();
        assertEquals(List.of("running", "newest", "middle"), events);
    }

    @Test
    void aRequestArrivingPastItsDeadlineCostsNoWaitingRequestItsPlace() {
        LlmQueueScheduler scheduler = started(new LlmQueueScheduler(1, 10, 1, false));
        scheduler.setWhenFull(LlmQueueWhenFull.dropOldest);
        scheduler.submit(task("running", HIGH));
        RecordingTask waiting = task("waiting", LOW);
        scheduler.submit(waiting);
        RecordingTask late = task("late", LOW);
        late.deadline = timer.now() - 1;
        scheduler.submit(late);
        assertEquals(List.of("expire"), late.calls);
        assertEquals(List.of(), waiting.calls, "not dropped for a request that was never going to wait");
        assertEquals(1, scheduler.getLowPriorityQueueSize());
    }

    @Test
    void cancelRemovesAWaitingRequestAndFailsItAsCancelled() {
        LlmQueueScheduler scheduler = scheduler(1);
        RecordingTask running = task("running", HIGH);
        scheduler.submit(running);
        RecordingTask waiting = task("waiting", LOW);
        scheduler.submit(waiting);
        assertTrue(scheduler.cancel("waiting"));
        assertEquals(List.of("cancel"), waiting.calls);
        assertFalse(scheduler.cancel("running"), "a call in flight is not cancelled");
        assertFalse(scheduler.cancel("unknown"));
        executor.runAll();
        assertEquals(List.of("running"), events);
    }

    @Test
    void aRequestWhoseCallerGaveUpIsSkippedWithoutACall() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("running", HIGH));
        RecordingTask abandoned = task("abandoned", HIGH);
        scheduler.submit(abandoned);
        RecordingTask next = task("next", LOW);
        scheduler.submit(next);
        abandoned.abandoned = true;
        executor.runAll();
        assertEquals(List.of("skip"), abandoned.calls);
        assertEquals(List.of("running", "next"), events);
    }

    @Test
    void newestWaitingListsAPriorityNewestFirstUpToTheLimit() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("running", HIGH));
        for (int i = 1; i <= 5; i++) {
            scheduler.submit(task("low" + i, LOW));
            scheduler.submit(task("high" + i, HIGH));
        }
        assertEquals(List.of("high5", "high4", "high3"), ids(scheduler.newestWaiting(HIGH, 3)));
        assertEquals(List.of("low5", "low4", "low3", "low2", "low1"), ids(scheduler.newestWaiting(LOW, 100)),
                "all of them when fewer wait than the limit; the running one is not waiting");
        assertEquals(List.of(), scheduler.newestWaiting(LOW, 0));
        assertEquals(5, scheduler.getLowPriorityQueueSize(), "reading does not take anything off the stacks");
    }

    @Test
    void newestWaitingMergesTheServersStacksByArrivalOrder() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.submit(task("running", HIGH));
        List<String> pushed = new ArrayList<>();
        String[] servers = { "a", "b", "c" };
        // an irregular interleaving, so that no server's stack is a contiguous run of arrivals
        int[] pattern = { 0, 0, 1, 2, 2, 2, 1, 0, 2, 1, 1, 0, 2, 0, 1 };
        for (int i = 0; i < pattern.length; i++) {
            RecordingTask t = task("t" + i + "@" + servers[pattern[i]], LOW);
            t.target = servers[pattern[i]];
            scheduler.submit(t);
            pushed.add(0, t.name);
        }
        assertEquals(pushed.subList(0, 7), ids(scheduler.newestWaiting(LOW, 7)));
        assertEquals(pushed, ids(scheduler.newestWaiting(LOW, 1000)));
        List<String> all = new ArrayList<>();
        scheduler.forEachWaiting(t -> all.add(t.id()));
        assertEquals(all, ids(scheduler.newestWaiting(LOW, 1000)), "the same order as the full listing");
    }

    @Test
    void newestWaitingLeavesOutCancelledRunningAndRetryingTasks() {
        LlmQueueScheduler scheduler = scheduler(1);
        RecordingTask flaky = task("flaky", HIGH);
        flaky.signals.add(Signal.FAILED);
        flaky.retryDelay = TimeUnit.SECONDS.toNanos(5);
        scheduler.submit(flaky);
        scheduler.submit(task("h1", HIGH));
        scheduler.submit(task("h2", HIGH));
        scheduler.submit(task("h3", HIGH));
        executor.runOne(); // flaky fails and waits out its back-off; h3 starts
        assertTrue(scheduler.cancel("h2"));
        assertEquals(List.of("h1"), ids(scheduler.newestWaiting(HIGH, 10)));
        assertEquals(1, scheduler.getRetryingCount());
        timer.advance(5, TimeUnit.SECONDS);
        assertEquals(List.of("flaky", "h1"), ids(scheduler.newestWaiting(HIGH, 10)),
                "back on its stack after the back-off, on top");
    }

    @Test
    void oldestWaitingIsTheAgeOfTheBottomOfAPriorityAcrossServers() {
        LlmQueueScheduler scheduler = scheduler(1);
        assertEquals(0, scheduler.oldestWaitingNanos(LOW), "nothing waits");
        scheduler.submit(task("running", HIGH));
        RecordingTask first = task("first", LOW);
        first.target = "a";
        scheduler.submit(first);
        timer.advance(300, TimeUnit.MILLISECONDS);
        RecordingTask second = task("second", LOW);
        second.target = "b";
        scheduler.submit(second);
        timer.advance(200, TimeUnit.MILLISECONDS);
        assertEquals(TimeUnit.MILLISECONDS.toNanos(500), scheduler.oldestWaitingNanos(LOW));
        assertEquals(0, scheduler.oldestWaitingNanos(HIGH));
        assertTrue(scheduler.cancel("first"));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(200), scheduler.oldestWaitingNanos(LOW));
    }

    private static List<String> ids(List<QueuedTask> tasks) {
        return tasks.stream().map(QueuedTask::id).toList();
    }

    // ---- issue 15: HIGH never waits behind LOW work that is already running ----

    @Test
    void reservedHighSlotsLeaveSlotsThatOnlyHighMayTake() {
        LlmQueueScheduler scheduler = scheduler(3);
        scheduler.setReservedHighSlots(1);
        for (int i = 0; i < 5; i++) {
            scheduler.submit(task("low" + i, LOW));
        }
        assertEquals(2, scheduler.getActiveRequests(), "LOW holds at most maxConcurrentRequests - reservedHighSlots");
        assertEquals(3, scheduler.getLowPriorityQueueSize());
        scheduler.submit(task("high", HIGH));
        assertEquals(3, scheduler.getActiveRequests(), "HIGH takes the reserved slot at once");
        assertEquals(0, scheduler.getHighPriorityQueueSize());
    }

    @Test
    void theReservationIsHonouredAcrossLiveChanges() {
        LlmQueueScheduler scheduler = scheduler(2);
        scheduler.setReservedHighSlots(1);
        for (int i = 0; i < 6; i++) {
            scheduler.submit(task("low" + i, LOW));
        }
        assertEquals(1, scheduler.getActiveRequests());
        scheduler.setMaxConcurrentRequests(4);
        assertEquals(3, scheduler.getActiveRequests(), "raising the slots lets LOW take all but the reserved one");
        scheduler.setReservedHighSlots(2);
        executor.runOne();
        assertEquals(2, scheduler.getActiveRequests(), "raising the reservation starts no LOW until below 4 - 2");
        scheduler.submit(task("high", HIGH));
        assertEquals(3, scheduler.getActiveRequests());
        scheduler.setReservedHighSlots(0);
        assertEquals(4, scheduler.getActiveRequests(), "lowering it starts a waiting LOW at once");

        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> scheduler.setReservedHighSlots(4));
        assertTrue(tooMany.getMessage().contains("reservedHighSlots (4)"), tooMany.getMessage());
        assertTrue(tooMany.getMessage().contains("maxConcurrentRequests (4)"), tooMany.getMessage());
        scheduler.setReservedHighSlots(3);
        IllegalArgumentException fewerSlots = assertThrows(IllegalArgumentException.class,
                () -> scheduler.setMaxConcurrentRequests(3));
        assertTrue(fewerSlots.getMessage().contains("reservedHighSlots (3)"), fewerSlots.getMessage());
        assertEquals(4, scheduler.getMaxConcurrentRequests(), "a refused change changes nothing");
        assertThrows(IllegalArgumentException.class, () -> scheduler.setReservedHighSlots(-1));
    }

    @Test
    void preemptionTakesTheSlotOfTheLowCallThatStartedLast() {
        LlmQueueScheduler scheduler = scheduler(2);
        scheduler.setPreemptLow(true);
        RecordingTask first = task("first", LOW);
        RecordingTask last = task("last", LOW);
        scheduler.submit(first);
        scheduler.submit(last);
        assertEquals(2, scheduler.getActiveRequests());
        RecordingTask high = task("high", HIGH);
        scheduler.submit(high);
        assertFalse(first.callHandle().isPreempted());
        assertTrue(last.callHandle().isPreempted(), "the LOW call that started last gives its slot back");
        assertEquals(1, scheduler.getHighPriorityQueueSize(), "HIGH gets the slot once the aborted call returns");

        executor.runAt(1); // the preempted call returns
        assertEquals(1, last.aborts, "its call was aborted");
        assertEquals(0, scheduler.getHighPriorityQueueSize(), "HIGH started in the slot it gave back");
        assertEquals(1, scheduler.getLowPriorityQueueSize(), "the preempted request waits on its stack");
        assertEquals(0, scheduler.getRetryingCount(), "not a retry: no back-off");
        assertEquals(List.of("execute", "preempted"), last.calls);
        executor.runAll();
        assertEquals(List.of("last", "first", "high", "last"), events);
        assertEquals(List.of("execute", "preempted", "execute", "complete"), last.calls, "completes exactly once");
        assertEquals(List.of("execute", "complete"), first.calls);
        assertEquals(List.of("execute", "complete"), high.calls);
    }

    @Test
    void aPreemptedRequestGoesBackOnTopOfItsStackAndServedBeforeOlderLow() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.setPreemptLow(true);
        scheduler.submit(task("running", LOW));
        scheduler.submit(task("older", LOW));
        scheduler.submit(task("high", HIGH));
        executor.runAll();
        assertEquals(List.of("running", "high", "running", "older"), events);
    }

    @Test
    void aPreemptedRequestKeepsItsDeadline() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.setPreemptLow(true);
        RecordingTask low = task("low", LOW);
        low.deadline = timer.now() + TimeUnit.SECONDS.toNanos(10);
        scheduler.submit(low);
        assertEquals(0, timer.pending(), "a running request has no deadline armed");
        RecordingTask high = task("high", HIGH);
        scheduler.submit(high);
        executor.runOne(); // the preempted call returns; HIGH starts
        assertEquals(1, scheduler.getLowPriorityQueueSize());
        assertEquals(1, timer.pending(), "its deadline is armed again, not a new one");
        timer.advance(10, TimeUnit.SECONDS);
        assertEquals(List.of("execute", "preempted", "expire"), low.calls, "ends exactly once, at its first deadline");
        executor.runAll();
        assertEquals(List.of("execute", "complete"), high.calls);
        assertEquals(List.of("low", "high"), events);
    }

    @Test
    void aRequestIsPreemptedAtMostMaxPreemptionsTimes() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.setPreemptLow(true);
        scheduler.setMaxPreemptions(1);
        RecordingTask low = task("low", LOW);
        scheduler.submit(low);
        scheduler.submit(task("high1", HIGH));
        executor.runOne(); // low preempted
        executor.runOne(); // high1 ends; low starts again
        assertEquals(1, executor.pending());
        scheduler.submit(task("high2", HIGH));
        assertFalse(low.callHandle().isPreempted(), "preempted once already: it runs to the end");
        assertEquals(1, scheduler.getHighPriorityQueueSize());
        executor.runAll();
        assertEquals(List.of("low", "high1", "low", "high2"), events);
        assertEquals(List.of("execute", "preempted", "execute", "complete"), low.calls);
    }

    @Test
    void maxPreemptionsZeroNeverPreempts() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.setPreemptLow(true);
        scheduler.setMaxPreemptions(0);
        RecordingTask low = task("low", LOW);
        scheduler.submit(low);
        scheduler.submit(task("high", HIGH));
        assertFalse(low.callHandle().isPreempted());
    }

    @Test
    void withoutPreemptLowHighWaitsForTheRunningLowCall() {
        LlmQueueScheduler scheduler = scheduler(1);
        RecordingTask low = task("low", LOW);
        scheduler.submit(low);
        scheduler.submit(task("high", HIGH));
        assertFalse(low.callHandle().isPreempted());
        executor.runAll();
        assertEquals(List.of("low", "high"), events);
    }

    @Test
    void aStreamingCallThatDeliveredTokensIsNeverPreempted() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.setPreemptLow(true);
        List<String> seen = new ArrayList<>();
        RecordingTask streaming = new RecordingTask("streaming", LOW) {
            @Override
            public Signal execute() {
                events.add(name);
                // the first token reached the route: from now on the call may not be taken back
                assertTrue(callHandle().commit());
                scheduler.submit(task("high", HIGH));
                seen.add("preempted=" + callHandle().isPreempted() + " highWaiting=" + scheduler.getHighPriorityQueueSize());
                return Signal.SUCCESS;
            }
        };
        scheduler.submit(streaming);
        executor.runAll();
        assertEquals(List.of("preempted=false highWaiting=1"), seen);
        assertEquals(List.of("streaming", "high"), events);
    }

    @Test
    void aCallPreemptedBeforeItsFirstTokenMayNotCommit() {
        QueuedTask.CallHandle handle = new QueuedTask.CallHandle();
        assertTrue(handle.tryPreempt());
        assertFalse(handle.commit(), "the stream must stop without delivering");
        QueuedTask.CallHandle committed = new QueuedTask.CallHandle();
        assertTrue(committed.commit());
        assertFalse(committed.tryPreempt());
    }

    @Test
    void aCallThatEndsNormallyAsItIsPreemptedSimplyCompletes() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.setPreemptLow(true);
        RecordingTask low = new RecordingTask("low", LOW) {
            @Override
            public Signal execute() {
                // the reply was read in full just before the abort landed
                events.add(name);
                calls.add("execute");
                return Signal.SUCCESS;
            }
        };
        scheduler.submit(low);
        scheduler.submit(task("high", HIGH));
        assertTrue(low.callHandle().isPreempted());
        executor.runAll();
        assertEquals(List.of("execute", "complete"), low.calls, "not run again");
        assertEquals(List.of("low", "high"), events);
        assertEquals(0, scheduler.getActiveRequests());
    }

    @Test
    void oneHighWaitingPreemptsOneLowCallAndNotMore() {
        LlmQueueScheduler scheduler = scheduler(3);
        scheduler.setPreemptLow(true);
        List<RecordingTask> lows = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            lows.add(task("low" + i, LOW));
            scheduler.submit(lows.get(i));
        }
        scheduler.submit(task("high1", HIGH));
        scheduler.submit(task("low3", LOW)); // another promotion: must not take a second slot for the same HIGH
        assertEquals(1, lows.stream().filter(t -> t.callHandle().isPreempted()).count());
        scheduler.submit(task("high2", HIGH));
        assertEquals(2, lows.stream().filter(t -> t.callHandle().isPreempted()).count());
        assertTrue(lows.get(2).callHandle().isPreempted() && lows.get(1).callHandle().isPreempted());
    }

    @Test
    void aPreemptedRequestIsRejectedWhenTheQueueStopsMeanwhile() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.setPreemptLow(true);
        RecordingTask low = task("low", LOW);
        scheduler.submit(low);
        RecordingTask high = task("high", HIGH);
        scheduler.submit(high);
        scheduler.stop();
        executor.runAll();
        assertEquals(List.of("execute", "preempted", "reject SHUTTING_DOWN"), low.calls);
        assertEquals(List.of("reject SHUTTING_DOWN"), high.calls);
    }

    @Test
    void aPreemptedRequestIsSkippedWhenItsCallerGaveUpMeanwhile() {
        LlmQueueScheduler scheduler = scheduler(1);
        scheduler.setPreemptLow(true);
        RecordingTask low = task("low", LOW);
        scheduler.submit(low);
        scheduler.submit(task("high", HIGH));
        executor.runOne();
        low.abandoned = true;
        executor.runAll();
        assertEquals(List.of("execute", "preempted", "skip"), low.calls);
    }

    @Test
    void aSilentServerEndsUpHoldingOneSlot() {
        LlmQueueScheduler scheduler = scheduler(4);
        List<RecordingTask> silent = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            RecordingTask task = task("silent" + i, LOW);
            task.target = "silent";
            // each call times out: overload, tried again after a second
            for (int k = 0; k < 10; k++) {
                task.signals.add(Signal.OVERLOADED);
            }
            task.retryDelay = TimeUnit.SECONDS.toNanos(1);
            silent.add(task);
            scheduler.submit(task);
        }
        assertEquals(4, scheduler.getActiveRequests(), "at first the silent server holds every slot");
        executor.runAll();
        assertEquals(Map.of("silent", 1), scheduler.getEffectiveLimits(), "halved on each timeout, never below 1");
        timer.advance(1, TimeUnit.SECONDS);
        assertEquals(1, scheduler.getActiveRequests(), "back from their back-off, one call at a time");
        for (int i = 0; i < 3; i++) {
            RecordingTask high = task("high" + i, HIGH);
            high.target = "healthy";
            scheduler.submit(high);
        }
        assertEquals(4, scheduler.getActiveRequests(), "the healthy server gets the other slots at once");
        assertEquals(0, scheduler.getHighPriorityQueueSize());
    }

    @Test
    void maxConcurrentRequestsPerServerBoundsWhatOneServerHolds() {
        LlmQueueScheduler scheduler = scheduler(4);
        scheduler.setMaxConcurrentRequestsPerServer(2);
        for (int i = 0; i < 4; i++) {
            scheduler.submit(task("a" + i, HIGH));
        }
        assertEquals(2, scheduler.getActiveRequests());
        RecordingTask other = task("b", LOW);
        other.target = "server-2";
        scheduler.submit(other);
        assertEquals(3, scheduler.getActiveRequests(), "another server is not held back");
        assertEquals(Map.of("server-1", 2, "server-2", 2), scheduler.getEffectiveLimits());
        scheduler.setMaxConcurrentRequestsPerServer(0);
        assertEquals(4, scheduler.getActiveRequests(), "removing the cap starts waiting requests at once");
        assertThrows(IllegalArgumentException.class, () -> scheduler.setMaxConcurrentRequestsPerServer(-1));
    }

    @Test
    void anOverloadedServerUnderAPerServerCapIsHalvedFromTheCap() {
        LlmQueueScheduler scheduler = scheduler(8);
        scheduler.setMaxConcurrentRequestsPerServer(4);
        RecordingTask task = task("t", HIGH);
        task.signals.add(Signal.OVERLOADED);
        scheduler.submit(task);
        executor.runAll();
        assertEquals(Map.of("server-1", 2), scheduler.getEffectiveLimits());
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

        /** Runs the call started {@code index}-th among those pending (0 = the first started). */
        void runAt(int index) {
            List<Runnable> list = new ArrayList<>(started);
            Runnable chosen = list.remove(index);
            started.clear();
            started.addAll(list);
            chosen.run();
        }
    }

    class RecordingTask extends QueuedTask {
        final String name;
        final LlmQueuePriority priority;
        final List<String> calls = new ArrayList<>();
        Object target = "server-1";
        long deadline;
        boolean abandoned;
        /** What each execute() reports, in turn; SUCCESS once they run out. */
        final Deque<Signal> signals = new ArrayDeque<>();
        /** The back-off asked for after a failed attempt, or -1. */
        long retryDelay = -1;
        private Signal last;

        RecordingTask(String name, LlmQueuePriority priority) {
            this.name = name;
            this.priority = priority;
        }

        @Override
        public String id() {
            return name;
        }

        @Override
        public LlmQueuePriority priority() {
            return priority;
        }

        @Override
        public Object target() {
            return target;
        }

        @Override
        public long deadlineNanos() {
            return deadline;
        }

        @Override
        public boolean isAbandoned() {
            return abandoned;
        }

        /** How many times preemption aborted this task's call. */
        int aborts;

        @Override
        public Signal execute() {
            events.add(name);
            calls.add("execute");
            // as the endpoint does before the request goes out: a preemption that came first aborts at once
            callHandle().onAbort(() -> aborts++);
            if (callHandle().isPreempted()) {
                calls.add("preempted");
                last = Signal.PREEMPTED;
                return last;
            }
            last = signals.isEmpty() ? Signal.SUCCESS : signals.removeFirst();
            return last;
        }

        @Override
        public long retryDelayNanos() {
            return last == Signal.SUCCESS ? -1 : retryDelay;
        }

        @Override
        public void complete() {
            calls.add("complete");
        }

        @Override
        public void reject(Reason reason, String message) {
            calls.add("reject " + reason);
        }

        @Override
        public void expire() {
            calls.add("expire");
        }

        @Override
        public void cancel() {
            calls.add("cancel");
        }

        @Override
        public void skip() {
            calls.add("skip");
        }
    }
}
