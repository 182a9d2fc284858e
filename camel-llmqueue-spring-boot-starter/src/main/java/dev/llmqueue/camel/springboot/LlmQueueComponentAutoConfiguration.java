package dev.llmqueue.camel.springboot;

import java.time.Duration;

import dev.llmqueue.camel.LlmQueueComponent;
import org.apache.camel.Component;
import org.apache.camel.spi.ComponentCustomizer;
import org.apache.camel.spring.boot.CamelAutoConfiguration;
import org.apache.camel.spring.boot.ComponentConfigurationProperties;
import org.apache.camel.spring.boot.util.ConditionalOnCamelContextAndAutoConfigurationBeans;
import org.apache.camel.spring.boot.util.ConditionalOnHierarchicalProperties;
import org.apache.camel.spring.boot.util.HierarchicalPropertiesEvaluator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Lazy;

/**
 * Applies {@code camel.component.llmqueue.*} to the component named {@code llmqueue}, shaped like Camel's generated
 * starters: a {@link ComponentCustomizer} that Camel runs when it creates the component (or takes it from the Spring
 * context), turned off by {@code camel.component.llmqueue.enabled=false} (or {@code camel.component.enabled=false}) and
 * its customizer by {@code camel.component.llmqueue.customizer.enabled=false}.
 * <p>
 * Two differences, both for the component's own semantics:
 * <ul>
 * <li>Only the options that are set are applied, so an environment variable of the seed
 * ({@code LLM_MAX_CONCURRENT_REQUESTS}...) still applies when its property is not set, and a property beats it when it
 * is.</li>
 * <li>Only the instance named {@code llmqueue} is customized: another instance ({@code gpu}, registered as a bean) is a
 * queue of its own, with the settings it was given.</li>
 * </ul>
 * Boot's {@code MeterRegistry} and the Actuator health need nothing here: the component finds the registry in the
 * Camel registry, which camel-spring-boot backs with the Spring context, and registers its health check in Camel's
 * health-check registry, which camel-spring-boot reports under {@code /actuator/health}.
 */
@AutoConfiguration(after = CamelAutoConfiguration.class)
@Conditional(ConditionalOnCamelContextAndAutoConfigurationBeans.class)
@EnableConfigurationProperties({ComponentConfigurationProperties.class, LlmQueueComponentConfiguration.class})
@ConditionalOnHierarchicalProperties({"camel.component", "camel.component.llmqueue"})
public class LlmQueueComponentAutoConfiguration {

    /** The name of the component instance the properties apply to. */
    public static final String COMPONENT_NAME = "llmqueue";

    private final ApplicationContext applicationContext;
    private final LlmQueueComponentConfiguration configuration;

    public LlmQueueComponentAutoConfiguration(ApplicationContext applicationContext,
                                              LlmQueueComponentConfiguration configuration) {
        this.applicationContext = applicationContext;
        this.configuration = configuration;
    }

    @Lazy
    @Bean
    public ComponentCustomizer configureLlmQueueComponent() {
        return new ComponentCustomizer() {
            @Override
            public void configure(String name, Component target) {
                apply(configuration, (LlmQueueComponent) target);
            }

            @Override
            public boolean isEnabled(String name, Component target) {
                return HierarchicalPropertiesEvaluator.evaluate(applicationContext, "camel.component.customizer",
                        "camel.component.llmqueue.customizer")
                       && COMPONENT_NAME.equals(name) && target instanceof LlmQueueComponent;
            }
        };
    }

    /**
     * Sets each option that is set (not null) on the component; durations in milliseconds, as the component takes
     * them. Calls the setters directly rather than through Camel's property binding, which would initialize the
     * component (and validate the environment's values) before the properties are applied.
     */
    static void apply(LlmQueueComponentConfiguration from, LlmQueueComponent to) {
        if (from.getAdaptiveConcurrency() != null) {
            to.setAdaptiveConcurrency(from.getAdaptiveConcurrency());
        }
        if (from.getAsyncQueue() != null) {
            to.setAsyncQueue(from.getAsyncQueue());
        }
        if (from.getDisableBackground() != null) {
            to.setDisableBackground(from.getDisableBackground());
        }
        if (from.getLazyStartProducer() != null) {
            to.setLazyStartProducer(from.getLazyStartProducer());
        }
        if (from.getLowPriorityMaxWait() != null) {
            to.setLowPriorityMaxWait(millis(from.getLowPriorityMaxWait()));
        }
        if (from.getMaxConcurrentRequests() != null) {
            to.setMaxConcurrentRequests(from.getMaxConcurrentRequests());
        }
        if (from.getMaxConcurrentRequestsPerServer() != null) {
            to.setMaxConcurrentRequestsPerServer(from.getMaxConcurrentRequestsPerServer());
        }
        if (from.getMaxHighQueueSize() != null) {
            to.setMaxHighQueueSize(from.getMaxHighQueueSize());
        }
        if (from.getMaxLowQueueSize() != null) {
            to.setMaxLowQueueSize(from.getMaxLowQueueSize());
        }
        if (from.getMaxPreemptions() != null) {
            to.setMaxPreemptions(from.getMaxPreemptions());
        }
        if (from.getMaxQueueTime() != null) {
            to.setMaxQueueTime(millis(from.getMaxQueueTime()));
        }
        if (from.getPreemptLow() != null) {
            to.setPreemptLow(from.getPreemptLow());
        }
        if (from.getReservedHighSlots() != null) {
            to.setReservedHighSlots(from.getReservedHighSlots());
        }
        if (from.getWhenFull() != null) {
            to.setWhenFull(from.getWhenFull());
        }
        if (from.getAutowiredEnabled() != null) {
            to.setAutowiredEnabled(from.getAutowiredEnabled());
        }
        if (from.getConnectTimeout() != null) {
            to.setConnectTimeout(millis(from.getConnectTimeout()));
        }
        if (from.getMaxResponseSize() != null) {
            to.setMaxResponseSize(from.getMaxResponseSize());
        }
        if (from.getMaxRetries() != null) {
            to.setMaxRetries(from.getMaxRetries());
        }
        if (from.getMaxRetryBackoff() != null) {
            to.setMaxRetryBackoff(millis(from.getMaxRetryBackoff()));
        }
        if (from.getRetryBackoff() != null) {
            to.setRetryBackoff(millis(from.getRetryBackoff()));
        }
        if (from.getCoordination() != null) {
            to.setCoordination(from.getCoordination());
        }
        if (from.getRedisUri() != null) {
            to.setRedisUri(from.getRedisUri());
        }
        if (from.getQueueName() != null) {
            to.setQueueName(from.getQueueName());
        }
        if (from.getLeaseTime() != null) {
            to.setLeaseTime(millis(from.getLeaseTime()));
        }
        if (from.getNodeId() != null) {
            to.setNodeId(from.getNodeId());
        }
        if (from.getRedisFailureMode() != null) {
            to.setRedisFailureMode(from.getRedisFailureMode());
        }
    }

    private static long millis(Duration duration) {
        return duration.toMillis();
    }
}
