package dev.llmqueue.camel.springboot;

import java.util.Map;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.TestComponents;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A property beats the seed's environment variable; the variable still applies when its property is not set. The
 * component reads the environment through a function, so the test hands it one instead of changing the JVM's. The
 * properties apply to the instance named llmqueue only: another instance keeps its own settings.
 */
@SpringBootTest(classes = {TestApplication.class, EnvironmentPrecedenceTest.Components.class}, properties = {
        "camel.component.llmqueue.max-concurrent-requests=4",
        "camel.component.llmqueue.disable-background=false",
        "camel.component.llmqueue.max-low-queue-size=100",
        // two instances, one registry: the second one's gauges are ignored, as the reference says, with a WARN
        "logging.level.io.micrometer.core.instrument.MeterRegistry=error",
})
class EnvironmentPrecedenceTest {

    static final Map<String, String> ENVIRONMENT = Map.of(
            "LLM_MAX_CONCURRENT_REQUESTS", "7",
            "DISABLE_BACKGROUND_LLM", "true",
            "LLM_MAX_HIGH_PRIORITY_QUEUE", "50",
            "USE_ASYNC_LLM_QUEUE", "false",
            // a value the component refuses when it starts: the property replaces it before that
            "LLM_MAX_LOW_PRIORITY_QUEUE", "0");

    @TestConfiguration(proxyBeanMethods = false)
    static class Components {
        /** The component as Camel finds it in the Spring context, reading a fixed environment. */
        @Bean("llmqueue")
        LlmQueueComponent llmqueue() {
            return TestComponents.withEnvironment(ENVIRONMENT);
        }

        /** A second queue with its own settings. */
        @Bean("gpu")
        LlmQueueComponent gpu() {
            LlmQueueComponent gpu = TestComponents.withEnvironment(ENVIRONMENT);
            gpu.setMaxConcurrentRequests(3);
            gpu.setMaxLowQueueSize(10);
            return gpu;
        }
    }

    @Autowired
    CamelContext camelContext;

    private LlmQueueComponent component(String name) {
        return camelContext.getComponent(name, LlmQueueComponent.class);
    }

    @Test
    void aPropertyBeatsTheEnvironmentVariable() {
        assertEquals(4, component("llmqueue").getMaxConcurrentRequests(), "LLM_MAX_CONCURRENT_REQUESTS=7");
        assertFalse(component("llmqueue").isDisableBackground(), "DISABLE_BACKGROUND_LLM=true");
        assertEquals(100, component("llmqueue").getMaxLowQueueSize(), "LLM_MAX_LOW_PRIORITY_QUEUE=0");
    }

    @Test
    void theEnvironmentVariableAppliesWhenItsPropertyIsNotSet() {
        assertEquals(50, component("llmqueue").getMaxHighQueueSize(), "LLM_MAX_HIGH_PRIORITY_QUEUE=50");
        assertFalse(component("llmqueue").isAsyncQueue(), "USE_ASYNC_LLM_QUEUE=false");
    }

    @Test
    void anotherInstanceKeepsItsOwnSettings() {
        assertEquals(3, component("gpu").getMaxConcurrentRequests());
        assertTrue(component("gpu").isDisableBackground(), "its environment, not camel.component.llmqueue.*");
    }
}
