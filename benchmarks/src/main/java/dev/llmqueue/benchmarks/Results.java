package dev.llmqueue.benchmarks;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one run of the suite measured; {@link Report} turns it into docs/performance.md and the plots.
 */
public final class Results {

    /** The machine and the run. */
    public String machine;
    public String jvm;
    public String os;
    public int cores;
    public String started;
    public double wallSeconds;
    public String sizes;
    public double loadBefore;
    /** The 1-minute load average: the highest seen at the start of a step, and at the end of the run. */
    public double loadMax;
    public double loadAfter;

    /** 1: latency at one request in flight and at a fixed rate; 5: the hand-off, measured in the same runs. */
    public final Map<Contender, Samples> serial = new EnumMap<>(Contender.class);
    public final Map<Contender, Samples> rate = new EnumMap<>(Contender.class);
    public final Map<Contender, Samples> serialHandoff = new EnumMap<>(Contender.class);
    public final Map<Contender, Samples> rateHandoff = new EnumMap<>(Contender.class);
    /** Per round: p50 of each contender (serial). */
    public final Map<Contender, List<Double>> serialRoundP50 = new EnumMap<>(Contender.class);
    public final Map<Contender, List<Double>> rateRoundP50 = new EnumMap<>(Contender.class);
    public int rounds;
    public int ratePerSecond;
    public int overheadFailures;
    /** At 1 in flight, the parts: sent → the calling thread has it; → the reply at the client (see LoadDriver). */
    public final Map<Contender, Samples> serialDispatch = new EnumMap<>(Contender.class);
    public final Map<Contender, Samples> serialCall = new EnumMap<>(Contender.class);
    /** At 1 in flight, llmqueue's reply → route resumed in the steps of {@link LoadDriver.Steps}. */
    public final Samples[] serialSteps = LoadDriver.Steps.none();
    /** At 1 in flight: the JVM's context switches per request (all threads, simulator included). */
    public final Map<Contender, Double> serialSwitches = new EnumMap<>(Contender.class);
    /** At 1 in flight, a short JFR: thread parks per request, by thread group. */
    public final Map<Contender, Map<String, Double>> parksPerRequest = new EnumMap<>(Contender.class);
    public int parkRequests;

    /** 6. Streaming at 1 in flight (quick simulator): TTFT in the route, its parts, the whole stream. */
    public final Map<Contender, Samples> streamTtft = new EnumMap<>(Contender.class);
    public final Map<Contender, Samples> streamDispatch = new EnumMap<>(Contender.class);
    public final Map<Contender, Samples> streamToFirstByte = new EnumMap<>(Contender.class);
    public final Map<Contender, Samples> streamFirstByteToDelta = new EnumMap<>(Contender.class);
    public final Map<Contender, Samples> streamWhole = new EnumMap<>(Contender.class);
    /** llmqueue: first byte → the component's onFirstToken (line read, parsed), and from there → first delta. */
    public final Samples streamFirstByteToEvent = new Samples();
    public final Samples streamEventToDelta = new Samples();
    public final Map<Contender, List<Double>> streamRoundP50 = new EnumMap<>(Contender.class);
    public int streamFailures;
    /** 6. HIGH under a LOW flood, streamed. */
    public final Map<Contender, StreamBench.Flood> streamFlood = new EnumMap<>(Contender.class);

    /** 2: requests per second, per level, per round. */
    public int[] levels;
    public final Map<Contender, List<List<Double>>> throughput = new EnumMap<>(Contender.class);
    /** Context switches of the whole JVM per completed request, per level (median of rounds). */
    public final Map<Contender, List<Double>> switchesPerRequest = new EnumMap<>(Contender.class);

    /** 3. */
    public final Map<Contender, PriorityFlood.Result> flood = new EnumMap<>(Contender.class);
    public long floodServiceMillis;
    public int floodParallelism;

    /** 4a: ns per enqueue+dispatch, by contender then depth; score error (99.9%) beside it. */
    public final Map<String, Map<Integer, double[]>> depthNanos = new LinkedHashMap<>();
    /** JSON cost: benchmark name to ns/op. */
    public final Map<String, double[]> jsonNanos = new LinkedHashMap<>();
    /** 4b, 4c: one probe per line. */
    public final List<Map<String, String>> heapProbes = new ArrayList<>();
    public String heapXmx;

    /** JFR profile of one contender at saturation: thread group to share of samples, hot methods. */
    public final Map<Contender, Profile> profiles = new EnumMap<>(Contender.class);

    /** What a JFR recording saw. */
    /** Section 9 (issue 11), when the suite ran it: several instances through Redis. */
    public ClusterBench.Result cluster;

    public record Profile(int samples, double seconds, double requestsPerSecond, Map<String, Integer> byThread,
                          Map<String, Integer> topMethods, Map<String, Integer> byLayer) {
    }

    /** The median over rounds of a level's throughput. */
    public double throughputMedian(Contender c, int levelIndex) {
        List<Double> rounds = throughput.get(c).get(levelIndex);
        return Samples.median(rounds.stream().mapToDouble(Double::doubleValue).toArray());
    }

    public Map<String, String> heapProbe(Contender c, String via) {
        for (Map<String, String> p : heapProbes) {
            if (c.name().equals(p.get("contender")) && via.equals(p.get("via"))) {
                return p;
            }
        }
        return null;
    }
}
