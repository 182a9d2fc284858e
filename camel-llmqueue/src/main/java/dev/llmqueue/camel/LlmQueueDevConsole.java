package dev.llmqueue.camel;

import java.util.Map;
import java.util.TreeMap;

import dev.llmqueue.camel.LlmQueueComponent.InFlightRequest;
import dev.llmqueue.camel.LlmQueueComponent.QueuedRequest;
import org.apache.camel.Component;
import org.apache.camel.spi.annotations.DevConsole;
import org.apache.camel.support.console.AbstractDevConsole;
import org.apache.camel.util.json.JsonArray;
import org.apache.camel.util.json.JsonObject;

/**
 * The {@code llmqueue} dev console ({@code camel run --console}, {@code /q/dev/llmqueue}): the stacks, the calls in
 * flight, the counters and the recent wait and call times of every llmqueue component of the context. The text shows
 * them all; the JSON shows the component named by the option {@value #COMPONENT}, else {@code llmqueue}, else the
 * first, and lists the names of all in {@code components}. Never a key or a prompt.
 */
@DevConsole(name = "llmqueue", displayName = "LLM Queue",
            description = "Priority stacks, calls in flight, counters and recent wait and call times of the llmqueue components")
public class LlmQueueDevConsole extends AbstractDevConsole {

    /** Option: the name of the llmqueue component the JSON shows. */
    public static final String COMPONENT = "component";

    public LlmQueueDevConsole() {
        super("camel", "llmqueue", "LLM Queue",
              "Priority stacks, calls in flight, counters and recent wait and call times of the llmqueue components");
    }

    /** The llmqueue components of the context, by name; none is created. */
    private Map<String, LlmQueueComponent> components() {
        Map<String, LlmQueueComponent> found = new TreeMap<>();
        for (String name : getCamelContext().getComponentNames()) {
            Component component = getCamelContext().hasComponent(name);
            if (component instanceof LlmQueueComponent queue) {
                found.put(name, queue);
            }
        }
        return found;
    }

    @Override
    protected String doCallText(Map<String, Object> options) {
        StringBuilder sb = new StringBuilder();
        components().forEach((name, queue) -> {
            sb.append(String.format("LLM queue: %s%n", name));
            sb.append(String.format("    Waiting: HIGH %d of %d, LOW %d of %d%n", queue.getHighPriorityQueueSize(),
                    queue.getMaxHighQueueSize(), queue.getLowPriorityQueueSize(), queue.getMaxLowQueueSize()));
            sb.append(String.format("    In flight: %d of %d slots (retrying: %d)%n", queue.getActiveRequests(),
                    queue.getMaxConcurrentRequests(), queue.getRetryingRequests()));
            sb.append(String.format("    Background disabled: %s%n", queue.isDisableBackground()));
            if (queue.getCoordination() == LlmQueueCoordination.redis) {
                sb.append(coordinationLine(queue));
            }
            sb.append(String.format("    Completed: %d, failed: %d, rejected: %d, expired: %d, cancelled: %d%n",
                    queue.getCompletedCount(), queue.getFailedCount(), queue.getRejectedCount(),
                    queue.getExpiredCount(), queue.getCancelledCount()));
            sb.append(String.format("    Preempted: %d (preemptLow: %s, reservedHighSlots: %d)%n",
                    queue.getPreemptedCount(), queue.isPreemptLow(), queue.getReservedHighSlots()));
            LlmQueueStatistics statistics = queue.getStatistics();
            for (LlmQueuePriority priority : LlmQueuePriority.values()) {
                sb.append(percentilesLine("Wait", priority, statistics.waitPercentiles(priority)));
            }
            for (LlmQueuePriority priority : LlmQueuePriority.values()) {
                sb.append(percentilesLine("Call", priority, statistics.callPercentiles(priority)));
            }
            for (LlmQueuePriority priority : LlmQueuePriority.values()) {
                sb.append(percentilesLine("TTFT", priority, statistics.timeToFirstTokenPercentiles(priority)));
            }
            statistics.unreachableServers().forEach((url, error) -> sb.append(
                    String.format("    Unreachable: %s (last error: %s)%n", url, error)));
            for (QueuedRequest request : queue.queuedRequests()) {
                sb.append(String.format("    queued     %-4s %s model=%s age=%d ms%n", request.priority(),
                        request.requestId(), request.model(), request.ageMillis()));
            }
            for (InFlightRequest request : queue.inFlightRequests()) {
                sb.append(String.format("    in flight  %-4s %s model=%s url=%s age=%d ms call=%d ms attempt=%d%n",
                        request.priority(), request.requestId(), request.model(), request.url(), request.ageMillis(),
                        request.callMillis(), request.attempt()));
            }
            sb.append(String.format("%n"));
        });
        return sb.toString();
    }

    /** With coordination=redis: the queue of every instance beside this node's own figures. */
    private static String coordinationLine(LlmQueueComponent queue) {
        String outage = queue.coordinationOutage();
        if (outage != null) {
            return String.format("    All instances (queue %s, node %s): unknown, %s%n", queue.getQueueName(),
                    queue.getNodeId(), outage);
        }
        dev.llmqueue.camel.cluster.Coordinator.GlobalFigures global = queue.globalFigures();
        if (global == null) {
            return String.format("    All instances (queue %s, node %s): Redis did not answer in time%n",
                    queue.getQueueName(), queue.getNodeId());
        }
        return String.format("    All instances (queue %s, node %s, %d instances): waiting HIGH %d, LOW %d; in flight %d"
                             + " of %d%n", queue.getQueueName(), queue.getNodeId(), global.instances(),
                global.highWaiting(), global.lowWaiting(), global.running(), queue.getMaxConcurrentRequests());
    }

    private static String percentilesLine(String what, LlmQueuePriority priority, Map<String, Long> percentiles) {
        return String.format("    %s %-4s p50=%d ms p95=%d ms p99=%d ms (last %d)%n", what, priority,
                percentiles.get("p50"), percentiles.get("p95"), percentiles.get("p99"), percentiles.get("count"));
    }

    @Override
    protected Map<String, Object> doCallJson(Map<String, Object> options) {
        Map<String, LlmQueueComponent> components = components();
        JsonObject root = new JsonObject();
        Object wanted = options.get(COMPONENT);
        String name = wanted != null ? wanted.toString()
                : components.containsKey("llmqueue") ? "llmqueue"
                : components.isEmpty() ? null : components.keySet().iterator().next();
        LlmQueueComponent queue = name != null ? components.get(name) : null;
        if (queue != null) {
            root.put("component", name);
            root.put("highPriorityQueueSize", queue.getHighPriorityQueueSize());
            root.put("lowPriorityQueueSize", queue.getLowPriorityQueueSize());
            root.put("maxHighQueueSize", queue.getMaxHighQueueSize());
            root.put("maxLowQueueSize", queue.getMaxLowQueueSize());
            root.put("activeRequests", queue.getActiveRequests());
            root.put("retryingRequests", queue.getRetryingRequests());
            root.put("maxConcurrentRequests", queue.getMaxConcurrentRequests());
            root.put("disableBackground", queue.isDisableBackground());
            root.put("completed", queue.getCompletedCount());
            root.put("failed", queue.getFailedCount());
            root.put("rejected", queue.getRejectedCount());
            root.put("expired", queue.getExpiredCount());
            root.put("cancelled", queue.getCancelledCount());
            root.put("preempted", queue.getPreemptedCount());
            root.put("preemptLow", queue.isPreemptLow());
            root.put("reservedHighSlots", queue.getReservedHighSlots());
            root.put("coordination", queue.getCoordination().name());
            if (queue.getCoordination() == LlmQueueCoordination.redis) {
                JsonObject global = new JsonObject();
                global.put("queueName", queue.getQueueName());
                global.put("nodeId", queue.getNodeId());
                global.put("available", queue.isCoordinationAvailable());
                String outage = queue.coordinationOutage();
                if (outage != null) {
                    global.put("outage", outage);
                }
                dev.llmqueue.camel.cluster.Coordinator.GlobalFigures figures = outage == null ? queue.globalFigures() : null;
                if (figures != null) {
                    global.put("highPriorityQueueSize", figures.highWaiting());
                    global.put("lowPriorityQueueSize", figures.lowWaiting());
                    global.put("activeRequests", figures.running());
                    global.put("instances", figures.instances());
                }
                root.put("global", global);
            }
            JsonArray queued = new JsonArray();
            for (QueuedRequest request : queue.queuedRequests()) {
                JsonObject jo = new JsonObject();
                jo.put("requestId", request.requestId());
                jo.put("priority", request.priority().name());
                jo.put("model", request.model());
                jo.put("ageMs", request.ageMillis());
                queued.add(jo);
            }
            root.put("queued", queued);
            JsonArray inFlight = new JsonArray();
            for (InFlightRequest request : queue.inFlightRequests()) {
                JsonObject jo = new JsonObject();
                jo.put("requestId", request.requestId());
                jo.put("priority", request.priority().name());
                jo.put("model", request.model());
                jo.put("ageMs", request.ageMillis());
                jo.put("url", request.url());
                jo.put("callMs", request.callMillis());
                jo.put("attempt", request.attempt());
                if (request.tokensReceived() >= 0) {
                    jo.put("tokensReceived", request.tokensReceived());
                }
                inFlight.add(jo);
            }
            root.put("inFlight", inFlight);
            LlmQueueStatistics statistics = queue.getStatistics();
            JsonObject waitTime = new JsonObject();
            JsonObject callTime = new JsonObject();
            JsonObject timeToFirstToken = new JsonObject();
            for (LlmQueuePriority priority : LlmQueuePriority.values()) {
                waitTime.put(priority.name(), new JsonObject(statistics.waitPercentiles(priority)));
                callTime.put(priority.name(), new JsonObject(statistics.callPercentiles(priority)));
                timeToFirstToken.put(priority.name(), new JsonObject(statistics.timeToFirstTokenPercentiles(priority)));
            }
            root.put("waitTime", waitTime);
            root.put("callTime", callTime);
            root.put("timeToFirstToken", timeToFirstToken);
            root.put("unreachableServers", new JsonObject(statistics.unreachableServers()));
        }
        root.put("components", new JsonArray(components.keySet()));
        return root;
    }
}
