package dev.llmqueue.camel.springboot;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueCoordination;
import dev.llmqueue.camel.LlmQueueRedisFailureMode;
import dev.llmqueue.camel.LlmQueueWhenFull;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * camel.component.llmqueue.* in kebab case reaches the component, for each type of option: int, boolean, enum and
 * duration (Spring Boot's syntax).
 */
@SpringBootTest(classes = TestApplication.class, properties = {
        "camel.component.llmqueue.max-concurrent-requests=4",
        "camel.component.llmqueue.max-low-queue-size=500",
        "camel.component.llmqueue.disable-background=true",
        "camel.component.llmqueue.adaptive-concurrency=false",
        "camel.component.llmqueue.when-full=dropOldest",
        "camel.component.llmqueue.low-priority-max-wait=30s",
        "camel.component.llmqueue.max-queue-time=2m",
        "camel.component.llmqueue.retry-backoff=250ms",
        "camel.component.llmqueue.connect-timeout=PT3S",
        "camel.component.llmqueue.max-retry-backoff=1500",
        "camel.component.llmqueue.maxRetries=5",
        "camel.component.llmqueue.reserved-high-slots=1",
        "camel.component.llmqueue.preempt-low=true",
        "camel.component.llmqueue.max-preemptions=5",
        "camel.component.llmqueue.max-concurrent-requests-per-server=3",
        // coordination stays local here: these only have to reach the component
        "camel.component.llmqueue.redis-uri=redis://:s3cret@127.0.0.1:6399/2",
        "camel.component.llmqueue.queue-name=orders",
        "camel.component.llmqueue.lease-time=10s",
        "camel.component.llmqueue.node-id=node-7",
        "camel.component.llmqueue.redis-failure-mode=local",
})
class PropertiesBindingTest {

    @Autowired
    CamelContext camelContext;

    private LlmQueueComponent component() {
        return camelContext.getComponent("llmqueue", LlmQueueComponent.class);
    }

    @Test
    void anIntOptionBinds() {
        assertEquals(4, component().getMaxConcurrentRequests());
        assertEquals(500, component().getMaxLowQueueSize());
    }

    @Test
    void theHighPriorityProtectionOptionsBind() {
        assertEquals(1, component().getReservedHighSlots());
        assertTrue(component().isPreemptLow());
        assertEquals(5, component().getMaxPreemptions());
        assertEquals(3, component().getMaxConcurrentRequestsPerServer());
    }

    @Test
    void aBooleanOptionBinds() {
        assertTrue(component().isDisableBackground());
        assertEquals(false, component().isAdaptiveConcurrency());
    }

    @Test
    void anEnumOptionBinds() {
        assertEquals(LlmQueueWhenFull.dropOldest, component().getWhenFull());
    }

    @Test
    void aDurationOptionBindsInSpringBootSyntaxAsMilliseconds() {
        assertEquals(30_000, component().getLowPriorityMaxWait());
        assertEquals(120_000, component().getMaxQueueTime());
        assertEquals(250, component().getRetryBackoff());
        assertEquals(3_000, component().getConnectTimeout(), "ISO-8601");
        assertEquals(1_500, component().getMaxRetryBackoff(), "a bare number is milliseconds");
    }

    @Test
    void theCoordinationOptionsBind() {
        assertEquals(LlmQueueCoordination.local, component().getCoordination(), "the default");
        assertEquals("redis://:s3cret@127.0.0.1:6399/2", component().getRedisUri());
        assertEquals("orders", component().getQueueName());
        assertEquals(10_000, component().getLeaseTime());
        assertEquals("node-7", component().getNodeId());
        assertEquals(LlmQueueRedisFailureMode.local, component().getRedisFailureMode());
    }

    @Test
    void aCamelCaseNameBindsToo() {
        assertEquals(5, component().getMaxRetries());
    }

    @Test
    void anOptionNotSetKeepsTheComponentDefault() {
        assertEquals(10_000, component().getMaxHighQueueSize());
        assertEquals(16 * 1024 * 1024, component().getMaxResponseSize());
    }
}
