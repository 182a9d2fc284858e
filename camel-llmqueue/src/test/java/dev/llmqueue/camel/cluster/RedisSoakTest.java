package dev.llmqueue.camel.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueueCoordination;
import dev.llmqueue.camel.LlmQueueListener;
import dev.llmqueue.camel.LlmQueueStatistics;
import dev.llmqueue.camel.SoakTest;
import dev.llmqueue.simulator.Faults;
import dev.llmqueue.simulator.LlmSimulator;
import dev.llmqueue.simulator.SimulatorStats;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 20,000 requests of mixed priority over three instances (three CamelContexts, coordination=redis, one queueName) and
 * one global limit of 8, against a simulator that injects faults (429 with Retry-After, 503 busy, 500, dropped
 * connections, malformed JSON: retries give their global slot back and re-enter with a new ticket), while some requests
 * are cancelled as they wait and every twentieth has a deadline too short to be served. The simulator's own parallelism
 * is far above 8 and each call takes 2 ms, so its figure of the most calls served at once shows whether the global
 * limit ever gave way (and that it was reached). At the end, with every instance still running, Redis holds no ticket
 * and no slot of the queue.
 */
@RequiresRedis
class RedisSoakTest {

    private static final int REQUESTS = 20_000;
    private static final int INSTANCES = 3;
    private static final int LIMIT = 8;

    @Test
    void everyExchangeOfThreeInstancesCompletesExactlyOnceUnderTheGlobalLimit() throws Exception {
        Faults faults = Faults.builder()
                .rateLimited(0.04, Duration.ofMillis(20))
                .busy(0.04)
                .serverError(0.03)
                .dropConnection(0.01)
                .malformedJson(0.01)
                .build();
        String queueName = "soak-" + System.nanoTime();
        String prefix = "{" + queueName + "}";
        List<CamelContext> contexts = new ArrayList<>();
        List<LlmQueueComponent> components = new ArrayList<>();
        RedisClient client = RedisClient.create(TestRedis.uri());
        try (LlmSimulator simulator = LlmSimulator.builder().parallelism(64).maxQueue(256).faults(faults).seed(7)
                .serviceTime(Duration.ofMillis(2))
                .recordCalls(false).build().start();
             StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            List<AsyncProducer> producers = new ArrayList<>();
            AtomicLong retries = new AtomicLong();
            for (int n = 0; n < INSTANCES; n++) {
                CamelContext context = new DefaultCamelContext();
                context.getShutdownStrategy().setTimeout(10);
                LlmQueueComponent component = new LlmQueueComponent();
                component.setCoordination(LlmQueueCoordination.redis);
                component.setRedisUri(TestRedis.uri());
                component.setQueueName(queueName);
                component.setNodeId("soak-" + n);
                component.setMaxConcurrentRequests(LIMIT);
                component.setMaxHighQueueSize(REQUESTS);
                component.setMaxLowQueueSize(REQUESTS);
                // all 8 global slots stay in play (429 and 503 would lower the server's adaptive limit, tested on its
                // own in LuaDecisionsTest), so the simulator's figure tests the global limit itself
                component.setAdaptiveConcurrency(false);
                component.addListener(new LlmQueueListener() {
                    @Override
                    public void onRetry(RequestInfo request, int attempt, long delayNanos, Exception failure) {
                        retries.incrementAndGet();
                    }
                });
                context.addComponent("llmqueue", component);
                context.start();
                contexts.add(context);
                components.add(component);
                AsyncProducer producer = context.getEndpoint("llmqueue:ollama?model=llama3.2&requestTimeout=10000"
                                                             + "&retryBackoff=5&maxRetryBackoff=200&baseUrl="
                                                             + simulator.ollamaBaseUrl()).createAsyncProducer();
                ServiceHelper.startService(producer);
                producers.add(producer);
            }

            List<Exchange> exchanges = new ArrayList<>(REQUESTS);
            AtomicInteger[] callbacks = new AtomicInteger[REQUESTS];
            CountDownLatch allDone = new CountDownLatch(REQUESTS);
            int cancelled = 0;
            long started = System.nanoTime();
            for (int i = 0; i < REQUESTS; i++) {
                int n = i % INSTANCES;
                AsyncProducer producer = producers.get(n);
                Exchange exchange = producer.getEndpoint().createExchange();
                exchange.getMessage().setBody("request " + i);
                exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, i % 4 == 0 ? "HIGH" : "LOW");
                if (i % 20 == 0) {
                    exchange.getMessage().setHeader(LlmQueueConstants.DEADLINE, System.currentTimeMillis() + 30);
                } else {
                    // long enough that only the 30 ms deadlines expire, however busy the machine
                    exchange.getMessage().setHeader(LlmQueueConstants.TIMEOUT, Duration.ofMinutes(5));
                }
                AtomicInteger count = callbacks[i] = new AtomicInteger();
                exchanges.add(exchange);
                producer.process(exchange, doneSync -> {
                    count.incrementAndGet();
                    allDone.countDown();
                });
                if (i % 97 == 0 && components.get(n).cancel(
                        exchange.getMessage().getHeader(LlmQueueConstants.REQUEST_ID, String.class))) {
                    cancelled++;
                }
            }
            long submitted = System.nanoTime();
            // a bound against a hang, not a speed target: on 2 busy cores the run takes 25 to 45 s (see the printed
            // figures); the grants popped one BLPOP round trip at a time are its largest share
            assertTrue(allDone.await(120, TimeUnit.SECONDS), "every exchange must complete; still waiting: "
                                                              + allDone.getCount());
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            Map<String, Integer> outcomes = new TreeMap<>();
            for (int i = 0; i < REQUESTS; i++) {
                assertEquals(1, callbacks[i].get(), "callbacks of exchange " + i);
                outcomes.merge(SoakTest.outcome(exchanges.get(i)), 1, Integer::sum);
            }
            SimulatorStats stats = simulator.stats();
            System.out.printf("redis soak: %d requests over %d instances in %d ms (submitted in %d ms): %s;"
                              + " %d cancelled while waiting, %d retries; simulator %s%n", REQUESTS, INSTANCES, millis,
                    TimeUnit.NANOSECONDS.toMillis(submitted - started), outcomes, cancelled, retries.get(), stats);

            assertTrue(stats.maxObservedConcurrency() <= LIMIT, "the simulator served " + stats.maxObservedConcurrency()
                                                               + " calls at once; the global limit is " + LIMIT);
            assertTrue(stats.maxObservedConcurrency() > 1, "calls overlapped: " + stats);
            assertEquals(REQUESTS, outcomes.values().stream().mapToInt(Integer::intValue).sum());
            assertTrue(outcomes.getOrDefault("succeeded", 0) > REQUESTS / 2, outcomes.toString());
            // every stack bound is above the load: a refusal would be Redis counted unreachable under a burst
            assertEquals(0, outcomes.getOrDefault("rejected", 0), "no request refused: " + outcomes);
            assertTrue(outcomes.getOrDefault("expired", 0) > 0, "some deadlines passed while waiting: " + outcomes);
            assertTrue(cancelled > 0 && outcomes.getOrDefault("cancelled", 0) == cancelled, outcomes.toString());
            assertTrue(retries.get() > 0, "the faults made requests retry");
            long completed = 0;
            long failed = 0;
            long rejected = 0;
            long expired = 0;
            long cancelledCount = 0;
            for (LlmQueueComponent component : components) {
                LlmQueueStatistics statistics = component.getStatistics();
                completed += statistics.getCompleted();
                failed += statistics.getFailed();
                rejected += statistics.getRejected();
                expired += statistics.getExpired();
                cancelledCount += statistics.getCancelled();
                assertEquals(0, component.getHighPriorityQueueSize() + component.getLowPriorityQueueSize());
                assertEquals(0, component.getActiveRequests());
                assertEquals(0, component.getRetryingRequests());
            }
            assertEquals(outcomes.getOrDefault("succeeded", 0), (int) completed);
            assertEquals(outcomes.getOrDefault("failed", 0), (int) failed);
            assertEquals(outcomes.getOrDefault("rejected", 0), (int) rejected);
            assertEquals(outcomes.getOrDefault("expired", 0), (int) expired);
            assertEquals(outcomes.getOrDefault("cancelled", 0), (int) cancelledCount);

            // with every instance still running, Redis holds no ticket and no slot of the queue (a release is sent
            // as its exchange completes: it may still be on its way)
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!drained(redis, prefix) && System.nanoTime() < giveUp) {
                Thread.sleep(10);
            }
            Map<String, String> count = redis.hgetall(prefix + ":count");
            count.remove("seq");
            for (String figure : List.of("H", "L", "run", "runL")) {
                assertEquals("0", count.getOrDefault(figure, "0"), figure + " in " + count);
            }
            assertEquals(Map.of(), redis.hgetall(prefix + ":leases"));
            assertEquals(Map.of(), redis.hgetall(prefix + ":tickets"));
            assertEquals(Map.of(), redis.hgetall(prefix + ":srun"));
        } finally {
            contexts.forEach(CamelContext::stop);
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                List<String> keys = connection.sync().keys(prefix + "*");
                if (!keys.isEmpty()) {
                    connection.sync().del(keys.toArray(String[]::new));
                }
            }
            client.shutdown();
        }
    }

    private static boolean drained(RedisCommands<String, String> redis, String prefix) {
        Map<String, String> count = redis.hgetall(prefix + ":count");
        return List.of("H", "L", "run", "runL").stream().allMatch(f -> "0".equals(count.getOrDefault(f, "0")))
               && redis.hlen(prefix + ":leases") == 0 && redis.hlen(prefix + ":tickets") == 0;
    }
}
