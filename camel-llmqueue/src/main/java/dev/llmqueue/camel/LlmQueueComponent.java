package dev.llmqueue.camel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import dev.llmqueue.camel.cluster.Coordinator;
import dev.llmqueue.camel.micrometer.LlmQueueMeters;
import dev.llmqueue.camel.provider.LlmProvider;
import dev.llmqueue.camel.queue.LlmQueueScheduler;
import dev.llmqueue.camel.queue.QueuedTask;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.camel.api.management.ManagedAttribute;
import org.apache.camel.api.management.ManagedOperation;
import org.apache.camel.api.management.ManagedResource;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.util.concurrent.ThreadPoolRejectedPolicy;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.LifecycleStrategySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The llmqueue component. It owns the queue that every one of its endpoints shares: the HIGH and LOW stacks, the
 * slots, the call threads and the completion threads. Two backends with separate limits are two component instances.
 */
@Component("llmqueue")
@ManagedResource(description = "LLM queue: priority stacks and slots in front of LLM servers")
public class LlmQueueComponent extends DefaultComponent {

    private static final Logger LOG = LoggerFactory.getLogger(LlmQueueComponent.class);

    static final String ENV_MAX_CONCURRENT = "LLM_MAX_CONCURRENT_REQUESTS";
    static final String ENV_ASYNC_QUEUE = "USE_ASYNC_LLM_QUEUE";
    static final String ENV_DISABLE_BACKGROUND = "DISABLE_BACKGROUND_LLM";
    static final String ENV_MAX_HIGH_QUEUE = "LLM_MAX_HIGH_PRIORITY_QUEUE";
    static final String ENV_MAX_LOW_QUEUE = "LLM_MAX_LOW_PRIORITY_QUEUE";
    static final String ENV_OPENAI_API_KEY = "OPENAI_API_KEY";
    static final String ENV_REDIS_URI = "LLM_QUEUE_REDIS_URI";
    /** Looked up only when present on the classpath: Micrometer is an optional dependency. */
    private static final String METER_REGISTRY = "io.micrometer.core.instrument.MeterRegistry";

    @Metadata(defaultValue = "2",
              description = "How many LLM calls may be in flight at once, across all endpoints of this component."
                            + " Default 2, or the environment variable LLM_MAX_CONCURRENT_REQUESTS.")
    private int maxConcurrentRequests = 2;
    @Metadata(defaultValue = "true",
              description = "Whether the route's thread is released while the request waits and the route resumes on a"
                            + " completion thread (true), or the calling thread waits for the outcome (false)."
                            + " The environment variable USE_ASYNC_LLM_QUEUE set to 0 or false turns it off.")
    private boolean asyncQueue = true;
    @Metadata(defaultValue = "false",
              description = "Rejects LOW priority (background) requests at once with LlmQueueRejectedException; HIGH is"
                            + " unaffected. The environment variable DISABLE_BACKGROUND_LLM set to 1 or true turns it on.")
    private boolean disableBackground;
    @Metadata(defaultValue = "10000",
              description = "How many HIGH priority requests may wait; one more is rejected."
                            + " Default 10000, or the environment variable LLM_MAX_HIGH_PRIORITY_QUEUE.")
    private int maxHighQueueSize = 10000;
    @Metadata(defaultValue = "10000",
              description = "How many LOW priority requests may wait; one more is rejected."
                            + " Default 10000, or the environment variable LLM_MAX_LOW_PRIORITY_QUEUE.")
    private int maxLowQueueSize = 10000;
    @Metadata(defaultValue = "rejectNew",
              description = "What a full stack does with one more request: rejectNew refuses it; dropOldest accepts it"
                            + " and fails the oldest waiting request of that stack (the bottom, the least useful under"
                            + " LIFO). Both fail with LlmQueueRejectedException (QUEUE_FULL).")
    private LlmQueueWhenFull whenFull = LlmQueueWhenFull.rejectNew;
    @Metadata(defaultValue = "0", javaType = "java.time.Duration",
              description = "Aging: a LOW request that has waited this long is served before HIGH ones, so background"
                            + " work always makes progress under a steady HIGH load. 0 keeps strict priority.")
    private long lowPriorityMaxWait;
    @Metadata(defaultValue = "true",
              description = "When a server answers 429 or 503, lower the number of calls in flight to that base URL"
                            + " (halved on each overload, raised by one after as many successes as the limit; never above"
                            + " maxConcurrentRequests, never below 1).")
    private boolean adaptiveConcurrency = true;
    @Metadata(defaultValue = "0",
              description = "Slots kept for HIGH priority requests: LOW calls hold at most maxConcurrentRequests minus"
                            + " reservedHighSlots slots, HIGH may use all of them. Must be less than"
                            + " maxConcurrentRequests. 0 lets LOW calls take every slot.")
    private int reservedHighSlots;
    @Metadata(defaultValue = "false",
              description = "When a HIGH request waits, no slot is free and a LOW call is in flight, abort the LOW call"
                            + " that started last (its HTTP request is cancelled), give its slot to the HIGH request"
                            + " and put the LOW request back on top of its stack with its deadline; not counted as an"
                            + " attempt. A streamed LOW call that delivered tokens is never preempted.")
    private boolean preemptLow;
    @Metadata(defaultValue = "3",
              description = "How many times one request may be preempted (preemptLow); after that its call runs to the"
                            + " end.")
    private int maxPreemptions = 3;
    @Metadata(defaultValue = "0",
              description = "The most calls in flight to one server (base URL), under its adaptive limit and"
                            + " maxConcurrentRequests, so that one slow or silent server cannot hold every slot."
                            + " 0 sets no per-server cap.")
    private int maxConcurrentRequestsPerServer;
    @Metadata(label = "advanced", defaultValue = "2",
              description = "Default for the endpoints' maxRetries: how many times a call is tried again after a"
                            + " failure that may pass (no response, timeout, 429 rate limit, 502, 503, 504).")
    private int maxRetries = 2;
    @Metadata(label = "advanced", defaultValue = "500ms", javaType = "java.time.Duration",
              description = "Default for the endpoints' retryBackoff: the wait before the first retry, doubled for"
                            + " each further one, with 25 percent jitter.")
    private long retryBackoff = 500;
    @Metadata(label = "advanced", defaultValue = "30s", javaType = "java.time.Duration",
              description = "Default for the endpoints' maxRetryBackoff: the longest wait before a retry, including one"
                            + " asked for by the server with Retry-After.")
    private long maxRetryBackoff = 30_000;
    @Metadata(defaultValue = "0", javaType = "java.time.Duration",
              description = "Default for the endpoints' maxQueueTime: how long a request may wait for a slot before it"
                            + " fails with LlmQueueTimeoutException. 0 waits indefinitely.")
    private long maxQueueTime;
    @Metadata(label = "advanced", defaultValue = "16777216",
              description = "Default for the endpoints' maxResponseSize: the largest reply accepted, in bytes.")
    private int maxResponseSize = 16 * 1024 * 1024;
    @Metadata(label = "advanced", defaultValue = "10s", javaType = "java.time.Duration",
              description = "Default for the endpoints' connectTimeout: how long making the connection (TCP and, for"
                            + " https, the TLS handshake) may take.")
    private long connectTimeout = 10_000;
    @Metadata(defaultValue = "local",
              description = "Who decides which waiting request gets the next slot: local (this instance alone, no"
                            + " Redis needed) or redis (every instance sharing a queueName: maxConcurrentRequests is one"
                            + " global limit, HIGH before LOW and newest first across instances, the stack bounds count"
                            + " all instances' waiting requests).")
    private LlmQueueCoordination coordination = LlmQueueCoordination.local;
    @Metadata(defaultValue = "redis://localhost:6379", secret = true,
              description = "With coordination=redis: the Redis server, a redis://host:port URI (a password goes"
                            + " before the host, a database number after the port), or rediss:// for TLS. Default redis://localhost:6379, or the environment variable"
                            + " LLM_QUEUE_REDIS_URI. The password is never logged.")
    private String redisUri = "redis://localhost:6379";
    @Metadata(defaultValue = "llmqueue",
              description = "With coordination=redis: instances with the same queue name share one queue; it prefixes"
                            + " every Redis key ({queueName}:...).")
    private String queueName = "llmqueue";
    @Metadata(defaultValue = "30s", javaType = "java.time.Duration",
              description = "With coordination=redis: how long the slots and waiting requests of an instance that"
                            + " stopped renewing them (killed, cut off from Redis) stay taken; an instance renews them"
                            + " every third of this.")
    private long leaseTime = 30_000;
    @Metadata(description = "With coordination=redis: this instance's name in Redis. Default: host name, process id and"
                            + " a random suffix.")
    private String nodeId;
    @Metadata(defaultValue = "reject",
              description = "With coordination=redis, while Redis cannot be reached: reject (new requests fail with"
                            + " LlmQueueRejectedException, reason COORDINATION_UNAVAILABLE; waiting ones wait for Redis or"
                            + " their deadline) or local (each instance queues alone with its own"
                            + " maxConcurrentRequests until Redis is back: up to that many calls per instance).")
    private LlmQueueRedisFailureMode redisFailureMode = LlmQueueRedisFailureMode.reject;

    private final Function<String, String> environment;
    /** The options whose value came from an environment variable (not set since), with that variable. */
    private final Map<String, String> fromEnvironment = new ConcurrentHashMap<>();
    private final LlmQueueStatistics statistics = new LlmQueueStatistics();
    private final List<LlmQueueListener> listeners = new CopyOnWriteArrayList<>(
            List.of(statistics, new LlmQueueLogger()));
    private final LlmQueueListener events = new Listeners();
    private final Set<LlmQueueListener> failedListeners = ConcurrentHashMap.newKeySet();
    private volatile LlmQueueScheduler scheduler;
    private ExecutorService callExecutor;
    private ScheduledExecutorService timer;
    private volatile ExecutorService completionExecutor;
    /** The completion pool's size, also the cap of call threads resuming their routes inline. */
    private volatile int completionThreads;
    private final AtomicInteger inlineCompletions = new AtomicInteger();
    private LlmQueueHealthCheck healthCheck;
    /** Set while a MeterRegistry is bound to this component; the class is loaded only then. */
    private LlmQueueMeters meters;
    /** Set while coordination=redis is started; the class (and Lettuce) is loaded only then. */
    private Coordinator redis;
    private ExecutorService redisCallbacks;

    public LlmQueueComponent() {
        this(System::getenv);
    }

    /**
     * @param environment where the seed's environment variables are read; options set later override them
     */
    LlmQueueComponent(Function<String, String> environment) {
        this.environment = environment;
        Integer concurrent = envInt(ENV_MAX_CONCURRENT);
        if (concurrent != null) {
            maxConcurrentRequests = concurrent;
            fromEnvironment.put("maxConcurrentRequests", ENV_MAX_CONCURRENT + "=" + concurrent);
        }
        Boolean async = envBoolean(ENV_ASYNC_QUEUE);
        if (async != null) {
            asyncQueue = async;
        }
        Boolean background = envBoolean(ENV_DISABLE_BACKGROUND);
        if (background != null) {
            disableBackground = background;
        }
        Integer high = envInt(ENV_MAX_HIGH_QUEUE);
        if (high != null) {
            maxHighQueueSize = high;
            fromEnvironment.put("maxHighQueueSize", ENV_MAX_HIGH_QUEUE + "=" + high);
        }
        String redisFromEnvironment = environment(ENV_REDIS_URI);
        if (redisFromEnvironment != null && !redisFromEnvironment.isBlank()) {
            redisUri = redisFromEnvironment.trim();
        }
        Integer low = envInt(ENV_MAX_LOW_QUEUE);
        if (low != null) {
            maxLowQueueSize = low;
            fromEnvironment.put("maxLowQueueSize", ENV_MAX_LOW_QUEUE + "=" + low);
        }
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        LlmProvider provider = LlmProvider.forName(remaining);
        LlmQueueEndpoint endpoint = new LlmQueueEndpoint(uri, this, provider);
        // the component's values are the endpoint's defaults; the URI's options override them
        endpoint.setMaxRetries(maxRetries);
        endpoint.setRetryBackoff(retryBackoff);
        endpoint.setMaxRetryBackoff(maxRetryBackoff);
        endpoint.setMaxQueueTime(maxQueueTime);
        endpoint.setMaxResponseSize(maxResponseSize);
        endpoint.setConnectTimeout(connectTimeout);
        setProperties(endpoint, parameters);
        if (endpoint.getApiKey() == null && "openai".equals(provider.name())) {
            endpoint.setApiKey(environment(ENV_OPENAI_API_KEY));
        }
        endpoint.validate();
        return endpoint;
    }

    @Override
    protected void doInit() throws Exception {
        super.doInit();
        requireAtLeastOne(maxConcurrentRequests, "maxConcurrentRequests");
        requireAtLeastOne(maxHighQueueSize, "maxHighQueueSize");
        requireAtLeastOne(maxLowQueueSize, "maxLowQueueSize");
        LlmQueueScheduler.checkReservation(reservedHighSlots, maxConcurrentRequests);
        if (coordination == LlmQueueCoordination.redis) {
            checkCoordination();
        }
        scheduler = new LlmQueueScheduler(maxConcurrentRequests, maxHighQueueSize, maxLowQueueSize, disableBackground);
        scheduler.setReservedHighSlots(reservedHighSlots);
        scheduler.setPreemptLow(preemptLow);
        scheduler.setMaxPreemptions(maxPreemptions);
        scheduler.setMaxConcurrentRequestsPerServer(maxConcurrentRequestsPerServer);
        scheduler.setWhenFull(whenFull);
        scheduler.setLowPriorityMaxWait(lowPriorityMaxWait);
        scheduler.setAdaptiveConcurrency(adaptiveConcurrency);
        // Camel stops endpoints (ours and camel-http's) before components: close the queue when the context starts
        // stopping, or a waiting request could be started on a transport that is already gone
        getCamelContext().addLifecycleStrategy(new LifecycleStrategySupport() {
            @Override
            public void onContextStopping(CamelContext context) {
                scheduler.stop();
            }

            @Override
            public void onComponentAdd(String name, org.apache.camel.Component component) {
                // a context that is already started starts a component before it knows the component's name
                if (component == LlmQueueComponent.this && isStarted()) {
                    registerHealthCheck(name);
                }
            }

            @Override
            public void onComponentRemove(String name, org.apache.camel.Component component) {
                if (component == LlmQueueComponent.this) {
                    unregisterHealthCheck();
                }
            }
        });
    }

    /** Names the environment variable when the bad value came from one. */
    private void requireAtLeastOne(int value, String option) {
        if (value < 1) {
            String variable = fromEnvironment.get(option);
            throw new IllegalArgumentException(option + " must be at least 1, was " + value
                                               + (variable == null ? "" : " (from the environment variable " + variable
                                                                          + "; set the option to override it)"));
        }
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        ExecutorServiceManager executors = getCamelContext().getExecutorServiceManager();
        // one thread per call in flight, so bounded by the slots
        callExecutor = executors.newCachedThreadPool(this, "LlmQueueCall");
        // a fixed number of threads and a queue: a burst of endings (expiries, stop, background switched off) queues
        // here instead of starting a thread each; the queue holds at most one entry per accepted request. Abort (not
        // Camel's CallerRuns, which discards silently once shut down), so that a refusal completes inline.
        completionThreads = Math.max(maxConcurrentRequests, 2 * Runtime.getRuntime().availableProcessors());
        completionExecutor = executors.newThreadPool(this, "LlmQueueCompletion",
                profile("LlmQueueCompletion", completionThreads, completionThreads));
        // unbounded: the scheduler arms one entry for all waiting requests, the calls one each for requestTimeout
        timer = executors.newScheduledThreadPool(this, "LlmQueueTimer", profile("LlmQueueTimer", 1, 0));
        if (coordination == LlmQueueCoordination.redis) {
            redisCallbacks = executors.newSingleThreadExecutor(this, "LlmQueueRedis");
            startRedis();
        }
        scheduler.start(callExecutor, timer);
        if (redis != null) {
            redis.start();
        }
        String name = componentName();
        if (name != null) {
            registerHealthCheck(name);
        }
        Object meterRegistry = findMeterRegistry();
        if (meterRegistry != null) {
            meters = LlmQueueMeters.bind(this, meterRegistry);
            addListener(meters);
        }
    }

    /** A pool with an unbounded queue that refuses (rather than drops) work once shut down. */
    private static ThreadPoolProfile profile(String id, int poolSize, int maxPoolSize) {
        ThreadPoolProfile profile = new ThreadPoolProfile(id);
        profile.setPoolSize(poolSize);
        // for a scheduled pool, a max pool size of 0 keeps Camel from capping its queue at 1000 entries
        profile.setMaxPoolSize(maxPoolSize);
        // Camel gives a thread pool with no queue size a SynchronousQueue, which refuses work when every thread is
        // busy; a scheduled pool ignores it
        profile.setMaxQueueSize(Integer.MAX_VALUE);
        profile.setAllowCoreThreadTimeOut(true);
        profile.setKeepAliveTime(60L);
        profile.setTimeUnit(TimeUnit.SECONDS);
        profile.setRejectedPolicy(ThreadPoolRejectedPolicy.Abort);
        return profile;
    }

    /**
     * The MeterRegistry to publish to, or null: the one named {@code metricsRegistry} (camel-micrometer's), else the only
     * one, else the composite among several (Spring Boot's). Loads no Micrometer class unless Micrometer is on the
     * classpath.
     */
    private Object findMeterRegistry() {
        ClassLoader loader = LlmQueueComponent.class.getClassLoader();
        if (loader == null || loader.getResource(METER_REGISTRY.replace('.', '/') + ".class") == null) {
            return null;
        }
        Class<?> type = getCamelContext().getClassResolver().resolveClass(METER_REGISTRY, loader);
        if (type == null) {
            return null;
        }
        Object named = getCamelContext().getRegistry().lookupByNameAndType("metricsRegistry", type);
        if (named != null) {
            return named;
        }
        Set<?> found = getCamelContext().getRegistry().findByType(type);
        if (found.size() <= 1) {
            return found.isEmpty() ? null : found.iterator().next();
        }
        Class<?> composite = getCamelContext().getClassResolver()
                .resolveClass("io.micrometer.core.instrument.composite.CompositeMeterRegistry", loader);
        return found.stream().filter(r -> composite != null && composite.isInstance(r)).findFirst().orElse(null);
    }

    /** The name this component is registered under, or null while it is not yet. */
    private String componentName() {
        for (String name : getCamelContext().getComponentNames()) {
            if (getCamelContext().hasComponent(name) == this) {
                return name;
            }
        }
        return null;
    }

    /**
     * Registers the health check once, with the id {@code llmqueue} for the component named llmqueue, the name itself
     * for other names that start with llmqueue (llmqueue-openai), else {@code llmqueue-<name>}.
     */
    private synchronized void registerHealthCheck(String name) {
        HealthCheckRegistry health = HealthCheckHelper.getHealthCheckRegistry(getCamelContext());
        if (health != null && healthCheck == null) {
            healthCheck = new LlmQueueHealthCheck(this, name.startsWith("llmqueue") ? name : "llmqueue-" + name);
            health.register(healthCheck);
        }
    }

    @Override
    protected void doStop() throws Exception {
        // producers may outlive their routes (ProducerTemplate): the component, not the producer, fails what waits
        scheduler.stop();
        if (meters != null) {
            removeListener(meters);
            meters.close();
            meters = null;
        }
        ExecutorServiceManager executors = getCamelContext().getExecutorServiceManager();
        try {
            if (callExecutor != null) {
                // calls in flight may finish; their exchanges complete inline once the completion pool is gone
                executors.shutdownGraceful(callExecutor);
                callExecutor = null;
            }
            if (completionExecutor != null) {
                ExecutorService completions = completionExecutor;
                // from now on every ending completes inline
                completionExecutor = null;
                try {
                    drain(completions);
                } finally {
                    // only to let Camel forget the pool: it is down already
                    executors.shutdownNow(completions);
                }
            }
        } finally {
            try {
                stopRedis(executors);
            } finally {
                if (timer != null) {
                    executors.shutdownNow(timer);
                    timer = null;
                }
                super.doStop();
            }
        }
    }

    /** The options coordination=redis needs, checked before anything starts. */
    private void checkCoordination() {
        if (queueName == null || queueName.isBlank() || !queueName.matches("[^\\s{}]+")) {
            throw new IllegalArgumentException("queueName must be a non-empty name without spaces or braces, was '"
                                               + queueName + "'");
        }
        if (nodeId != null && (nodeId.isBlank() || !nodeId.matches("\\S+"))) {
            throw new IllegalArgumentException("nodeId must be a non-empty name without spaces, was '" + nodeId + "'");
        }
        if (leaseTime < 1000) {
            // a shorter lease takes a live instance, whose heartbeat waited behind a burst, for a dead one
            throw new IllegalArgumentException("leaseTime must be at least 1s, was " + leaseTime + " ms");
        }
        if (redisUri == null || !(redisUri.startsWith("redis://") || redisUri.startsWith("rediss://"))) {
            // never the value: it may hold a password
            throw new IllegalArgumentException("redisUri must start with redis:// or rediss://");
        }
        // fails naming what is wrong, never quoting the URI
        dev.llmqueue.camel.cluster.RedisSlotAuthority.parse(redisUri);
    }

    /** Kept out of doStart so that, with coordination=local, neither our Redis class nor Lettuce is ever loaded. */
    private void startRedis() {
        String node = nodeId != null ? nodeId : defaultNodeId();
        redis = new dev.llmqueue.camel.cluster.RedisSlotAuthority(redisUri, queueName, node, leaseTime,
                redisFailureMode == LlmQueueRedisFailureMode.local, scheduler, this::sharedSettings, this::applyShared,
                timer, redisCallbacks);
        scheduler.coordinate(redis);
    }

    private void stopRedis(ExecutorServiceManager executors) {
        try {
            if (redis != null) {
                redis.stop();
                redis = null;
            }
        } finally {
            if (redisCallbacks != null) {
                executors.shutdownNow(redisCallbacks);
                redisCallbacks = null;
            }
        }
    }

    private static String defaultNodeId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "localhost";
        }
        return host.replaceAll("\\s", "") + "-" + ProcessHandle.current().pid() + "-"
               + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & 0xffffffL);
    }

    /** The settings every instance sharing a queue applies alike, by their names in Redis. */
    private Map<String, String> sharedSettings() {
        Map<String, String> settings = new java.util.LinkedHashMap<>();
        settings.put("limit", Integer.toString(maxConcurrentRequests));
        settings.put("reserved", Integer.toString(reservedHighSlots));
        settings.put("perServer", Integer.toString(maxConcurrentRequestsPerServer));
        settings.put("maxWait", Long.toString(lowPriorityMaxWait));
        settings.put("maxH", Integer.toString(maxHighQueueSize));
        settings.put("maxL", Integer.toString(maxLowQueueSize));
        settings.put("whenFull", whenFull.name());
        settings.put("disabled", Boolean.toString(disableBackground));
        settings.put("adaptive", Boolean.toString(adaptiveConcurrency));
        return settings;
    }

    /** Another instance changed shared settings: apply those here too, without sharing them again. */
    private void applyShared(Map<String, String> settings) {
        try {
            int limit = Integer.parseInt(settings.getOrDefault("limit", Integer.toString(maxConcurrentRequests)));
            int reserved = Integer.parseInt(settings.getOrDefault("reserved", Integer.toString(reservedHighSlots)));
            // the reservation must stay below the limit at every step
            if (reserved < reservedHighSlots) {
                scheduler.setReservedHighSlots(reserved);
                reservedHighSlots = reserved;
            }
            scheduler.setMaxConcurrentRequests(limit);
            maxConcurrentRequests = limit;
            scheduler.setReservedHighSlots(reserved);
            reservedHighSlots = reserved;
            String value;
            if ((value = settings.get("perServer")) != null) {
                maxConcurrentRequestsPerServer = Integer.parseInt(value);
                scheduler.setMaxConcurrentRequestsPerServer(maxConcurrentRequestsPerServer);
            }
            if ((value = settings.get("maxWait")) != null) {
                lowPriorityMaxWait = Long.parseLong(value);
                scheduler.setLowPriorityMaxWait(lowPriorityMaxWait);
            }
            if ((value = settings.get("maxH")) != null) {
                maxHighQueueSize = Integer.parseInt(value);
                scheduler.setMaxHighQueueSize(maxHighQueueSize);
            }
            if ((value = settings.get("maxL")) != null) {
                maxLowQueueSize = Integer.parseInt(value);
                scheduler.setMaxLowQueueSize(maxLowQueueSize);
            }
            if ((value = settings.get("whenFull")) != null) {
                whenFull = LlmQueueWhenFull.valueOf(value);
                scheduler.setWhenFull(whenFull);
            }
            if ((value = settings.get("adaptive")) != null) {
                adaptiveConcurrency = Boolean.parseBoolean(value);
                scheduler.setAdaptiveConcurrency(adaptiveConcurrency);
            }
            if ((value = settings.get("disabled")) != null) {
                disableBackground = Boolean.parseBoolean(value);
                scheduler.setDisableBackground(disableBackground);
            }
        } catch (RuntimeException e) {
            LOG.warn("llmqueue could not apply the settings another instance shared ({}): {}", settings, e.toString());
        }
    }

    /** A setting changed here while coordination=redis runs: every instance of the queue applies it. */
    private void share(String name, Object value) {
        Coordinator authority = redis;
        if (authority != null) {
            authority.configure(Map.of(name, String.valueOf(value)));
        }
    }

    /**
     * Lets the queued completions run, up to the context's shutdown timeout; then interrupts the pool's threads and
     * runs here whatever completions it still held: none is lost.
     */
    private void drain(ExecutorService completions) throws InterruptedException {
        completions.shutdown();
        long timeout = getCamelContext().getShutdownStrategy().getTimeUnit()
                .toMillis(getCamelContext().getShutdownStrategy().getTimeout());
        if (completions.awaitTermination(timeout, TimeUnit.MILLISECONDS)) {
            return;
        }
        List<Runnable> left = completions.shutdownNow();
        LOG.warn("llmqueue completions still running after {} ms at stop; completing the {} queued ones on this thread",
                timeout, left.size());
        for (Runnable completion : left) {
            try {
                completion.run();
            } catch (Throwable t) {
                LOG.warn("llmqueue completion failed at stop", t);
            }
        }
    }

    @Override
    protected void doShutdown() throws Exception {
        // registered until shutdown, not stop: a stopped component reports DOWN rather than vanish from the checks
        unregisterHealthCheck();
        super.doShutdown();
    }

    private synchronized void unregisterHealthCheck() {
        if (healthCheck != null) {
            HealthCheckRegistry health = HealthCheckHelper.getHealthCheckRegistry(getCamelContext());
            if (health != null) {
                health.unregister(healthCheck);
            }
            healthCheck = null;
        }
    }

    LlmQueueScheduler getScheduler() {
        return scheduler;
    }

    /** HIGH priority requests waiting on their stack. */
    @ManagedAttribute(description = "HIGH priority requests waiting on their stack")
    public int getHighPriorityQueueSize() {
        return scheduler == null ? 0 : scheduler.getHighPriorityQueueSize();
    }

    /** LOW priority requests waiting on their stack. */
    @ManagedAttribute(description = "LOW priority requests waiting on their stack")
    public int getLowPriorityQueueSize() {
        return scheduler == null ? 0 : scheduler.getLowPriorityQueueSize();
    }

    /** LLM calls in flight: requests holding a slot. */
    @ManagedAttribute(description = "LLM calls in flight (requests holding a slot)")
    public int getActiveRequests() {
        return scheduler == null ? 0 : scheduler.getActiveRequests();
    }

    /** Requests between two attempts: they hold no slot and sit on no stack. */
    @ManagedAttribute(description = "Requests waiting out a retry back-off (they hold no slot)")
    public int getRetryingRequests() {
        return scheduler == null ? 0 : scheduler.getRetryingCount();
    }

    @ManagedAttribute(description = "Replies delivered")
    public long getCompletedCount() {
        return statistics.getCompleted();
    }

    @ManagedAttribute(description = "Requests whose last call ended in an error")
    public long getFailedCount() {
        return statistics.getFailed();
    }

    @ManagedAttribute(description = "Requests refused before any call: full stack, background disabled, shutting down")
    public long getRejectedCount() {
        return statistics.getRejected();
    }

    @ManagedAttribute(description = "Requests whose deadline passed while they waited")
    public long getExpiredCount() {
        return statistics.getExpired();
    }

    @ManagedAttribute(description = "Requests cancelled while they waited")
    public long getCancelledCount() {
        return statistics.getCancelled();
    }

    @ManagedAttribute(description = "LOW calls aborted so that a waiting HIGH request got their slot (preemptLow)")
    public long getPreemptedCount() {
        return statistics.getPreempted();
    }

    @ManagedAttribute(description = "Each server's effective concurrency limit (adaptive concurrency)")
    public String getEffectiveLimits() {
        return scheduler == null ? "{}" : scheduler.getEffectiveLimits().toString();
    }

    /** Each server's effective concurrency limit, by base URL (as {@link #getEffectiveLimits()}, as a map). */
    public Map<String, Integer> effectiveLimits() {
        LlmQueueScheduler current = scheduler;
        return current == null ? Map.of() : current.getEffectiveLimits();
    }

    @ManagedOperation(description = "Resets the counters and the recent wait and call times")
    public void resetStatistics() {
        statistics.reset();
    }

    /**
     * The waiting requests: HIGH then LOW, newest first, then those waiting out a retry back-off. One line each:
     * request id, priority, endpoint (credentials masked), model and age in ms.
     */
    @ManagedOperation(description = "The waiting requests: requestId, priority, endpoint, model, ageMs")
    public List<String> listQueued() {
        List<String> lines = new ArrayList<>();
        for (QueuedRequest request : queuedRequests()) {
            lines.add("requestId=" + request.requestId() + " priority=" + request.priority() + " endpoint="
                      + request.endpoint() + " model=" + request.model() + " ageMs=" + request.ageMillis());
        }
        return lines;
    }

    /** A waiting request, as operators see it. */
    public record QueuedRequest(String requestId, LlmQueuePriority priority, String endpoint, String model, String url,
                                long ageMillis) {
    }

    /** The waiting requests: HIGH then LOW, newest first, then those waiting out a retry back-off. */
    public List<QueuedRequest> queuedRequests() {
        List<QueuedRequest> queued = new ArrayList<>();
        if (scheduler != null) {
            long now = System.nanoTime();
            scheduler.forEachWaiting(task -> {
                LlmQueueRequest request = (LlmQueueRequest) task;
                LlmQueueListener.RequestInfo info = request.info();
                queued.add(new QueuedRequest(info.requestId(), info.priority(),
                        request.endpoint().displayUri(), info.model(), info.url(),
                        TimeUnit.NANOSECONDS.toMillis(now - request.queuedNanos())));
            });
        }
        return queued;
    }

    /**
     * The newest waiting requests, at most {@code limit}, in the order the queue would serve them: HIGH newest first,
     * then LOW newest first (requests waiting out a retry back-off are left out). It reads only the requests it
     * returns, never a copy of every waiting request: for views that refresh often whatever the depth of the stacks.
     */
    public List<QueuedRequest> queuedRequests(int limit) {
        List<QueuedRequest> queued = new ArrayList<>();
        LlmQueueScheduler current = scheduler;
        if (current == null || limit < 1) {
            return queued;
        }
        List<QueuedTask> tasks = new ArrayList<>(current.newestWaiting(LlmQueuePriority.HIGH, limit));
        if (tasks.size() < limit) {
            tasks.addAll(current.newestWaiting(LlmQueuePriority.LOW, limit - tasks.size()));
        }
        // built outside the scheduler's lock: sanitizing URIs is not the queue's business
        long now = System.nanoTime();
        for (QueuedTask task : tasks) {
            LlmQueueRequest request = (LlmQueueRequest) task;
            LlmQueueListener.RequestInfo info = request.info();
            queued.add(new QueuedRequest(info.requestId(), info.priority(),
                    request.endpoint().displayUri(), info.model(), info.url(),
                    TimeUnit.NANOSECONDS.toMillis(now - request.queuedNanos())));
        }
        return queued;
    }

    /** How long, in ms, the oldest request of a priority has been on its stack; 0 when none waits. */
    public long oldestQueuedMillis(LlmQueuePriority priority) {
        LlmQueueScheduler current = scheduler;
        return current == null ? 0 : TimeUnit.NANOSECONDS.toMillis(current.oldestWaitingNanos(priority));
    }

    /**
     * The calls in flight, longest running first. One line each: request id, priority, model, url, attempt, age in ms
     * (since queued) and call time so far in ms.
     */
    @ManagedOperation(description = "The calls in flight: requestId, priority, model, url, attempt, ageMs, callMs")
    public List<String> listInFlight() {
        List<String> lines = new ArrayList<>();
        for (InFlightRequest request : inFlightRequests()) {
            lines.add("requestId=" + request.requestId() + " priority=" + request.priority() + " model="
                      + request.model() + " url=" + request.url() + " attempt=" + request.attempt() + " ageMs="
                      + request.ageMillis() + " callMs=" + request.callMillis()
                      + (request.tokensReceived() >= 0 ? " tokens=" + request.tokensReceived() : ""));
        }
        return lines;
    }

    /** A request whose call is in flight, as operators see it. */
    /** @param tokensReceived for a streaming call, the text deltas received so far; -1 for a call that does not stream */
    public record InFlightRequest(String requestId, LlmQueuePriority priority, String provider, String model, String url,
                                  int attempt, long ageMillis, long callMillis, int tokensReceived) {
    }

    /** The calls in flight, longest running first. */
    public List<InFlightRequest> inFlightRequests() {
        List<InFlightRequest> inFlight = new ArrayList<>();
        if (scheduler != null) {
            long now = System.nanoTime();
            scheduler.forEachRunning(task -> {
                LlmQueueRequest request = (LlmQueueRequest) task;
                // read first: it publishes the attempt number written before it
                long started = request.callStartedNanos();
                if (started != 0) {
                    LlmQueueListener.RequestInfo info = request.info();
                    inFlight.add(new InFlightRequest(info.requestId(), info.priority(), info.provider(), info.model(),
                            info.url(), request.attempts(), TimeUnit.NANOSECONDS.toMillis(now - request.queuedNanos()),
                            TimeUnit.NANOSECONDS.toMillis(now - started), request.tokensReceived()));
                }
            });
        }
        inFlight.sort(Comparator.comparingLong(InFlightRequest::callMillis).reversed());
        return inFlight;
    }

    /** The counters and recent times of this component. */
    public LlmQueueStatistics getStatistics() {
        return statistics;
    }

    /** Adds a listener that follows every request of this component (metrics, audit...). */
    public void addListener(LlmQueueListener listener) {
        listeners.add(listener);
    }

    public void removeListener(LlmQueueListener listener) {
        listeners.remove(listener);
    }

    /** Every listener, each shielded from the others' failures. */
    LlmQueueListener events() {
        return events;
    }

    private final class Listeners implements LlmQueueListener {
        @Override
        public void onQueued(RequestInfo request) {
            each(listener -> listener.onQueued(request));
        }

        @Override
        public void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
            each(listener -> listener.onCallStarted(request, attempt, waitNanos));
        }

        @Override
        public void onCallEnded(RequestInfo request, int attempt, long callNanos, Exception failure,
                                Integer promptTokens, Integer completionTokens) {
            each(listener -> listener.onCallEnded(request, attempt, callNanos, failure, promptTokens, completionTokens));
        }

        @Override
        public void onFirstToken(RequestInfo request, long ttftNanos) {
            each(listener -> listener.onFirstToken(request, ttftNanos));
        }

        @Override
        public void onRetry(RequestInfo request, int attempt, long delayNanos, Exception failure) {
            each(listener -> listener.onRetry(request, attempt, delayNanos, failure));
        }

        @Override
        public void onPreempted(RequestInfo request, int attempt, long callNanos) {
            each(listener -> listener.onPreempted(request, attempt, callNanos));
        }

        @Override
        public void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
            each(listener -> listener.onEnded(request, outcome, reason));
        }

        private void each(Consumer<LlmQueueListener> event) {
            for (LlmQueueListener listener : listeners) {
                try {
                    event.accept(listener);
                } catch (Throwable t) {
                    // even an Error: a listener must never keep a request from going on or an exchange from completing
                    if (failedListeners.add(listener)) {
                        LOG.warn("llmqueue listener {} threw; it is ignored each time it does (logged once)", listener, t);
                    } else {
                        LOG.debug("llmqueue listener {} threw", listener, t);
                    }
                }
            }
        }
    }

    /**
     * Removes a waiting request (on its stack, or between two attempts) and fails it with
     * {@link LlmQueueCancelledException}; its call is never made.
     *
     * @return whether a waiting request had that id (false for unknown, running or finished requests)
     */
    @ManagedOperation(description = "Cancels a waiting request by its id; returns whether one was waiting")
    public boolean cancel(String requestId) {
        return scheduler != null && scheduler.cancel(requestId);
    }

    /** The timer of the queue; null while the component is not started. */
    ScheduledExecutorService getTimer() {
        return timer;
    }

    /**
     * Whether a call thread may resume its route itself: yes while fewer call threads than the completion pool has
     * threads are busy doing so. The cap keeps slow routes from growing the call pool without bound; past it, routes
     * resume on the completion pool as before.
     */
    boolean tryInlineCompletion() {
        int cap = completionThreads;
        while (true) {
            int now = inlineCompletions.get();
            if (now >= cap) {
                return false;
            }
            if (inlineCompletions.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    void inlineCompletionDone() {
        inlineCompletions.decrementAndGet();
    }

    /** The pool calls run on; null when stopped. */
    ExecutorService getCallExecutor() {
        return callExecutor;
    }

    /** The pool routes resume on; null when stopped (the caller then completes inline). */
    ExecutorService getCompletionExecutor() {
        return completionExecutor;
    }

    String environment(String name) {
        String value = environment.apply(name);
        return value == null || value.isBlank() ? null : value.trim();
    }

    private Integer envInt(String name) {
        String value = environment(name);
        if (value == null) {
            return null;
        }
        try {
            return Integer.valueOf(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "Environment variable " + name + "='" + value + "' is not a whole number", e);
        }
    }

    private Boolean envBoolean(String name) {
        String value = environment(name);
        if (value == null) {
            return null;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> Boolean.TRUE;
            case "0", "false", "no", "off" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException(
                    "Environment variable " + name + "='" + value + "' is not a boolean: use 1|true or 0|false");
        };
    }

    @ManagedAttribute(description = "How many LLM calls may be in flight at once")
    public int getMaxConcurrentRequests() {
        return maxConcurrentRequests;
    }

    /**
     * How many LLM calls may be in flight at once, across all endpoints of this component. May be changed while
     * running: raising it starts waiting requests at once.
     */
    @ManagedAttribute(description = "How many LLM calls may be in flight at once")
    public void setMaxConcurrentRequests(int maxConcurrentRequests) {
        fromEnvironment.remove("maxConcurrentRequests");
        if (scheduler != null) {
            scheduler.setMaxConcurrentRequests(maxConcurrentRequests);
        }
        this.maxConcurrentRequests = maxConcurrentRequests;
        share("limit", maxConcurrentRequests);
    }

    public boolean isAsyncQueue() {
        return asyncQueue;
    }

    /**
     * Whether the route's thread is released while the request waits (true), or waits for the outcome (false).
     */
    public void setAsyncQueue(boolean asyncQueue) {
        this.asyncQueue = asyncQueue;
    }

    @ManagedAttribute(description = "Whether LOW priority (background) requests are rejected")
    public boolean isDisableBackground() {
        return disableBackground;
    }

    /**
     * Rejects LOW priority requests. May be changed while running: turning it on fails the LOW requests already
     * waiting.
     */
    @ManagedAttribute(description = "Whether LOW priority (background) requests are rejected")
    public void setDisableBackground(boolean disableBackground) {
        this.disableBackground = disableBackground;
        if (scheduler != null) {
            scheduler.setDisableBackground(disableBackground);
        }
        share("disabled", disableBackground);
    }

    public int getMaxHighQueueSize() {
        return maxHighQueueSize;
    }

    /**
     * How many HIGH priority requests may wait.
     */
    public void setMaxHighQueueSize(int maxHighQueueSize) {
        fromEnvironment.remove("maxHighQueueSize");
        if (scheduler != null) {
            scheduler.setMaxHighQueueSize(maxHighQueueSize);
        }
        this.maxHighQueueSize = maxHighQueueSize;
        share("maxH", maxHighQueueSize);
    }

    public int getMaxLowQueueSize() {
        return maxLowQueueSize;
    }

    /**
     * How many LOW priority requests may wait.
     */
    public void setMaxLowQueueSize(int maxLowQueueSize) {
        fromEnvironment.remove("maxLowQueueSize");
        if (scheduler != null) {
            scheduler.setMaxLowQueueSize(maxLowQueueSize);
        }
        this.maxLowQueueSize = maxLowQueueSize;
        share("maxL", maxLowQueueSize);
    }

    public LlmQueueWhenFull getWhenFull() {
        return whenFull;
    }

    /**
     * What a full stack does with one more request: rejectNew or dropOldest.
     */
    public void setWhenFull(LlmQueueWhenFull whenFull) {
        this.whenFull = whenFull;
        if (scheduler != null) {
            scheduler.setWhenFull(whenFull);
        }
        share("whenFull", whenFull);
    }

    public long getLowPriorityMaxWait() {
        return lowPriorityMaxWait;
    }

    /**
     * A LOW request that has waited this long, in milliseconds, is served before HIGH ones; 0 for strict priority.
     */
    public void setLowPriorityMaxWait(long lowPriorityMaxWait) {
        if (scheduler != null) {
            scheduler.setLowPriorityMaxWait(lowPriorityMaxWait);
        }
        this.lowPriorityMaxWait = lowPriorityMaxWait;
        share("maxWait", lowPriorityMaxWait);
    }

    public boolean isAdaptiveConcurrency() {
        return adaptiveConcurrency;
    }

    /**
     * Whether the calls in flight to a server are lowered when it answers 429 or 503.
     */
    public void setAdaptiveConcurrency(boolean adaptiveConcurrency) {
        this.adaptiveConcurrency = adaptiveConcurrency;
        if (scheduler != null) {
            scheduler.setAdaptiveConcurrency(adaptiveConcurrency);
        }
        share("adaptive", adaptiveConcurrency);
    }

    @ManagedAttribute(description = "Slots kept for HIGH requests: LOW calls hold at most maxConcurrentRequests minus"
                                    + " this")
    public int getReservedHighSlots() {
        return reservedHighSlots;
    }

    /**
     * Slots kept for HIGH requests. May be changed while running; must stay less than maxConcurrentRequests.
     */
    @ManagedAttribute(description = "Slots kept for HIGH requests: LOW calls hold at most maxConcurrentRequests minus"
                                    + " this")
    public void setReservedHighSlots(int reservedHighSlots) {
        if (scheduler != null) {
            scheduler.setReservedHighSlots(reservedHighSlots);
        }
        this.reservedHighSlots = reservedHighSlots;
        share("reserved", reservedHighSlots);
    }

    @ManagedAttribute(description = "Whether a waiting HIGH request takes the slot of the LOW call that started last")
    public boolean isPreemptLow() {
        return preemptLow;
    }

    /**
     * Whether a waiting HIGH request takes the slot of the LOW call that started last when no slot is free. May be
     * changed while running.
     */
    @ManagedAttribute(description = "Whether a waiting HIGH request takes the slot of the LOW call that started last")
    public void setPreemptLow(boolean preemptLow) {
        if (scheduler != null) {
            scheduler.setPreemptLow(preemptLow);
        }
        this.preemptLow = preemptLow;
    }

    @ManagedAttribute(description = "How many times one request may be preempted")
    public int getMaxPreemptions() {
        return maxPreemptions;
    }

    /**
     * How many times one request may be preempted; after that its call runs to the end.
     */
    @ManagedAttribute(description = "How many times one request may be preempted")
    public void setMaxPreemptions(int maxPreemptions) {
        if (scheduler != null) {
            scheduler.setMaxPreemptions(maxPreemptions);
        }
        this.maxPreemptions = maxPreemptions;
    }

    @ManagedAttribute(description = "The most calls in flight to one server; 0 for no per-server cap")
    public int getMaxConcurrentRequestsPerServer() {
        return maxConcurrentRequestsPerServer;
    }

    /**
     * The most calls in flight to one server (base URL), under its adaptive limit; 0 for no cap.
     */
    @ManagedAttribute(description = "The most calls in flight to one server; 0 for no per-server cap")
    public void setMaxConcurrentRequestsPerServer(int maxConcurrentRequestsPerServer) {
        if (scheduler != null) {
            scheduler.setMaxConcurrentRequestsPerServer(maxConcurrentRequestsPerServer);
        }
        this.maxConcurrentRequestsPerServer = maxConcurrentRequestsPerServer;
        share("perServer", maxConcurrentRequestsPerServer);
    }

    public int getMaxRetries() {
        return maxRetries;
    }

    /**
     * Default for the endpoints' maxRetries.
     */
    public void setMaxRetries(int maxRetries) {
        this.maxRetries = maxRetries;
    }

    public long getRetryBackoff() {
        return retryBackoff;
    }

    /**
     * Default for the endpoints' retryBackoff, in milliseconds.
     */
    public void setRetryBackoff(long retryBackoff) {
        this.retryBackoff = retryBackoff;
    }

    public long getMaxRetryBackoff() {
        return maxRetryBackoff;
    }

    /**
     * Default for the endpoints' maxRetryBackoff, in milliseconds.
     */
    public void setMaxRetryBackoff(long maxRetryBackoff) {
        this.maxRetryBackoff = maxRetryBackoff;
    }

    public long getMaxQueueTime() {
        return maxQueueTime;
    }

    /**
     * Default for the endpoints' maxQueueTime, in milliseconds; 0 waits indefinitely.
     */
    public void setMaxQueueTime(long maxQueueTime) {
        this.maxQueueTime = maxQueueTime;
    }

    public int getMaxResponseSize() {
        return maxResponseSize;
    }

    /**
     * Default for the endpoints' maxResponseSize, in bytes.
     */
    public void setMaxResponseSize(int maxResponseSize) {
        this.maxResponseSize = maxResponseSize;
    }

    public long getConnectTimeout() {
        return connectTimeout;
    }

    /**
     * Default for the endpoints' connectTimeout, in milliseconds.
     */
    public void setConnectTimeout(long connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    @ManagedAttribute(description = "Who decides which waiting request gets the next slot: local or redis")
    public LlmQueueCoordination getCoordination() {
        return coordination;
    }

    /** Who decides which waiting request gets the next slot: local (this instance) or redis (every instance). */
    public void setCoordination(LlmQueueCoordination coordination) {
        this.coordination = coordination;
    }

    public String getRedisUri() {
        return redisUri;
    }

    /** With coordination=redis: redis://[:password@]host:port[/db], or rediss:// for TLS. */
    public void setRedisUri(String redisUri) {
        this.redisUri = redisUri;
    }

    @ManagedAttribute(description = "With coordination=redis: the name every instance sharing the queue uses")
    public String getQueueName() {
        return queueName;
    }

    /** With coordination=redis: instances with the same queue name share one queue. */
    public void setQueueName(String queueName) {
        this.queueName = queueName;
    }

    public long getLeaseTime() {
        return leaseTime;
    }

    /** With coordination=redis: how long, in ms, a silent instance's slots and tickets stay taken. */
    public void setLeaseTime(long leaseTime) {
        this.leaseTime = leaseTime;
    }

    @ManagedAttribute(description = "With coordination=redis: this instance's name in Redis")
    public String getNodeId() {
        Coordinator authority = redis;
        return authority != null ? authority.getNodeId() : nodeId;
    }

    /** With coordination=redis: this instance's name in Redis; default host name, process id and a random suffix. */
    public void setNodeId(String nodeId) {
        this.nodeId = nodeId;
    }

    public LlmQueueRedisFailureMode getRedisFailureMode() {
        return redisFailureMode;
    }

    /** With coordination=redis, while Redis cannot be reached: reject or local. */
    public void setRedisFailureMode(LlmQueueRedisFailureMode redisFailureMode) {
        this.redisFailureMode = redisFailureMode;
    }

    /**
     * With coordination=redis while Redis cannot be reached: why, with the Redis address (never its password);
     * otherwise null.
     */
    public String coordinationOutage() {
        Coordinator authority = redis;
        String outage = authority == null ? null : authority.getOutage();
        return outage == null ? null
                : "Redis at " + authority.getRedis() + " cannot be reached (" + outage + "): "
                  + (redisFailureMode == LlmQueueRedisFailureMode.local
                          ? "this instance queues alone with its own maxConcurrentRequests (redisFailureMode=local)"
                          : "new requests are rejected (redisFailureMode=reject)");
    }

    @ManagedAttribute(description = "With coordination=redis: whether Redis answers (always true with local)")
    public boolean isCoordinationAvailable() {
        Coordinator authority = redis;
        return authority == null || authority.isAvailable();
    }

    /**
     * With coordination=redis: the figures of every instance sharing the queue (waiting HIGH and LOW, calls in
     * flight, live instances), or null in local mode or when Redis does not answer within a second.
     */
    public Coordinator.GlobalFigures globalFigures() {
        Coordinator authority = redis;
        return authority == null ? null : authority.globalFigures();
    }

    @ManagedAttribute(description = "With coordination=redis: HIGH requests waiting on every instance (-1: local mode or"
                                    + " Redis unreachable)")
    public long getGlobalHighPriorityQueueSize() {
        Coordinator.GlobalFigures figures = globalFigures();
        return figures == null ? -1 : figures.highWaiting();
    }

    @ManagedAttribute(description = "With coordination=redis: LOW requests waiting on every instance (-1: local mode or"
                                    + " Redis unreachable)")
    public long getGlobalLowPriorityQueueSize() {
        Coordinator.GlobalFigures figures = globalFigures();
        return figures == null ? -1 : figures.lowWaiting();
    }

    @ManagedAttribute(description = "With coordination=redis: calls in flight on every instance (-1: local mode or"
                                    + " Redis unreachable)")
    public long getGlobalActiveRequests() {
        Coordinator.GlobalFigures figures = globalFigures();
        return figures == null ? -1 : figures.running();
    }

    @ManagedAttribute(description = "With coordination=redis: the instances sharing the queue (-1: local mode or Redis"
                                    + " unreachable)")
    public long getGlobalInstances() {
        Coordinator.GlobalFigures figures = globalFigures();
        return figures == null ? -1 : figures.instances();
    }
}
