package dev.llmqueue.camel;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import dev.llmqueue.camel.LlmQueueRejectedException.Reason;

/**
 * The component's exact counters, recent wait and call times per priority, and the recent connectivity of each server.
 */
public final class LlmQueueStatistics implements LlmQueueListener {

    /** How many recent calls to a server decide whether it is reachable. */
    static final int UNREACHABLE_AFTER = 5;
    private static final int WINDOW = 1024;

    private final LongAdder completed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder expired = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final LongAdder preempted = new LongAdder();
    private final Map<LlmQueuePriority, Window> waits = Map.of(LlmQueuePriority.HIGH, new Window(),
            LlmQueuePriority.LOW, new Window());
    private final Map<LlmQueuePriority, Window> calls = Map.of(LlmQueuePriority.HIGH, new Window(),
            LlmQueuePriority.LOW, new Window());
    private final Map<LlmQueuePriority, Window> firstTokens = Map.of(LlmQueuePriority.HIGH, new Window(),
            LlmQueuePriority.LOW, new Window());
    private final Map<String, Server> servers = new ConcurrentHashMap<>();

    @Override
    public void onFirstToken(RequestInfo request, long ttftNanos) {
        firstTokens.get(request.priority()).add(TimeUnit.NANOSECONDS.toMillis(ttftNanos));
    }

    @Override
    public void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
        if (attempt == 1) {
            waits.get(request.priority()).add(TimeUnit.NANOSECONDS.toMillis(waitNanos));
        }
    }

    @Override
    public void onCallEnded(RequestInfo request, int attempt, long callNanos, Exception failure, Integer promptTokens,
                            Integer completionTokens) {
        calls.get(request.priority()).add(TimeUnit.NANOSECONDS.toMillis(callNanos));
        if (Server.unreachable(failure)) {
            servers.computeIfAbsent(request.serverUrl(), url -> new Server()).failed(failure.getMessage());
        } else {
            // a server that answered is reachable: only servers failing right now are kept
            servers.remove(request.serverUrl());
        }
    }

    @Override
    public void onPreempted(RequestInfo request, int attempt, long callNanos) {
        preempted.increment();
    }

    @Override
    public void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
        switch (outcome) {
            case COMPLETED -> completed.increment();
            case FAILED -> failed.increment();
            case REJECTED -> rejected.increment();
            case EXPIRED -> expired.increment();
            case CANCELLED -> cancelled.increment();
            case SKIPPED -> skipped.increment();
            default -> throw new IllegalStateException("unhandled outcome " + outcome);
        }
    }

    /** Replies delivered. */
    public long getCompleted() {
        return completed.sum();
    }

    /** Requests whose last call ended in an error. */
    public long getFailed() {
        return failed.sum();
    }

    /** Requests refused before any call: full stack, background disabled, shutting down. */
    public long getRejected() {
        return rejected.sum();
    }

    public long getExpired() {
        return expired.sum();
    }

    public long getCancelled() {
        return cancelled.sum();
    }

    /** LOW calls whose slot went to a waiting HIGH request (preemptLow). */
    public long getPreempted() {
        return preempted.sum();
    }

    public long getSkipped() {
        return skipped.sum();
    }

    /** Percentiles (p50, p95, p99) in ms of the wait before the first call, over the last 1024 requests of a priority. */
    public Map<String, Long> waitPercentiles(LlmQueuePriority priority) {
        return waits.get(priority).percentiles();
    }

    /**
     * Percentiles (p50, p95, p99) in ms of the time to first token of streamed calls, over the last 1024 of a
     * priority.
     */
    public Map<String, Long> timeToFirstTokenPercentiles(LlmQueuePriority priority) {
        return firstTokens.get(priority).percentiles();
    }

    /** Percentiles (p50, p95, p99) in ms of the calls, over the last 1024 calls of a priority. */
    public Map<String, Long> callPercentiles(LlmQueuePriority priority) {
        return calls.get(priority).percentiles();
    }

    /**
     * The servers whose last {@value #UNREACHABLE_AFTER} calls all failed to connect or timed out, with the last error.
     * Only servers whose last call failed that way are tracked, so this costs nothing per server ever called.
     */
    public Map<String, String> unreachableServers() {
        Map<String, String> unreachable = new LinkedHashMap<>();
        servers.forEach((url, server) -> {
            String lastError = server.unreachableError();
            if (lastError != null) {
                unreachable.put(url, lastError);
            }
        });
        return unreachable;
    }

    /** For tests: the servers tracked, which are only those whose last call failed to connect or timed out. */
    int trackedServers() {
        return servers.size();
    }

    public void reset() {
        for (LongAdder counter : new LongAdder[] { completed, failed, rejected, expired, cancelled, skipped, preempted }) {
            counter.reset();
        }
        waits.values().forEach(Window::clear);
        calls.values().forEach(Window::clear);
        firstTokens.values().forEach(Window::clear);
        servers.clear();
    }

    /** The last {@link #WINDOW} samples. */
    private static final class Window {
        private final long[] samples = new long[WINDOW];
        private int next;
        private int size;

        synchronized void add(long value) {
            samples[next] = value;
            next = (next + 1) % WINDOW;
            size = Math.min(size + 1, WINDOW);
        }

        synchronized void clear() {
            next = 0;
            size = 0;
        }

        Map<String, Long> percentiles() {
            long[] sorted;
            synchronized (this) {
                sorted = Arrays.copyOf(samples, size);
            }
            Arrays.sort(sorted);
            Map<String, Long> result = new LinkedHashMap<>();
            result.put("count", (long) sorted.length);
            result.put("p50", percentile(sorted, 50));
            result.put("p95", percentile(sorted, 95));
            result.put("p99", percentile(sorted, 99));
            return result;
        }

        private static long percentile(long[] sorted, int p) {
            if (sorted.length == 0) {
                return 0;
            }
            int rank = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(rank, sorted.length - 1))];
        }
    }

    /** A server whose last calls failed to connect or timed out: how many in a row, and the last error. */
    private static final class Server {
        private int failuresInARow;
        private String lastError;

        synchronized void failed(String error) {
            failuresInARow++;
            lastError = error;
        }

        /** The last error when the last calls all failed to connect or timed out, else null. */
        synchronized String unreachableError() {
            return failuresInARow >= UNREACHABLE_AFTER ? lastError : null;
        }

        static boolean unreachable(Exception failure) {
            for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (t instanceof ConnectException || t instanceof SocketTimeoutException) {
                    return true;
                }
            }
            return false;
        }
    }
}
