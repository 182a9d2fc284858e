package dev.llmqueue.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Redis {@link ClusterBench} measures against: the one named by {@code --redis} or {@code LLM_QUEUE_REDIS_URI};
 * else a {@code redis-server} of its own started from the PATH on a free port (nothing else talks to it, so its
 * {@code INFO commandstats} count only this benchmark's commands); else 127.0.0.1:6379.
 */
final class BenchRedis implements AutoCloseable {

    private final String uri;
    private final String how;
    private final Process process;

    private BenchRedis(String uri, String how, Process process) {
        this.uri = uri;
        this.how = how;
        this.process = process;
    }

    /** Finds or starts a Redis; throws with how to get one when there is none. */
    static BenchRedis open(String given) throws IOException, InterruptedException {
        String explicit = given != null ? given : System.getenv("LLM_QUEUE_REDIS_URI");
        if (explicit != null && !explicit.isBlank()) {
            if (!answers(explicit)) {
                throw new IllegalStateException("no Redis answers at " + display(explicit));
            }
            return new BenchRedis(explicit, "given (" + display(explicit) + "), shared with whatever else uses it", null);
        }
        String server = onPath("redis-server");
        if (server != null) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Process p = new ProcessBuilder(server, "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--protected-mode", "yes").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            String uri = "redis://127.0.0.1:" + port;
            // never left behind, even when the JVM ends with System.exit or a signal
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroy, "bench-redis-stop"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!answers(uri)) {
                if (System.nanoTime() > deadline || !p.isAlive()) {
                    p.destroyForcibly();
                    throw new IllegalStateException("redis-server from the PATH did not start on port " + port);
                }
                Thread.sleep(20);
            }
            String version = info(uri, "server").getOrDefault("redis_version", "?");
            return new BenchRedis(uri, "its own redis-server " + version + " (from the PATH) on 127.0.0.1:" + port
                                       + ", no persistence", p);
        }
        String local = "redis://127.0.0.1:6379";
        if (answers(local)) {
            return new BenchRedis(local, "127.0.0.1:6379, shared with whatever else uses it", null);
        }
        throw new IllegalStateException("no Redis: set LLM_QUEUE_REDIS_URI=redis://host:port, put redis-server on the"
                                        + " PATH (apt-get install redis-server), or start one on 127.0.0.1:6379"
                                        + " (docker run -p 6379:6379 redis:7)");
    }

    String uri() {
        return uri;
    }

    String how() {
        return how;
    }

    /** The pid of the Redis this started, or -1. */
    long pid() {
        return process == null ? -1 : process.pid();
    }

    static String display(String uri) {
        URI u = URI.create(uri);
        return u.getScheme() + "://" + u.getHost() + ":" + (u.getPort() < 0 ? 6379 : u.getPort());
    }

    static boolean answers(String uri) {
        try {
            return command(uri, "PING").startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code INFO section} as name to value; {@code commandstats} lines as {@code cmdstat_x} to {@code calls=..,usec=..}. */
    static Map<String, String> info(String uri, String section) throws IOException {
        String reply = command(uri, "INFO", section);
        Map<String, String> values = new HashMap<>();
        for (String line : reply.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                values.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return values;
    }

    /** Calls and total microseconds of one command since the server started, from {@code INFO commandstats}. */
    record CommandStat(long calls, long usec) {
        static CommandStat of(Map<String, String> stats, String command) {
            String v = stats.get("cmdstat_" + command.toLowerCase(Locale.ROOT));
            if (v == null) {
                return new CommandStat(0, 0);
            }
            long calls = 0;
            long usec = 0;
            for (String part : v.split(",")) {
                String[] kv = part.split("=");
                if (kv[0].equals("calls")) {
                    calls = Long.parseLong(kv[1]);
                } else if (kv[0].equals("usec")) {
                    usec = Long.parseLong(kv[1]);
                }
            }
            return new CommandStat(calls, usec);
        }

        CommandStat minus(CommandStat before) {
            return new CommandStat(calls - before.calls, usec - before.usec);
        }
    }

    /** Redis's own CPU (user + system) in seconds, from {@code INFO cpu}. */
    static double cpuSeconds(String uri) throws IOException {
        Map<String, String> cpu = info(uri, "cpu");
        return Double.parseDouble(cpu.getOrDefault("used_cpu_user", "0"))
               + Double.parseDouble(cpu.getOrDefault("used_cpu_sys", "0"));
    }

    /** One command in RESP over a fresh socket (no password support: the benchmark's Redis has none). */
    static String command(String uri, String... words) throws IOException {
        URI u = URI.create(uri);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort()), 1000);
            socket.setSoTimeout(2000);
            StringBuilder req = new StringBuilder("*").append(words.length).append("\r\n");
            for (String w : words) {
                req.append('$').append(w.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(w).append("\r\n");
            }
            OutputStream out = socket.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[65536];
            StringBuilder reply = new StringBuilder();
            int n = in.read(buf);
            if (n <= 0) {
                throw new IOException("no reply");
            }
            reply.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            if (reply.charAt(0) == '$') {
                int len = Integer.parseInt(reply.substring(1, reply.indexOf("\r\n")));
                int header = reply.indexOf("\r\n") + 2;
                byte[] all = reply.toString().getBytes(StandardCharsets.UTF_8);
                java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                bytes.write(all, 0, all.length);
                while (bytes.size() < header + len) {
                    n = in.read(buf);
                    if (n <= 0) {
                        break;
                    }
                    bytes.write(buf, 0, n);
                }
                String whole = bytes.toString(StandardCharsets.UTF_8);
                return whole.substring(header, Math.min(whole.length(), header + len));
            }
            return reply.toString();
        }
    }

    private static String onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    @Override
    public void close() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    @Override
    public String toString() {
        return how;
    }

    static List<String> commandsOfInterest() {
        return List.of("evalsha", "eval", "blpop", "script", "info");
    }
}
