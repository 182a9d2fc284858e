package dev.llmqueue.camel.cluster;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** What the cluster tests wait for and look for, in one place. */
final class ClusterAssertions {

    private ClusterAssertions() {
    }

    /**
     * Waits until {@code condition} holds, checking every 5 ms; fails naming {@code what} when it does not within
     * {@code limit}: a guard against a hang, not a speed target.
     */
    static void awaitWithin(Duration limit, String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, "not within " + limit.toMillis() + " ms: " + what);
            Thread.sleep(5);
        }
    }

    /** The failure of that type in the chain of causes; fails the test when there is none. */
    static <T extends Throwable> T cause(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return fail("expected a " + type.getSimpleName() + " in the causes of " + failure, failure);
    }
}
