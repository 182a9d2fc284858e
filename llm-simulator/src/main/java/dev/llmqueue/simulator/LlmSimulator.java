package dev.llmqueue.simulator;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP server (the JDK's {@link HttpServer}, bound to 127.0.0.1) that simulates an Ollama server
 * ({@code /api/*}) and an OpenAI-compatible server ({@code /v1/*}) with answers in one piece or streamed, a bounded
 * number of requests served at once ({@code parallelism}, like {@code OLLAMA_NUM_PARALLEL}), a bounded wait
 * queue ({@code maxQueue}, like {@code OLLAMA_MAX_QUEUE}; one more gets 503), a configurable service time,
 * fault injection ({@link Faults}) and a record of every call.
 *
 * <pre>{@code
 * try (LlmSimulator sim = LlmSimulator.builder().parallelism(2).serviceTime(Duration.ofMillis(50)).build().start()) {
 *     String url = sim.ollamaBaseUrl() + "/api/chat";
 *     ...
 * }
 * }</pre>
 *
 * <p>Serving model for a valid POST to an LLM endpoint: if {@code parallelism + maxQueue} requests are already
 * in the simulator it is answered 503 at once; otherwise it waits for one of {@code parallelism} slots (a fair
 * semaphore), draws its fault, sleeps {@code serviceTime + perTokenTime * completionTokens} (no sleep when that
 * is zero), releases its slot and writes the reply. The slot is released just BEFORE the reply is written, so a
 * client that sends its next request as soon as it has a reply never finds the slot still taken.
 *
 * <p>A streamed reply (Ollama NDJSON, which Ollama sends unless the request says {@code "stream": false}; OpenAI
 * server-sent events for {@code "stream": true}) sends its first token at {@code timeToFirstToken} (default
 * {@code serviceTime} + one token's time), one token per {@code 1 / tokensPerSecond} (default
 * {@code perTokenTime}) after that, and holds its slot until its last token has been written; then it releases the
 * slot and writes the closing events. A client that closes the connection early stops the generation at the next
 * write: the call is recorded and counted as aborted. Mid-stream faults: {@link StreamFault}. See the module's
 * README ("Streaming").
 *
 * <p>Requests that fail validation (bad JSON, missing model, bad key, unknown model, quota, a bad
 * {@link #FAULT_HEADER}) and the GET endpoints are answered at once, without taking a slot and without faults.
 *
 * <p>Chat requests that offer {@code tools} get deterministic tool calls for the tools named in the last user
 * message, and a plain answer quoting the tool result once one follows ({@link #TOOL_RESULT_PREFIX}); JSON mode
 * answers {@code {"answer": ...}}; a JSON schema gets a placeholder instance; images are counted in the answer.
 * See the module's README ("Tools, JSON output and images") for the exact rules.
 *
 * <p>Loading this class sets the system property {@code sun.net.httpserver.nodelay=true} (unless it is already
 * set), so that replies are not delayed by Nagle's algorithm; the JDK reads it when the first
 * {@code HttpServer} of the JVM is created.
 */
public final class LlmSimulator implements AutoCloseable {

    static {
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    /** Ollama's exact queue-full message (two spaces after the period). */
    public static final String BUSY_MESSAGE = "server busy, please try again.  maximum pending requests exceeded";

    /** The model listed by {@code GET /api/tags}. */
    public static final String OLLAMA_MODEL = "llama3.2:latest";
    /** The embedding model listed by {@code GET /api/tags}. */
    public static final String OLLAMA_EMBED_MODEL = "nomic-embed-text:latest";
    /** The chat model listed by {@code GET /v1/models}. */
    public static final String OPENAI_MODEL = "gpt-4o-mini";
    /** The embedding model listed by {@code GET /v1/models}. */
    public static final String OPENAI_EMBED_MODEL = "text-embedding-3-small";
    /** The first words of a plain answer: {@code "Simulated answer to: " + the first 40 chars of the question}. */
    public static final String ANSWER_PREFIX = Texts.PREFIX;
    /**
     * The first words of the answer that follows a tool result:
     * {@code "Simulated answer using tool result: " + the first 40 chars of the last tool message}.
     */
    public static final String TOOL_RESULT_PREFIX = "Simulated answer using tool result:";
    /** A model with this name gets 429 insufficient_quota on {@code /v1} endpoints. */
    public static final String QUOTA_EXCEEDED_MODEL = "quota-exceeded";
    /** A model whose name starts with this prefix gets 404 "not found". */
    public static final String MISSING_MODEL_PREFIX = "missing";
    /** {@code Authorization: Bearer bad-key} gets 401 on {@code /v1} endpoints. */
    public static final String BAD_API_KEY = "bad-key";
    /**
     * A request header that injects one fault into that request, whatever {@link Faults} says: {@code cut-after=N},
     * {@code error-after=N}, {@code stall-after=N} (until the client closes), {@code stall-after=N; for=D} (streamed
     * replies only; see {@link StreamFault}), or {@code rate-limited[=D]}, {@code server-error}, {@code busy},
     * {@code slow=D}, {@code drop-connection}, {@code malformed-json}, {@code none}. A value the simulator cannot
     * read, or a stream fault on a request answered in one piece, gets 400.
     */
    public static final String FAULT_HEADER = "x-sim-fault";

    static final String USAGE = String.join(System.lineSeparator(),
            "usage, from the repository's root: mvn -q -pl llm-simulator compile exec:java -Dexec.args=\"[options]\"",
            "   or, with Jackson on the classpath: java -cp llm-simulator.jar:jackson-databind.jar:jackson-core.jar:"
            + "jackson-annotations.jar dev.llmqueue.simulator.LlmSimulator [options]",
            "  --port N                 port on 127.0.0.1, 0 = ephemeral (default 0)",
            "  --service-time D         fixed time per request, e.g. 50ms, 2s, 0 (default 0)",
            "  --per-token-time D       added per completion token (default 0)",
            "  --completion-tokens N    tokens (words) per answer (default 12)",
            "  --time-to-first-token D  streamed replies: time to the first token (default: service time + one token)",
            "  --tokens-per-second R    streamed replies: pace after the first token (default 0: per-token time)",
            "  --stall-probe-interval D streams stalled for ever check for a gone client this often (default 1s)",
            "  --stream-fault SPEC      every streamed reply: cut-after=N, error-after=N, stall-after=N[; for=D]",
            "  --parallelism N          requests served at once, like OLLAMA_NUM_PARALLEL (default 4)",
            "  --max-queue N            requests allowed to wait, like OLLAMA_MAX_QUEUE (default 512)",
            "  --seed N                 random seed for fault injection",
            "  --rate-limited P         probability of 429",
            "  --retry-after D          Retry-After of the 429 fault (default 1s)",
            "  --server-error P         probability of 500",
            "  --busy P                 probability of 503 server busy",
            "  --slow P                 probability of an extra delay",
            "  --slow-delay D           the extra delay (default 2s)",
            "  --drop-connection P      probability of closing the connection without a response",
            "  --malformed-json P       probability of a 200 with truncated JSON",
            "  --cut-stream P           probability of cutting a streamed reply's connection mid-stream",
            "  --stream-error P         probability of an error event mid-stream",
            "  --stall-stream P         probability of a stream that stops sending",
            "  --stream-fault-after N   tokens sent before a stream fault strikes (default 3)",
            "  --stall-for D            how long a stalled stream sends nothing, or 'forever' (default 10s)",
            "  --no-record              do not keep a record of the calls (for long runs)",
            "durations: 50ms, 2s, 1.5s, 1m, 250us, 0, a plain number is milliseconds, or ISO-8601 (PT2S)");

    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonFactory JSON = MAPPER.getFactory();
    private static final String CONTENT_TYPE = "application/json";
    private static final int[] CONTEXT = {1, 2, 3};
    private static final long MODELS_CREATED = 1_721_172_741L;

    private static final byte[] TAGS_BODY = tagsBody();
    private static final byte[] MODELS_BODY = modelsBody();
    private static final byte[] OLLAMA_BUSY = ollamaError(BUSY_MESSAGE);
    private static final byte[] OPENAI_BUSY = openAiError(BUSY_MESSAGE, "server_error", null, null);
    private static final byte[] OLLAMA_MODEL_REQUIRED = ollamaError("model is required");
    private static final byte[] OPENAI_MODEL_REQUIRED =
            openAiError("you must provide a model parameter", "invalid_request_error", null, null);
    private static final byte[] OLLAMA_STREAM_TYPE =
            ollamaError("json: cannot unmarshal the value of \"stream\": true or false expected");
    /** A stall probe: a space, which a line-based client never sees as an event. */
    private static final byte[] PROBE = {' '};
    private static final byte[] OPENAI_BAD_KEY =
            openAiError("Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key");
    private static final byte[] OPENAI_QUOTA = openAiError(
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota", null, "insufficient_quota");
    private static final byte[] OLLAMA_SERVER_ERROR = ollamaError("simulated internal server error");
    private static final byte[] OPENAI_SERVER_ERROR = openAiError(
            "The server had an error while processing your request. Sorry about that!", "server_error", null, null);
    private static final byte[] OLLAMA_NOT_FOUND = ollamaError("404 page not found");
    private static final byte[] OLLAMA_METHOD = ollamaError("405 method not allowed");
    private static final byte[] OLLAMA_EMPTY_BODY = ollamaError("missing request body");
    private static final byte[] OLLAMA_BAD_JSON = ollamaError("invalid JSON in request body");
    private static final byte[] OPENAI_BAD_JSON =
            openAiError("We could not parse the JSON body of your request.", "invalid_request_error", null, null);

    /** The endpoints, keyed by path. */
    enum Endpoint {
        OLLAMA_CHAT("/api/chat", "POST", false),
        OLLAMA_GENERATE("/api/generate", "POST", false),
        OLLAMA_EMBED("/api/embed", "POST", false),
        OLLAMA_TAGS("/api/tags", "GET", false),
        OPENAI_CHAT("/v1/chat/completions", "POST", true),
        OPENAI_COMPLETIONS("/v1/completions", "POST", true),
        OPENAI_EMBEDDINGS("/v1/embeddings", "POST", true),
        OPENAI_MODELS("/v1/models", "GET", true);

        final String path;
        final String method;
        final boolean openAi;

        Endpoint(String path, String method, boolean openAi) {
            this.path = path;
            this.method = method;
            this.openAi = openAi;
        }

        private static final Map<String, Endpoint> BY_PATH = new HashMap<>();

        static {
            for (Endpoint e : values()) {
                BY_PATH.put(e.path, e);
            }
        }

        static Endpoint of(String path) {
            return BY_PATH.get(path);
        }
    }

    // ---------------------------------------------------------------- configuration

    private final int configuredPort;
    private volatile long serviceNanos;
    private final long perTokenNanos;
    /** -1 when not set: the first streamed token then comes after serviceTime + one token's time. */
    private volatile long timeToFirstTokenNanos;
    private volatile double tokensPerSecond;
    private volatile StreamFault streamFault;
    private final long stallProbeNanos;
    private final int completionTokens;
    private final int parallelism;
    private final int maxQueue;
    private final int capacity;
    private volatile Faults faults;
    private final long seed;
    private final boolean recordCalls;
    private final Random random;

    // ---------------------------------------------------------------- state

    private final Semaphore slots;
    private final AtomicInteger inSimulator = new AtomicInteger();
    private final AtomicInteger serving = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger maxObserved = new AtomicInteger();
    private final LongAdder received = new LongAdder();
    private final LongAdder served = new LongAdder();
    private final LongAdder busyRejected = new LongAdder();
    private final LongAdder faultsInjected = new LongAdder();
    private final LongAdder streamed = new LongAdder();
    private final LongAdder aborted = new LongAdder();
    private final LongAdder abortedTokens = new LongAdder();
    private final List<Call> calls = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private final String idPrefix;

    private final Object lifecycle = new Object();
    private HttpServer server;
    private ExecutorService pool;
    private volatile int boundPort = -1;
    private boolean closed;

    private LlmSimulator(Builder b) {
        this.configuredPort = b.port;
        this.serviceNanos = b.serviceTime.toNanos();
        this.perTokenNanos = b.perTokenTime.toNanos();
        this.timeToFirstTokenNanos = b.timeToFirstToken == null ? -1L : b.timeToFirstToken.toNanos();
        this.tokensPerSecond = b.tokensPerSecond;
        this.streamFault = b.streamFault;
        this.stallProbeNanos = b.stallProbeInterval.toNanos();
        this.completionTokens = b.completionTokens;
        this.parallelism = b.parallelism;
        this.maxQueue = b.maxQueue;
        this.capacity = b.parallelism + b.maxQueue;
        this.faults = b.faults;
        this.seed = b.seed != null ? b.seed : System.nanoTime();
        this.recordCalls = b.recordCalls;
        this.random = new Random(seed);
        this.slots = new Semaphore(parallelism, true);
        this.idPrefix = Long.toString(System.nanoTime() & 0xFF_FFFF_FFFFL, 36) + "x";
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Binds 127.0.0.1 and starts serving. Calling it again on a started simulator does nothing.
     *
     * @return this
     * @throws IllegalStateException if the simulator was closed
     * @throws UncheckedIOException  if the port cannot be bound
     */
    public LlmSimulator start() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("the simulator was closed");
            }
            if (server != null) {
                return this;
            }
            AtomicInteger threadNumber = new AtomicInteger();
            ThreadFactory factory = r -> {
                Thread t = new Thread(r, "llm-simulator-" + threadNumber.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            ExecutorService executor = Executors.newCachedThreadPool(factory);
            HttpServer s;
            try {
                int backlog = (int) Math.min(4096L, Math.max(128L, (long) capacity + 64L));
                s = HttpServer.create(new InetSocketAddress(loopback(), configuredPort), backlog);
            } catch (IOException e) {
                executor.shutdownNow();
                throw new UncheckedIOException("cannot bind 127.0.0.1:" + configuredPort, e);
            }
            s.createContext("/", this::handle);
            s.setExecutor(executor);
            s.start();
            this.pool = executor;
            this.server = s;
            this.boundPort = s.getAddress().getPort();
            return this;
        }
    }

    /** Stops the server at once ({@code HttpServer.stop(0)}) and interrupts requests in progress. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            if (server != null) {
                server.stop(0);
                pool.shutdownNow();
            }
        }
    }

    // ---------------------------------------------------------------- accessors

    /** The bound port once started, otherwise the configured port (0 = ephemeral). */
    public int port() {
        int p = boundPort;
        return p >= 0 ? p : configuredPort;
    }

    /**
     * {@code http://127.0.0.1:PORT}.
     *
     * @throws IllegalStateException if not started
     */
    public String baseUrl() {
        int p = boundPort;
        if (p < 0) {
            throw new IllegalStateException("the simulator is not started");
        }
        return "http://127.0.0.1:" + p;
    }

    /** Same as {@link #baseUrl()}: Ollama's endpoints are {@code /api/*}. */
    public String ollamaBaseUrl() {
        return baseUrl();
    }

    /** {@code baseUrl() + "/v1"}: the OpenAI-compatible base URL. */
    public String openAiBaseUrl() {
        return baseUrl() + "/v1";
    }

    public SimulatorStats stats() {
        return new SimulatorStats(received.sum(), served.sum(), busyRejected.sum(), faultsInjected.sum(),
                maxObserved.get(), serving.get(), waiting.get(), streamed.sum(), aborted.sum(), abortedTokens.sum());
    }

    /**
     * Resets the counters of {@link #stats()}; {@code maxObservedConcurrency} restarts from the number of requests
     * being served now. Requests in progress are not affected.
     */
    public void resetStats() {
        received.reset();
        served.reset();
        busyRejected.reset();
        faultsInjected.reset();
        streamed.reset();
        aborted.reset();
        abortedTokens.reset();
        maxObserved.set(serving.get());
    }

    /** A snapshot of the recorded calls in arrival order (empty when recording is off). */
    public List<RecordedCall> recorded() {
        Call[] snapshot;
        synchronized (calls) {
            snapshot = calls.toArray(new Call[0]);
        }
        List<RecordedCall> out = new ArrayList<>(snapshot.length);
        for (Call c : snapshot) {
            out.add(c.toRecord());
        }
        return Collections.unmodifiableList(out);
    }

    /** Forgets the recorded calls. */
    public void clearRecorded() {
        synchronized (calls) {
            calls.clear();
        }
    }

    /** Changes the fixed time per request; applies to requests that start being served after the call. */
    public void setServiceTime(Duration serviceTime) {
        this.serviceNanos = nonNegative(serviceTime, "serviceTime").toNanos();
    }

    /** Changes the fault injection; applies to requests that get a slot after the call. */
    public void setFaults(Faults faults) {
        this.faults = Objects.requireNonNull(faults, "faults");
    }

    /**
     * Sets the time from getting a slot to a streamed reply's first token; {@code null} goes back to the default
     * ({@code serviceTime} + one token's time). Applies to requests that get a slot after the call.
     */
    public void setTimeToFirstToken(Duration timeToFirstToken) {
        this.timeToFirstTokenNanos = timeToFirstToken == null
                ? -1L : nonNegative(timeToFirstToken, "timeToFirstToken").toNanos();
    }

    /**
     * Sets the pace of streamed tokens after the first ({@code 0}: one {@code perTokenTime} apart, which is as fast
     * as possible by default). Applies to requests that get a slot after the call.
     */
    public void setTokensPerSecond(double tokensPerSecond) {
        this.tokensPerSecond = tokensPerSecond(tokensPerSecond);
    }

    /**
     * Sets the fault every streamed reply gets (it wins over a random draw from {@link Faults}; a request's
     * {@link #FAULT_HEADER} wins over it); {@code null} for none. Applies to requests that get a slot after the call.
     */
    public void setStreamFault(StreamFault streamFault) {
        this.streamFault = streamFault;
    }

    public Duration serviceTime() {
        return Duration.ofNanos(serviceNanos);
    }

    /** The time to a streamed reply's first token, if set (otherwise {@code serviceTime} + one token's time). */
    public Optional<Duration> timeToFirstToken() {
        long t = timeToFirstTokenNanos;
        return t < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(t));
    }

    /** Streamed tokens per second after the first; {@code 0} = one {@code perTokenTime} apart. */
    public double tokensPerSecond() {
        return tokensPerSecond;
    }

    /** The fault every streamed reply gets, if set. */
    public Optional<StreamFault> streamFault() {
        return Optional.ofNullable(streamFault);
    }

    /** How often a stream stalled for ever checks, by writing a space, whether its client is still there. */
    public Duration stallProbeInterval() {
        return Duration.ofNanos(stallProbeNanos);
    }

    public Duration perTokenTime() {
        return Duration.ofNanos(perTokenNanos);
    }

    public int completionTokens() {
        return completionTokens;
    }

    public int parallelism() {
        return parallelism;
    }

    public int maxQueue() {
        return maxQueue;
    }

    public Faults faults() {
        return faults;
    }

    public long seed() {
        return seed;
    }

    public boolean recordsCalls() {
        return recordCalls;
    }

    @Override
    public String toString() {
        return "LlmSimulator{" + (boundPort >= 0 ? baseUrl() : "not started") + ", parallelism=" + parallelism
                + ", maxQueue=" + maxQueue + ", serviceTime=" + serviceTime() + ", faults=" + faults + '}';
    }

    // ---------------------------------------------------------------- request handling

    /** Thrown out of the handler so that the JDK server closes (and forgets) the connection without a response. */
    private static final class DroppedConnection extends IOException {
        DroppedConnection() {
            super("simulated dropped connection");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** Thrown out of the handler after a streamed reply's connection was cut: the handler must not close it. */
    private static final class CutStream extends IOException {
        CutStream() {
            super("simulated cut stream");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** A write to the client failed: it closed the connection. */
    private static final class ClientGone extends Exception {
        ClientGone() {
            super("the client closed the connection");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** The mutable state of one call; {@link RecordedCall} is its snapshot. */
    private static final class Call {
        final String path;
        final String method;
        String body = "";
        Map<String, List<String>> headers = Map.of();
        volatile long arrival;
        volatile long start;
        volatile long end;
        volatile int status;
        volatile boolean streamed;
        volatile long firstToken;
        volatile long lastToken;
        volatile int tokensSent;
        volatile boolean aborted;
        volatile Faults.Kind fault = Faults.Kind.NONE;
        /** Whether the slot was released (the handler's thread only). */
        boolean released;

        Call(String path, String method) {
            this.path = path;
            this.method = method;
        }

        RecordedCall toRecord() {
            // status first: a completed call's other fields were written before its status
            int s = status;
            return new RecordedCall(path, method, body, headers, arrival, start, end, s, streamed, firstToken,
                    lastToken, tokensSent, aborted, fault);
        }
    }

    /** What an admitted LLM request will answer. */
    static final class Plan {
        String model;
        String source = "";
        int promptTokens;
        int tokens;
        boolean length;
        List<String> inputs;
        boolean base64;
        /** The answer's content (text, or JSON for a structured answer); "" for a tool-call answer. */
        String text = "";
        /** Non-empty for a tool-call answer. */
        List<Tools.Call> toolCalls = List.of();
        /** Whether the reply is streamed. */
        boolean stream;
        /** OpenAI {@code stream_options.include_usage}: a usage chunk before {@code [DONE]}. */
        boolean includeUsage;
    }

    private void handle(HttpExchange ex) throws IOException {
        Call call = null;
        boolean cut = false;
        try {
            byte[] body = ex.getRequestBody().readAllBytes();
            received.increment();
            String path = ex.getRequestURI().getPath();
            if (path == null) {
                path = "/";
            }
            call = arrive(ex, path, ex.getRequestMethod(), body);
            dispatch(ex, call, body);
        } catch (DroppedConnection e) {
            throw e;
        } catch (CutStream e) {
            // closing the exchange would end the chunked body properly: let the server close the connection instead
            cut = true;
            throw e;
        } catch (InterruptedException e) {
            // the simulator is closing
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away or the server is stopping: nothing to answer
        } catch (RuntimeException | Error e) {
            if (call != null && call.status == 0 && !call.streamed) {
                boolean openAi = call.path.startsWith("/v1");
                try {
                    send(ex, call, 500, openAi
                            ? openAiError("simulator error: " + e, "server_error", null, null)
                            : ollamaError("simulator error: " + e));
                } catch (IOException ignored) {
                    // nothing more to do
                }
            }
        } finally {
            if (!cut) {
                ex.close();
            }
        }
    }

    private Call arrive(HttpExchange ex, String path, String method, byte[] body) {
        Call call = new Call(path, method);
        if (!recordCalls) {
            call.arrival = System.nanoTime();
            return call;
        }
        call.body = body.length == 0 ? "" : new String(body, StandardCharsets.UTF_8);
        Headers in = ex.getRequestHeaders();
        Map<String, List<String>> headers = new HashMap<>(in.size() * 2);
        for (Map.Entry<String, List<String>> e : in.entrySet()) {
            headers.merge(e.getKey().toLowerCase(Locale.ROOT), List.copyOf(e.getValue()), (a, b) -> {
                List<String> merged = new ArrayList<>(a);
                merged.addAll(b);
                return List.copyOf(merged);
            });
        }
        call.headers = Collections.unmodifiableMap(headers);
        synchronized (calls) {
            call.arrival = System.nanoTime();
            calls.add(call);
        }
        return call;
    }

    private void dispatch(HttpExchange ex, Call call, byte[] body) throws IOException, InterruptedException {
        Endpoint endpoint = Endpoint.of(call.path);
        if (endpoint == null) {
            if (isOpenAiPath(call.path)) {
                send(ex, call, 404, openAiError("Invalid URL (" + call.method + " " + call.path + ")",
                        "invalid_request_error", null, null));
            } else {
                send(ex, call, 404, OLLAMA_NOT_FOUND);
            }
            return;
        }
        if (!endpoint.method.equals(call.method)) {
            ex.getResponseHeaders().set("Allow", endpoint.method);
            send(ex, call, 405, endpoint.openAi
                    ? openAiError("Method " + call.method + " not allowed for " + call.path + "; use "
                    + endpoint.method, "invalid_request_error", null, null)
                    : OLLAMA_METHOD);
            return;
        }
        if (endpoint.openAi && hasBadKey(ex)) {
            send(ex, call, 401, OPENAI_BAD_KEY);
            return;
        }
        switch (endpoint) {
            case OLLAMA_TAGS:
                send(ex, call, 200, TAGS_BODY);
                return;
            case OPENAI_MODELS:
                send(ex, call, 200, MODELS_BODY);
                return;
            default:
                llm(ex, call, endpoint, body);
        }
    }

    private static boolean isOpenAiPath(String path) {
        return path.equals("/v1") || path.startsWith("/v1/");
    }

    private static boolean hasBadKey(HttpExchange ex) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        return auth != null && auth.trim().equals("Bearer " + BAD_API_KEY);
    }

    private void llm(HttpExchange ex, Call call, Endpoint endpoint, byte[] body)
            throws IOException, InterruptedException {
        boolean openAi = endpoint.openAi;
        if (body.length == 0) {
            send(ex, call, 400, openAi ? OPENAI_BAD_JSON : OLLAMA_EMPTY_BODY);
            return;
        }
        JsonNode req;
        try {
            req = MAPPER.readTree(body);
        } catch (IOException e) {
            req = null;
        }
        if (req == null || !req.isObject()) {
            send(ex, call, 400, openAi ? OPENAI_BAD_JSON : OLLAMA_BAD_JSON);
            return;
        }
        JsonNode modelNode = req.get("model");
        String model = modelNode != null && modelNode.isTextual() ? modelNode.textValue().trim() : "";
        if (model.isEmpty()) {
            send(ex, call, 400, openAi ? OPENAI_MODEL_REQUIRED : OLLAMA_MODEL_REQUIRED);
            return;
        }
        boolean stream = false;
        JsonNode streamNode = req.get("stream");
        if (endpoint == Endpoint.OLLAMA_CHAT || endpoint == Endpoint.OLLAMA_GENERATE) {
            // Ollama streams unless told not to
            if (streamNode != null && !streamNode.isNull() && !streamNode.isBoolean()) {
                send(ex, call, 400, OLLAMA_STREAM_TYPE);
                return;
            }
            stream = streamNode == null || streamNode.isNull() || streamNode.booleanValue();
        } else if (endpoint == Endpoint.OPENAI_CHAT || endpoint == Endpoint.OPENAI_COMPLETIONS) {
            stream = streamNode != null && streamNode.asBoolean(false);
        }
        Injection requested = null;
        String faultHeader = ex.getRequestHeaders().getFirst(FAULT_HEADER);
        if (faultHeader != null) {
            String problem;
            try {
                requested = Injection.parse(faultHeader);
                problem = requested.kind().streamOnly() && !stream
                        ? FAULT_HEADER + ": " + faultHeader.trim() + " applies to streamed replies only" : null;
            } catch (IllegalArgumentException e) {
                problem = "bad " + FAULT_HEADER + " header: " + e.getMessage();
            }
            if (problem != null) {
                send(ex, call, 400, openAi
                        ? openAiError(problem, "invalid_request_error", null, null) : ollamaError(problem));
                return;
            }
        }
        if (openAi && model.equals(QUOTA_EXCEEDED_MODEL)) {
            send(ex, call, 429, OPENAI_QUOTA);
            return;
        }
        if (model.startsWith(MISSING_MODEL_PREFIX)) {
            send(ex, call, 404, openAi
                    ? openAiError("The model `" + model + "` does not exist or you do not have access to it.",
                    "invalid_request_error", null, "model_not_found")
                    : ollamaError("model \"" + model + "\" not found, try pulling it first"));
            return;
        }
        Plan plan = plan(endpoint, req, model);
        if (plan != null) {
            plan.stream = stream;
            plan.includeUsage = stream && openAi && req.path("stream_options").path("include_usage").asBoolean(false);
        }
        if (plan == null) {
            send(ex, call, 400, openAi
                    ? openAiError(endpoint == Endpoint.OPENAI_CHAT
                            ? "Missing required parameter: 'messages'." : "Missing required parameter: 'input'.",
                    "invalid_request_error", endpoint == Endpoint.OPENAI_CHAT ? "messages" : "input",
                    "missing_required_parameter")
                    : ollamaError("invalid input type"));
            return;
        }
        serve(ex, call, endpoint, plan, requested);
    }

    /**
     * Admission, slot, fault, service time, reply.
     *
     * @param requested the fault the request asked for ({@link #FAULT_HEADER}), or null
     */
    private void serve(HttpExchange ex, Call call, Endpoint endpoint, Plan plan, Injection requested)
            throws IOException, InterruptedException {
        boolean openAi = endpoint.openAi;
        if (!admit()) {
            busyRejected.increment();
            send(ex, call, 503, openAi ? OPENAI_BUSY : OLLAMA_BUSY);
            return;
        }
        waiting.incrementAndGet();
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            waiting.decrementAndGet();
            inSimulator.decrementAndGet();
            throw e;
        }
        waiting.decrementAndGet();
        int now = serving.incrementAndGet();
        int max;
        while (now > (max = maxObserved.get()) && !maxObserved.compareAndSet(max, now)) {
            Thread.onSpinWait();
        }
        call.start = System.nanoTime();
        try {
            Injection fault = fault(plan, requested);
            if (fault.kind() != Faults.Kind.NONE) {
                faultsInjected.increment();
                call.fault = fault.kind();
            }
            switch (fault.kind()) {
                case RATE_LIMITED: {
                    release(call);
                    Duration retryAfter = fault.retryAfter();
                    long ms = retryAfter.toMillis();
                    long seconds = (ms + 999) / 1000;
                    Headers h = ex.getResponseHeaders();
                    h.set("Retry-After", Long.toString(seconds));
                    if (openAi) {
                        h.set("retry-after-ms", Long.toString(ms));
                    }
                    send(ex, call, 429, openAi
                            ? openAiError("Rate limit reached for requests. Please try again in " + seconds + "s.",
                            "rate_limit_exceeded", null, "rate_limit_exceeded")
                            : ollamaError("rate limit exceeded, please try again in " + seconds + "s"));
                    return;
                }
                case SERVER_ERROR:
                    release(call);
                    send(ex, call, 500, openAi ? OPENAI_SERVER_ERROR : OLLAMA_SERVER_ERROR);
                    return;
                case BUSY:
                    release(call);
                    send(ex, call, 503, openAi ? OPENAI_BUSY : OLLAMA_BUSY);
                    return;
                case DROP_CONNECTION:
                    release(call);
                    drop(ex, call);
                    return;
                case MALFORMED_JSON:
                    if (!plan.stream) {
                        byte[] reply = reply(endpoint, plan, call, 0, 0);
                        release(call);
                        send(ex, call, 200, Arrays.copyOf(reply, Math.max(1, reply.length / 2)));
                        return;
                    }
                    break;
                default:
                    break;
            }
            if (plan.stream) {
                stream(ex, call, endpoint, plan, fault);
                return;
            }
            long fixed = serviceNanos + (fault.kind() == Faults.Kind.SLOW ? fault.slowDelay().toNanos() : 0L);
            long perToken = perTokenNanos * plan.tokens;
            long sleep = fixed + perToken;
            if (sleep > 0) {
                TimeUnit.NANOSECONDS.sleep(sleep);
            }
            byte[] reply = reply(endpoint, plan, call, fixed, perToken);
            release(call);
            if (plan.tokens > 0) {
                call.tokensSent = plan.tokens;
            }
            send(ex, call, 200, reply);
        } finally {
            release(call);
        }
    }

    /**
     * The fault of one request: the one it asked for, else (streamed) the simulator's stream fault, else a draw
     * from {@link Faults}, in which a stream fault counts for nothing on a reply in one piece.
     */
    private Injection fault(Plan plan, Injection requested) {
        if (requested != null) {
            return requested;
        }
        StreamFault always = streamFault;
        if (plan.stream && always != null) {
            return Injection.of(always);
        }
        Faults f = faults;
        if (f.isNone()) {
            return Injection.NONE;
        }
        Faults.Kind kind = f.pick(random.nextDouble());
        return kind.streamOnly() && !plan.stream ? Injection.NONE : Injection.drawn(f, kind);
    }

    // ---------------------------------------------------------------- streaming

    /** Writes a streamed reply's events to the client and notices when it has gone. */
    private final class StreamOut {
        private final HttpExchange ex;
        private final Call call;
        private OutputStream body;

        StreamOut(HttpExchange ex, Call call) {
            this.ex = ex;
            this.call = call;
        }

        boolean started() {
            return body != null;
        }

        /** Sends the 200 status line and headers with a chunked body. */
        void start(String contentType) throws ClientGone {
            ex.getResponseHeaders().set("Content-Type", contentType);
            call.streamed = true;
            served.increment();
            streamed.increment();
            try {
                ex.sendResponseHeaders(200, 0);
                body = ex.getResponseBody();
            } catch (IOException e) {
                throw new ClientGone();
            }
        }

        /** Writes and flushes one event (or several, or a probe). */
        void write(byte[] event) throws ClientGone {
            try {
                body.write(event);
                body.flush();
            } catch (IOException e) {
                throw new ClientGone();
            }
        }
    }

    /**
     * Streams the reply. The first event goes out (with the 200 status line) at the time to first token, then one
     * delta per {@link #gapNanos() gap}; the slot is held until the last token has been written (or the stream is
     * cut, fails, or the client goes away), then the closing events follow. A failed write stops everything at
     * once: the call is recorded and counted as aborted.
     */
    private void stream(HttpExchange ex, Call call, Endpoint endpoint, Plan plan, Injection fault)
            throws IOException, InterruptedException {
        StreamReply reply = new StreamReply(endpoint, plan, completionId(endpoint), System.currentTimeMillis() / 1000);
        List<StreamReply.Delta> deltas = reply.deltas();
        StreamFault pending = fault.stream();
        long gap = gapNanos();
        long ttft = timeToFirstTokenNanos;
        long slow = fault.kind() == Faults.Kind.SLOW ? fault.slowDelay().toNanos() : 0L;
        // the schedule: delta k is due at clock + (tokens of deltas 0..k) * gap; a stall moves the clock
        long clock = call.start + slow + (ttft >= 0 ? ttft - gap : serviceNanos);
        StreamOut out = new StreamOut(ex, call);
        int sent = 0;
        long scheduled = 0; // tokens of the deltas scheduled so far
        try {
            sleepUntil(clock + (deltas.isEmpty() ? (ttft >= 0 ? gap : 0) : deltas.get(0).tokens() * gap));
            out.start(reply.contentType());
            if (fault.kind() == Faults.Kind.MALFORMED_JSON) {
                finish(call);
                out.write(reply.malformed());
                return;
            }
            byte[] opening = reply.opening();
            if (opening != null) {
                out.write(opening);
            }
            for (StreamReply.Delta d : deltas) {
                if (pending != null && sent + d.tokens() > pending.afterTokens()) {
                    long stalled = strike(pending, out, reply, call);
                    if (stalled < 0) {
                        return;
                    }
                    clock += stalled;
                    pending = null;
                }
                scheduled += d.tokens();
                sleepUntil(clock + scheduled * gap);
                out.write(reply.delta(d));
                long now = System.nanoTime();
                if (sent == 0) {
                    call.firstToken = now;
                }
                call.lastToken = now;
                sent += d.tokens();
                call.tokensSent = sent;
            }
            if (pending != null && strike(pending, out, reply, call) < 0) {
                return;
            }
            long end = System.nanoTime();
            long first = call.firstToken;
            finish(call);
            out.write(reply.closing(Math.max(1, end - call.arrival), Math.max(0, call.start - call.arrival),
                    Math.max(0, (first != 0 ? first : end) - call.start), first != 0 ? call.lastToken - first : 0));
        } catch (ClientGone e) {
            call.aborted = true;
            aborted.increment();
            abortedTokens.add(sent);
            finish(call);
        } finally {
            if (call.status == 0) {
                finish(call); // interrupted: the simulator is closing
            }
        }
    }

    /**
     * Applies a stream fault. Returns how long the stream stalled (then it goes on), or -1 when the stream is
     * over (an error event was sent).
     *
     * @throws CutStream  for a cut (the slot released, the call recorded)
     * @throws ClientGone when the client goes away during the fault
     */
    private long strike(StreamFault fault, StreamOut out, StreamReply reply, Call call)
            throws CutStream, ClientGone, InterruptedException {
        switch (fault.type()) {
            case CUT:
                finish(call);
                throw new CutStream();
            case ERROR:
                finish(call);
                out.write(reply.error());
                return -1;
            default:
                if (fault.forever()) {
                    // a write to a closed connection fails once the peer has answered with a reset: probe twice
                    for (;;) {
                        TimeUnit.NANOSECONDS.sleep(stallProbeNanos);
                        out.write(PROBE);
                        TimeUnit.MILLISECONDS.sleep(1);
                        out.write(PROBE);
                    }
                }
                long t0 = System.nanoTime();
                TimeUnit.NANOSECONDS.sleep(saturatedNanos(fault.stall()));
                return System.nanoTime() - t0;
        }
    }

    /** Ends a streamed call's service: releases its slot (once) and records its status. */
    private void finish(Call call) {
        release(call);
        call.status = 200;
    }

    /** The time between two streamed tokens: {@code 1 / tokensPerSecond}, or {@code perTokenTime} when that is 0. */
    private long gapNanos() {
        double tps = tokensPerSecond;
        return tps > 0 ? Math.round(1e9 / tps) : perTokenNanos;
    }

    /** {@code d} in nanoseconds, or {@code Long.MAX_VALUE} (292 years) when it is longer. */
    private static long saturatedNanos(Duration d) {
        return d.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : d.toNanos();
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long wait = deadline - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    private String completionId(Endpoint endpoint) {
        return (endpoint == Endpoint.OPENAI_CHAT ? "chatcmpl-" : "cmpl-") + idPrefix
                + Long.toString(ids.incrementAndGet(), 36);
    }

    /** Takes a place among the {@code parallelism + maxQueue} requests allowed in the simulator. */
    private boolean admit() {
        for (;;) {
            int n = inSimulator.get();
            if (n >= capacity) {
                return false;
            }
            if (inSimulator.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives the call's slot and its place in the simulator back; does nothing the second time. */
    private void release(Call call) {
        if (call.released) {
            return;
        }
        call.released = true;
        call.end = System.nanoTime();
        serving.decrementAndGet();
        slots.release();
        inSimulator.decrementAndGet();
    }

    private static void drop(HttpExchange ex, Call call) throws IOException {
        call.status = RecordedCall.DROPPED;
        // closing before sendResponseHeaders closes the connection; throwing makes the server forget it
        ex.close();
        throw new DroppedConnection();
    }

    private void send(HttpExchange ex, Call call, int status, byte[] body) throws IOException {
        if (call.end == 0) {
            call.end = System.nanoTime();
        }
        call.status = status;
        if (status >= 200 && status < 300) {
            served.increment();
        }
        if (call.tokensSent > 0) {
            long now = System.nanoTime();
            call.firstToken = now;
            call.lastToken = now;
        }
        ex.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        try {
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            OutputStream out = ex.getResponseBody();
            out.write(body);
            out.close();
        } catch (IOException e) {
            call.aborted = true;
            aborted.increment();
            abortedTokens.add(call.tokensSent);
            throw e;
        }
    }

    // ---------------------------------------------------------------- request interpretation

    /** Interprets an LLM request, or returns null if a required field is missing or of the wrong type. */
    private Plan plan(Endpoint endpoint, JsonNode req, String model) {
        Plan plan = new Plan();
        plan.model = model;
        switch (endpoint) {
            case OLLAMA_CHAT:
            case OPENAI_CHAT: {
                JsonNode messages = req.get("messages");
                if (endpoint == Endpoint.OPENAI_CHAT
                        && (messages == null || !messages.isArray() || messages.isEmpty())) {
                    return null;
                }
                int promptTokens = 0;
                int images = 0;
                String lastUser = null;
                String lastTool = null; // the last tool result after the last user message
                String last = "";
                if (messages != null && messages.isArray()) {
                    for (JsonNode m : messages) {
                        String content = Texts.content(m.get("content"));
                        promptTokens += Texts.words(content);
                        images += Texts.images(m);
                        last = content;
                        String role = m.path("role").asText();
                        if ("user".equals(role)) {
                            lastUser = content;
                            lastTool = null;
                        } else if ("tool".equals(role)) {
                            lastTool = content;
                        }
                    }
                }
                plan.source = lastUser != null ? lastUser : last;
                plan.promptTokens = Math.max(1, promptTokens);
                int limit = endpoint == Endpoint.OLLAMA_CHAT
                        ? limit(req.path("options").get("num_predict"))
                        : openAiLimit(req);
                tokens(plan, limit);
                List<Tools.Call> calls = Tools.calls(req, lastUser, lastTool != null, endpoint.openAi);
                if (!calls.isEmpty()) {
                    plan.toolCalls = calls;
                    plan.tokens = Tools.tokens(calls);
                    plan.length = false;
                    return plan;
                }
                String text = lastTool != null
                        ? Texts.answer(TOOL_RESULT_PREFIX, lastTool, Texts.imageNote(images), plan.tokens)
                        : Texts.answer(Texts.PREFIX, plan.source, Texts.imageNote(images), plan.tokens);
                format(plan, Structured.requested(req, endpoint.openAi), text);
                return plan;
            }
            case OLLAMA_GENERATE: {
                String prompt = req.path("prompt").asText("");
                plan.source = prompt;
                plan.promptTokens = Math.max(1, Texts.words(prompt) + Texts.words(req.path("system").asText("")));
                tokens(plan, limit(req.path("options").get("num_predict")));
                JsonNode images = req.get("images");
                String note = Texts.imageNote(images != null && images.isArray() ? images.size() : 0);
                format(plan, Structured.requested(req, false),
                        Texts.answer(Texts.PREFIX, prompt, note, plan.tokens));
                return plan;
            }
            case OPENAI_COMPLETIONS: {
                JsonNode prompt = req.get("prompt");
                int promptTokens = 0;
                String source = "";
                if (prompt != null && prompt.isArray()) {
                    boolean first = true;
                    for (JsonNode p : prompt) {
                        String text = p.isTextual() ? p.textValue() : p.toString();
                        promptTokens += p.isTextual() ? Texts.words(text) : 1;
                        if (first) {
                            source = text;
                            first = false;
                        }
                    }
                } else if (prompt != null && prompt.isTextual()) {
                    source = prompt.textValue();
                    promptTokens = Texts.words(source);
                }
                plan.source = source;
                plan.promptTokens = Math.max(1, promptTokens);
                tokens(plan, openAiLimit(req));
                format(plan, Structured.requested(req, true), Texts.answer(source, plan.tokens));
                return plan;
            }
            case OLLAMA_EMBED:
            case OPENAI_EMBEDDINGS: {
                List<String> inputs = new ArrayList<>();
                int promptTokens = 0;
                JsonNode input = req.get("input");
                if (input == null || input.isNull()) {
                    if (endpoint == Endpoint.OPENAI_EMBEDDINGS) {
                        return null;
                    }
                } else if (input.isTextual()) {
                    inputs.add(input.textValue());
                    promptTokens += Texts.words(input.textValue());
                } else if (input.isArray()) {
                    if (input.size() > 0 && input.get(0).isNumber()) {
                        // OpenAI: one input given as token ids
                        inputs.add(input.toString());
                        promptTokens += input.size();
                    } else {
                        for (JsonNode i : input) {
                            if (i.isTextual()) {
                                inputs.add(i.textValue());
                                promptTokens += Texts.words(i.textValue());
                            } else if (i.isArray() && endpoint == Endpoint.OPENAI_EMBEDDINGS) {
                                inputs.add(i.toString());
                                promptTokens += i.size();
                            } else {
                                return null;
                            }
                        }
                    }
                } else {
                    return null;
                }
                plan.inputs = inputs;
                plan.promptTokens = Math.max(1, promptTokens);
                plan.base64 = "base64".equals(req.path("encoding_format").asText(""));
                plan.tokens = 0;
                return plan;
            }
            default:
                throw new IllegalStateException("not an LLM endpoint: " + endpoint);
        }
    }

    /**
     * Sets the answer's content: {@code text} itself, {@code {"answer": text}} in JSON mode, or a placeholder
     * instance of the schema (complete whatever the token limit). A JSON answer counts its words as tokens.
     */
    private static void format(Plan plan, Structured.Format format, String text) {
        switch (format.kind()) {
            case JSON_OBJECT:
                plan.text = Structured.answerObject(text);
                plan.tokens = Texts.words(plan.text);
                break;
            case JSON_SCHEMA:
                plan.text = Structured.write(Structured.instance(format.schema()));
                plan.tokens = Texts.words(plan.text);
                plan.length = false;
                break;
            default:
                plan.text = text;
        }
    }

    private void tokens(Plan plan, int limit) {
        if (limit >= 1 && limit < completionTokens) {
            plan.tokens = limit;
            plan.length = true;
        } else {
            plan.tokens = completionTokens;
            plan.length = false;
        }
    }

    private static int openAiLimit(JsonNode req) {
        int limit = limit(req.get("max_completion_tokens"));
        return limit >= 1 ? limit : limit(req.get("max_tokens"));
    }

    private static int limit(JsonNode n) {
        if (n == null || !n.isNumber() || !n.canConvertToInt()) {
            return -1;
        }
        return n.intValue();
    }

    // ---------------------------------------------------------------- replies

    private byte[] reply(Endpoint endpoint, Plan plan, Call call, long fixedNanos, long perTokenNanos)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            switch (endpoint) {
                case OLLAMA_CHAT:
                case OLLAMA_GENERATE: {
                    long now = System.nanoTime();
                    g.writeStartObject();
                    g.writeStringField("model", plan.model);
                    g.writeStringField("created_at", Instant.now().toString());
                    if (endpoint == Endpoint.OLLAMA_CHAT) {
                        g.writeObjectFieldStart("message");
                        g.writeStringField("role", "assistant");
                        g.writeStringField("content", plan.text);
                        if (!plan.toolCalls.isEmpty()) {
                            g.writeArrayFieldStart("tool_calls");
                            for (Tools.Call c : plan.toolCalls) {
                                g.writeStartObject();
                                g.writeObjectFieldStart("function");
                                g.writeStringField("name", c.name());
                                g.writeFieldName("arguments");
                                g.writeTree(c.arguments());
                                g.writeEndObject();
                                g.writeEndObject();
                            }
                            g.writeEndArray();
                        }
                        g.writeEndObject();
                    } else {
                        g.writeStringField("response", plan.text);
                    }
                    g.writeStringField("done_reason", plan.length ? "length" : "stop");
                    g.writeBooleanField("done", true);
                    if (endpoint == Endpoint.OLLAMA_GENERATE) {
                        g.writeFieldName("context");
                        g.writeArray(CONTEXT, 0, CONTEXT.length);
                    }
                    g.writeNumberField("total_duration", Math.max(1, now - call.arrival));
                    g.writeNumberField("load_duration", Math.max(0, call.start - call.arrival));
                    g.writeNumberField("prompt_eval_count", plan.promptTokens);
                    g.writeNumberField("prompt_eval_duration", fixedNanos);
                    g.writeNumberField("eval_count", plan.tokens);
                    g.writeNumberField("eval_duration", perTokenNanos);
                    g.writeEndObject();
                    break;
                }
                case OLLAMA_EMBED: {
                    g.writeStartObject();
                    g.writeStringField("model", plan.model);
                    g.writeArrayFieldStart("embeddings");
                    for (String input : plan.inputs) {
                        float[] v = Texts.embedding(input);
                        g.writeStartArray();
                        for (float x : v) {
                            g.writeNumber(x);
                        }
                        g.writeEndArray();
                    }
                    g.writeEndArray();
                    g.writeNumberField("total_duration", Math.max(1, System.nanoTime() - call.arrival));
                    g.writeNumberField("load_duration", Math.max(0, call.start - call.arrival));
                    g.writeNumberField("prompt_eval_count", plan.promptTokens);
                    g.writeEndObject();
                    break;
                }
                case OPENAI_CHAT:
                case OPENAI_COMPLETIONS: {
                    boolean chat = endpoint == Endpoint.OPENAI_CHAT;
                    g.writeStartObject();
                    g.writeStringField("id", completionId(endpoint));
                    g.writeStringField("object", chat ? "chat.completion" : "text_completion");
                    g.writeNumberField("created", System.currentTimeMillis() / 1000);
                    g.writeStringField("model", plan.model);
                    g.writeArrayFieldStart("choices");
                    g.writeStartObject();
                    boolean toolCalls = !plan.toolCalls.isEmpty();
                    if (chat) {
                        g.writeNumberField("index", 0);
                        g.writeObjectFieldStart("message");
                        g.writeStringField("role", "assistant");
                        if (toolCalls) {
                            g.writeNullField("content");
                            g.writeArrayFieldStart("tool_calls");
                            for (Tools.Call c : plan.toolCalls) {
                                g.writeStartObject();
                                g.writeStringField("id", c.id());
                                g.writeStringField("type", "function");
                                g.writeObjectFieldStart("function");
                                g.writeStringField("name", c.name());
                                g.writeStringField("arguments", c.argumentsJson());
                                g.writeEndObject();
                                g.writeEndObject();
                            }
                            g.writeEndArray();
                        } else {
                            g.writeStringField("content", plan.text);
                        }
                        g.writeNullField("refusal");
                        g.writeEndObject();
                    } else {
                        g.writeStringField("text", plan.text);
                        g.writeNumberField("index", 0);
                    }
                    g.writeNullField("logprobs");
                    g.writeStringField("finish_reason", toolCalls ? "tool_calls" : plan.length ? "length" : "stop");
                    g.writeEndObject();
                    g.writeEndArray();
                    g.writeObjectFieldStart("usage");
                    g.writeNumberField("prompt_tokens", plan.promptTokens);
                    g.writeNumberField("completion_tokens", plan.tokens);
                    g.writeNumberField("total_tokens", plan.promptTokens + plan.tokens);
                    g.writeEndObject();
                    g.writeEndObject();
                    break;
                }
                case OPENAI_EMBEDDINGS: {
                    g.writeStartObject();
                    g.writeStringField("object", "list");
                    g.writeArrayFieldStart("data");
                    int index = 0;
                    for (String input : plan.inputs) {
                        float[] v = Texts.embedding(input);
                        g.writeStartObject();
                        g.writeStringField("object", "embedding");
                        g.writeNumberField("index", index++);
                        if (plan.base64) {
                            ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                            for (float x : v) {
                                buf.putFloat(x);
                            }
                            g.writeStringField("embedding", Base64.getEncoder().encodeToString(buf.array()));
                        } else {
                            g.writeArrayFieldStart("embedding");
                            for (float x : v) {
                                g.writeNumber(x);
                            }
                            g.writeEndArray();
                        }
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeStringField("model", plan.model);
                    g.writeObjectFieldStart("usage");
                    g.writeNumberField("prompt_tokens", plan.promptTokens);
                    g.writeNumberField("total_tokens", plan.promptTokens);
                    g.writeEndObject();
                    g.writeEndObject();
                    break;
                }
                default:
                    throw new IllegalStateException("not an LLM endpoint: " + endpoint);
            }
        }
        return out.toByteArray();
    }

    static byte[] ollamaError(String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + message.length());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("error", message);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] openAiError(String message, String type, String param, String code) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 + message.length());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", message);
            g.writeStringField("type", type);
            g.writeStringField("param", param);
            g.writeStringField("code", code);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] tagsBody() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("models");
            tag(g, OLLAMA_MODEL, 2_019_393_189L,
                    "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72", "llama", "3.2B", "Q4_K_M");
            tag(g, OLLAMA_EMBED_MODEL, 274_302_450L,
                    "0a109f422b47e3a30ba2b10eca18548e944e8a23073ee3f3e947efcf3c45e59f", "nomic-bert", "137M", "F16");
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void tag(JsonGenerator g, String name, long size, String digest, String family,
                            String parameterSize, String quantization) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", name);
        g.writeStringField("model", name);
        g.writeStringField("modified_at", "2025-01-01T00:00:00Z");
        g.writeNumberField("size", size);
        g.writeStringField("digest", digest);
        g.writeObjectFieldStart("details");
        g.writeStringField("parent_model", "");
        g.writeStringField("format", "gguf");
        g.writeStringField("family", family);
        g.writeArrayFieldStart("families");
        g.writeString(family);
        g.writeEndArray();
        g.writeStringField("parameter_size", parameterSize);
        g.writeStringField("quantization_level", quantization);
        g.writeEndObject();
        g.writeEndObject();
    }

    private static byte[] modelsBody() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (String id : new String[] {OPENAI_MODEL, OPENAI_EMBED_MODEL}) {
                g.writeStartObject();
                g.writeStringField("id", id);
                g.writeStringField("object", "model");
                g.writeNumberField("created", MODELS_CREATED);
                g.writeStringField("owned_by", "simulator");
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Duration nonNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, got " + d);
        }
        return d;
    }

    /** The slowest pace accepted: one token per 1000 seconds. */
    private static final double MIN_TOKENS_PER_SECOND = 0.001;

    private static double tokensPerSecond(double tokensPerSecond) {
        if (Double.isNaN(tokensPerSecond) || Double.isInfinite(tokensPerSecond)
                || (tokensPerSecond != 0 && tokensPerSecond < MIN_TOKENS_PER_SECOND)) {
            throw new IllegalArgumentException("tokensPerSecond must be 0 or a finite number >= "
                    + MIN_TOKENS_PER_SECOND + ", got " + tokensPerSecond);
        }
        return tokensPerSecond;
    }

    // ---------------------------------------------------------------- command line

    /**
     * Runs the simulator until the process is killed. See {@link #USAGE} / {@code --help}; for example
     * {@code --port 11434 --service-time 50ms --parallelism 2 --max-queue 512}.
     */
    public static void main(String[] args) throws InterruptedException {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println(USAGE);
                return;
            }
        }
        LlmSimulator sim;
        try {
            sim = run(args, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("llm-simulator: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(sim::close, "llm-simulator-shutdown"));
        new CountDownLatch(1).await();
    }

    /** Parses the arguments, starts the simulator and prints the "listening" line to {@code out}. */
    static LlmSimulator run(String[] args, PrintStream out) {
        LlmSimulator sim = parseArgs(args).build().start();
        out.println("LLM simulator listening on " + sim.baseUrl() + " (ollama: /api/*, openai: /v1/*)");
        out.flush();
        return sim;
    }

    /**
     * Parses command-line options ({@code --name value} or {@code --name=value}) into a builder.
     *
     * @throws IllegalArgumentException on an unknown option or a bad value
     */
    public static Builder parseArgs(String... args) {
        Builder b = builder();
        Faults.Builder fb = Faults.builder();
        boolean anyFault = false;
        double rateLimited = 0;
        Duration retryAfter = Duration.ofSeconds(1);
        double slow = 0;
        Duration slowDelay = Duration.ofSeconds(2);
        double cutStream = 0;
        double streamError = 0;
        double stallStream = 0;
        int faultAfter = 3;
        Duration stallFor = Duration.ofSeconds(10);
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (name.equals("--no-record")) {
                b.recordCalls(false);
                continue;
            }
            if (!name.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: " + arg);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                value = args[++i];
            }
            switch (name) {
                case "--port":
                    b.port(parseInt(name, value));
                    break;
                case "--service-time":
                    b.serviceTime(parseDuration(value));
                    break;
                case "--per-token-time":
                    b.perTokenTime(parseDuration(value));
                    break;
                case "--completion-tokens":
                    b.completionTokens(parseInt(name, value));
                    break;
                case "--time-to-first-token":
                    b.timeToFirstToken(parseDuration(value));
                    break;
                case "--tokens-per-second":
                    try {
                        b.tokensPerSecond(Double.parseDouble(value.trim()));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(name + ": not a number: " + value);
                    }
                    break;
                case "--stall-probe-interval":
                    b.stallProbeInterval(parseDuration(value));
                    break;
                case "--stream-fault":
                    b.streamFault(StreamFault.parse(value));
                    break;
                case "--cut-stream":
                    cutStream = parseProbability(name, value);
                    anyFault = true;
                    break;
                case "--stream-error":
                    streamError = parseProbability(name, value);
                    anyFault = true;
                    break;
                case "--stall-stream":
                    stallStream = parseProbability(name, value);
                    anyFault = true;
                    break;
                case "--stream-fault-after":
                    faultAfter = parseInt(name, value);
                    break;
                case "--stall-for":
                    stallFor = value.trim().equalsIgnoreCase("forever") ? StreamFault.FOREVER : parseDuration(value);
                    break;
                case "--parallelism":
                    b.parallelism(parseInt(name, value));
                    break;
                case "--max-queue":
                    b.maxQueue(parseInt(name, value));
                    break;
                case "--seed":
                    try {
                        b.seed(Long.parseLong(value.trim()));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(name + ": not a number: " + value);
                    }
                    break;
                case "--rate-limited":
                    rateLimited = parseProbability(name, value);
                    anyFault = true;
                    break;
                case "--retry-after":
                    retryAfter = parseDuration(value);
                    break;
                case "--server-error":
                    fb.serverError(parseProbability(name, value));
                    anyFault = true;
                    break;
                case "--busy":
                    fb.busy(parseProbability(name, value));
                    anyFault = true;
                    break;
                case "--slow":
                    slow = parseProbability(name, value);
                    anyFault = true;
                    break;
                case "--slow-delay":
                    slowDelay = parseDuration(value);
                    break;
                case "--drop-connection":
                    fb.dropConnection(parseProbability(name, value));
                    anyFault = true;
                    break;
                case "--malformed-json":
                    fb.malformedJson(parseProbability(name, value));
                    anyFault = true;
                    break;
                default:
                    throw new IllegalArgumentException("unknown option: " + name);
            }
        }
        if (anyFault) {
            b.faults(fb.rateLimited(rateLimited, retryAfter).slow(slow, slowDelay)
                    .cutStream(cutStream, faultAfter).streamError(streamError, faultAfter)
                    .stallStream(stallStream, faultAfter, stallFor).build());
        }
        return b;
    }

    private static final Pattern DURATION =
            Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|µs|ms|s|m|min|h)?");

    /**
     * Parses {@code 50ms}, {@code 2s}, {@code 1.5s}, {@code 1m}, {@code 250us}, {@code 10ns}, {@code 1h},
     * {@code 0}, a plain number (milliseconds) or an ISO-8601 duration ({@code PT2S}).
     *
     * @throws IllegalArgumentException if it is none of these or negative
     */
    public static Duration parseDuration(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty duration");
        }
        String t = text.trim();
        if (t.charAt(0) == 'P' || t.charAt(0) == 'p') {
            try {
                return nonNegative(Duration.parse(t.toUpperCase(Locale.ROOT)), "duration");
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException("not a duration: " + text);
            }
        }
        Matcher m = DURATION.matcher(t.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: " + text + " (use e.g. 50ms, 2s, 0)");
        }
        String unit = m.group(2) == null ? "ms" : m.group(2);
        long nanosPerUnit;
        switch (unit) {
            case "ns":
                nanosPerUnit = 1L;
                break;
            case "us":
            case "µs":
                nanosPerUnit = 1_000L;
                break;
            case "ms":
                nanosPerUnit = 1_000_000L;
                break;
            case "s":
                nanosPerUnit = 1_000_000_000L;
                break;
            case "m":
            case "min":
                nanosPerUnit = 60_000_000_000L;
                break;
            case "h":
                nanosPerUnit = 3_600_000_000_000L;
                break;
            default:
                throw new IllegalArgumentException("not a duration: " + text);
        }
        try {
            BigDecimal nanos = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(nanosPerUnit));
            return Duration.ofNanos(nanos.setScale(0, java.math.RoundingMode.HALF_UP).longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("duration too long: " + text);
        }
    }

    private static int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": not an integer: " + value);
        }
    }

    private static double parseProbability(String name, String value) {
        try {
            return Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": not a probability: " + value);
        }
    }

    // ---------------------------------------------------------------- builder

    /** Builder for {@link LlmSimulator}; see the setters for defaults. */
    public static final class Builder {
        private int port;
        private Duration serviceTime = Duration.ZERO;
        private Duration perTokenTime = Duration.ZERO;
        private Duration timeToFirstToken;
        private double tokensPerSecond;
        private StreamFault streamFault;
        private Duration stallProbeInterval = Duration.ofSeconds(1);
        private int completionTokens = 12;
        private int parallelism = 4;
        private int maxQueue = 512;
        private Faults faults = Faults.none();
        private Long seed;
        private boolean recordCalls = true;

        private Builder() {
        }

        /** Port on 127.0.0.1; 0 (the default) picks an ephemeral port. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
            }
            this.port = port;
            return this;
        }

        /** Fixed time per request (default 0). */
        public Builder serviceTime(Duration serviceTime) {
            this.serviceTime = nonNegative(serviceTime, "serviceTime");
            return this;
        }

        /** Time added per completion token (default 0). */
        public Builder perTokenTime(Duration perTokenTime) {
            this.perTokenTime = nonNegative(perTokenTime, "perTokenTime");
            return this;
        }

        /**
         * Streamed replies: the time from getting a slot to the first token, in place of {@code serviceTime}
         * (default not set: the first token comes after {@code serviceTime} + one token's time, so that a streamed
         * reply ends when the same reply in one piece would be sent). {@code null} unsets it.
         */
        public Builder timeToFirstToken(Duration timeToFirstToken) {
            this.timeToFirstToken = timeToFirstToken == null ? null : nonNegative(timeToFirstToken, "timeToFirstToken");
            return this;
        }

        /**
         * Streamed replies: tokens per second after the first (default 0: the tokens come {@code perTokenTime}
         * apart, which is as fast as possible when that is 0).
         */
        public Builder tokensPerSecond(double tokensPerSecond) {
            this.tokensPerSecond = LlmSimulator.tokensPerSecond(tokensPerSecond);
            return this;
        }

        /**
         * A fault that every streamed reply gets, for deterministic tests (default none). It wins over a random
         * draw from {@link #faults(Faults)}; a request's {@link #FAULT_HEADER} wins over it.
         */
        public Builder streamFault(StreamFault streamFault) {
            this.streamFault = streamFault;
            return this;
        }

        /**
         * How often a stream stalled for ever ({@link StreamFault#FOREVER}) writes a space to find out whether its
         * client has closed the connection (default 1 s). A client whose socket read timeout is shorter sees pure
         * silence; one whose timeout is longer keeps receiving these bytes.
         */
        public Builder stallProbeInterval(Duration stallProbeInterval) {
            nonNegative(stallProbeInterval, "stallProbeInterval");
            if (stallProbeInterval.isZero()) {
                throw new IllegalArgumentException("stallProbeInterval must be positive");
            }
            this.stallProbeInterval = stallProbeInterval;
            return this;
        }

        /** Tokens (whitespace-separated words) in each simulated answer (default 12). */
        public Builder completionTokens(int completionTokens) {
            if (completionTokens < 0) {
                throw new IllegalArgumentException("completionTokens must not be negative, got " + completionTokens);
            }
            this.completionTokens = completionTokens;
            return this;
        }

        /** Requests served at once, like {@code OLLAMA_NUM_PARALLEL} (default 4). */
        public Builder parallelism(int parallelism) {
            if (parallelism < 1) {
                throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
            }
            this.parallelism = parallelism;
            return this;
        }

        /**
         * Requests allowed to wait beyond {@code parallelism}, like {@code OLLAMA_MAX_QUEUE} (default 512); one
         * more gets 503.
         */
        public Builder maxQueue(int maxQueue) {
            if (maxQueue < 0) {
                throw new IllegalArgumentException("maxQueue must not be negative, got " + maxQueue);
            }
            this.maxQueue = maxQueue;
            return this;
        }

        /** Fault injection (default {@link Faults#none()}). */
        public Builder faults(Faults faults) {
            this.faults = Objects.requireNonNull(faults, "faults");
            return this;
        }

        /** Seed of the random numbers that pick faults (default {@code System.nanoTime()}). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Whether to keep every call for {@link #recorded()} (default true). Turn it off for long benchmark runs:
         * the record grows with every request until {@link #clearRecorded()}.
         */
        public Builder recordCalls(boolean recordCalls) {
            this.recordCalls = recordCalls;
            return this;
        }

        /** Builds a simulator; call {@link LlmSimulator#start()} to bind and serve. */
        public LlmSimulator build() {
            if ((long) parallelism + maxQueue > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("parallelism + maxQueue is too large");
            }
            return new LlmSimulator(this);
        }
    }
}
