package dev.llmqueue.camel.micrometer;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueListener;
import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueRejectedException.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The component's Micrometer meters. Created by the component only when a {@link MeterRegistry} is bound in the
 * registry (Micrometer is an optional dependency: the component refers to this class, never to Micrometer's).
 * <ul>
 * <li>{@code llmqueue.queue.size} gauge, tag {@code priority}: requests waiting on each stack</li>
 * <li>{@code llmqueue.requests.active} gauge: calls in flight</li>
 * <li>{@code llmqueue.wait} timer, tag {@code priority}: the wait before a request's first call</li>
 * <li>{@code llmqueue.call} timer, tags {@code provider}, {@code model}, {@code outcome} (success|error): each call</li>
 * <li>{@code llmqueue.tokens} counter, tags {@code type} (prompt|completion), {@code model}: tokens reported</li>
 * <li>{@code llmqueue.rejected} counter, tag {@code reason}: requests refused or drained</li>
 * <li>{@code llmqueue.preempted} counter: LOW calls aborted so that a waiting HIGH request gets their slot</li>
 * </ul>
 */
public final class LlmQueueMeters implements LlmQueueListener, AutoCloseable {

    private final MeterRegistry registry;
    private final List<Meter> gauges = new ArrayList<>();
    private final Map<LlmQueuePriority, Timer> waits = new EnumMap<>(LlmQueuePriority.class);
    private final Map<LlmQueuePriority, Timer> firstTokens = new EnumMap<>(LlmQueuePriority.class);
    private final Map<Reason, Counter> rejected = new EnumMap<>(Reason.class);
    private final Map<List<String>, Timer> calls = new ConcurrentHashMap<>();
    private final Map<List<String>, Counter> tokens = new ConcurrentHashMap<>();
    private final Counter preempted;

    private LlmQueueMeters(LlmQueueComponent component, MeterRegistry registry) {
        this.registry = registry;
        gauges.add(Gauge.builder("llmqueue.queue.size", component, LlmQueueComponent::getHighPriorityQueueSize)
                .description("Requests waiting on the stack").tag("priority", LlmQueuePriority.HIGH.name())
                .register(registry));
        gauges.add(Gauge.builder("llmqueue.queue.size", component, LlmQueueComponent::getLowPriorityQueueSize)
                .description("Requests waiting on the stack").tag("priority", LlmQueuePriority.LOW.name())
                .register(registry));
        gauges.add(Gauge.builder("llmqueue.requests.active", component, LlmQueueComponent::getActiveRequests)
                .description("LLM calls in flight (requests holding a slot)").register(registry));
        for (LlmQueuePriority priority : LlmQueuePriority.values()) {
            waits.put(priority, Timer.builder("llmqueue.wait").description("Wait on the stack before the first call")
                    .tag("priority", priority.name()).register(registry));
            firstTokens.put(priority, Timer.builder("llmqueue.ttft")
                    .description("Time from the start of a streamed call to its first token")
                    .tag("priority", priority.name()).register(registry));
        }
        preempted = Counter.builder("llmqueue.preempted")
                .description("LOW calls aborted so that a waiting HIGH request gets their slot (preemptLow)")
                .register(registry);
        for (Reason reason : Reason.values()) {
            rejected.put(reason, Counter.builder("llmqueue.rejected")
                    .description("Requests refused before any call, or drained while they waited")
                    .tag("reason", reason.name()).register(registry));
        }
    }

    /**
     * @param  meterRegistry a {@link MeterRegistry}; typed Object so that the caller needs no Micrometer type
     * @return               the meters, to be added as a listener and closed when the component stops
     */
    public static LlmQueueMeters bind(LlmQueueComponent component, Object meterRegistry) {
        return new LlmQueueMeters(component, (MeterRegistry) meterRegistry);
    }

    @Override
    public void onFirstToken(RequestInfo request, long ttftNanos) {
        firstTokens.get(request.priority()).record(ttftNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onCallStarted(RequestInfo request, int attempt, long waitNanos) {
        if (attempt == 1) {
            waits.get(request.priority()).record(waitNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void onCallEnded(RequestInfo request, int attempt, long callNanos, Exception failure, Integer promptTokens,
                            Integer completionTokens) {
        String outcome = failure == null ? "success" : "error";
        String model = String.valueOf(request.model());
        calls.computeIfAbsent(List.of(request.provider(), model, outcome),
                key -> Timer.builder("llmqueue.call").description("LLM calls")
                        .tag("provider", key.get(0)).tag("model", key.get(1)).tag("outcome", key.get(2))
                        .register(registry))
                .record(callNanos, TimeUnit.NANOSECONDS);
        if (promptTokens != null) {
            tokens(model, "prompt").increment(promptTokens);
        }
        if (completionTokens != null) {
            tokens(model, "completion").increment(completionTokens);
        }
    }

    private Counter tokens(String model, String type) {
        return tokens.computeIfAbsent(List.of(type, model),
                key -> Counter.builder("llmqueue.tokens").description("Tokens reported by the LLM server")
                        .tag("type", key.get(0)).tag("model", key.get(1)).register(registry));
    }

    @Override
    public void onPreempted(RequestInfo request, int attempt, long callNanos) {
        preempted.increment();
    }

    @Override
    public void onEnded(RequestInfo request, Outcome outcome, Reason reason) {
        if (outcome == Outcome.REJECTED && reason != null) {
            rejected.get(reason).increment();
        }
    }

    /** Removes the gauges, which read the component; the counters and timers stay with the registry. */
    @Override
    public void close() {
        gauges.forEach(registry::remove);
        gauges.clear();
    }
}
