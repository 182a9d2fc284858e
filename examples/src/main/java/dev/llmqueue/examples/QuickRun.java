package dev.llmqueue.examples;

import java.time.Duration;
import java.util.Map;

import org.apache.camel.main.Main;

/**
 * Runs route files without writing Java, the way {@code camel run} does (camel-main is the engine under it):
 * {@code QuickRun routes/chat.camel.yaml [more files or patterns]}. Reads {@code application.properties} beside the
 * first file, and starts the built-in LLM simulator unless {@code LLM_BASE_URL} is set.
 * Stops after {@code --duration} seconds (default: run until Ctrl+C), like {@code camel run --max-seconds}.
 */
public final class QuickRun {

    private QuickRun() {
    }

    public static void main(String[] args) throws Exception {
        StringBuilder routes = new StringBuilder();
        int maxSeconds = 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--max-seconds") && i + 1 < args.length) {
                maxSeconds = Integer.parseInt(args[++i]);
            } else {
                routes.append(routes.isEmpty() ? "" : ",").append(args[i].contains(":") ? args[i] : "file:" + args[i]);
            }
        }
        if (routes.isEmpty()) {
            System.err.println("usage: QuickRun <route file or pattern>... [--max-seconds N]");
            System.exit(2);
        }
        Map<String, String> env = System.getenv();
        try (LlmBackend backend = LlmBackend.start(env::get, Duration.ofMillis(300), 2)) {
            System.out.println(backend.describe());
            Main main = new Main();
            // the backend (simulator or LLM_BASE_URL) wins over application.properties, which is written for `camel run`
            main.setOverrideProperties(backend.properties());
            main.configure().withRoutesIncludePattern(routes.toString());
            String firstFile = routes.toString().split(",")[0];
            String folder = firstFile.contains("/") ? firstFile.substring(0, firstFile.lastIndexOf('/') + 1) : "file:";
            main.setPropertyPlaceholderLocations(folder + "application.properties;optional=true");
            if (maxSeconds > 0) {
                main.configure().withDurationMaxSeconds(maxSeconds);
            }
            main.run();
        }
    }
}
