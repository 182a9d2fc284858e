package dev.llmqueue.benchmarks;

import java.util.Arrays;

/**
 * A growable array of measurements (nanoseconds unless said otherwise) and their nearest-rank percentiles.
 */
public final class Samples {

    private long[] values;
    private int size;
    private long[] sorted;

    public Samples() {
        this(1024);
    }

    public Samples(int capacity) {
        values = new long[Math.max(16, capacity)];
    }

    public synchronized void add(long value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
        sorted = null;
    }

    public synchronized void addAll(Samples other) {
        long[] theirs = other.toArray();
        for (long v : theirs) {
            add(v);
        }
    }

    public synchronized int size() {
        return size;
    }

    public synchronized long[] toArray() {
        return Arrays.copyOf(values, size);
    }

    /** Nearest-rank percentile, {@code q} in [0, 1]; 0 when empty. */
    public synchronized long percentile(double q) {
        if (size == 0) {
            return 0;
        }
        if (sorted == null) {
            sorted = Arrays.copyOf(values, size);
            Arrays.sort(sorted);
        }
        int rank = (int) Math.ceil(q * size);
        return sorted[Math.min(size - 1, Math.max(0, rank - 1))];
    }

    public long p50() {
        return percentile(0.50);
    }

    public long p99() {
        return percentile(0.99);
    }

    public long max() {
        return percentile(1.0);
    }

    public synchronized double mean() {
        if (size == 0) {
            return 0;
        }
        double sum = 0;
        for (int i = 0; i < size; i++) {
            sum += values[i];
        }
        return sum / size;
    }

    /** The median of a few numbers (for example the per-round results of a measurement). */
    public static double median(double... xs) {
        if (xs.length == 0) {
            return 0;
        }
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
