package dev.llmqueue.examples;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import dev.llmqueue.dashboard.LlmQueueDashboard;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

/**
 * Runs route files without writing Java, the way {@code camel run} does (camel-main is the engine under it):
 * {@code QuickRun routes/chat.camel.yaml [more files] [--max-seconds N]}. Reads {@code application.properties} beside
 * the first file, and starts the built-in LLM simulator unless {@code LLM_BASE_URL} is set.
 */
public final class QuickRun {

    private QuickRun() {
    }

    public static void main(String[] args) throws Exception {
        List<String> files = new ArrayList<>();
        int maxSeconds = 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--max-seconds") && i + 1 < args.length) {
                maxSeconds = Integer.parseInt(args[++i]);
            } else {
                files.add(args[i]);
            }
        }
        if (files.isEmpty()) {
            System.err.println("usage: QuickRun <route file>... [--max-seconds N]");
            System.exit(2);
        }
        Map<String, String> env = System.getenv();
        try (LlmBackend backend = LlmBackend.start(env::get, Duration.ofMillis(300), 2)) {
            System.out.println(backend.describe());
            Main main = newMain(files, backend.properties());
            if (maxSeconds > 0) {
                main.configure().withDurationMaxSeconds(maxSeconds);
            }
            main.addMainListener(new MainListenerSupport() {
                @Override
                public void afterStart(BaseMainSupport started) {
                    String url = dashboardUrl(started.getCamelContext());
                    if (url != null) {
                        System.out.println("Dashboard: " + url);
                    }
                }
            });
            main.run();
        }
    }

    /** Where the dashboard is, when application.properties turned it on; else null. */
    static String dashboardUrl(CamelContext context) {
        VertxPlatformHttpServer server = context.hasService(VertxPlatformHttpServer.class);
        if (server == null || context.getRoute("llmqueue-dashboard-page") == null) {
            return null;
        }
        String path = context.getPropertiesComponent().resolveProperty(LlmQueueDashboard.PATH_PROPERTY)
                .orElse(LlmQueueDashboard.DEFAULT_PATH);
        return "http://localhost:" + server.getPort() + path;
    }

    /**
     * A camel-main set up like {@code camel run}: the route files, the application.properties beside the first one,
     * and {@code overrides} (the LLM backend) winning over both.
     */
    static Main newMain(List<String> files, Properties overrides) {
        Main main = new Main();
        List<String> uris = files.stream().map(f -> f.contains(":") ? f : "file:" + f).toList();
        main.configure().withRoutesIncludePattern(String.join(",", uris));
        String first = uris.get(0);
        String folder = first.substring(0, Math.max(first.lastIndexOf('/'), first.indexOf(':')) + 1);
        main.setPropertyPlaceholderLocations(folder + "application.properties;optional=true");
        main.setOverrideProperties(overrides);
        return main;
    }
}
