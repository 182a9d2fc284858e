package dev.llmqueue.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * A JFR recording (the JDK's own profiler; only its execution sampler: a Java stack every 10 ms per running thread)
 * around one saturation run, summarised: where the samples fall by thread pool, by layer, and the hottest methods.
 */
final class JfrProfile {

    /** A measured run that returns requests per second. */
    interface Run {
        double run() throws Exception;
    }

    private JfrProfile() {
    }

    static Results.Profile record(Run run) throws Exception {
        Path file = Files.createTempFile("llmqueue-bench", ".jfr");
        double rps;
        long start = System.nanoTime();
        try (Recording recording = new Recording()) {
            // only the execution sampler: the full "profile" settings slow the run down many times
            recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
            recording.start();
            rps = run.run();
            recording.stop();
            recording.dump(file);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Integer> byThread = new HashMap<>();
        Map<String, Integer> methods = new HashMap<>();
        Map<String, Integer> layers = new HashMap<>();
        int samples = 0;
        try {
            for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
                if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
                    continue;
                }
                RecordedStackTrace stack = event.getStackTrace();
                if (stack == null || stack.getFrames().isEmpty()) {
                    continue;
                }
                samples++;
                String thread = event.getThread("sampledThread") != null
                        ? event.getThread("sampledThread").getJavaName() : "?";
                byThread.merge(threadGroup(thread), 1, Integer::sum);
                List<RecordedFrame> frames = stack.getFrames();
                RecordedFrame top = frames.get(0);
                methods.merge(top.getMethod().getType().getName() + "." + top.getMethod().getName(), 1, Integer::sum);
                layers.merge(layer(frames), 1, Integer::sum);
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return new Results.Profile(samples, seconds, rps, sortDesc(byThread, 12), sortDesc(methods, 15),
                sortDesc(layers, 12));
    }

    /**
     * Thread parks (JFR {@code jdk.ThreadPark}, every one: threshold 0) during {@code run}, by thread group: each is a
     * thread that went to sleep and was woken again (by a hand-off, or its timeout), the cost a hand-off pays on top of
     * its work. Only parks shorter than {@code shorterThan} count. Returns group to count, largest first.
     */
    static Map<String, Integer> parks(Run run, Duration shorterThan) throws Exception {
        Path file = Files.createTempFile("llmqueue-bench-parks", ".jfr");
        Map<String, Integer> byThread = new HashMap<>();
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ThreadPark").withThreshold(Duration.ZERO).withoutStackTrace();
            recording.start();
            run.run();
            recording.stop();
            recording.dump(file);
        }
        try {
            for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
                if (!event.getEventType().getName().equals("jdk.ThreadPark")
                    || event.getDuration().compareTo(shorterThan) >= 0) {
                    continue;
                }
                String thread = event.getThread() != null ? event.getThread().getJavaName() : "?";
                byThread.merge(threadGroup(thread), 1, Integer::sum);
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return sortDesc(byThread, 12);
    }

    /** Thread names without their number: {@code Camel (camel-1) thread #12 - LlmQueueCall} to {@code LlmQueueCall}. */
    static String threadGroup(String name) {
        if (name == null) {
            return "?";
        }
        int dash = name.lastIndexOf(" - ");
        String base = dash >= 0 ? name.substring(dash + 3) : name;
        base = base.replaceAll("[-#]?\\d+$", "").replaceAll("\\s+$", "");
        if (base.startsWith("seda://")) {
            base = "seda consumer";
        }
        return base.isEmpty() ? name : base;
    }

    /** The innermost frame's layer, by package: where the CPU was actually spent. */
    static String layer(List<RecordedFrame> frames) {
        String type = frames.get(0).getMethod().getType().getName();
        if (type.startsWith("dev.llmqueue.camel")) {
            return "llmqueue component";
        }
        if (type.startsWith("dev.llmqueue.simulator") || type.startsWith("com.sun.net.httpserver")
            || type.startsWith("sun.net.httpserver")) {
            return "simulator (JDK HttpServer)";
        }
        if (type.startsWith("dev.llmqueue.benchmarks") || type.startsWith("org.openjdk.jmh")) {
            return "load driver";
        }
        if (type.startsWith("io.lettuce") || type.startsWith("io.netty") || type.startsWith("reactor.")) {
            return "Lettuce, Netty (Redis client)";
        }
        if (type.startsWith("com.fasterxml.jackson")) {
            return "Jackson (JSON)";
        }
        if (type.startsWith("org.apache.hc")) {
            return "HttpClient 5";
        }
        if (type.startsWith("org.apache.camel")) {
            return "Camel";
        }
        if (type.startsWith("java.util.concurrent") || type.startsWith("jdk.internal.misc.Unsafe")
            || type.startsWith("java.lang.Thread")) {
            return "JDK: threads, locks, queues";
        }
        if (type.startsWith("sun.nio") || type.startsWith("java.net") || type.startsWith("sun.net")
            || type.startsWith("java.nio") || type.startsWith("java.io") || type.startsWith("sun.security")) {
            return "JDK: sockets and I/O";
        }
        if (type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.")) {
            return "JDK: other";
        }
        return "other";
    }

    private static Map<String, Integer> sortDesc(Map<String, Integer> counts, int limit) {
        Map<String, Integer> sorted = new LinkedHashMap<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()))
                .limit(limit).forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }
}
