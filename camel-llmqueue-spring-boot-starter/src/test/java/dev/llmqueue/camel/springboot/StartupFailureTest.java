package dev.llmqueue.camel.springboot;

import dev.llmqueue.camel.LlmQueueComponent;
import org.apache.camel.CamelContext;
import org.apache.camel.spring.boot.CamelAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * An unknown or ill-typed camel.component.llmqueue.* property fails the application's start, with a message that names
 * it. (Not a @SpringBootTest: each case is a start that must fail, of an application with only Camel and the starter,
 * so that the starts stay quick.)
 */
class StartupFailureTest {

    @SpringBootConfiguration
    @ImportAutoConfiguration({CamelAutoConfiguration.class, LlmQueueComponentAutoConfiguration.class})
    static class CamelOnly {
    }

    @Test
    void theSameApplicationStartsWithAWellTypedProperty() {
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(CamelOnly.class)
                .web(WebApplicationType.NONE)
                .properties("camel.component.llmqueue.max-concurrent-requests=4")
                .run()) {
            assertEquals(4, context.getBean(CamelContext.class).getComponent("llmqueue", LlmQueueComponent.class)
                    .getMaxConcurrentRequests());
        }
    }

    @Test
    void anUnknownPropertyFailsTheStart() {
        assertStartFailsNaming("camel.component.llmqueue.max-concurent-requests", "4");
    }

    @Test
    void anUnknownDashboardPropertyFailsTheStart() {
        // the dashboard has no port of its own: it is served on the application's (server.port)
        assertStartFailsNaming("camel.component.llmqueue.dashboard.port", "8081");
    }

    @Test
    void anIllTypedDashboardPropertyFailsTheStart() {
        assertStartFailsNaming("camel.component.llmqueue.dashboard.enabled", "yes please");
    }

    @Test
    void anIllTypedIntFailsTheStart() {
        assertStartFailsNaming("camel.component.llmqueue.max-concurrent-requests", "four");
    }

    @Test
    void anIllTypedEnumFailsTheStart() {
        assertStartFailsNaming("camel.component.llmqueue.when-full", "dropNewest");
    }

    @Test
    void anIllTypedDurationFailsTheStart() {
        assertStartFailsNaming("camel.component.llmqueue.low-priority-max-wait", "soon");
    }

    @Test
    void anIllTypedBooleanFailsTheStart() {
        assertStartFailsNaming("camel.component.llmqueue.disable-background", "sometimes");
    }

    private static void assertStartFailsNaming(String property, String value) {
        Throwable failure = assertThrows(Throwable.class, () -> new SpringApplicationBuilder(CamelOnly.class)
                .web(WebApplicationType.NONE)
                // the failure is what this test expects: keep Boot from reporting it at ERROR
                .properties("logging.level.org.springframework.boot.SpringApplication=off",
                        "logging.level.org.springframework.boot.diagnostics=off",
                        "logging.level.org.springframework.context=off")
                .properties(property + "=" + value)
                .run().close());
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(property)) {
                return;
            }
        }
        fail("no message names " + property, failure);
    }
}
