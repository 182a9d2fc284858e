package dev.llmqueue.examples;

import java.time.Duration;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Function;

import dev.llmqueue.simulator.LlmSimulator;

/**
 * The LLM server the examples talk to: the one named by {@code LLM_BASE_URL} (with {@code LLM_PROVIDER},
 * {@code LLM_MODEL}, {@code LLM_EMBED_MODEL}, {@code OPENAI_API_KEY}), or else a built-in simulator on loopback.
 */
final class LlmBackend implements AutoCloseable {

    /** The simulator's pace for streamed replies ({@code streaming=true}): slow enough to watch with {@code curl -N}. */
    static final double SIMULATED_TOKENS_PER_SECOND = 10;

    final String provider;
    final String baseUrl;
    final String model;
    final String embedModel;
    /** null when a real server is used. */
    final LlmSimulator simulator;

    private LlmBackend(String provider, String baseUrl, String model, String embedModel, LlmSimulator simulator) {
        this.provider = provider;
        this.baseUrl = baseUrl;
        this.model = model;
        this.embedModel = embedModel;
        this.simulator = simulator;
    }

    static LlmBackend start(Function<String, String> env, Duration simulatedServiceTime, int simulatedParallelism) {
        String provider = value(env, "LLM_PROVIDER", "ollama").toLowerCase(Locale.ROOT);
        if (!provider.equals("ollama") && !provider.equals("openai")) {
            throw new IllegalArgumentException("LLM_PROVIDER='" + provider + "': use ollama or openai");
        }
        boolean openai = provider.equals("openai");
        String model = value(env, "LLM_MODEL", openai ? "gpt-4o-mini" : "llama3.2");
        String embedModel = value(env, "LLM_EMBED_MODEL", openai ? "text-embedding-3-small" : "all-minilm");
        String baseUrl = env.apply("LLM_BASE_URL");
        if (baseUrl != null && !baseUrl.isBlank()) {
            return new LlmBackend(provider, baseUrl.trim(), model, embedModel, null);
        }
        LlmSimulator simulator = LlmSimulator.builder()
                .serviceTime(simulatedServiceTime)
                .parallelism(simulatedParallelism)
                .tokensPerSecond(SIMULATED_TOKENS_PER_SECOND)
                .build()
                .start();
        return new LlmBackend(provider, openai ? simulator.openAiBaseUrl() : simulator.ollamaBaseUrl(), model,
                embedModel, simulator);
    }

    private static String value(Function<String, String> env, String name, String fallback) {
        String value = env.apply(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    /** The first line the examples print: where the LLM is. */
    String describe() {
        if (simulator != null) {
            return "No LLM_BASE_URL set: using the built-in LLM simulator at " + baseUrl + " (" + provider + " API, "
                   + simulator.parallelism() + " requests in parallel, " + simulator.serviceTime().toMillis()
                   + " ms each; streamed at " + (int) simulator.tokensPerSecond() + " tokens a second). Set LLM_BASE_URL"
                   + " to use a real server.";
        }
        return "Using the " + provider + " server at " + baseUrl + " with model " + model;
    }

    /** The placeholders the example route files use. */
    Properties properties() {
        Properties properties = new Properties();
        properties.setProperty("llm.provider", provider);
        properties.setProperty("llm.baseUrl", baseUrl);
        properties.setProperty("llm.model", model);
        properties.setProperty("llm.embedModel", embedModel);
        return properties;
    }

    @Override
    public void close() {
        if (simulator != null) {
            simulator.close();
        }
    }
}
