package dev.llmqueue.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpServer;
import dev.llmqueue.benchmarks.Harness.Ticket;
import dev.llmqueue.simulator.LlmSimulator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The load of {@link ClusterBench} tells a starved instance from requests that never resumed. The order that starved
 * one instance in two full runs is built on purpose: an instance {@code w} holds every global slot, {@code x} sends its
 * window (the oldest tickets), {@code y} and {@code z} start their closed loops on top, then {@code w} lets go. The
 * shared HIGH stack serves the newest ticket first, and each completion of {@code y} or {@code z} pushes a newer one,
 * so none of {@code x}'s requests is granted until they run out: far longer than the stall limit given here. The old
 * loop declared {@code x}'s window "never resumed" at that limit; the loop now sees it waiting in {@code x}'s queue
 * while the others' requests come back, waits, and gets all of it back.
 */
class ClusterBenchStarvationTest {

    private static final long STALL = TimeUnit.MILLISECONDS.toNanos(1000);

    @Test
    void anInstanceWhoseWindowWaitsBelowTheOthersIsWaitedForNotCountedAsStalled() throws Exception {
        BenchRedis redis;
        try {
            redis = BenchRedis.open(null);
        } catch (IllegalStateException e) {
            Assumptions.abort(e.getMessage());
            return;
        }
        CountDownLatch held = new CountDownLatch(32);
        CountDownLatch letGo = new CountDownLatch(1);
        HttpServer hold = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        hold.setExecutor(Executors.newCachedThreadPool());
        hold.createContext("/", exchange -> {
            held.countDown();
            try {
                letGo.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        hold.start();
        String holdUrl = "http://127.0.0.1:" + hold.getAddress().getPort();
        ExecutorService feeders = Executors.newFixedThreadPool(3);
        List<ClusterBench.Instance> instances = new ArrayList<>();
        try (redis; LlmSimulator fast = LlmSimulator.builder().serviceTime(Duration.ofMillis(1)).parallelism(256)
                .maxQueue(4096).recordCalls(false).build().start()) {
            String queue = "starve-" + UUID.randomUUID();
            ClusterBench.Instance w = add(instances, new ClusterBench.Instance("w", redis.uri(), queue, 30_000, 32, holdUrl));
            ClusterBench.Instance x = add(instances, new ClusterBench.Instance("x", redis.uri(), queue, 30_000, 32,
                    fast.baseUrl()));
            ClusterBench.Instance y = add(instances, new ClusterBench.Instance("y", redis.uri(), queue, 30_000, 32,
                    fast.baseUrl()));
            ClusterBench.Instance z = add(instances, new ClusterBench.Instance("z", redis.uri(), queue, 30_000, 32,
                    fast.baseUrl()));
            List<Ticket> holding = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                Ticket t = new Ticket(i, "HIGH", null);
                holding.add(t);
                w.send(t, Harness.prompt("hold", i));
            }
            assertTrue(held.await(60, TimeUnit.SECONDS), "w holds every slot");

            AtomicLong completed = new AtomicLong();
            Future<ClusterBench.Saturated> xs = feeders.submit(
                    () -> ClusterBench.saturate(x, "x", 0, 32, 32, null, completed, null, STALL));
            awaitGlobalHigh(x, 32);
            int perFeeder = 5000;
            Future<ClusterBench.Saturated> ys = feeders.submit(
                    () -> ClusterBench.saturate(y, "y", 0, perFeeder, 32, null, completed));
            Future<ClusterBench.Saturated> zs = feeders.submit(
                    () -> ClusterBench.saturate(z, "z", 0, perFeeder, 32, null, completed));
            awaitGlobalHigh(x, 96);
            letGo.countDown();

            ClusterBench.Saturated sx = xs.get(120, TimeUnit.SECONDS);
            ClusterBench.Saturated sy = ys.get(120, TimeUnit.SECONDS);
            ClusterBench.Saturated sz = zs.get(120, TimeUnit.SECONDS);
            assertEquals(0, sx.stalled(), "x's window waited in its queue: starved, not lost");
            assertEquals(32, sx.latency().size(), "all of x's window came back");
            assertTrue(sx.longestQuietNanos() >= STALL, "x went longer than the stall limit with nothing back ("
                                                        + sx.longestQuietNanos() / 1e6 + " ms): the old loop gave up");
            assertEquals(0, sy.stalled());
            assertEquals(0, sz.stalled());
            assertEquals(perFeeder, sy.latency().size());
            assertEquals(perFeeder, sz.latency().size());
            for (Ticket t : holding) {
                assertTrue(t.await(TimeUnit.SECONDS.toNanos(30)), "w's held requests ended");
            }
        } finally {
            letGo.countDown();
            feeders.shutdownNow();
            instances.forEach(ClusterBench.Instance::close);
            hold.stop(0);
            ((ExecutorService) hold.getExecutor()).shutdownNow();
        }
    }

    private static ClusterBench.Instance add(List<ClusterBench.Instance> all, ClusterBench.Instance i) {
        all.add(i);
        return i;
    }

    /** Until the shared HIGH stack holds {@code n} tickets, as Redis counts them. */
    private static void awaitGlobalHigh(ClusterBench.Instance i, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (i.queue.getGlobalHighPriorityQueueSize() < n) {
            assertTrue(System.nanoTime() < deadline, "the shared HIGH stack never held " + n + " tickets");
            Thread.sleep(5);
        }
    }
}
