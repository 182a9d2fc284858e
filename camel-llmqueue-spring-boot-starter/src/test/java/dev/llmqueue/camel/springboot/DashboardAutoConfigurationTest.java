package dev.llmqueue.camel.springboot;

import dev.llmqueue.dashboard.LlmQueueDashboard;
import org.apache.camel.spring.boot.CamelAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * When {@link LlmQueueDashboardAutoConfiguration} adds the dashboard's bean and when it does not, in an application
 * without a web server ({@link DashboardEnabledTest} reaches the dashboard over HTTP). Camel does not collect route
 * beans here (camel.main.routes-collector-enabled=false), except in the test of what happens to the routes without a
 * platform-http engine.
 */
class DashboardAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CamelAutoConfiguration.class,
                    LlmQueueComponentAutoConfiguration.class, LlmQueueDashboardAutoConfiguration.class))
            .withPropertyValues("camel.main.routes-collector-enabled=false");

    @SpringBootConfiguration
    @ImportAutoConfiguration({CamelAutoConfiguration.class, LlmQueueComponentAutoConfiguration.class,
            LlmQueueDashboardAutoConfiguration.class})
    static class NoWebServer {
    }

    @Test
    void enabledWithoutAPlatformHttpEngineFailsTheStartSayingSo() {
        // a SpringApplication rather than the runner, so that the logging.level properties apply
        Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(NoWebServer.class)
                .web(WebApplicationType.NONE)
                // the failure is what this test expects: keep Boot and Camel from reporting it at ERROR
                .properties("logging.level.org.springframework.boot.SpringApplication=off",
                        "logging.level.org.springframework.boot.diagnostics=off",
                        "logging.level.org.springframework.context=off",
                        "logging.level.org.apache.camel.impl.engine=off")
                .properties("camel.component.llmqueue.dashboard.enabled=true")
                .run().close());
        assertThat(failure).isNotNull().hasMessageContaining("PlatformHttpEngine");
    }

    @Test
    void enabledFalseAddsNoDashboard() {
        runner.withPropertyValues("camel.component.llmqueue.dashboard.enabled=false")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(LlmQueueDashboard.class));
    }

    @Test
    void withoutTheDashboardModuleEnabledIsAcceptedAndAddsNothing() {
        runner.withClassLoader(new FilteredClassLoader(LlmQueueDashboard.class))
                .withPropertyValues("camel.component.llmqueue.dashboard.enabled=true")
                .run(context -> assertThat(context).hasNotFailed()
                        .doesNotHaveBean(LlmQueueDashboardAutoConfiguration.class)
                        .doesNotHaveBean(LlmQueueDashboardAutoConfiguration.BEAN_NAME));
    }

    @Test
    void theStarterTurnedOffAddsNoDashboard() {
        runner.withPropertyValues("camel.component.llmqueue.enabled=false",
                        "camel.component.llmqueue.dashboard.enabled=true")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(LlmQueueDashboard.class));
    }

    @Test
    void anApplicationsOwnDashboardTakesThePlaceOfThePropertiesOne() {
        runner.withUserConfiguration(OwnDashboard.class)
                .withPropertyValues("camel.component.llmqueue.dashboard.enabled=true")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(LlmQueueDashboard.class);
                    assertThat(context.getBean(LlmQueueDashboard.class).getPath()).isEqualTo("/own");
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnDashboard {
        @Bean
        LlmQueueDashboard ownDashboard() {
            return new LlmQueueDashboard().path("/own");
        }
    }
}
