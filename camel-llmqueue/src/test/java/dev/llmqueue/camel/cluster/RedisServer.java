package dev.llmqueue.camel.cluster;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.junit.jupiter.api.Assumptions;

/**
 * Finds a Redis server for the tests, or starts one.
 * <p>
 * {@link #shared()} / {@link #require()}: the environment variable {@code REDIS_URL} when set; else
 * 127.0.0.1:6379 when it answers PING; else a {@code redis-server} from the PATH, started on a free port for the rest
 * of this JVM (stopped by a shutdown hook). {@link #require()} skips the calling test (JUnit assumption) when none of
 * them can be had. {@link #startOwn()} always starts a private server, which the test may {@link #stop()} and
 * {@link #restart()} on the same port; close it when done.
 * <p>
 * Tests share the server: each uses its own {@link #uniqueQueueName(String)} and removes its keys with
 * {@link #deleteQueueKeys(String)}.
 */
public final class RedisServer implements AutoCloseable {

    public static final String NO_REDIS = "no Redis server: set REDIS_URL, start redis-server on 127.0.0.1:6379, or put"
                                          + " redis-server on the PATH (apt-get install redis-server)";

    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(15);
    private static final AtomicInteger QUEUE_NAMES = new AtomicInteger();

    private static Optional<RedisServer> shared;
    private static String sharedProblem;

    private final URI uri;
    private final boolean owned;
    private final Path directory;
    private Path executable;
    private Process process;

    private RedisServer(URI uri, boolean owned, Path directory) {
        this.uri = uri;
        this.owned = owned;
        this.directory = directory;
    }

    // ---- finding one ----

    /** The server the tests share, found or started once per JVM; empty when none can be had. */
    public static synchronized Optional<RedisServer> shared() {
        if (shared == null) {
            try {
                shared = Optional.ofNullable(find(System::getenv));
            } catch (IOException | RuntimeException e) {
                sharedProblem = e.toString();
                shared = Optional.empty();
            }
            shared.filter(RedisServer::owned).ifPresent(server -> Runtime.getRuntime().addShutdownHook(
                    new Thread(server::stop, "redis-server-stop")));
        }
        return shared;
    }

    /**
     * The shared server; when there is none, aborts the calling test or lifecycle method (reported as skipped) with
     * {@link #NO_REDIS}. Call it from {@code @BeforeAll} or {@code @BeforeEach}.
     */
    public static RedisServer require() {
        Optional<RedisServer> server = shared();
        Assumptions.assumeTrue(server.isPresent(), RedisServer::noRedisMessage);
        return server.get();
    }

    /** {@link #NO_REDIS}, with why REDIS_URL did not do when it was set. */
    static synchronized String noRedisMessage() {
        return NO_REDIS + (sharedProblem == null ? "" : " (" + sharedProblem + ")");
    }

    /**
     * REDIS_URL when set (it must answer: no fallback then, so that a misconfigured CI is seen), else 127.0.0.1:6379
     * when it answers, else a redis-server from the PATH, else null.
     */
    static RedisServer find(Function<String, String> environment) throws IOException {
        return find(environment, URI.create("redis://127.0.0.1:6379"));
    }

    static RedisServer find(Function<String, String> environment, URI local) throws IOException {
        String url = environment.apply("REDIS_URL");
        if (url != null && !url.isBlank()) {
            URI uri = URI.create(url.trim());
            if (!answers(uri)) {
                throw new IOException("REDIS_URL is set but does not answer PING: " + redact(uri));
            }
            return new RedisServer(uri, false, null);
        }
        if (answers(local)) {
            return new RedisServer(local, false, null);
        }
        Path executable = executable(environment.apply("PATH"));
        return executable == null ? null : startOwn(executable);
    }

    /** Whether a server answers PING at this URI within a short timeout. */
    public static boolean answers(URI uri) {
        try (RespClient client = RespClient.connect(uri, PROBE_TIMEOUT)) {
            return client.ping();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The redis-server executable on this PATH, or null. */
    static Path executable(String path) {
        if (path == null) {
            return null;
        }
        for (String directory : path.split(File.pathSeparator)) {
            if (directory.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(directory, "redis-server");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    // ---- a private server ----

    /** Starts a private redis-server from the PATH on a free port and waits until it answers PING. */
    public static RedisServer startOwn() throws IOException {
        Path executable = executable(System.getenv("PATH"));
        if (executable == null) {
            throw new IOException("redis-server is not on the PATH (apt-get install redis-server)");
        }
        return startOwn(executable);
    }

    private static RedisServer startOwn(Path executable) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            // the port is free now; another process could take it before redis-server binds it, hence the retries
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            RedisServer server = new RedisServer(URI.create("redis://127.0.0.1:" + port), true,
                    Files.createTempDirectory("redis-" + port + "-"));
            try {
                server.launch(executable);
                return server;
            } catch (IOException e) {
                server.stop();
                last = e;
            }
        }
        throw last;
    }

    private synchronized void launch(Path executable) throws IOException {
        this.executable = executable;
        Path log = directory.resolve("redis.log");
        List<String> command = List.of(executable.toString(), "--port", String.valueOf(port()), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", directory.toString(), "--daemonize", "no");
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (!answers(uri)) {
            if (!process.isAlive()) {
                throw new IOException("redis-server on port " + port() + " exited with " + process.exitValue()
                                      + ": " + tail(log));
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("redis-server on port " + port() + " did not answer PING within "
                                      + STARTUP_TIMEOUT.toSeconds() + " s: " + tail(log));
            }
            try {
                // readiness poll: the loop ends as soon as PING answers, the bound above ends it otherwise
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for redis-server", e);
            }
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Stops a server this class started (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
    public synchronized void stop() {
        requireOwned("stop");
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Kills a server this class started with SIGKILL (no shutdown of its own) and waits for it to exit. */
    public synchronized void kill() throws InterruptedException {
        requireOwned("kill");
        if (process != null) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            process = null;
        }
    }

    /** Starts a stopped server again on the same port (its data is gone: nothing is saved) and waits for PING. */
    public synchronized void restart() throws IOException {
        requireOwned("restart");
        stop();
        launch(executable);
    }

    /** Whether the server answers PING now. */
    public boolean isUp() {
        return answers(uri);
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The redis-server's process id, for a server this class started. */
    public synchronized long pid() {
        requireOwned("pid");
        return process == null ? -1 : process.pid();
    }

    private void requireOwned(String what) {
        if (!owned) {
            throw new IllegalStateException("cannot " + what + " a Redis server this test did not start: " + this);
        }
    }

    /** Stops a private server; does nothing for one found running. Never close {@link #shared()}'s. */
    @Override
    public void close() {
        if (owned) {
            stop();
            try (var files = Files.walk(directory)) {
                files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            } catch (IOException e) {
                // a temporary directory left behind
            }
        }
    }

    // ---- what tests use ----

    /** The URI to give the component as {@code redisUri}. */
    public URI uri() {
        return uri;
    }

    public String host() {
        return uri.getHost() == null ? "127.0.0.1" : uri.getHost();
    }

    public int port() {
        return uri.getPort() < 0 ? 6379 : uri.getPort();
    }

    /** Whether this class started the server (then {@link #stop()} and {@link #restart()} work). */
    public boolean owned() {
        return owned;
    }

    /** A new connection; close it. */
    public RespClient client() throws IOException {
        return RespClient.connect(uri, Duration.ofSeconds(5));
    }

    /**
     * A queue name no other test (in this JVM or another) uses: the test's name, reduced to letters, digits, '.', '_'
     * and '-', then a counter and a random suffix.
     */
    public static String uniqueQueueName(String testName) {
        String base = testName == null ? "test" : testName.replaceAll("[^A-Za-z0-9._-]+", "_");
        if (base.length() > 40) {
            base = base.substring(0, 40);
        }
        // a fixed-length suffix: no name is the start of another, so the pattern name* matches one queue's keys only
        String random = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
        return "t-" + base + "-" + QUEUE_NAMES.incrementAndGet() + "-" + "0".repeat(13 - random.length()) + random;
    }

    /**
     * The keys of a queue: those that start with the queue name, or with it as a hash tag ({@code {queueName}...}).
     */
    public List<String> queueKeyPatterns(String queueName) {
        String literal = RespClient.globEscape(queueName);
        return List.of(literal + "*", "{" + literal + "}*");
    }

    /** The keys a queue has in Redis now (see {@link #queueKeyPatterns}), for assertions. */
    public List<String> queueKeys(String queueName) throws IOException {
        List<String> keys = new ArrayList<>();
        try (RespClient client = client()) {
            for (String pattern : queueKeyPatterns(queueName)) {
                keys.addAll(client.scan(pattern));
            }
        }
        return keys;
    }

    /** Deletes a queue's keys (SCAN MATCH + DEL); returns how many. Does nothing when the server is down. */
    public long deleteQueueKeys(String queueName) throws IOException {
        if (!isUp()) {
            return 0;
        }
        long deleted = 0;
        try (RespClient client = client()) {
            for (String pattern : queueKeyPatterns(queueName)) {
                deleted += client.deleteMatching(pattern);
            }
        }
        return deleted;
    }

    private static String redact(URI uri) {
        return uri.getScheme() + "://" + (uri.getUserInfo() == null ? "" : "***@") + uri.getHost()
               + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + (uri.getPath() == null ? "" : uri.getPath());
    }

    @Override
    public String toString() {
        return "Redis at " + redact(uri) + (owned ? " (started by the tests)" : "");
    }
}
