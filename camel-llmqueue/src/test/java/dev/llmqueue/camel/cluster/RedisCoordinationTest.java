package dev.llmqueue.camel.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import dev.llmqueue.camel.FakeLlmServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several instances in one JVM (separate CamelContexts) sharing one queue through a real Redis. */
@RequiresRedis
class RedisCoordinationTest {

    private final List<ClusterInstance> instances = new ArrayList<>();
    private FakeLlmServer server;
    private String queueName;

    @BeforeEach
    void setUp(TestInfo test) throws Exception {
        server = new FakeLlmServer();
        queueName = "test-" + test.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime();
    }

    @AfterEach
    void tearDown() throws Exception {
        server.release();
        instances.forEach(ClusterInstance::close);
        server.close();
        RedisServer.require().deleteQueueKeys(queueName);
    }

    private ClusterInstance instance(String node, int maxConcurrentRequests) throws Exception {
        ClusterInstance instance = new ClusterInstance(server.baseUrl(), Map.of("redisUri", TestRedis.uri(),
                "queueName", queueName, "nodeId", node, "maxConcurrentRequests", maxConcurrentRequests));
        instances.add(instance);
        return instance;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        ClusterAssertions.awaitWithin(Duration.ofSeconds(10), what, condition);
    }

    @Test
    void maxConcurrentRequestsIsOneLimitForEveryInstance() throws Exception {
        ClusterInstance a = instance("a", 2);
        ClusterInstance b = instance("b", 2);
        ClusterInstance c = instance("c", 2);
        server.hold();
        List<CompletableFuture<String>> replies = new ArrayList<>();
        for (ClusterInstance instance : List.of(a, b, c)) {
            for (int i = 0; i < 3; i++) {
                replies.add(instance.ask("p" + replies.size(), "HIGH"));
            }
        }
        server.awaitArrivals(2);
        await("the other seven wait in Redis", () -> a.component.getGlobalHighPriorityQueueSize() == 7);
        assertEquals(2, a.component.getGlobalActiveRequests());
        assertEquals(2, server.requestCount(), "no third call while two are in flight");
        server.release();
        for (CompletableFuture<String> reply : replies) {
            assertTrue(reply.get(10, TimeUnit.SECONDS).startsWith("echo"));
        }
        assertEquals(9, server.requestCount());
        assertEquals(2, server.maxInFlight());
    }

    @Test
    void theNextSlotGoesToTheNewestHighRequestOfAnyInstanceThenTheNewestLow() throws Exception {
        ClusterInstance a = instance("a", 1);
        ClusterInstance b = instance("b", 1);
        ClusterInstance c = instance("c", 1);
        server.hold();
        List<CompletableFuture<String>> replies = new ArrayList<>();
        replies.add(a.ask("first", "HIGH"));
        server.awaitArrivals(1);
        replies.add(b.ask("b-low", "LOW"));
        await("b-low waits", () -> a.component.getGlobalLowPriorityQueueSize() == 1);
        replies.add(c.ask("c-high-1", "HIGH"));
        await("c-high-1 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 1);
        replies.add(a.ask("a-high-2", "HIGH"));
        await("a-high-2 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 2);
        replies.add(b.ask("b-high-3", "HIGH"));
        await("b-high-3 waits", () -> a.component.getGlobalHighPriorityQueueSize() == 3);
        server.release();
        for (CompletableFuture<String> reply : replies) {
            reply.get(10, TimeUnit.SECONDS);
        }
        assertEquals(List.of("first", "b-high-3", "a-high-2", "c-high-1", "b-low"), server.prompts());
    }
}
