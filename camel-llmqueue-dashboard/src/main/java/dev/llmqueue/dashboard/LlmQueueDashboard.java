package dev.llmqueue.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.util.json.DeserializationException;
import org.apache.camel.util.json.JsonObject;
import org.apache.camel.util.json.Jsoner;

/**
 * The llmqueue dashboard: a live page over every llmqueue component of the context, and its JSON. Added like any
 * routes: {@code context.addRoutes(new LlmQueueDashboard())}, {@code camel.main.routesBuilderClasses =
 * dev.llmqueue.dashboard.LlmQueueDashboard}, or a {@code @Bean} in Spring Boot. Needs a platform-http engine (
 * {@code camel-platform-http-main} under camel-main and {@code camel run}, the platform-http starter in Spring Boot).
 * <p>
 * Options, each a setter here or else a property of the context: {@value #PATH_PROPERTY} (default
 * {@value #DEFAULT_PATH}), {@value #TOKEN_PROPERTY} (none: read-only) and {@value #SHOW_PROMPTS_PROPERTY} (false).
 * <ul>
 * <li>{@code GET {path}}: the page; {@code GET {path}/dashboard.js}, {@code {path}/dashboard.css}: its files, from this
 * jar.</li>
 * <li>{@code GET {path}/api/state}: the whole picture now; {@code GET {path}/api/history}: one sample per second for
 * the last ten minutes.</li>
 * <li>{@code POST {path}/api/cancel}, {@code {path}/api/maxConcurrentRequests}, {@code {path}/api/background}: the
 * actions, only with {@code Authorization: Bearer <token>}.</li>
 * </ul>
 */
public class LlmQueueDashboard extends RouteBuilder {

    public static final String PATH_PROPERTY = "llmqueue.dashboard.path";
    public static final String TOKEN_PROPERTY = "llmqueue.dashboard.token";
    public static final String SHOW_PROMPTS_PROPERTY = "llmqueue.dashboard.showPrompts";
    public static final String DEFAULT_PATH = "/llmqueue";

    private static final String RESOURCES = "dev/llmqueue/dashboard/";
    private static final String JSON = "application/json";

    private String path;
    private String token;
    private Boolean showPrompts;

    /** Resolved when the routes are configured. */
    private DashboardViews views;
    private byte[] tokenDigest;

    public LlmQueueDashboard() {
    }

    /** Where the page is served, such as {@code /llmqueue} (the default) or {@code /ops/queue}. */
    public LlmQueueDashboard path(String path) {
        this.path = path;
        return this;
    }

    /** Turns the actions on; each must then carry {@code Authorization: Bearer <token>}. */
    public LlmQueueDashboard token(String token) {
        this.token = token;
        return this;
    }

    /** Shows request ids and models (off by default: they can identify people). API keys are never shown. */
    public LlmQueueDashboard showPrompts(boolean showPrompts) {
        this.showPrompts = showPrompts;
        return this;
    }

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public void setToken(String token) {
        this.token = token;
    }

    public void setShowPrompts(boolean showPrompts) {
        this.showPrompts = showPrompts;
    }

    @Override
    public void configure() throws Exception {
        String base = normalize(path != null ? path : option(PATH_PROPERTY).orElse(DEFAULT_PATH));
        String secret = token != null ? token : option(TOKEN_PROPERTY).orElse(null);
        boolean writable = secret != null && !secret.isBlank();
        tokenDigest = writable ? sha256(secret.trim()) : null;
        boolean prompts = showPrompts != null ? showPrompts
                : Boolean.parseBoolean(option(SHOW_PROMPTS_PROPERTY).orElse("false"));
        views = new DashboardViews(LlmQueueDashboardRecorder.of(getContext()), base, writable, prompts);
        String id = "llmqueue-dashboard" + (base.equals(DEFAULT_PATH) ? "" : base.replaceAll("[^A-Za-z0-9]+", "-"));

        String page = resource("index.html").replace("{{base}}", base);
        from("platform-http:" + base + "?httpMethodRestrict=GET").routeId(id + "-page")
                .process(e -> reply(e, 200, "text/html; charset=utf-8", page));
        String script = resource("dashboard.js");
        from("platform-http:" + base + "/dashboard.js?httpMethodRestrict=GET").routeId(id + "-js")
                .process(e -> reply(e, 200, "text/javascript; charset=utf-8", script));
        String style = resource("dashboard.css");
        from("platform-http:" + base + "/dashboard.css?httpMethodRestrict=GET").routeId(id + "-css")
                .process(e -> reply(e, 200, "text/css; charset=utf-8", style));

        from("platform-http:" + base + "/api/state?httpMethodRestrict=GET").routeId(id + "-state")
                .process(e -> reply(e, 200, JSON, views.state()));
        from("platform-http:" + base + "/api/history?httpMethodRestrict=GET").routeId(id + "-history")
                .process(e -> reply(e, 200, JSON, views.history()));

        from("platform-http:" + base + "/api/cancel?httpMethodRestrict=POST").routeId(id + "-cancel")
                .process(e -> write(e, views::cancel));
        from("platform-http:" + base + "/api/maxConcurrentRequests?httpMethodRestrict=POST").routeId(id + "-limit")
                .process(e -> write(e, views::setMaxConcurrentRequests));
        from("platform-http:" + base + "/api/background?httpMethodRestrict=POST").routeId(id + "-background")
                .process(e -> write(e, views::setBackground));
    }

    /** The JSON {@code GET {path}/api/state} answers, for tools and benchmarks; once the routes are configured. */
    public String stateJson() {
        return views.state();
    }

    /** The JSON {@code GET {path}/api/history} answers; once the routes are configured. */
    public String historyJson() {
        return views.history();
    }

    /** The recorder of this dashboard's context (one per context). */
    LlmQueueDashboardRecorder recorder() {
        return views.recorder();
    }

    private void write(Exchange exchange, WriteAction action) {
        String authorization = exchange.getMessage().getHeader("Authorization", String.class);
        if (!authorized(authorization)) {
            exchange.getMessage().removeHeaders("*");
            exchange.getMessage().setHeader("WWW-Authenticate", "Bearer realm=\"llmqueue-dashboard\"");
            reply(exchange, 401, JSON, error(tokenDigest == null
                    ? "the dashboard is read-only: set " + TOKEN_PROPERTY + " to allow actions"
                    : "a valid 'Authorization: Bearer <token>' header is required"));
            return;
        }
        JsonObject body;
        try {
            String text = exchange.getMessage().getBody(String.class);
            Object parsed = Jsoner.deserialize(text == null || text.isBlank() ? "{}" : text);
            if (!(parsed instanceof JsonObject object)) {
                reply(exchange, 400, JSON, error("the body must be a JSON object"));
                return;
            }
            body = object;
        } catch (DeserializationException e) {
            reply(exchange, 400, JSON, error("the body is not valid JSON: " + e.getMessage()));
            return;
        }
        DashboardViews.Answer answer = action.apply(body);
        reply(exchange, answer.status(), JSON, answer.json());
    }

    private boolean authorized(String authorization) {
        if (tokenDigest == null || authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        // digests of equal length compared in constant time: the token's length and content leak nothing
        return MessageDigest.isEqual(tokenDigest, sha256(authorization.substring(7).trim()));
    }

    @FunctionalInterface
    private interface WriteAction {
        DashboardViews.Answer apply(JsonObject body);
    }

    private static void reply(Exchange exchange, int status, String contentType, String body) {
        Message message = exchange.getMessage();
        // nothing of the request (its Authorization header above all) goes back as a response header
        String authenticate = message.getHeader("WWW-Authenticate", String.class);
        message.removeHeaders("*");
        if (authenticate != null) {
            message.setHeader("WWW-Authenticate", authenticate);
        }
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        message.setHeader(Exchange.CONTENT_TYPE, contentType);
        message.setHeader("Cache-Control", "no-store");
        message.setHeader("X-Content-Type-Options", "nosniff");
        message.setBody(body);
    }

    static String error(String message) {
        JsonObject json = new JsonObject();
        json.put("error", message);
        return json.toJson();
    }

    private Optional<String> option(String name) {
        return getContext().getPropertiesComponent().resolveProperty(name).filter(v -> !v.isBlank());
    }

    private static String normalize(String path) {
        String p = path.trim();
        if (!p.startsWith("/")) {
            p = "/" + p;
        }
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.length() < 2 || !p.matches("/[A-Za-z0-9._~/-]+")) {
            throw new IllegalArgumentException(PATH_PROPERTY + " must be a path such as /llmqueue, was '" + path + "'");
        }
        return p;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = LlmQueueDashboard.class.getClassLoader().getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IOException("missing resource " + RESOURCES + name + " in the dashboard's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
