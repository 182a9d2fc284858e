package dev.llmqueue.camel.springboot;

import dev.llmqueue.dashboard.LlmQueueDashboard;
import org.apache.camel.spring.boot.CamelAutoConfiguration;
import org.apache.camel.spring.boot.util.ConditionalOnCamelContextAndAutoConfigurationBeans;
import org.apache.camel.spring.boot.util.ConditionalOnHierarchicalProperties;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * Adds the llmqueue dashboard's routes when {@code camel-llmqueue-dashboard} is on the classpath (an optional
 * dependency of the starter: the application adds it) and {@code camel.component.llmqueue.dashboard.enabled=true}.
 * <p>
 * The routes are a {@link LlmQueueDashboard} bean, a {@code RoutesBuilder} that camel-spring-boot adds to the
 * CamelContext like any route bean, configured from {@code camel.component.llmqueue.dashboard.*}. They are
 * {@code platform-http} routes: in Spring Boot the engine is {@code camel-platform-http-starter}, which serves them on
 * the application's own HTTP port (Spring MVC, {@code server.port}). An application's own {@code LlmQueueDashboard}
 * bean, or a bean named {@code llmQueueDashboard}, takes the place of this one.
 * <p>
 * Off with the rest of the starter: {@code camel.component.llmqueue.enabled=false} (or
 * {@code camel.component.enabled=false}) adds no dashboard either.
 */
@AutoConfiguration(after = {CamelAutoConfiguration.class, LlmQueueComponentAutoConfiguration.class})
@ConditionalOnClass(LlmQueueDashboard.class)
@ConditionalOnProperty(prefix = "camel.component.llmqueue.dashboard", name = "enabled", havingValue = "true")
@Conditional(ConditionalOnCamelContextAndAutoConfigurationBeans.class)
@ConditionalOnHierarchicalProperties({"camel.component", "camel.component.llmqueue"})
@EnableConfigurationProperties(LlmQueueComponentConfiguration.class)
public class LlmQueueDashboardAutoConfiguration {

    /** The name of the dashboard's bean. */
    public static final String BEAN_NAME = "llmQueueDashboard";

    @Bean(BEAN_NAME)
    @ConditionalOnMissingBean(value = LlmQueueDashboard.class, name = BEAN_NAME)
    public LlmQueueDashboard llmQueueDashboard(LlmQueueComponentConfiguration configuration) {
        return dashboard(configuration.getDashboard());
    }

    /** A dashboard with the options that are set; the others are left to the dashboard (Camel property, default). */
    static LlmQueueDashboard dashboard(LlmQueueComponentConfiguration.Dashboard options) {
        LlmQueueDashboard dashboard = new LlmQueueDashboard();
        if (options.getPath() != null && !options.getPath().isBlank()) {
            dashboard.path(options.getPath());
        }
        if (options.getToken() != null && !options.getToken().isBlank()) {
            dashboard.token(options.getToken());
        }
        if (options.getShowPrompts() != null) {
            dashboard.showPrompts(options.getShowPrompts());
        }
        return dashboard;
    }
}
