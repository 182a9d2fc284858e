package dev.llmqueue.dashboard;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueComponent.InFlightRequest;
import dev.llmqueue.camel.LlmQueueComponent.QueuedRequest;
import dev.llmqueue.camel.LlmQueuePriority;
import dev.llmqueue.camel.LlmQueueStatistics;
import dev.llmqueue.dashboard.LlmQueueDashboardRecorder.Sample;
import dev.llmqueue.dashboard.LlmQueueDashboardRecorder.Served;
import dev.llmqueue.dashboard.LlmQueueDashboardRecorder.Track;
import org.apache.camel.util.URISupport;
import org.apache.camel.util.json.JsonArray;
import org.apache.camel.util.json.JsonObject;

/**
 * The dashboard's JSON, and its actions. Key names follow the {@code llmqueue} dev console's JSON where they overlap.
 * Request ids and models appear only with {@code showPrompts}; a waiting request is otherwise known by an opaque
 * {@code ref}, good for cancelling it and for nothing else. URLs are sanitized; keys are never read.
 */
final class DashboardViews {

    /** The waiting requests listed, newest first; the rest are counted. */
    static final int QUEUED_SHOWN = 100;
    /** How many refs are remembered for cancelling: far more than a page shows between two refreshes. */
    private static final int REFS = 10_000;

    private final LlmQueueDashboardRecorder recorder;
    private final String path;
    private final boolean writable;
    private final boolean showPrompts;
    private final byte[] salt = new byte[16];
    /** The requests behind the refs handed out recently, least recently handed out first. */
    private final Map<String, String> idsByRef = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REFS;
        }
    };
    /** Sanitized URIs, by raw URI: a handful of endpoints, sanitized once. */
    private final Map<String, String> sanitized = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > 1000;
        }
    };

    DashboardViews(LlmQueueDashboardRecorder recorder, String path, boolean writable, boolean showPrompts) {
        this.recorder = recorder;
        this.path = path;
        this.writable = writable;
        this.showPrompts = showPrompts;
        new SecureRandom().nextBytes(salt);
    }

    LlmQueueDashboardRecorder recorder() {
        return recorder;
    }

    /** {@code GET {path}/api/state}. */
    String state() {
        JsonObject root = new JsonObject();
        root.put("time", System.currentTimeMillis());
        root.put("path", path);
        root.put("writable", writable);
        root.put("showPrompts", showPrompts);
        JsonArray components = new JsonArray();
        recorder.components().forEach((name, track) -> components.add(component(name, track)));
        root.put("components", components);
        return root.toJson();
    }

    private JsonObject component(String name, Track track) {
        LlmQueueComponent queue = track.component;
        long now = System.currentTimeMillis();
        JsonObject c = new JsonObject();
        c.put("component", name);
        int high = queue.getHighPriorityQueueSize();
        int low = queue.getLowPriorityQueueSize();
        c.put("highPriorityQueueSize", high);
        c.put("lowPriorityQueueSize", low);
        c.put("maxHighQueueSize", queue.getMaxHighQueueSize());
        c.put("maxLowQueueSize", queue.getMaxLowQueueSize());
        c.put("activeRequests", queue.getActiveRequests());
        c.put("retryingRequests", queue.getRetryingRequests());
        c.put("maxConcurrentRequests", queue.getMaxConcurrentRequests());
        JsonObject limits = new JsonObject();
        queue.effectiveLimits().forEach((server, limit) -> limits.put(sanitize(server), limit));
        c.put("effectiveLimits", limits);
        c.put("disableBackground", queue.isDisableBackground());
        c.put("completed", queue.getCompletedCount());
        c.put("failed", queue.getFailedCount());
        c.put("rejected", queue.getRejectedCount());
        c.put("expired", queue.getExpiredCount());
        c.put("cancelled", queue.getCancelledCount());
        LlmQueueStatistics statistics = queue.getStatistics();
        JsonObject waitTime = new JsonObject();
        JsonObject callTime = new JsonObject();
        JsonObject oldest = new JsonObject();
        for (LlmQueuePriority priority : LlmQueuePriority.values()) {
            waitTime.put(priority.name(), new JsonObject(statistics.waitPercentiles(priority)));
            callTime.put(priority.name(), new JsonObject(statistics.callPercentiles(priority)));
            oldest.put(priority.name(), queue.oldestQueuedMillis(priority));
        }
        c.put("waitTime", waitTime);
        c.put("callTime", callTime);
        c.put("oldestWaitMs", oldest);
        JsonObject unreachable = new JsonObject();
        statistics.unreachableServers().forEach((url, error) -> unreachable.put(sanitize(url), error));
        c.put("unreachableServers", unreachable);

        JsonArray queued = new JsonArray();
        for (QueuedRequest request : queue.queuedRequests(QUEUED_SHOWN)) {
            JsonObject jo = new JsonObject();
            jo.put("ref", ref(request.requestId()));
            jo.put("priority", request.priority().name());
            jo.put("ageMs", request.ageMillis());
            jo.put("url", sanitize(request.url()));
            if (showPrompts) {
                jo.put("requestId", request.requestId());
                jo.put("model", request.model());
                jo.put("endpoint", request.endpoint());
            }
            queued.add(jo);
        }
        c.put("queued", queued);
        c.put("queuedTotal", (long) high + low);

        JsonArray inFlight = new JsonArray();
        for (InFlightRequest request : queue.inFlightRequests()) {
            JsonObject jo = new JsonObject();
            jo.put("priority", request.priority().name());
            jo.put("ageMs", request.ageMillis());
            jo.put("callMs", request.callMillis());
            jo.put("attempt", request.attempt());
            jo.put("url", sanitize(request.url()));
            if (showPrompts) {
                jo.put("requestId", request.requestId());
                jo.put("model", request.model());
            }
            inFlight.add(jo);
        }
        c.put("inFlight", inFlight);

        JsonArray served = new JsonArray();
        for (Served s : track.served()) {
            JsonObject jo = new JsonObject();
            jo.put("priority", s.priority().name());
            jo.put("queuedAt", s.queuedAt());
            jo.put("startedAt", s.startedAt());
            jo.put("endedAt", s.endedAt());
            jo.put("waitMs", s.startedAt() - s.queuedAt());
            jo.put("callMs", s.endedAt() - s.startedAt());
            jo.put("attempts", s.attempts());
            jo.put("outcome", s.outcome());
            if (showPrompts) {
                jo.put("requestId", s.requestId());
                jo.put("model", s.model());
            }
            served.add(jo);
        }
        c.put("served", served);
        c.put("now", now);
        return c;
    }

    /** {@code GET {path}/api/history}: per component, one array per figure, oldest sample first. */
    String history() {
        JsonObject root = new JsonObject();
        root.put("intervalMs", 1000);
        root.put("windowSeconds", LlmQueueDashboardRecorder.WINDOW_SECONDS);
        JsonArray components = new JsonArray();
        recorder.components().forEach((name, track) -> {
            List<Sample> samples = track.samples();
            JsonObject c = new JsonObject();
            c.put("component", name);
            c.put("time", column(samples, Sample::time));
            c.put("highPriorityQueueSize", column(samples, Sample::high));
            c.put("lowPriorityQueueSize", column(samples, Sample::low));
            c.put("activeRequests", column(samples, Sample::active));
            c.put("retryingRequests", column(samples, Sample::retrying));
            c.put("maxConcurrentRequests", column(samples, Sample::maxConcurrent));
            c.put("completedPerSecond", column(samples, Sample::completed));
            c.put("failedPerSecond", column(samples, Sample::failed));
            c.put("rejectedPerSecond", column(samples, Sample::rejected));
            c.put("waitP50", byPriority(column(samples, Sample::highWaitP50), column(samples, Sample::lowWaitP50)));
            c.put("waitP99", byPriority(column(samples, Sample::highWaitP99), column(samples, Sample::lowWaitP99)));
            c.put("oldestWaitMs", byPriority(column(samples, Sample::highOldest), column(samples, Sample::lowOldest)));
            components.add(c);
        });
        root.put("components", components);
        return root.toJson();
    }

    private static JsonObject byPriority(JsonArray high, JsonArray low) {
        JsonObject jo = new JsonObject();
        jo.put("HIGH", high);
        jo.put("LOW", low);
        return jo;
    }

    /** One figure over time; -1 (no request started a call that second) is null. */
    private static JsonArray column(List<Sample> samples, ToLongFunction<Sample> figure) {
        JsonArray values = new JsonArray();
        for (Sample sample : samples) {
            long v = figure.applyAsLong(sample);
            values.add(v < 0 ? null : v);
        }
        return values;
    }

    // ------------------------------------------------------------------ actions

    /** An HTTP status and its JSON body. */
    record Answer(int status, String json) {
        static Answer ok(JsonObject body) {
            return new Answer(200, body.toJson());
        }

        static Answer error(int status, String message) {
            return new Answer(status, LlmQueueDashboard.error(message));
        }
    }

    /** {@code POST {path}/api/cancel} {@code {"component", "ref" | "requestId"}}. */
    Answer cancel(JsonObject body) {
        Object component = componentOf(body);
        if (component instanceof Answer error) {
            return error;
        }
        Object ref = body.get("ref");
        Object requestId = body.get("requestId");
        String id;
        if (requestId instanceof String s && !s.isBlank()) {
            id = s;
        } else if (ref instanceof String s && !s.isBlank()) {
            synchronized (idsByRef) {
                id = idsByRef.get(s);
            }
            if (id == null) {
                return Answer.error(404, "no waiting request has ref '" + s + "' (it may have started or ended)");
            }
        } else {
            return Answer.error(400, "give the waiting request's 'ref' (from api/state) or its 'requestId'");
        }
        Track track = (Track) component;
        if (!track.component.cancel(id)) {
            return Answer.error(404, "no waiting request with that " + (requestId != null ? "requestId" : "ref")
                                     + " (it may have started or ended)");
        }
        JsonObject ok = new JsonObject();
        ok.put("component", track.name);
        ok.put("cancelled", true);
        return Answer.ok(ok);
    }

    /** {@code POST {path}/api/maxConcurrentRequests} {@code {"component", "value": n}}, n at least 1. */
    Answer setMaxConcurrentRequests(JsonObject body) {
        Object component = componentOf(body);
        if (component instanceof Answer error) {
            return error;
        }
        Object value = body.get("value");
        int limit;
        try {
            if (!(value instanceof BigDecimal number)) {
                throw new ArithmeticException();
            }
            limit = number.intValueExact();
        } catch (ArithmeticException e) {
            return Answer.error(400, "'value' must be a whole number of slots, at least 1; was " + value);
        }
        if (limit < 1) {
            return Answer.error(400, "maxConcurrentRequests must be at least 1, was " + limit);
        }
        Track track = (Track) component;
        track.component.setMaxConcurrentRequests(limit);
        JsonObject ok = new JsonObject();
        ok.put("component", track.name);
        ok.put("maxConcurrentRequests", track.component.getMaxConcurrentRequests());
        return Answer.ok(ok);
    }

    /** {@code POST {path}/api/background} {@code {"component", "enabled": true|false}}. */
    Answer setBackground(JsonObject body) {
        Object component = componentOf(body);
        if (component instanceof Answer error) {
            return error;
        }
        if (!(body.get("enabled") instanceof Boolean enabled)) {
            return Answer.error(400, "'enabled' must be true or false; was " + body.get("enabled"));
        }
        Track track = (Track) component;
        track.component.setDisableBackground(!enabled);
        JsonObject ok = new JsonObject();
        ok.put("component", track.name);
        ok.put("disableBackground", track.component.isDisableBackground());
        return Answer.ok(ok);
    }

    /** The component the body names, the only one when it names none, or an error answer. */
    private Object componentOf(JsonObject body) {
        Map<String, Track> components = recorder.components();
        Object name = body.get("component");
        if (name == null) {
            if (components.size() == 1) {
                return components.values().iterator().next();
            }
            return Answer.error(400, "name the 'component', one of " + components.keySet());
        }
        Track track = components.get(String.valueOf(name));
        return track != null ? track : Answer.error(404, "no llmqueue component named '" + name + "'");
    }

    /** An opaque, stable handle for a waiting request: its id does not reach the page. */
    private String ref(String requestId) {
        String ref;
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(salt);
            ref = HexFormat.of().formatHex(digest.digest(requestId.getBytes(StandardCharsets.UTF_8)), 0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        synchronized (idsByRef) {
            idsByRef.put(ref, requestId);
        }
        return ref;
    }

    private String sanitize(String uri) {
        if (uri == null) {
            return null;
        }
        synchronized (sanitized) {
            return sanitized.computeIfAbsent(uri, URISupport::sanitizeUri);
        }
    }
}
