package dev.llmqueue.camel.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import dev.llmqueue.camel.FakeLlmServer;
import dev.llmqueue.camel.LlmQueueRejectedException;
import dev.llmqueue.camel.LlmQueueTimeoutException;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What happens when a part fails: an instance killed with kill -9 while it holds slots (three separate JVMs), and Redis
 * stopped and started again (a Redis of the test's own) under both failure modes. Every exchange still completes
 * exactly once; nothing hangs.
 */
@RequiresRedis
class RedisFailureTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<ClusterInstance> instances = new ArrayList<>();
    private final List<ClusterNodeProcess> nodes = new ArrayList<>();
    private FakeLlmServer server;
    private RedisServer ownRedis;
    private String queueName;

    @BeforeEach
    void setUp(TestInfo test) throws Exception {
        server = new FakeLlmServer();
        queueName = RedisServer.uniqueQueueName(test.getTestMethod().orElseThrow().getName());
    }

    @AfterEach
    void tearDown() throws Exception {
        server.release();
        instances.forEach(ClusterInstance::close);
        for (ClusterNodeProcess node : nodes) {
            if (node.isAlive()) {
                node.killHard();
            }
        }
        server.close();
        if (ownRedis != null) {
            ownRedis.close();
        } else {
            RedisServer.require().deleteQueueKeys(queueName);
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        ClusterAssertions.awaitWithin(WAIT, what, condition);
    }

    private ClusterNodeProcess node(String id, String redisUri) throws Exception {
        Map<String, String> options = new HashMap<>();
        options.put("baseUrl", server.baseUrl());
        options.put("endpoint", "maxRetries=0");
        options.put("coordination", "redis");
        options.put("redisUri", redisUri);
        options.put("queueName", queueName);
        options.put("nodeId", id);
        options.put("leaseTime", "2s");
        options.put("maxConcurrentRequests", "2");
        ClusterNodeProcess node = ClusterNodeProcess.start(options);
        nodes.add(node);
        return node;
    }

    private ClusterInstance instance(String node, String failureMode) throws Exception {
        ClusterInstance instance = new ClusterInstance(server.baseUrl(), Map.of("redisUri", ownRedis.uri().toString(),
                "queueName", queueName, "nodeId", node, "maxConcurrentRequests", 1, "leaseTime", 2000,
                "redisFailureMode", failureMode));
        instances.add(instance);
        return instance;
    }

    private long count(RespClient redis, String field) throws Exception {
        String value = redis.callString("HGET", "{" + queueName + "}:count", field);
        return value == null ? 0 : Long.parseLong(value);
    }

    @Test
    void aKilledInstancesSlotsComeBackAndEverySurvivorsExchangeCompletesExactlyOnce() throws Exception {
        String uri = RedisServer.require().uri().toString();
        ClusterNodeProcess doomed = node("doomed", uri);
        ClusterNodeProcess high = node("high", uri);
        ClusterNodeProcess low = node("low", uri);
        server.hold();
        doomed.send("SEND 2 HIGH");
        server.awaitArrivals(2);
        high.send("SEND 3 HIGH");
        low.send("SEND 3 LOW");
        try (RespClient redis = RedisServer.require().client()) {
            await("six requests of the survivors wait in Redis", () -> {
                try {
                    return count(redis, "H") == 3 && count(redis, "L") == 3;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals(2, count(redis, "run"), "the doomed instance holds both slots");
            assertEquals(2, server.requestCount());

            doomed.killHard();
            // its two calls stay held at the server: zombies the limit must not count once the lease ran out
            server.awaitArrivals(2);
            await("the survivors hold exactly the two slots", () -> {
                try {
                    return count(redis, "run") == 2 && count(redis, "H") == 1 && count(redis, "L") == 3;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals(4, server.requestCount(), "two zombies and two calls of the survivors, no more");
            assertTrue(redis.scan("{" + queueName + "}:node:doomed:*").isEmpty(), "the dead node's sets are gone");
            assertEquals(null, redis.callString("ZSCORE", "{" + queueName + "}:nodes", "doomed"));
        }
        server.release();
        List<String> highDone = high.awaitLines(line -> line.startsWith("DONE "), 3, WAIT);
        List<String> lowDone = low.awaitLines(line -> line.startsWith("DONE "), 3, WAIT);
        for (List<String> done : List.of(highDone, lowDone)) {
            assertEquals(List.of("DONE 1 ok", "DONE 2 ok", "DONE 3 ok"), done.stream().sorted().toList());
        }
        assertEquals(0, high.quit(WAIT));
        assertEquals(0, low.quit(WAIT));
        assertEquals(3, high.lines().stream().filter(line -> line.startsWith("DONE ")).count(), "no exchange twice");
        assertEquals(3, low.lines().stream().filter(line -> line.startsWith("DONE ")).count(), "no exchange twice");
        assertEquals(8, server.requestCount(), "each survivor's request called once");
    }

    @Test
    void withRedisDownRejectModeRefusesNewRequestsWhileWaitingOnesWaitForRedis() throws Exception {
        ownRedis = RedisServer.startOwn();
        ClusterInstance a = instance("a", "reject");
        ClusterInstance b = instance("b", "reject");
        server.hold();
        CompletableFuture<String> running = a.ask("running", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> waiting = b.ask("waiting", "HIGH");
        await("b's request waits in Redis", () -> a.component.getGlobalHighPriorityQueueSize() == 1);

        ownRedis.stop();
        await("a notices", () -> !a.component.isCoordinationAvailable());
        await("b notices", () -> !b.component.isCoordinationAvailable());
        ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> a.ask("refused", "HIGH").get(10, TimeUnit.SECONDS));
        LlmQueueRejectedException rejection = ClusterAssertions.cause(refused, LlmQueueRejectedException.class);
        assertEquals(LlmQueueRejectedException.Reason.COORDINATION_UNAVAILABLE, rejection.getReason());
        assertFalse(rejection.getMessage().contains("@"), rejection.getMessage());
        HealthCheck.Result readiness = HealthCheckHelper.invokeReadiness(b.context).stream()
                .filter(r -> r.getCheck().getId().startsWith("llmqueue")).findFirst().orElseThrow();
        assertEquals(HealthCheck.State.DOWN, readiness.getState());
        assertTrue(readiness.getMessage().orElse("").contains("Redis at redis://127.0.0.1:" + ownRedis.port()),
                readiness.getMessage().orElse(""));

        // the call in flight finishes; the waiting request is neither failed nor started
        server.release();
        assertEquals("echo: running", running.get(10, TimeUnit.SECONDS));
        assertFalse(waiting.isDone());
        assertEquals(1, server.requestCount());

        ownRedis.restart();
        assertEquals("echo: waiting", waiting.get(30, TimeUnit.SECONDS), "rejoined after the restart and served");
        // each instance finds Redis again on its own next heartbeat
        await("a reaches Redis again", a.component::isCoordinationAvailable);
        assertEquals("echo: after", a.ask("after", "HIGH").get(10, TimeUnit.SECONDS));
        assertTrue(a.component.isCoordinationAvailable());
        assertEquals(3, server.requestCount());
    }

    @Test
    void aDeadlineStillEndsARequestWaitingWhileRedisIsDown() throws Exception {
        ownRedis = RedisServer.startOwn();
        ClusterInstance a = instance("a", "reject");
        server.hold();
        CompletableFuture<String> running = a.ask("running", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> waiting = a.context.createProducerTemplate().asyncRequestBodyAndHeaders("direct:ask",
                "waiting", Map.of(dev.llmqueue.camel.LlmQueueConstants.PRIORITY, "HIGH", "CamelLlmQueueTimeout", "3s"),
                String.class);
        await("it waits in Redis", () -> a.component.getGlobalHighPriorityQueueSize() == 1);
        ownRedis.stop();
        ExecutionException expired = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> waiting.get(30, TimeUnit.SECONDS));
        ClusterAssertions.cause(expired, LlmQueueTimeoutException.class);
        server.release();
        assertEquals("echo: running", running.get(10, TimeUnit.SECONDS));
        assertEquals(1, server.requestCount());
    }

    @Test
    void withRedisDownLocalModeQueuesAloneThenJoinsAgain() throws Exception {
        ownRedis = RedisServer.startOwn();
        ClusterInstance a = instance("a", "local");
        ClusterInstance b = instance("b", "local");
        server.hold();
        CompletableFuture<String> running = a.ask("running", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> waiting = b.ask("waiting", "HIGH");
        await("b's request waits in Redis", () -> a.component.getGlobalHighPriorityQueueSize() == 1);

        ownRedis.stop();
        // b decides alone now: its own slot is free, so its waiting request starts (the documented over-admission)
        server.awaitArrivals(1);
        assertFalse(b.component.isCoordinationAvailable());
        assertTrue(b.component.coordinationOutage().contains("redisFailureMode=local"), b.component.coordinationOutage());
        CompletableFuture<String> meanwhile = a.ask("meanwhile", "HIGH");
        server.release();
        assertEquals("echo: running", running.get(10, TimeUnit.SECONDS));
        assertEquals("echo: waiting", waiting.get(10, TimeUnit.SECONDS));
        assertEquals("echo: meanwhile", meanwhile.get(10, TimeUnit.SECONDS));
        server.awaitArrivals(1);

        ownRedis.restart();
        await("both rejoin", () -> a.component.isCoordinationAvailable() && b.component.isCoordinationAvailable());
        // one global slot again: hold one call, and the other instance's request waits in Redis
        server.hold();
        CompletableFuture<String> first = a.ask("first", "HIGH");
        server.awaitArrivals(1);
        CompletableFuture<String> second = b.ask("second", "HIGH");
        await("b's request waits in Redis again", () -> a.component.getGlobalHighPriorityQueueSize() == 1);
        assertEquals(4, server.requestCount());
        server.release();
        assertEquals("echo: first", first.get(10, TimeUnit.SECONDS));
        assertEquals("echo: second", second.get(10, TimeUnit.SECONDS));
    }

    @Test
    void redisAnsweringWithAnErrorIsAnOutageAndLocalModeServesTheRequestAlone() throws Exception {
        ownRedis = RedisServer.startOwn();
        ClusterInstance a = instance("a", "local");
        assertEquals("echo: before", a.ask("before", "HIGH").get(10, TimeUnit.SECONDS));
        try (RespClient redis = ownRedis.client()) {
            // Redis refuses every write (OOM): the submit's script fails, the ticket never gets in
            redis.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
            redis.call("CONFIG", "SET", "maxmemory", "1");
            assertEquals("echo: during", a.ask("during", "HIGH").get(10, TimeUnit.SECONDS),
                    "served by this instance alone rather than left waiting for a ticket Redis never took");
            assertFalse(a.component.isCoordinationAvailable());
            assertTrue(a.component.coordinationOutage().contains("OOM"), a.component.coordinationOutage());
            redis.call("CONFIG", "SET", "maxmemory", "0");
        }
        await("a uses Redis again", a.component::isCoordinationAvailable);
        assertEquals("echo: after", a.ask("after", "HIGH").get(10, TimeUnit.SECONDS));
    }

    @Test
    void redisAnsweringWithAnErrorRefusesNewRequestsInRejectModeAndTakesReadinessDown() throws Exception {
        ownRedis = RedisServer.startOwn();
        ClusterInstance a = instance("a", "reject");
        try (RespClient redis = ownRedis.client()) {
            redis.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
            redis.call("CONFIG", "SET", "maxmemory", "1");
            ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> a.ask("refused", "HIGH").get(10, TimeUnit.SECONDS));
            assertEquals(LlmQueueRejectedException.Reason.COORDINATION_UNAVAILABLE,
                    ClusterAssertions.cause(refused, LlmQueueRejectedException.class).getReason());
            HealthCheck.Result readiness = HealthCheckHelper.invokeReadiness(a.context).stream()
                    .filter(r -> r.getCheck().getId().startsWith("llmqueue")).findFirst().orElseThrow();
            assertEquals(HealthCheck.State.DOWN, readiness.getState());
            redis.call("CONFIG", "SET", "maxmemory", "0");
        }
        await("a uses Redis again", a.component::isCoordinationAvailable);
        assertEquals("echo: after", a.ask("after", "HIGH").get(10, TimeUnit.SECONDS));
    }

    @Test
    void manySubmitsAnsweredRejoinCauseOneRejoinNotOneEach() throws Exception {
        ownRedis = RedisServer.startOwn();
        ClusterInstance a = instance("a", "reject");
        server.hold();
        List<CompletableFuture<String>> replies = new ArrayList<>();
        replies.add(a.ask("running", "HIGH"));
        server.awaitArrivals(1);
        for (int i = 0; i < 1000; i++) {
            replies.add(a.ask("w" + i, "HIGH"));
        }
        await("a thousand wait in Redis", () -> a.component.getGlobalHighPriorityQueueSize() == 1000);
        try (RespClient redis = ownRedis.client()) {
            String epochs = "{" + queueName + "}:epoch";
            long before = Long.parseLong(redis.callString("HGET", epochs, "a"));
            // Redis forgets everything (a restart without persistence): every submit on its way is answered REJOIN
            redis.call("FLUSHALL");
            for (int i = 0; i < 300; i++) {
                replies.add(a.ask("x" + i, "HIGH"));
            }
            await("everything is back in Redis", () -> {
                try {
                    return count(redis, "H") == 1300 && count(redis, "run") == 1;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long rejoins = Long.parseLong(redis.callString("HGET", epochs, "a")) - before;
            assertTrue(rejoins >= 1 && rejoins <= 3, "rejoins after the flush: " + rejoins);
        }
        server.release();
        for (CompletableFuture<String> reply : replies) {
            assertTrue(reply.get(60, TimeUnit.SECONDS).startsWith("echo: "));
        }
        assertEquals(1301, server.requestCount(), "each request called once");
    }

    @Test
    void aMalformedRedisUriFailsTheStartWithoutQuotingItsPassword() {
        ClusterInstance[] started = new ClusterInstance[1];
        Exception failure = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> started[0] =
                new ClusterInstance(server.baseUrl(), Map.of("redisUri", "redis://:S3cretPw^x@127.0.0.1:6379",
                        "queueName", queueName)));
        for (Throwable t = failure; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains("S3cretPw"), t.toString());
        }
        assertTrue(ClusterAssertions.cause(failure, IllegalArgumentException.class).getMessage().contains("percent-encoded"));
    }
}
