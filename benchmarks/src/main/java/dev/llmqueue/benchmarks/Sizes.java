package dev.llmqueue.benchmarks;

/**
 * How much of everything the suite does: {@link #FULL} for the report, {@link #SMOKE} for the CI test (tiny, only
 * checks that every measurement runs and produces sane output).
 * <p>
 * Streaming (section 6): {@code streamRounds} x {@code streamSerialPerRound} streamed requests per contender at 1 in
 * flight, each answer {@code streamTokens} tokens at {@code streamTokensPerSecond} with the first token at once; then
 * the flood: {@code streamFloodBacklog} LOW requests kept waiting, HIGH at {@code streamFloodHighPerSecond} for
 * {@code streamFloodSeconds} (and at most {@code streamFloodDrainSeconds} more for the last HIGH to get its first token),
 * against a server with {@code streamFloodParallelism} slots, first token {@code streamFloodTtftMillis} after the slot,
 * {@code streamFloodTokens} tokens at {@code streamFloodTokensPerSecond}. {@code parkRequests}: requests per contender in
 * the short JFR of thread parks at 1 in flight (section 5).
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
        long profileMillis,
        int parkRequests,
        int streamRounds,
        int streamSerialPerRound,
        int streamTokens,
        double streamTokensPerSecond,
        int streamFloodBacklog,
        double streamFloodHighPerSecond,
        double streamFloodSeconds,
        double streamFloodDrainSeconds,
        long streamFloodTtftMillis,
        double streamFloodTokensPerSecond,
        int streamFloodTokens,
        int streamFloodParallelism) {

    public static final Sizes FULL = new Sizes("full",
            4000, 5, 3000, 3000, 1000,
            new int[] {1, 8, 64}, 3, 700, 1500,
            10_000, 5.0, 40, 15, 50, 2,
            new int[] {1_000, 100_000, 1_000_000}, 1, 2, 4, 1000,
            100_000, 500, "256m",
            3000,
            3000,
            5, 500, 3, 1000.0,
            100, 5.0, 15, 8, 20, 200.0, 12, 2);

    public static final Sizes SMOKE = new Sizes("smoke",
            100, 1, 100, 100, 1000,
            new int[] {1, 8}, 1, 100, 200,
            200, 10.0, 1.5, 0.5, 20, 2,
            new int[] {1_000, 10_000}, 0, 0, 1, 100,
            2_000, 20, "256m",
            // a second of JFR sampling every 10 ms: 300 ms could end with no sample at all on two busy cores
            1000,
            100,
            1, 50, 3, 1000.0,
            8, 10.0, 1.0, 3, 5, 1000.0, 4, 2);
}
