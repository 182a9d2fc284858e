package dev.llmqueue.camel;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * The component's health check, registered by the component when it starts. Readiness is DOWN when a stack is at its
 * limit, or when the last {@value LlmQueueStatistics#UNREACHABLE_AFTER} calls to a server all failed to connect or
 * timed out; UP otherwise. Liveness is UP while the component is started. Details never carry a key or a prompt.
 */
public class LlmQueueHealthCheck extends AbstractHealthCheck {

    private final LlmQueueComponent component;

    public LlmQueueHealthCheck(LlmQueueComponent component, String id) {
        super("camel", id);
        this.component = component;
    }

    @Override
    public boolean isLiveness() {
        return true;
    }

    @Override
    public boolean isReadiness() {
        return true;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        int high = component.getHighPriorityQueueSize();
        int low = component.getLowPriorityQueueSize();
        builder.detail("highPriorityQueueSize", high);
        builder.detail("lowPriorityQueueSize", low);
        builder.detail("activeRequests", component.getActiveRequests());
        builder.detail("maxConcurrentRequests", component.getMaxConcurrentRequests());
        if (!component.isStarted()) {
            down(builder, List.of("the llmqueue component is " + component.getStatus().name().toLowerCase(Locale.ROOT)),
                    null);
            return;
        }
        if (options.get(CHECK_KIND) == Kind.LIVENESS) {
            builder.up();
            return;
        }
        List<String> reasons = new ArrayList<>();
        String outage = component.coordinationOutage();
        if (outage != null) {
            reasons.add(outage);
        }
        if (high >= component.getMaxHighQueueSize()) {
            reasons.add("the HIGH priority stack is full: " + high + " waiting (maxHighQueueSize="
                        + component.getMaxHighQueueSize() + ")");
        }
        if (low >= component.getMaxLowQueueSize()) {
            reasons.add("the LOW priority stack is full: " + low + " waiting (maxLowQueueSize="
                        + component.getMaxLowQueueSize() + ")");
        }
        String lastError = null;
        for (Map.Entry<String, String> server : component.getStatistics().unreachableServers().entrySet()) {
            reasons.add("the last " + LlmQueueStatistics.UNREACHABLE_AFTER + " calls to " + server.getKey()
                        + " failed to connect or timed out");
            lastError = server.getValue();
        }
        if (reasons.isEmpty()) {
            builder.up();
        } else {
            down(builder, reasons, lastError);
        }
    }

    private static void down(HealthCheckResultBuilder builder, List<String> reasons, String lastError) {
        String reason = String.join("; ", reasons);
        builder.down();
        builder.message(reason);
        builder.detail("reason", reason);
        if (lastError != null) {
            builder.detail("lastError", lastError);
        }
    }
}
