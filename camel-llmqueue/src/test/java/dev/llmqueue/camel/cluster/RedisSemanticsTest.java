package dev.llmqueue.camel.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmqueue.camel.FakeLlmServer;
import dev.llmqueue.camel.LlmProviderException;
import dev.llmqueue.camel.LlmQueueCancelledException;
import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueRejectedException;
import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import dev.llmqueue.camel.LlmQueueTimeoutException;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.console.DevConsole;
import org.apache.camel.console.DevConsoleResolver;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.util.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The queue's meanings across instances with {@code coordination=redis}: several CamelContexts in one JVM share one
 * {@code queueName} on a real Redis, and each test shows one behaviour the single-JVM queue has holding for all of
 * them (issue 11, contract points 2, 6, 7, 8 and 4, and {@code coordination=local} staying free of Redis).
 * <p>
 * Order is made deterministic at the fake server: calls are held there until the test lets them go, and the test waits
 * for conditions (the global figures in Redis, arrivals at the server) with bounded loops, never for a fixed time.
 * Each test has its own queue name, and its keys are deleted afterwards.
 */
@RequiresRedis
class RedisSemanticsTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final List<ClusterInstance> instances = new ArrayList<>();
    private FakeLlmServer server;
    private Script script;
    private String queueName;
    private RedisClient redisClient;
    private StatefulRedisConnection<String, String> redisConnection;
    private RedisCommands<String, String> redis;

    @BeforeEach
    void setUp(TestInfo test) throws Exception {
        server = new FakeLlmServer();
        script = new Script();
        server.respondWith(script);
        queueName = "sem-" + test.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime();
        redisClient = RedisClient.create(TestRedis.uri());
        redisConnection = redisClient.connect();
        redis = redisConnection.sync();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            script.openAll();
            server.release();
            instances.forEach(ClusterInstance::close);
            server.close();
        } finally {
            try {
                List<String> keys = keys();
                if (!keys.isEmpty()) {
                    redis.del(keys.toArray(String[]::new));
                }
            } finally {
                redisConnection.close();
                redisClient.shutdown();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 1. aging

    @Test
    void aLowRequestThatWaitedLowPriorityMaxWaitOnOneInstanceGoesBeforeANewerHighOfAnother() throws Exception {
        Map<String, Object> aging = Map.of("lowPriorityMaxWait", 300L);
        ClusterInstance a = instance("a", aging);
        ClusterInstance b = instance("b", aging);
        ClusterInstance c = instance("c", aging);
        server.hold();
        CompletableFuture<String> first = a.ask("first", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> low = b.ask("b-low", "LOW");
        await("b-low waits in Redis", () -> a.component.getGlobalLowPriorityQueueSize() == 1);
        // Redis times the ticket from its own submit, a little after the local push: a margin on top
        await("b-low has waited longer than lowPriorityMaxWait",
                () -> b.component.oldestQueuedMillis(LlmQueuePriority.LOW) >= 400);
        CompletableFuture<String> high = c.ask("c-high", "HIGH");
        await("c-high waits in Redis", () -> a.component.getGlobalHighPriorityQueueSize() == 1);
        server.release();
        for (CompletableFuture<String> reply : List.of(first, low, high)) {
            reply.get(10, TimeUnit.SECONDS);
        }
        assertEquals(List.of("first", "b-low", "c-high"), server.prompts(),
                "the LOW request of b that waited lowPriorityMaxWait is served before the newer HIGH one of c");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. adaptive limits

    @Test
    void aServerOverloadedForOneInstanceGetsALowerLimitOnEveryInstance() throws Exception {
        Map<String, Object> four = Map.of("maxConcurrentRequests", 4);
        ClusterInstance a = instance("a", four);
        ClusterInstance b = instance("b", four);
        script.answer("overload", 1, 429);
        Throwable overloaded = failure(a.ask("overload", "HIGH"));
        assertEquals(429, ClusterAssertions.cause(overloaded, LlmProviderException.class).getStatusCode());
        server.awaitArrivals(1);
        // its release (which carries the overload) has been decided once no slot is taken any more
        await("a's slot is back", () -> b.component.getGlobalActiveRequests() == 0);

        server.hold();
        List<CompletableFuture<String>> replies = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            replies.add(b.ask("b" + i, "HIGH"));
        }
        server.awaitArrivals(2);
        await("two of b's requests wait for the halved limit",
                () -> b.component.getGlobalHighPriorityQueueSize() == 2 && b.component.getGlobalActiveRequests() == 2);
        assertEquals(3, server.requestCount(), "b sends 2 calls (4 / 2), not 4, to the server that said 429 to a");
        server.release();
        for (CompletableFuture<String> reply : replies) {
            assertTrue(reply.get(10, TimeUnit.SECONDS).startsWith("echo"));
        }
        assertEquals(2, server.maxInFlight(), "never more than the halved limit in flight");
    }

    @Test
    void turningAdaptiveConcurrencyOffOnOneInstanceGivesAnOverloadedServerItsFullLimitOnEveryInstance()
            throws Exception {
        Map<String, Object> four = Map.of("maxConcurrentRequests", 4);
        ClusterInstance a = instance("a", four);
        ClusterInstance b = instance("b", four);
        script.answer("overload", 1, 429);
        failure(a.ask("overload", "HIGH"));
        server.awaitArrivals(1);
        await("a's slot is back", () -> b.component.getGlobalActiveRequests() == 0);

        // as in one JVM, where switching it off forgets every lowered limit
        a.component.setAdaptiveConcurrency(false);
        await("b applied it", () -> !b.component.isAdaptiveConcurrency());
        server.hold();
        List<CompletableFuture<String>> replies = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            replies.add(b.ask("b" + i, "HIGH"));
        }
        server.awaitArrivals(4);
        assertEquals(0, b.component.getGlobalHighPriorityQueueSize());
        server.release();
        for (CompletableFuture<String> reply : replies) {
            assertTrue(reply.get(10, TimeUnit.SECONDS).startsWith("echo"));
        }
        assertEquals(4, server.maxInFlight(), "the full limit, no longer the halved one");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. queue bounds count every instance

    @Test
    void maxHighQueueSizeCountsTheRequestsWaitingOnEveryInstance() throws Exception {
        Map<String, Object> two = Map.of("maxHighQueueSize", 2);
        ClusterInstance a = instance("a", two);
        ClusterInstance b = instance("b", two);
        ClusterInstance c = instance("c", two);
        server.hold();
        CompletableFuture<String> first = a.ask("first", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> a1 = a.ask("a1", "HIGH");
        await("a1 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 1);
        CompletableFuture<String> b1 = b.ask("b1", "HIGH");
        await("b1 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 2);
        assertEquals(0, c.component.getHighPriorityQueueSize(), "nothing waits on c itself");

        LlmQueueRejectedException full = ClusterAssertions.cause(failure(c.ask("c1", "HIGH")), LlmQueueRejectedException.class);
        assertEquals(Reason.QUEUE_FULL, full.getReason());
        assertEquals(2, a.component.getGlobalHighPriorityQueueSize());
        server.release();
        for (CompletableFuture<String> reply : List.of(first, a1, b1)) {
            reply.get(10, TimeUnit.SECONDS);
        }
        assertEquals(List.of("first", "b1", "a1"), server.prompts());
    }

    @Test
    void whenFullDropOldestDropsTheOldestWaitingRequestOfAnotherInstance() throws Exception {
        Map<String, Object> two = Map.of("maxHighQueueSize", 2, "whenFull", "dropOldest");
        ClusterInstance a = instance("a", two);
        ClusterInstance b = instance("b", two);
        ClusterInstance c = instance("c", two);
        server.hold();
        CompletableFuture<String> first = a.ask("first", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> a1 = a.ask("a1", "HIGH");
        await("a1 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 1);
        CompletableFuture<String> b1 = b.ask("b1", "HIGH");
        await("b1 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 2);

        CompletableFuture<String> c1 = c.ask("c1", "HIGH");
        LlmQueueRejectedException dropped = ClusterAssertions.cause(failure(a1), LlmQueueRejectedException.class);
        assertEquals(Reason.QUEUE_FULL, dropped.getReason(), "a's a1, the oldest waiting, made room for c's c1");
        await("a1 is gone from a", () -> a.component.getHighPriorityQueueSize() == 0);
        assertEquals(2, a.component.getGlobalHighPriorityQueueSize());
        server.release();
        for (CompletableFuture<String> reply : List.of(first, b1, c1)) {
            reply.get(10, TimeUnit.SECONDS);
        }
        assertEquals(List.of("first", "c1", "b1"), server.prompts());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 4. live changes

    @Test
    void raisingMaxConcurrentRequestsOnOneInstanceAppliesToEveryInstanceWithinASecond() throws Exception {
        ClusterInstance a = instance("a", Map.of());
        ClusterInstance b = instance("b", Map.of());
        ClusterInstance c = instance("c", Map.of());
        server.hold();
        CompletableFuture<String> first = a.ask("first", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> b1 = b.ask("b1", "HIGH");
        await("b1 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 1);

        long changed = System.nanoTime();
        // what JMX does on c
        c.component.setMaxConcurrentRequests(2);
        ClusterAssertions.awaitWithin(Duration.ofSeconds(1), "every instance has maxConcurrentRequests=2", () -> a.component.getMaxConcurrentRequests() == 2
                && b.component.getMaxConcurrentRequests() == 2 && c.component.getMaxConcurrentRequests() == 2);
        server.awaitArrivals(1);
        assertTrue(System.nanoTime() - changed < TimeUnit.SECONDS.toNanos(1),
                "the extra slot went to the waiting b1 within a second");
        assertEquals(List.of("first", "b1"), server.prompts());
        assertEquals(2, a.component.getGlobalActiveRequests());
        assertEquals(0, a.component.getGlobalHighPriorityQueueSize());
        server.release();
        first.get(10, TimeUnit.SECONDS);
        b1.get(10, TimeUnit.SECONDS);
    }

    @Test
    void disablingBackgroundOnOneInstanceFailsTheLowRequestsWaitingOnOthersAndRejectsNewOnes() throws Exception {
        ClusterInstance a = instance("a", Map.of());
        ClusterInstance b = instance("b", Map.of());
        ClusterInstance c = instance("c", Map.of());
        server.hold();
        CompletableFuture<String> first = a.ask("first", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> low = b.ask("b-low", "LOW");
        await("b-low waits", () -> a.component.getGlobalLowPriorityQueueSize() == 1);

        long changed = System.nanoTime();
        c.component.setDisableBackground(true);
        LlmQueueRejectedException disabled = ClusterAssertions.cause(failure(low), LlmQueueRejectedException.class);
        assertEquals(Reason.BACKGROUND_DISABLED, disabled.getReason());
        assertTrue(System.nanoTime() - changed < TimeUnit.SECONDS.toNanos(1), "b applied it within a second");
        ClusterAssertions.awaitWithin(Duration.ofSeconds(1), "every instance has disableBackground=true", () -> a.component.isDisableBackground()
                && b.component.isDisableBackground() && c.component.isDisableBackground());
        await("b-low's ticket is gone", () -> a.component.getGlobalLowPriorityQueueSize() == 0);
        for (ClusterInstance instance : List.of(a, b, c)) {
            LlmQueueRejectedException rejected = ClusterAssertions.cause(failure(instance.ask("new-low", "LOW")),
                    LlmQueueRejectedException.class);
            assertEquals(Reason.BACKGROUND_DISABLED, rejected.getReason());
        }
        server.release();
        first.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("first"), server.prompts());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 5. the figures

    @Test
    void theFiguresShowTheGlobalQueueBesideTheNodesOwnAndCountTheLiveInstances() throws Exception {
        ClusterInstance a = instance("a", Map.of());
        ClusterInstance b = instance("b", Map.of());
        ClusterInstance c = instance("c", Map.of());
        server.hold();
        CompletableFuture<String> first = a.ask("first", "HIGH");
        server.awaitArrivals(1);
        List<CompletableFuture<String>> replies = new ArrayList<>(List.of(first));
        replies.add(a.ask("a1", "HIGH"));
        replies.add(b.ask("b1", "HIGH"));
        replies.add(b.ask("b2", "HIGH"));
        CompletableFuture<String> cLow = c.ask("c-low", "LOW");
        await("three HIGH and one LOW wait", () -> a.component.getGlobalHighPriorityQueueSize() == 3
                && a.component.getGlobalLowPriorityQueueSize() == 1);

        assertEquals(List.of(1, 2, 0), List.of(a.component.getHighPriorityQueueSize(),
                b.component.getHighPriorityQueueSize(), c.component.getHighPriorityQueueSize()), "each node's own");
        assertEquals(List.of(0, 0, 1), List.of(a.component.getLowPriorityQueueSize(),
                b.component.getLowPriorityQueueSize(), c.component.getLowPriorityQueueSize()));
        assertEquals(List.of(1, 0, 0), List.of(a.component.getActiveRequests(), b.component.getActiveRequests(),
                c.component.getActiveRequests()));
        for (ClusterInstance instance : List.of(a, b, c)) {
            LlmQueueComponent q = instance.component;
            assertEquals(List.of(3L, 1L, 1L, 3L), List.of(q.getGlobalHighPriorityQueueSize(),
                    q.getGlobalLowPriorityQueueSize(), q.getGlobalActiveRequests(), q.getGlobalInstances()),
                    "every instance's global figures (HIGH, LOW, in flight, instances)");
            assertTrue(q.isCoordinationAvailable());
            assertEquals(null, q.coordinationOutage());
        }
        // the dev console of b: its own stack beside everyone's
        JsonObject console = devConsoleJson(b.context);
        assertEquals(2, ((Number) console.get("highPriorityQueueSize")).intValue());
        JsonObject global = assertInstanceOf(JsonObject.class, console.get("global"));
        assertEquals(3, ((Number) global.get("highPriorityQueueSize")).intValue());
        assertEquals(1, ((Number) global.get("lowPriorityQueueSize")).intValue());
        assertEquals(3, ((Number) global.get("instances")).intValue());

        c.close();
        assertEquals(Reason.SHUTTING_DOWN, ClusterAssertions.cause(failure(cLow), LlmQueueRejectedException.class).getReason());
        await("two live instances", () -> a.component.getGlobalInstances() == 2);
        assertEquals(0, a.component.getGlobalLowPriorityQueueSize());
        assertEquals(2, b.component.getGlobalInstances());
        server.release();
        for (CompletableFuture<String> reply : replies) {
            reply.get(10, TimeUnit.SECONDS);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 6. cancel, 7. deadlines

    @Test
    void cancellingAWaitingRequestRemovesItsTicket() throws Exception {
        ClusterInstance a = instance("a", Map.of());
        ClusterInstance b = instance("b", Map.of());
        ClusterInstance c = instance("c", Map.of());
        server.hold();
        CompletableFuture<String> first = a.ask("first", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> b1 = b.ask("b1", "HIGH");
        await("b1 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 1);
        CompletableFuture<String> c1 = c.ask("c1", "HIGH");
        await("c1 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 2);

        List<LlmQueueComponent.QueuedRequest> waiting = b.component.queuedRequests();
        assertEquals(1, waiting.size());
        assertTrue(b.component.cancel(waiting.get(0).requestId()));
        assertNotNull(ClusterAssertions.cause(failure(b1), LlmQueueCancelledException.class));
        await("b1's ticket is gone", () -> a.component.getGlobalHighPriorityQueueSize() == 1);
        assertEquals(1, redis.hlen(queueKey("tickets")), "only c1's ticket is left");
        server.release();
        first.get(10, TimeUnit.SECONDS);
        c1.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("first", "c1"), server.prompts(), "b1 never reached the server");
        await("no slot is taken", () -> a.component.getGlobalActiveRequests() == 0);
    }

    @Test
    void aDeadlinePassingWhileWaitingFailsTheRequestAndRemovesItsTicket() throws Exception {
        ClusterInstance a = instance("a", Map.of());
        ClusterInstance b = instance("b", Map.of());
        server.hold();
        CompletableFuture<String> first = a.ask("first", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> b1 = b.ask("b1", "HIGH", Map.of(LlmQueueConstants.TIMEOUT, 300L));
        await("b1 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 1);
        assertNotNull(ClusterAssertions.cause(failure(b1), LlmQueueTimeoutException.class));
        await("b1's ticket is gone", () -> a.component.getGlobalHighPriorityQueueSize() == 0);
        assertEquals(0, redis.hlen(queueKey("tickets")));
        server.release();
        first.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("first"), server.prompts());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 8. retries

    @Test
    void aRetryingRequestGivesItsSlotBackDuringItsBackOffAndReentersOnTop() throws Exception {
        ClusterInstance a = instance("a", Map.of(), "maxRetries=1&retryBackoff=300&maxRetryBackoff=300");
        ClusterInstance b = instance("b", Map.of());
        ClusterInstance c = instance("c", Map.of());
        script.hold("r", 1);
        script.answer("r", 1, 503);
        script.hold("x2", 1);
        CompletableFuture<String> r = a.ask("r", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> x1 = b.ask("x1", "HIGH");
        await("x1 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 1);
        CompletableFuture<String> x2 = c.ask("x2", "HIGH");
        await("x2 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 2);

        // r's first attempt fails with 503: during its back-off the slot serves c's x2, the newest waiting
        script.open("r", 1);
        server.awaitArrivals(1);
        assertEquals(List.of("r", "x2"), server.prompts());
        // then r is back with a new ticket, while x2 still holds the slot
        await("r waits again beside x1", () -> a.component.getGlobalHighPriorityQueueSize() == 2
                && a.component.getHighPriorityQueueSize() == 1);
        script.openAll();
        for (CompletableFuture<String> reply : List.of(r, x1, x2)) {
            assertTrue(reply.get(10, TimeUnit.SECONDS).startsWith("echo"));
        }
        assertEquals(List.of("r", "x2", "r", "x1"), server.prompts(),
                "the retry re-entered on top: served before b's older x1");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 9. stopping one instance

    @Test
    void stoppingOneInstanceFailsOnlyItsOwnWaitingRequestsAndRemovesItsTickets() throws Exception {
        ClusterInstance a = instance("a", Map.of());
        ClusterInstance b = instance("b", Map.of());
        ClusterInstance c = instance("c", Map.of());
        server.hold();
        CompletableFuture<String> first = a.ask("first", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> c1 = c.ask("c1", "HIGH");
        CompletableFuture<String> aLow = a.ask("a-low", "LOW");
        CompletableFuture<String> b1 = b.ask("b1", "HIGH");
        CompletableFuture<String> b2 = b.ask("b2", "LOW");
        await("four wait", () -> a.component.getGlobalHighPriorityQueueSize() == 2
                && a.component.getGlobalLowPriorityQueueSize() == 2);

        b.close();
        for (CompletableFuture<String> reply : List.of(b1, b2)) {
            assertEquals(Reason.SHUTTING_DOWN, ClusterAssertions.cause(failure(reply), LlmQueueRejectedException.class).getReason());
        }
        await("b's tickets are gone", () -> a.component.getGlobalHighPriorityQueueSize() == 1
                && a.component.getGlobalLowPriorityQueueSize() == 1 && a.component.getGlobalInstances() == 2);
        assertFalse(c1.isDone());
        assertFalse(aLow.isDone());
        server.release();
        for (CompletableFuture<String> reply : List.of(first, c1, aLow)) {
            assertTrue(reply.get(10, TimeUnit.SECONDS).startsWith("echo"));
        }
        assertEquals(List.of("first", "c1", "a-low"), server.prompts());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 10. only tickets in Redis

    @Test
    void onlyTicketsAreInRedisNeverAPrompt() throws Exception {
        String marker = "MARKER-" + Long.toHexString(System.nanoTime());
        ClusterInstance a = instance("a", Map.of());
        ClusterInstance b = instance("b", Map.of());
        server.hold();
        CompletableFuture<String> first = a.ask("first " + marker, "HIGH", Map.of("X-Marker", marker));
        server.awaitArrivals(1);
        CompletableFuture<String> a1 = a.ask("a1 " + marker, "HIGH", Map.of("X-Marker", marker));
        CompletableFuture<String> b1 = b.ask("b1 " + marker, "LOW", Map.of("X-Marker", marker));
        await("two wait", () -> a.component.getGlobalHighPriorityQueueSize() == 1
                && a.component.getGlobalLowPriorityQueueSize() == 1);

        assertEquals(2, redis.hlen(queueKey("tickets")), "the two waiting requests have their tickets");
        assertEquals(1, redis.hlen(queueKey("leases")), "the call in flight has its lease");
        List<String> contents = new ArrayList<>();
        for (String key : keys()) {
            contents.add(key);
            switch (redis.type(key)) {
                case "string" -> contents.add(redis.get(key));
                case "hash" -> redis.hgetall(key).forEach((field, value) -> {
                    contents.add(field);
                    contents.add(value);
                });
                case "set" -> contents.addAll(redis.smembers(key));
                case "zset" -> contents.addAll(redis.zrange(key, 0, -1));
                case "list" -> contents.addAll(redis.lrange(key, 0, -1));
                default -> fail("unexpected type of " + key + ": " + redis.type(key));
            }
        }
        assertTrue(contents.size() > 10, "the queue's keys were read: " + contents);
        for (String content : contents) {
            assertFalse(content.contains(marker), "a prompt or header leaked into Redis: " + content);
        }
        server.release();
        for (CompletableFuture<String> reply : List.of(first, a1, b1)) {
            reply.get(10, TimeUnit.SECONDS);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 11. coordination=local

    @Test
    void withCoordinationLocalTheComponentNeverContactsRedis() throws Exception {
        // a port that accepts connections and records them, as a Redis would
        try (ServerSocket redisPort = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CamelContext context = new DefaultCamelContext();
            LlmQueueComponent component = new LlmQueueComponent();
            component.setRedisUri("redis://127.0.0.1:" + redisPort.getLocalPort());
            component.setQueueName(queueName);
            context.addComponent("llmqueue", component);
            context.start();
            try (ProducerTemplate template = context.createProducerTemplate()) {
                assertEquals("echo: hi", template.requestBody("llmqueue:ollama?model=m&baseUrl=" + server.baseUrl(),
                        "hi", String.class));
                assertEquals(-1, component.getGlobalHighPriorityQueueSize(), "no global figures in local mode");
                assertEquals(-1, component.getGlobalInstances());
                assertTrue(component.isCoordinationAvailable());
                assertEquals(null, component.coordinationOutage());
            } finally {
                context.stop();
            }
            // a connection, had one been made at start or at the request, would be waiting in the backlog by now
            redisPort.setSoTimeout(200);
            assertThrows(SocketTimeoutException.class, redisPort::accept, "the component connected to the Redis port");
        }
        assertTrue(keys().isEmpty(), "nothing was written under the queue's name");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // the push channel itself

    @Test
    void idleInstancesStayAvailableAcrossManyListenCycles() throws Exception {
        // Each instance waits for its grants with a BLPOP of 2 s, again and again. This watches six idle instances for
        // about five of those cycles each: none may count Redis as unreachable meanwhile (that would reject new
        // requests with COORDINATION_UNAVAILABLE, and drop a grant popped after the client gave up on its BLPOP). The
        // window is an observation period, not a synchronisation: nothing here waits for anything to happen.
        List<ClusterInstance> idle = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            idle.add(instance("idle" + i, Map.of()));
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            for (ClusterInstance instance : idle) {
                assertTrue(instance.component.isCoordinationAvailable(),
                        () -> "an idle instance lost Redis: " + instance.component.coordinationOutage());
            }
            Thread.sleep(5);
        }
        assertEquals(6, idle.get(0).component.getGlobalInstances());
    }

    // ---------------------------------------------------------------------------------------------------------------

    private ClusterInstance instance(String node, Map<String, Object> options) throws Exception {
        return instance(node, options, "maxRetries=0");
    }

    /** An instance of the queue, with one slot unless {@code options} say otherwise. */
    private ClusterInstance instance(String node, Map<String, Object> options, String endpointOptions)
            throws Exception {
        Map<String, Object> all = new HashMap<>(Map.of("redisUri", TestRedis.uri(), "queueName", queueName,
                "nodeId", node, "maxConcurrentRequests", 1));
        all.putAll(options);
        ClusterInstance instance = new ClusterInstance(server.baseUrl(), all, endpointOptions);
        instances.add(instance);
        return instance;
    }

    private String queueKey(String name) {
        return "{" + queueName + "}:" + name;
    }

    /** Every key of this test's queue. */
    private List<String> keys() {
        List<String> keys = new ArrayList<>();
        ScanArgs match = ScanArgs.Builder.matches("{" + queueName + "}*").limit(500);
        KeyScanCursor<String> cursor = redis.scan(match);
        keys.addAll(cursor.getKeys());
        while (!cursor.isFinished()) {
            cursor = redis.scan(ScanCursor.of(cursor.getCursor()), match);
            keys.addAll(cursor.getKeys());
        }
        return keys;
    }

    private static JsonObject devConsoleJson(CamelContext context) {
        DevConsole console = context.getCamelContextExtension().getContextPlugin(DevConsoleResolver.class)
                .resolveDevConsole("llmqueue");
        return assertInstanceOf(JsonObject.class, console.call(DevConsole.MediaType.JSON, Map.of()));
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        ClusterAssertions.awaitWithin(Duration.ofSeconds(10), what, condition);
    }

    /** The failure a reply ended with; fails the test when it ends well or not within 10 s. */
    private static Throwable failure(CompletableFuture<String> reply) throws InterruptedException {
        try {
            String answer = reply.get(10, TimeUnit.SECONDS);
            return fail("expected a failure, got " + answer);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            return fail("the request did not end within 10 s");
        }
    }

    /**
     * What the fake server does with each attempt of a prompt (after its own hold): waits until the test opens it,
     * answers it with an error status, or echoes it.
     */
    private static final class Script implements Function<RecordedRequest, MockResponse> {
        private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
        private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

        void hold(String prompt, int attempt) {
            gates.put(prompt + "#" + attempt, new CountDownLatch(1));
        }

        void open(String prompt, int attempt) {
            gates.get(prompt + "#" + attempt).countDown();
        }

        void openAll() {
            gates.values().forEach(CountDownLatch::countDown);
        }

        void answer(String prompt, int attempt, int status) {
            statuses.put(prompt + "#" + attempt, status);
        }

        @Override
        public MockResponse apply(RecordedRequest request) {
            String prompt = prompt(request);
            String key = prompt + "#" + attempts.computeIfAbsent(prompt, p -> new AtomicInteger()).incrementAndGet();
            CountDownLatch gate = gates.get(key);
            if (gate != null) {
                try {
                    gate.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Integer status = statuses.get(key);
            if (status != null) {
                return json(status, "{\"error\":\"try again later\"}");
            }
            return json(200, "{\"model\":\"m\",\"created_at\":\"2026-11-27T10:00:00Z\",\"message\":{\"role\":"
                             + "\"assistant\",\"content\":" + quote("echo: " + prompt) + "},\"done\":true,"
                             + "\"done_reason\":\"stop\",\"prompt_eval_count\":3,\"eval_count\":2}");
        }

        private static String prompt(RecordedRequest request) {
            try {
                JsonNode messages = MAPPER.readTree(request.getBody().utf8()).path("messages");
                return messages.get(messages.size() - 1).path("content").asText();
            } catch (IOException | RuntimeException e) {
                return "<unreadable>";
            }
        }

        private static String quote(String text) {
            try {
                return MAPPER.writeValueAsString(text);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        private static MockResponse json(int status, String body) {
            return new MockResponse.Builder().code(status).setHeader("Content-Type", "application/json").body(body)
                    .build();
        }
    }
}
