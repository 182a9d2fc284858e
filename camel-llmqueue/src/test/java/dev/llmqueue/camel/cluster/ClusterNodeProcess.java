package dev.llmqueue.camel.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A {@link ClusterNodeMain} in a JVM of its own, with this JVM's java and class path. Its stdout lines are read on a
 * thread into a queue ({@link #awaitLine}) and kept in order ({@link #lines()}); its stderr (the node's logs) is kept
 * as a tail for failure messages ({@link #stderrTail()}).
 *
 * <pre>
 * try (ClusterNodeProcess node = ClusterNodeProcess.start(Map.of("baseUrl", simulator.ollamaBaseUrl(),
 *         "coordination", "redis", "redisUri", redis.uri().toString(), "queueName", queue, "nodeId", "a"))) {
 *     node.send("SEND 10 LOW");
 *     List&lt;String&gt; done = node.awaitLines(line -&gt; line.startsWith("DONE "), 10, Duration.ofSeconds(30));
 *     node.killHard();   // SIGKILL; exitValue() is then 137
 * }
 * </pre>
 */
public final class ClusterNodeProcess implements AutoCloseable {

    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final int STDERR_TAIL_LINES = 200;

    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Deque<String> stderr = new ArrayDeque<>();
    private final Thread stdoutReader;
    private final Thread stderrReader;

    private ClusterNodeProcess(Process process) {
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        long pid = process.pid();
        this.stdoutReader = reader(process.getInputStream(), "node-" + pid + "-stdout", line -> {
            lines.add(line);
            queue.add(line);
        });
        this.stderrReader = reader(process.getErrorStream(), "node-" + pid + "-stderr", line -> {
            synchronized (stderr) {
                stderr.addLast(line);
                if (stderr.size() > STDERR_TAIL_LINES) {
                    stderr.removeFirst();
                }
            }
        });
    }

    private static Thread reader(InputStream stream, String name, Consumer<String> sink) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    sink.accept(line);
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** The java executable of this JVM: ProcessHandle's command, else java.home/bin/java. */
    static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * Starts a node with these options (see {@link ClusterNodeMain}: {@code baseUrl} is required, the others are
     * component options) and waits for its READY line; fails with the node's output when it does not come.
     */
    public static ClusterNodeProcess start(Map<String, String> options) throws IOException, InterruptedException {
        return start(options, List.of());
    }

    /** Like {@link #start(Map)}, with extra JVM options (e.g. {@code -Xmx128m}, {@code -Dsome.property=x}). */
    public static ClusterNodeProcess start(Map<String, String> options, List<String> jvmOptions)
            throws IOException, InterruptedException {
        return start(options, jvmOptions, Map.of());
    }

    /**
     * Like {@link #start(Map, List)}, with environment variables for the node: it inherits none of this JVM's
     * {@code LLM_*} variables (which the component reads), only those given here (e.g. {@code LLM_QUEUE_REDIS_URI}).
     */
    public static ClusterNodeProcess start(Map<String, String> options, List<String> jvmOptions,
                                           Map<String, String> environment) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        // small and quick to start (C1 only): three of them run beside the test JVM on a two-core machine; the
        // jvmOptions come after these, so a benchmark can give -XX:TieredStopAtLevel=4 back
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-Xmx256m");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ClusterNodeMain.class.getName());
        options.forEach((name, value) -> command.add(name + "=" + value));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(name -> name.startsWith("LLM_"));
        builder.environment().putAll(environment);
        ClusterNodeProcess node = new ClusterNodeProcess(builder.start());
        try {
            String first = node.awaitLine(line -> line.equals("READY") || line.startsWith("ERROR"), STARTUP_TIMEOUT);
            if (!first.equals("READY")) {
                throw new IllegalStateException("node " + node.pid() + " did not start: " + first + node.diagnostics());
            }
            return node;
        } catch (RuntimeException | Error e) {
            node.process.destroyForcibly();
            throw e;
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code; only once the process has exited. 137 (128 + 9) after {@link #killHard()}. */
    public int exitValue() {
        return process.exitValue();
    }

    /** Writes one command line to the node's stdin. */
    public synchronized void send(String command) throws IOException {
        stdin.write(command);
        stdin.write('\n');
        stdin.flush();
    }

    /**
     * Takes lines from the queue until one matches and returns it; the lines before it are dropped from the queue
     * (they stay in {@link #lines()}). Throws an AssertionError with the node's output when the timeout passes or the
     * node exits first.
     */
    public String awaitLine(Predicate<String> predicate, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = queue.poll(Math.max(0, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200))),
                    TimeUnit.NANOSECONDS);
            if (line != null) {
                if (predicate.test(line)) {
                    return line;
                }
                continue;
            }
            if (!process.isAlive() && !stdoutReader.isAlive() && queue.isEmpty()) {
                throw new AssertionError("node " + pid() + " exited (" + process.exitValue()
                                         + ") before the line awaited" + diagnostics());
            }
            if (left <= 0) {
                throw new AssertionError("node " + pid() + ": no line awaited within " + timeout.toMillis() + " ms"
                                         + diagnostics());
            }
        }
    }

    /** {@link #awaitLine} {@code count} times: the matching lines, in order. */
    public List<String> awaitLines(Predicate<String> predicate, int count, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> matched = new ArrayList<>(count);
        while (matched.size() < count) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            try {
                matched.add(awaitLine(predicate, left));
            } catch (AssertionError e) {
                throw new AssertionError("node " + pid() + ": " + matched.size() + " of " + count
                                         + " lines awaited: " + e.getMessage(), e);
            }
        }
        return matched;
    }

    /** Every stdout line so far, in order (also those {@link #awaitLine} dropped). */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** The last lines of the node's stderr (its logs). */
    public String stderrTail() {
        synchronized (stderr) {
            return String.join("\n", stderr);
        }
    }

    private String diagnostics() {
        List<String> all = lines();
        return "\n--- last stdout lines:\n" + String.join("\n", all.subList(Math.max(0, all.size() - 20), all.size()))
               + "\n--- stderr tail:\n" + stderrTail();
    }

    /** SIGKILL (Process.destroyForcibly on Linux): no shutdown hook, no Camel stop. Waits until it is gone. */
    public void killHard() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("node " + pid() + " still alive 30 s after SIGKILL");
        }
    }

    /**
     * Sends QUIT and waits for the node to exit (its waiting exchanges complete first, printing their DONE lines);
     * returns the exit code. Kills it when it has not exited within the timeout.
     */
    public int quit(Duration timeout) throws IOException, InterruptedException {
        if (process.isAlive()) {
            try {
                send("QUIT");
            } catch (IOException e) {
                // stdin already closed: the node is going away
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                killHard();
                throw new AssertionError("node " + pid() + " did not exit within " + timeout.toMillis()
                                         + " ms of QUIT; killed" + diagnostics());
            }
        }
        stdoutReader.join(5_000);
        return process.exitValue();
    }

    /** Quits the node if it is still running (killing it after 15 s). */
    @Override
    public void close() throws IOException, InterruptedException {
        if (process.isAlive()) {
            try {
                quit(Duration.ofSeconds(15));
            } catch (AssertionError e) {
                // killed; close is for clean-up, the test has its own assertions
            }
        }
        stderrReader.join(1_000);
    }
}
