package dev.llmqueue.benchmarks;

/**
 * How much of everything the suite does: {@link #FULL} for the report, {@link #SMOKE} for the CI test (tiny, only
 * checks that every measurement runs and produces sane output).
 */
public record Sizes(
        String name,
        int warmupRequests,
        int rounds,
        int serialPerRound,
        int ratePerRound,
        int ratePerSecond,
        int[] throughputLevels,
        int throughputRounds,
        long throughputWarmupMillis,
        long throughputMeasureMillis,
        int floodBacklog,
        double floodHighPerSecond,
        double floodSecondsLlmqueue,
        double floodSecondsFifo,
        long floodServiceMillis,
        int floodParallelism,
        int[] depths,
        int jmhForks,
        int jmhWarmupIterations,
        int jmhMeasurementIterations,
        int jmhIterationMillis,
        int heapWaiting,
        int heapDirectCallers,
        String heapXmx,
        long profileMillis) {

    public static final Sizes FULL = new Sizes("full",
            4000, 5, 3000, 3000, 1000,
            new int[] {1, 8, 64}, 3, 700, 1500,
            10_000, 5.0, 40, 15, 50, 2,
            new int[] {1_000, 100_000, 1_000_000}, 1, 2, 4, 1000,
            100_000, 500, "256m",
            3000);

    public static final Sizes SMOKE = new Sizes("smoke",
            100, 1, 100, 100, 1000,
            new int[] {1, 8}, 1, 100, 200,
            200, 10.0, 1.5, 0.5, 20, 2,
            new int[] {1_000, 10_000}, 0, 0, 1, 100,
            2_000, 20, "256m",
            300);
}
