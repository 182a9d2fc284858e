package dev.llmqueue.camel.springboot;

import dev.llmqueue.camel.LlmQueueComponent;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * camel.component.llmqueue.enabled=false turns the auto-configuration off: the properties are not applied, and the
 * component still works with its defaults.
 */
@SpringBootTest(classes = TestApplication.class, properties = {
        "camel.component.llmqueue.enabled=false",
        "camel.component.llmqueue.max-concurrent-requests=5",
})
class AutoConfigurationDisabledTest {

    @Autowired
    ApplicationContext applicationContext;
    @Autowired
    CamelContext camelContext;

    @Test
    void theAutoConfigurationIsOffAndThePropertiesAreNotApplied() {
        assertTrue(applicationContext.getBeansOfType(LlmQueueComponentAutoConfiguration.class).isEmpty());
        assertFalse(applicationContext.containsBean("configureLlmQueueComponent"));
        assertEquals(2, camelContext.getComponent("llmqueue", LlmQueueComponent.class).getMaxConcurrentRequests());
    }
}
