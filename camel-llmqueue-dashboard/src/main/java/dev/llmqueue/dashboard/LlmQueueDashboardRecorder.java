package dev.llmqueue.dashboard;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueListener;
import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import org.apache.camel.CamelContext;
import org.apache.camel.Component;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the dashboard remembers, for the whole {@link CamelContext}: one sample per second of every llmqueue component
 * for the last {@value #WINDOW_SECONDS} seconds, and the last {@value #SERVED} requests served. One per context,
 * whatever the number of dashboards and viewers: a single timer from Camel's {@code ExecutorServiceManager} takes the
 * samples, and a viewer only reads them.
 */
public final class LlmQueueDashboardRecorder extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(LlmQueueDashboardRecorder.class);

    /** How much history is kept. */
    public static final int WINDOW_SECONDS = 600;
    /** How many served requests the timeline keeps. */
    public static final int SERVED = 50;
    /** The waits kept per priority and second for that second's percentiles (a uniform sample beyond that). */
    private static final int WAITS_PER_SECOND = 4096;

    private final CamelContext context;
    private final Map<LlmQueueComponent, Track> tracks = new ConcurrentHashMap<>();
    private ScheduledExecutorService timer;

    LlmQueueDashboardRecorder(CamelContext context) {
        this.context = context;
    }

    /** The context's recorder, added to it (and so started with it) the first time. */
    static LlmQueueDashboardRecorder of(CamelContext context) {
        synchronized (context) {
            LlmQueueDashboardRecorder recorder = context.hasService(LlmQueueDashboardRecorder.class);
            if (recorder == null) {
                recorder = new LlmQueueDashboardRecorder(context);
                try {
                    context.addService(recorder, true, true);
                } catch (Exception e) {
                    throw new IllegalStateException("Cannot add the llmqueue dashboard's recorder", e);
                }
            }
            return recorder;
        }
    }

    @Override
    protected void doStart() throws Exception {
        // followed from the start: the first second's completions count
        components();
        timer = context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "LlmQueueDashboard");
        long now = System.currentTimeMillis();
        // on the second, so that the samples of every component line up
        timer.scheduleAtFixedRate(this::sampleSafely, 1000 - now % 1000, 1000, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() throws Exception {
        if (timer != null) {
            context.getExecutorServiceManager().shutdownNow(timer);
            timer = null;
        }
        tracks.forEach((component, track) -> component.removeListener(track));
        tracks.clear();
    }

    /** The llmqueue components of the context, by name, each followed from now on. */
    Map<String, Track> components() {
        Map<String, Track> found = new TreeMap<>();
        for (String name : context.getComponentNames()) {
            Component component = context.hasComponent(name);
            if (component instanceof LlmQueueComponent queue) {
                found.put(name, track(name, queue));
            }
        }
        return found;
    }

    private Track track(String name, LlmQueueComponent component) {
        return tracks.computeIfAbsent(component, c -> {
            Track track = new Track(name, c);
            c.addListener(track);
            return track;
        });
    }

    private void sampleSafely() {
        try {
            sample(System.currentTimeMillis());
        } catch (Throwable t) {
            // the timer must go on: a failed sample is one gap in the charts
            LOG.warn("llmqueue dashboard: a history sample failed", t);
        }
    }

    /** Takes one sample of every component; the timer calls it each second. */
    void sample(long nowMillis) {
        Map<String, Track> current = components();
        tracks.values().removeIf(track -> {
            boolean gone = current.get(track.name) != track;
            if (gone) {
                track.component.removeListener(track);
            }
            return gone;
        });
        current.values().forEach(track -> track.sample(nowMillis));
    }

    /** One second of one component. Wait figures are -1 when no request of that priority started a call. */
    record Sample(long time, int high, int low, int active, int retrying, int maxConcurrent, long completed,
                  long failed, long rejected, long highWaitP50, long highWaitP99, long lowWaitP50, long lowWaitP99,
                  long highOldest, long lowOldest) {
    }

    /**
     * A served request for the timeline: when it was queued, when its first call started, when it ended (all epoch ms),
     * how it ended.
     */
    record Served(String requestId, String model, LlmQueuePriority priority, long queuedAt, long startedAt,
                  long endedAt, int attempts, String outcome) {
    }

    /** One component followed: its samples, the waits of the current second, and the last requests served. */
    static final class Track implements LlmQueueListener {
        final String name;
        final LlmQueueComponent component;
        private final Sample[] samples = new Sample[WINDOW_SECONDS];
        private int next;
        private int size;
        private long lastCompleted;
        private long lastFailed;
        private long lastRejected;
        private final Waits highWaits = new Waits();
        private final Waits lowWaits = new Waits();
        /** Requests whose first call has started and that have not ended, by id: at most those in flight or retrying. */
        private final Map<String, long[]> started = new ConcurrentHashMap<>();
        private final ArrayDeque<Served> served = new ArrayDeque<>(SERVED);

        Track(String name, LlmQueueComponent component) {
            this.name = name;
            this.component = component;
            // the first second counts from here
            lastCompleted = component.getCompletedCount();
            lastFailed = component.getFailedCount();
            lastRejected = rejected(component);
        }

        private static long rejected(LlmQueueComponent component) {
            return component.getRejectedCount() + component.getExpiredCount() + component.getCancelledCount();
        }

        @Override
        public void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
            if (attempt == 1) {
                long now = System.currentTimeMillis();
                long waitMillis = TimeUnit.NANOSECONDS.toMillis(waitNanos);
                (request.priority() == LlmQueuePriority.LOW ? lowWaits : highWaits).add(waitMillis);
                started.put(request.requestId(), new long[] { now - waitMillis, now, 1 });
            }
        }

        @Override
        public void onCallEnded(RequestInfo request, int attempt, long callNanos, Exception failure, Integer promptTokens,
                                Integer completionTokens) {
            long[] times = started.get(request.requestId());
            if (times != null) {
                times[2] = attempt;
            }
        }

        @Override
        public void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
            long[] times = started.remove(request.requestId());
            if (times == null) {
                // ended without a call (rejected, expired or cancelled while waiting): not served
                return;
            }
            Served entry = new Served(request.requestId(), request.model(), request.priority(), times[0], times[1],
                    System.currentTimeMillis(), (int) times[2], outcome.name());
            synchronized (served) {
                if (served.size() == SERVED) {
                    served.removeFirst();
                }
                served.addLast(entry);
            }
        }

        /** The last requests served, in the order they ended. */
        List<Served> served() {
            synchronized (served) {
                return new ArrayList<>(served);
            }
        }

        synchronized void sample(long nowMillis) {
            long completed = component.getCompletedCount();
            long failed = component.getFailedCount();
            long rejected = rejected(component);
            long[] high = highWaits.drain();
            long[] low = lowWaits.drain();
            // counters may be reset (resetStatistics): never a negative rate
            samples[next] = new Sample(nowMillis, component.getHighPriorityQueueSize(),
                    component.getLowPriorityQueueSize(), component.getActiveRequests(), component.getRetryingRequests(),
                    component.getMaxConcurrentRequests(), Math.max(0, completed - lastCompleted),
                    Math.max(0, failed - lastFailed), Math.max(0, rejected - lastRejected), percentile(high, 50),
                    percentile(high, 99), percentile(low, 50), percentile(low, 99),
                    component.oldestQueuedMillis(LlmQueuePriority.HIGH), component.oldestQueuedMillis(LlmQueuePriority.LOW));
            next = (next + 1) % WINDOW_SECONDS;
            size = Math.min(size + 1, WINDOW_SECONDS);
            lastCompleted = completed;
            lastFailed = failed;
            lastRejected = rejected;
        }

        /** The samples, oldest first. */
        synchronized List<Sample> samples() {
            List<Sample> list = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                list.add(samples[(next - size + i + WINDOW_SECONDS) % WINDOW_SECONDS]);
            }
            return list;
        }

        private static long percentile(long[] sorted, int p) {
            if (sorted.length == 0) {
                return -1;
            }
            int rank = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(rank, sorted.length - 1))];
        }
    }

    /** The waits of one priority in the current second; a uniform sample once more than fit. */
    private static final class Waits {
        private long[] values = new long[64];
        private int size;
        private long seen;

        synchronized void add(long value) {
            seen++;
            if (size < WAITS_PER_SECOND) {
                if (size == values.length) {
                    values = Arrays.copyOf(values, values.length * 2);
                }
                values[size++] = value;
            } else {
                // reservoir sampling keeps the percentiles honest under a burst
                long slot = ThreadLocalRandom.current().nextLong(seen);
                if (slot < WAITS_PER_SECOND) {
                    values[(int) slot] = value;
                }
            }
        }

        /** This second's waits, sorted; starts the next second. */
        synchronized long[] drain() {
            long[] sorted = Arrays.copyOf(values, size);
            size = 0;
            seen = 0;
            if (values.length > 64) {
                values = new long[64];
            }
            Arrays.sort(sorted);
            return sorted;
        }
    }

    /** For tests: the components followed. */
    int tracked() {
        return tracks.size();
    }

    @Override
    public String toString() {
        return "LlmQueueDashboardRecorder[" + tracks.size() + " components]";
    }
}
