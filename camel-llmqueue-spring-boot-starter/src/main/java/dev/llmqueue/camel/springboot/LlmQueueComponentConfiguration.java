package dev.llmqueue.camel.springboot;

import java.time.Duration;

import dev.llmqueue.camel.LlmQueueWhenFull;
import org.apache.camel.spring.boot.ComponentConfigurationPropertiesCommon;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Sends requests to an Ollama or OpenAI-compatible server through the component's priority queue: the exchange waits
 * on a HIGH or LOW LIFO stack until a slot is free, and the route resumes when the LLM has answered.
 * <p>
 * The options of the component named {@code llmqueue}, bound from {@code camel.component.llmqueue.*}. The javadoc of
 * each field is the option's description in the component's metadata ({@code llmqueue.json}), which the Spring Boot
 * configuration processor turns into {@code META-INF/spring-configuration-metadata.json}; the defaults are in
 * {@code META-INF/additional-spring-configuration-metadata.json}. {@code ConfigurationMetadataTest} checks both
 * against the component's metadata.
 * <p>
 * Unlike Camel's generated starters, every field starts {@code null} ("not set"), so that an option that is not set
 * leaves the component's value alone: the value of the seed's environment variable ({@code
 * LLM_MAX_CONCURRENT_REQUESTS} and the others) when there is one, else the component's default. Durations take Spring
 * Boot's syntax ({@code 30s}, {@code 500ms}, {@code 2m}, {@code PT1M}; a bare number is milliseconds).
 * <p>
 * Unknown and ill-typed properties fail the application's start, naming the property.
 * <p>
 * {@code camel.component.llmqueue.dashboard.*} configures the dashboard ({@code camel-llmqueue-dashboard}), which
 * {@link LlmQueueDashboardAutoConfiguration} adds when that module is on the classpath and
 * {@code camel.component.llmqueue.dashboard.enabled=true}.
 */
@ConfigurationProperties(prefix = "camel.component.llmqueue", ignoreUnknownFields = false)
public class LlmQueueComponentConfiguration extends ComponentConfigurationPropertiesCommon {

    /**
     * Whether to enable auto configuration of the llmqueue component. This is enabled by default.
     */
    private Boolean enabled;
    /**
     * When a server answers 429 or 503, lower the number of calls in flight to that base URL (halved on each
     * overload, raised by one after as many successes as the limit; never above maxConcurrentRequests, never below 1).
     */
    private Boolean adaptiveConcurrency;
    /**
     * Whether the route's thread is released while the request waits and the route resumes on a completion thread
     * (true), or the calling thread waits for the outcome (false). The environment variable USE_ASYNC_LLM_QUEUE set to
     * 0 or false turns it off.
     */
    private Boolean asyncQueue;
    /**
     * Rejects LOW priority (background) requests at once with LlmQueueRejectedException; HIGH is unaffected. The
     * environment variable DISABLE_BACKGROUND_LLM set to 1 or true turns it on.
     */
    private Boolean disableBackground;
    /**
     * Whether the producer should be started lazy (on the first message). By starting lazy you can use this to allow
     * CamelContext and routes to startup in situations where a producer may otherwise fail during starting and cause
     * the route to fail being started. By deferring this startup to be lazy then the startup failure can be handled
     * during routing messages via Camel's routing error handlers. Beware that when the first message is processed then
     * creating and starting the producer may take a little time and prolong the total processing time of the
     * processing.
     */
    private Boolean lazyStartProducer;
    /**
     * Aging: a LOW request that has waited this long is served before HIGH ones, so background work always makes
     * progress under a steady HIGH load. 0 keeps strict priority.
     */
    private Duration lowPriorityMaxWait;
    /**
     * How many LLM calls may be in flight at once, across all endpoints of this component. Default 2, or the
     * environment variable LLM_MAX_CONCURRENT_REQUESTS.
     */
    private Integer maxConcurrentRequests;
    /**
     * The most calls in flight to one server (base URL), under its adaptive limit and maxConcurrentRequests, so that
     * one slow or silent server cannot hold every slot. 0 sets no per-server cap.
     */
    private Integer maxConcurrentRequestsPerServer;
    /**
     * How many HIGH priority requests may wait; one more is rejected. Default 10000, or the environment variable
     * LLM_MAX_HIGH_PRIORITY_QUEUE.
     */
    private Integer maxHighQueueSize;
    /**
     * How many LOW priority requests may wait; one more is rejected. Default 10000, or the environment variable
     * LLM_MAX_LOW_PRIORITY_QUEUE.
     */
    private Integer maxLowQueueSize;
    /**
     * How many times one request may be preempted (preemptLow); after that its call runs to the end.
     */
    private Integer maxPreemptions;
    /**
     * Default for the endpoints' maxQueueTime: how long a request may wait for a slot before it fails with
     * LlmQueueTimeoutException. 0 waits indefinitely.
     */
    private Duration maxQueueTime;
    /**
     * When a HIGH request waits, no slot is free and a LOW call is in flight, abort the LOW call that started last
     * (its HTTP request is cancelled), give its slot to the HIGH request and put the LOW request back on top of its
     * stack with its deadline; not counted as an attempt. A streamed LOW call that delivered tokens is never preempted.
     */
    private Boolean preemptLow;
    /**
     * Slots kept for HIGH priority requests: LOW calls hold at most maxConcurrentRequests minus reservedHighSlots
     * slots, HIGH may use all of them. Must be less than maxConcurrentRequests. 0 lets LOW calls take every slot.
     */
    private Integer reservedHighSlots;
    /**
     * What a full stack does with one more request: rejectNew refuses it; dropOldest accepts it and fails the oldest
     * waiting request of that stack (the bottom, the least useful under LIFO). Both fail with LlmQueueRejectedException
     * (QUEUE_FULL).
     */
    private LlmQueueWhenFull whenFull;
    /**
     * Whether autowiring is enabled. This is used for automatic autowiring options (the option must be marked as
     * autowired) by looking up in the registry to find if there is a single instance of matching type, which then gets
     * configured on the component. This can be used for automatic configuring JDBC data sources, JMS connection
     * factories, AWS Clients, etc.
     */
    private Boolean autowiredEnabled;
    /**
     * Default for the endpoints' connectTimeout: how long making the connection (TCP and, for https, the TLS
     * handshake) may take.
     */
    private Duration connectTimeout;
    /**
     * Who decides which waiting request gets the next slot: local (this instance alone, no Redis needed) or redis (every
     * instance sharing a queueName: maxConcurrentRequests is one global limit, HIGH before LOW and newest first across
     * instances, the stack bounds count all instances' waiting requests).
     */
    private dev.llmqueue.camel.LlmQueueCoordination coordination;
    /**
     * With coordination=redis: the Redis server, a redis://host:port URI (a password goes before the host, a database
     * number after the port), or rediss:// for TLS. Default redis://localhost:6379, or the environment variable
     * LLM_QUEUE_REDIS_URI. The password is never logged.
     */
    private String redisUri;
    /**
     * With coordination=redis: instances with the same queue name share one queue; it prefixes every Redis key
     * ({queueName}:...).
     */
    private String queueName;
    /**
     * With coordination=redis: how long the slots and waiting requests of an instance that stopped renewing them
     * (killed, cut off from Redis) stay taken; an instance renews them every third of this.
     */
    private Duration leaseTime;
    /**
     * With coordination=redis: this instance's name in Redis. Default: host name, process id and a random suffix.
     */
    private String nodeId;
    /**
     * With coordination=redis, while Redis cannot be reached: reject (new requests fail with LlmQueueRejectedException,
     * reason COORDINATION_UNAVAILABLE; waiting ones wait for Redis or their deadline) or local (each instance queues
     * alone with its own maxConcurrentRequests until Redis is back: up to that many calls per instance).
     */
    private dev.llmqueue.camel.LlmQueueRedisFailureMode redisFailureMode;
    /**
     * Default for the endpoints' maxResponseSize: the largest reply accepted, in bytes.
     */
    private Integer maxResponseSize;
    /**
     * Default for the endpoints' maxRetries: how many times a call is tried again after a failure that may pass (no
     * response, timeout, 429 rate limit, 502, 503, 504).
     */
    private Integer maxRetries;
    /**
     * Default for the endpoints' maxRetryBackoff: the longest wait before a retry, including one asked for by the
     * server with Retry-After.
     */
    private Duration maxRetryBackoff;
    /**
     * Default for the endpoints' retryBackoff: the wait before the first retry, doubled for each further one, with 25
     * percent jitter.
     */
    private Duration retryBackoff;
    /**
     * The llmqueue dashboard, when camel-llmqueue-dashboard is on the classpath.
     */
    private final Dashboard dashboard = new Dashboard();

    public Dashboard getDashboard() {
        return dashboard;
    }

    public Boolean getAdaptiveConcurrency() {
        return adaptiveConcurrency;
    }

    public void setAdaptiveConcurrency(Boolean adaptiveConcurrency) {
        this.adaptiveConcurrency = adaptiveConcurrency;
    }

    public Boolean getAsyncQueue() {
        return asyncQueue;
    }

    public void setAsyncQueue(Boolean asyncQueue) {
        this.asyncQueue = asyncQueue;
    }

    public Boolean getDisableBackground() {
        return disableBackground;
    }

    public void setDisableBackground(Boolean disableBackground) {
        this.disableBackground = disableBackground;
    }

    public Boolean getLazyStartProducer() {
        return lazyStartProducer;
    }

    public void setLazyStartProducer(Boolean lazyStartProducer) {
        this.lazyStartProducer = lazyStartProducer;
    }

    public Duration getLowPriorityMaxWait() {
        return lowPriorityMaxWait;
    }

    public void setLowPriorityMaxWait(Duration lowPriorityMaxWait) {
        this.lowPriorityMaxWait = lowPriorityMaxWait;
    }

    public Integer getMaxConcurrentRequests() {
        return maxConcurrentRequests;
    }

    public void setMaxConcurrentRequests(Integer maxConcurrentRequests) {
        this.maxConcurrentRequests = maxConcurrentRequests;
    }

    public Integer getMaxConcurrentRequestsPerServer() {
        return maxConcurrentRequestsPerServer;
    }

    public void setMaxConcurrentRequestsPerServer(Integer maxConcurrentRequestsPerServer) {
        this.maxConcurrentRequestsPerServer = maxConcurrentRequestsPerServer;
    }

    public Integer getMaxHighQueueSize() {
        return maxHighQueueSize;
    }

    public void setMaxHighQueueSize(Integer maxHighQueueSize) {
        this.maxHighQueueSize = maxHighQueueSize;
    }

    public Integer getMaxLowQueueSize() {
        return maxLowQueueSize;
    }

    public void setMaxLowQueueSize(Integer maxLowQueueSize) {
        this.maxLowQueueSize = maxLowQueueSize;
    }

    public Integer getMaxPreemptions() {
        return maxPreemptions;
    }

    public void setMaxPreemptions(Integer maxPreemptions) {
        this.maxPreemptions = maxPreemptions;
    }

    public Duration getMaxQueueTime() {
        return maxQueueTime;
    }

    public void setMaxQueueTime(Duration maxQueueTime) {
        this.maxQueueTime = maxQueueTime;
    }

    public Boolean getPreemptLow() {
        return preemptLow;
    }

    public void setPreemptLow(Boolean preemptLow) {
        this.preemptLow = preemptLow;
    }

    public Integer getReservedHighSlots() {
        return reservedHighSlots;
    }

    public void setReservedHighSlots(Integer reservedHighSlots) {
        this.reservedHighSlots = reservedHighSlots;
    }

    public LlmQueueWhenFull getWhenFull() {
        return whenFull;
    }

    public void setWhenFull(LlmQueueWhenFull whenFull) {
        this.whenFull = whenFull;
    }

    public Boolean getAutowiredEnabled() {
        return autowiredEnabled;
    }

    public void setAutowiredEnabled(Boolean autowiredEnabled) {
        this.autowiredEnabled = autowiredEnabled;
    }

    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public dev.llmqueue.camel.LlmQueueCoordination getCoordination() {
        return coordination;
    }

    public void setCoordination(dev.llmqueue.camel.LlmQueueCoordination coordination) {
        this.coordination = coordination;
    }

    public String getRedisUri() {
        return redisUri;
    }

    public void setRedisUri(String redisUri) {
        this.redisUri = redisUri;
    }

    public String getQueueName() {
        return queueName;
    }

    public void setQueueName(String queueName) {
        this.queueName = queueName;
    }

    public Duration getLeaseTime() {
        return leaseTime;
    }

    public void setLeaseTime(Duration leaseTime) {
        this.leaseTime = leaseTime;
    }

    public String getNodeId() {
        return nodeId;
    }

    public void setNodeId(String nodeId) {
        this.nodeId = nodeId;
    }

    public dev.llmqueue.camel.LlmQueueRedisFailureMode getRedisFailureMode() {
        return redisFailureMode;
    }

    public void setRedisFailureMode(dev.llmqueue.camel.LlmQueueRedisFailureMode redisFailureMode) {
        this.redisFailureMode = redisFailureMode;
    }

    public Integer getMaxResponseSize() {
        return maxResponseSize;
    }

    public void setMaxResponseSize(Integer maxResponseSize) {
        this.maxResponseSize = maxResponseSize;
    }

    public Integer getMaxRetries() {
        return maxRetries;
    }

    public void setMaxRetries(Integer maxRetries) {
        this.maxRetries = maxRetries;
    }

    public Duration getMaxRetryBackoff() {
        return maxRetryBackoff;
    }

    public void setMaxRetryBackoff(Duration maxRetryBackoff) {
        this.maxRetryBackoff = maxRetryBackoff;
    }

    public Duration getRetryBackoff() {
        return retryBackoff;
    }

    public void setRetryBackoff(Duration retryBackoff) {
        this.retryBackoff = retryBackoff;
    }

    /**
     * {@code camel.component.llmqueue.dashboard.*}: the options of {@code LlmQueueDashboard}. Like the component's
     * options, {@code path}, {@code token} and {@code showPrompts} start {@code null} ("not set"): the dashboard then
     * takes the Camel property {@code llmqueue.dashboard.path} (and so on) when there is one, else its default.
     */
    public static class Dashboard {

        /**
         * Whether to add the llmqueue dashboard's routes (a live page and its JSON API) to the CamelContext. Needs
         * camel-llmqueue-dashboard on the classpath, and a platform-http engine (camel-platform-http-starter with
         * spring-boot-starter-web) to serve them on the application's HTTP port.
         */
        private boolean enabled;
        /**
         * Where the dashboard's page is served, such as /llmqueue or /ops/queue; its JSON API is under {path}/api/.
         */
        private String path;
        /**
         * Turns the dashboard's actions on (cancel a waiting request, set maxConcurrentRequests, turn background work
         * off and on); each must then carry the header Authorization: Bearer {token}. Without one the dashboard is
         * read-only.
         */
        private String token;
        /**
         * Whether the dashboard shows request ids and models (off by default: they can identify people). API keys and
         * prompts are never shown.
         */
        private Boolean showPrompts;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public String getToken() {
            return token;
        }

        public void setToken(String token) {
            this.token = token;
        }

        public Boolean getShowPrompts() {
            return showPrompts;
        }

        public void setShowPrompts(Boolean showPrompts) {
            this.showPrompts = showPrompts;
        }
    }
}
