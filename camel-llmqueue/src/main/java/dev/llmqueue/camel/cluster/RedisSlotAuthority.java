package dev.llmqueue.camel.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import dev.llmqueue.camel.queue.LlmQueueScheduler;
import dev.llmqueue.camel.queue.QueuedTask.Signal;
import dev.llmqueue.camel.queue.SlotAuthority;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The slots of every instance sharing a {@code queueName}, decided in Redis: {@code coordination=redis}.
 * <p>
 * Each decision is one call of the script {@code llmqueue.lua} (loaded once, called by its SHA): a ticket asks for a
 * slot ({@code submit}, which also grants), a call gives its slot back ({@code release}, which hands it on in the same
 * script), a waiting task leaves ({@code withdraw}), the node renews its lease ({@code heartbeat}) or tells everything
 * it holds ({@code rejoin}). Grants reach the node as a push: it blocks on its own list with BLPOP on a connection of
 * its own, so no instance polls. Only tickets travel: the exchanges stay in their JVM, with the local scheduler.
 * <p>
 * Threads: the scheduler calls {@link #request}, {@link #withdraw}, {@link #release} and {@link #rejoin} under its lock,
 * and they only dispatch. A reply that must reach the scheduler (a refusal, a heartbeat's news) is handed to one thread
 * of our own ({@code callbacks}), never handled on the dispatching thread, which may hold the scheduler's lock; a reply
 * that needs nothing done is dropped where it lands. The node's messages (grants, drops, settings) are handled where
 * the pop's answer lands, in their order: the pops are sent from threads that never hold the scheduler's lock.
 * <p>
 * Outages: a failed command marks Redis unreachable. While it is, a heartbeat probes it; once it answers again this
 * node rejoins (tells its calls in flight and its waiting tasks, replacing whatever Redis kept), which also repairs a
 * grant lost with a dropped connection. {@code redisFailureMode=reject} refuses new requests meanwhile and lets the
 * waiting ones wait; {@code local} lets the scheduler decide alone with its own {@code maxConcurrentRequests}.
 */
public final class RedisSlotAuthority implements Coordinator {

    private static final Logger LOG = LoggerFactory.getLogger(RedisSlotAuthority.class);
    private static final String SCRIPT = script();
    /** How long opening a connection may take; also the wait for the first one at start (twice this). */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /**
     * The longest a command may take before Redis counts as unreachable. Generous: a burst of submits queues at Redis
     * (20,000 scripts of ~0.1 ms are 2 s of its time), and a timeout here would refuse requests for nothing; a Redis
     * that stopped or a connection that dropped shows at once, without a timeout.
     */
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);
    /** How long one BLPOP blocks before the next one: a dead connection shows within this. */
    private static final long LISTEN_SECONDS = 2;
    /** The most messages one LPOP takes off the grant list. */
    private static final int BATCH = 128;
    /** How soon an unusable Redis is tried again. */
    private static final long PROBE_MILLIS = 100;
    /** How often the grant listener tries again after its connection failed. */
    private static final long RETRY_MILLIS = 500;


    private final RedisURI uri;
    private final String display;
    private final String prefix;
    private final String nodeId;
    private final long leaseMillis;
    private final boolean fallBack;
    private final LlmQueueScheduler scheduler;
    private final Supplier<Map<String, String>> ownSettings;
    private final Consumer<Map<String, String>> settingsChanged;
    private final ScheduledExecutorService timer;
    private final Executor callbacks;

    private ClientResources resources;
    private RedisClient commandsClient;
    private RedisClient grantsClient;
    private volatile StatefulRedisConnection<String, String> commands;
    private volatile StatefulRedisConnection<String, String> grants;
    private volatile String sha;
    private volatile boolean available;
    private volatile String outage = "not connected yet";
    private volatile boolean stopped;
    private volatile boolean listening;
    private volatile boolean connecting;
    /** Whether a probe is scheduled; touched on the callbacks thread only. */
    private boolean probing;
    /** Rejoins dispatched so far: a REJOIN answer to a submit sent before the last of them needs no other. */
    private volatile long rejoins;
    private ScheduledFuture<?> heartbeat;

    /**
     * @param ownSettings     this instance's shared settings: written to Redis once it is reached at start (the last
     *                        instance to start, or the last live change on any instance, wins), and again by a rejoin
     *                        when Redis has lost them (a restart)
     * @param settingsChanged told of the shared settings another instance changed, in the order they changed
     */
    public RedisSlotAuthority(String redisUri, String queueName, String nodeId, long leaseMillis, boolean fallBack,
                              LlmQueueScheduler scheduler, Supplier<Map<String, String>> ownSettings,
                              Consumer<Map<String, String>> settingsChanged, ScheduledExecutorService timer,
                              Executor callbacks) {
        this.uri = parse(redisUri);
        this.uri.setTimeout(CONNECT_TIMEOUT);
        this.display = display(uri);
        this.prefix = "{" + queueName + "}";
        this.nodeId = nodeId;
        this.leaseMillis = leaseMillis;
        this.fallBack = fallBack;
        this.scheduler = scheduler;
        this.ownSettings = ownSettings;
        this.settingsChanged = settingsChanged;
        this.timer = timer;
        this.callbacks = callbacks;
    }

    /**
     * Lettuce's own message for a malformed URI quotes it whole, password included: this one never does.
     */
    public static RedisURI parse(String redisUri) {
        java.net.URI checked;
        try {
            checked = new java.net.URI(redisUri);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("redisUri is not a valid URI: " + e.getReason() + " at index "
                                               + e.getIndex() + " (a password with characters such as ^ % # or a"
                                               + " space must be percent-encoded)");
        }
        if (checked.getHost() == null || checked.getPort() == 0 || checked.getPort() > 65535) {
            throw new IllegalArgumentException("redisUri names no valid host and port (redis://host:port)");
        }
        try {
            return RedisURI.create(checked);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("redisUri is not a valid Redis URI (" + e.getClass().getSimpleName()
                                               + ")");
        }
    }

    /** The URI without its password or user: what logs and messages may show. */
    public static String display(RedisURI uri) {
        return (uri.isSsl() ? "rediss://" : "redis://") + uri.getHost() + ":" + uri.getPort()
               + (uri.getDatabase() != 0 ? "/" + uri.getDatabase() : "");
    }

    /**
     * Connects, writes this instance's settings and tells Redis what it holds. Waits up to a few seconds for Redis;
     * when it does not answer, starts anyway (unreachable, see the class comment) and keeps trying.
     */
    @Override
    public void start() {
        // reconnect within a second of Redis coming back (Lettuce's default waits up to 30 s between attempts)
        resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                .build();
        commandsClient = RedisClient.create(resources, uri);
        commandsClient.setOptions(ClientOptions.builder().autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT)).build());
        // a blocking pop must not race the command timeout (a spurious outage every idle LISTEN_SECONDS), yet a
        // connection that went silent must show: a client of its own, whose timeout outlasts the pop
        grantsClient = RedisClient.create(resources, uri);
        grantsClient.setOptions(ClientOptions.builder().autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(LISTEN_SECONDS).plus(COMMAND_TIMEOUT)))
                .build());
        connecting = true;
        CompletableFuture<Void> first = connect().whenComplete((ok, failure) -> connecting = false);
        try {
            first.get(CONNECT_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            callbacks.execute(() -> lost(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            callbacks.execute(() -> lost(e));
        }
        long period = Math.max(10, Math.min(leaseMillis / 3, 1000));
        heartbeat = timer.scheduleWithFixedDelay(() -> callbacks.execute(this::beat), period, period,
                TimeUnit.MILLISECONDS);
    }

    /** Opens both connections (once), loads the script, publishes the settings and rejoins. */
    private CompletableFuture<Void> connect() {
        // each connection opened once; Lettuce reconnects them after that
        CompletableFuture<Void> opened = CompletableFuture.completedFuture(null);
        if (commands == null) {
            opened = commandsClient.connectAsync(StringCodec.UTF8, uri).toCompletableFuture().thenAccept(c -> commands = c);
        }
        if (grants == null) {
            opened = opened.thenCompose(v -> grantsClient.connectAsync(StringCodec.UTF8, uri).toCompletableFuture())
                    .thenAccept(c -> grants = c);
        }
        return opened
                .thenCompose(v -> commands.async().scriptLoad(SCRIPT).toCompletableFuture())
                .thenCompose(loaded -> {
                    sha = loaded;
                    return run(configureArgs(ownSettings.get()));
                })
                .thenAcceptAsync(reply -> reachable(), callbacks);
    }

    /** Redis answered after an outage (or for the first time): tell it everything this node holds, then listen. */
    private void reachable() {
        if (stopped) {
            return;
        }
        boolean wasDown = !available;
        available = true;
        scheduler.rejoin();
        if (wasDown) {
            LOG.info("llmqueue reaches Redis at {} (queue {}, node {}): slots are granted across instances", display,
                    prefix, nodeId);
            scheduler.coordinationChanged();
        }
        if (!listening) {
            listening = true;
            listen();
        }
    }

    /**
     * A decision failed: from now on, Redis counts as unreachable until a heartbeat gets through, which rejoins. Also
     * when Redis answered with an error (OOM, LOADING, READONLY after a failover, BUSY, MASTERDOWN, or a script error):
     * the decision did not happen, so what this node told Redis is no longer what it holds.
     */
    private void lost(Throwable failure) {
        if (stopped) {
            return;
        }
        String why = describe(failure);
        outage = why;
        if (available) {
            available = false;
            LOG.warn("llmqueue cannot use Redis at {}: {}; {}", display, why,
                    fallBack ? "each instance queues alone with its own maxConcurrentRequests until it is back"
                                + " (redisFailureMode=local)"
                             : "new requests are rejected, waiting ones wait (redisFailureMode=reject)");
            scheduler.coordinationChanged();
        }
        probeSoon();
    }

    /**
     * While Redis is unusable, tries it again every {@value #PROBE_MILLIS} ms rather than at the next heartbeat: a
     * dropped connection that Lettuce reopens within milliseconds refuses requests for about that long, not a second.
     */
    private void probeSoon() {
        if (!available && !stopped && !probing) {
            probing = true;
            try {
                timer.schedule(() -> callbacks.execute(() -> {
                    probing = false;
                    beat();
                }), PROBE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                // the timer is going down with the component
                probing = false;
            }
        }
    }

    /** Renews this node's lease; while Redis is unreachable, probes it. On the callbacks thread. */
    private void beat() {
        if (stopped) {
            return;
        }
        if (commands == null || grants == null || sha == null) {
            if (!connecting) {
                connecting = true;
                connect().whenCompleteAsync((ok, failure) -> {
                    connecting = false;
                    if (failure != null) {
                        lost(failure);
                    }
                }, callbacks);
            } else {
                probeSoon();
            }
            return;
        }
        run("heartbeat", nodeId, Long.toString(leaseMillis)).whenCompleteAsync((reply, failure) -> {
            if (failure != null) {
                lost(failure);
            } else if (!available || number(reply.get(0)) == 1) {
                // back after an outage, or this node's lease ran out meanwhile: Redis forgot (or may have lost) what
                // we hold
                reachable();
            }
        }, callbacks);
    }

    /**
     * Pops this node's messages, in order. Each round sends two commands at once on the grants connection: an LPOP of
     * up to {@value #BATCH} messages that are already there (under load grants pile up faster than one pop per round
     * trip), then a BLPOP that blocks until the next one is pushed. An idle node costs no extra round trip.
     */
    private void listen() {
        if (stopped) {
            return;
        }
        RedisAsyncCommands<String, String> async = grants.async();
        CompletableFuture<List<String>> waiting = async.lpop(grantList(), BATCH).toCompletableFuture();
        CompletableFuture<KeyValue<String, String>> next = async.blpop(LISTEN_SECONDS, grantList()).toCompletableFuture();
        // Handled where the answers land (a Lettuce thread, or this one when already there), without a hop to the
        // callbacks thread: never under the scheduler's lock, since listen() is never called under it. The batch
        // before the message that came after it, so that settings changes apply in their order.
        CompletableFuture<Void> batchHandled = waiting.handle((messages, failure) -> {
            if (failure == null && messages != null) {
                messages.forEach(this::handleSafely);
            }
            return null;
        });
        batchHandled.thenCombine(next.handle((message, failure) -> failure != null ? failure : message),
                (handled, answer) -> answer).thenAccept(answer -> {
                    if (answer instanceof Throwable failure) {
                        callbacks.execute(() -> {
                            lost(failure);
                            if (!stopped) {
                                timer.schedule(() -> callbacks.execute(this::listen), RETRY_MILLIS,
                                        TimeUnit.MILLISECONDS);
                            }
                        });
                        return;
                    }
                    @SuppressWarnings("unchecked")
                    KeyValue<String, String> message = (KeyValue<String, String>) answer;
                    if (message != null && message.hasValue()) {
                        handleSafely(message.getValue());
                    }
                    listen();
                });
    }

    private void handleSafely(String message) {
        try {
            handle(message);
        } catch (RuntimeException e) {
            LOG.error("llmqueue could not handle a message from Redis: {}", message, e);
        }
    }

    private void handle(String text) {
        if (text.startsWith("C")) {
            String[] words = text.split(" ");
            Map<String, String> changed = new LinkedHashMap<>();
            for (int i = 1; i + 1 < words.length; i += 2) {
                changed.put(words[i], words[i + 1]);
            }
            settingsChanged.accept(changed);
            return;
        }
        String[] parts = text.split(" ", 3);
        long epoch = Long.parseLong(parts[1]);
        long ticket = ticketNumber(parts[2]);
        if (parts[0].equals("G")) {
            scheduler.granted(epoch, ticket);
        } else if (parts[0].equals("D")) {
            scheduler.dropped(epoch, ticket);
        }
    }

    @Override
    public boolean decides() {
        return available || !fallBack;
    }

    @Override
    public String refusal() {
        if (available || fallBack) {
            return null;
        }
        return "Redis at " + display + " cannot be reached (" + outage + "): no instance of queue " + prefix
               + " can grant a slot (redisFailureMode=reject)";
    }

    @Override
    public void request(long ticket, LlmQueuePriority priority, String server) {
        String prio = priority == LlmQueuePriority.LOW ? "L" : "H";
        long rejoinsBefore = rejoins;
        run("submit", nodeId, ticket(ticket), prio, server).whenComplete((reply, failure) -> {
            // the common answer needs nothing done: taken where it lands, without waking the callbacks thread
            if (failure == null && "OK".equals(reply.get(0))) {
                return;
            }
            callbacks.execute(() -> submitted(ticket, priority, rejoinsBefore, reply, failure));
        });
    }

    /** A submit's answer other than OK, on the callbacks thread. */
    private void submitted(long ticket, LlmQueuePriority priority, long rejoinsBefore, List<Object> reply,
                           Throwable failure) {
        if (failure != null) {
            // in local mode the task stays on its stack, and the scheduler, no longer coordinated, starts it
            lost(failure);
            if (!fallBack) {
                scheduler.refused(ticket, Reason.COORDINATION_UNAVAILABLE, "Redis at " + display
                        + " could not be asked for a slot (" + describe(failure) + "); redisFailureMode=reject");
            }
            return;
        }
        String status = String.valueOf(reply.get(0));
        switch (status) {
            case "QUEUE_FULL":
                String option = priority == LlmQueuePriority.LOW ? "maxLowQueueSize" : "maxHighQueueSize";
                scheduler.refused(ticket, Reason.QUEUE_FULL, "the " + priority + " priority stack of all"
                        + " instances of queue " + prefix + " is full: " + reply.get(1) + " requests waiting ("
                        + option + "=" + reply.get(1) + ")");
                break;
            case "BACKGROUND_DISABLED":
                scheduler.refused(ticket, Reason.BACKGROUND_DISABLED,
                        "background (LOW priority) LLM work is disabled (disableBackground=true)");
                break;
            case "REJOIN":
                // Redis had forgotten this node: a rejoin carries this ticket with everything else. Every submit
                // already on its way gets this answer too; one rejoin sent after them all is enough.
                if (rejoins == rejoinsBefore) {
                    scheduler.rejoin();
                }
                break;
            default:
                LOG.error("llmqueue got an unknown answer from Redis to a submit: {}", status);
        }
    }

    @Override
    public void withdraw(long ticket) {
        fireAndForget(run("withdraw", nodeId, ticket(ticket)));
    }

    @Override
    public void release(long ticket, Signal signal) {
        fireAndForget(run("release", nodeId, ticket(ticket), signal == null ? "NONE" : signal.name()));
    }

    @Override
    public void rejoin(long epoch, List<Ticket> running, List<Ticket> waiting) {
        rejoins++;
        List<String> args = new ArrayList<>(6 + 3 * (running.size() + waiting.size()));
        args.add("rejoin");
        args.add(nodeId);
        args.add(Long.toString(leaseMillis));
        args.add(Long.toString(epoch));
        Map<String, String> settings = ownSettings.get();
        args.add(Integer.toString(settings.size()));
        settings.forEach((name, value) -> {
            args.add(name);
            args.add(value);
        });
        args.add(Integer.toString(running.size()));
        for (List<Ticket> tickets : List.of(running, waiting)) {
            for (Ticket t : tickets) {
                args.add(ticket(t.ticket()));
                args.add(t.priority() == LlmQueuePriority.LOW ? "L" : "H");
                args.add(t.server());
            }
        }
        fireAndForget(run(args.toArray(String[]::new)));
    }

    @Override
    public void configure(Map<String, String> settings) {
        fireAndForget(run(configureArgs(settings)));
    }

    private String[] configureArgs(Map<String, String> settings) {
        List<String> args = new ArrayList<>(2 + 2 * settings.size());
        args.add("configure");
        args.add(nodeId);
        settings.forEach((name, value) -> {
            args.add(name);
            args.add(value);
        });
        return args.toArray(String[]::new);
    }

    @Override
    public GlobalFigures globalFigures() {
        try {
            return figures().get(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }

    private CompletableFuture<GlobalFigures> figures() {
        // the settings the stats decision also answers with are not read: changes arrive with the C message
        return run("stats", nodeId).thenApply(reply -> new GlobalFigures(number(reply.get(0)), number(reply.get(1)),
                number(reply.get(2)), number(reply.get(3)), number(reply.get(4))));
    }

    @Override
    public boolean isAvailable() {
        return available;
    }

    @Override
    public String getOutage() {
        return available ? null : outage;
    }

    @Override
    public String getNodeId() {
        return nodeId;
    }

    @Override
    public String getRedis() {
        return display;
    }

    @Override
    public void stop() {
        try {
            if (commands != null && sha != null && available) {
                run("leave", nodeId).get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("llmqueue could not remove node {} from Redis at {} ({}); its slots come back when its lease runs"
                     + " out", nodeId, display, describe(e));
        } finally {
            stopped = true;
            if (heartbeat != null) {
                heartbeat.cancel(false);
            }
            if (grantsClient != null) {
                grantsClient.shutdown(Duration.ZERO, CONNECT_TIMEOUT);
            }
            if (commandsClient != null) {
                commandsClient.shutdown(Duration.ZERO, CONNECT_TIMEOUT);
            }
            if (resources != null) {
                resources.shutdown(0, CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** One decision: by SHA, or by source when Redis lost its script cache (a restart). */
    private CompletableFuture<List<Object>> run(String... args) {
        StatefulRedisConnection<String, String> connection = commands;
        if (connection == null || sha == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("not connected to Redis at " + display));
        }
        String[] keys = { prefix };
        try {
            return connection.async().<List<Object>> evalsha(sha, ScriptOutputType.MULTI, keys, args)
                    .toCompletableFuture()
                    .exceptionallyCompose(failure -> unwrap(failure) instanceof RedisNoScriptException
                            ? connection.async().<List<Object>> eval(SCRIPT, ScriptOutputType.MULTI, keys, args)
                                    .toCompletableFuture()
                            : CompletableFuture.failedFuture(failure));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * A decision whose answer needs nothing done unless it failed. The check runs where the answer lands (a Lettuce
     * thread, or the dispatching one when the command failed at once); a failure is handed to the callbacks thread.
     */
    private void fireAndForget(CompletableFuture<?> decision) {
        decision.whenComplete((reply, failure) -> {
            if (failure != null) {
                callbacks.execute(() -> lost(failure));
            }
        });
    }

    private String grantList() {
        return prefix + ":grants:" + nodeId;
    }

    private String ticket(long number) {
        return nodeId + ":" + number;
    }

    private static long ticketNumber(String ticket) {
        return Long.parseLong(ticket.substring(ticket.lastIndexOf(':') + 1));
    }

    private static long number(Object value) {
        return value instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(value));
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** A failure in words, without the URI (Lettuce's messages name host and port only, never the password). */
    private static String describe(Throwable failure) {
        Throwable t = unwrap(failure);
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static String script() {
        try (InputStream in = RedisSlotAuthority.class.getResourceAsStream("llmqueue.lua")) {
            if (in == null) {
                throw new IllegalStateException("llmqueue.lua is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read llmqueue.lua", e);
        }
    }
}
