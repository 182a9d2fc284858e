package dev.llmqueue.examples.springboot;

import java.time.Duration;
import java.util.Locale;

import dev.llmqueue.simulator.LlmSimulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The LLM server the routes talk to: the one at {@code llm.base-url} ({@code LLM_BASE_URL}), or else a built-in
 * simulator on loopback, started here and stopped with the application.
 */
@Component
public class LlmServer implements DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(LlmServer.class);

    private final String provider;
    private final String baseUrl;
    private final String model;
    /** null when a real server is used. */
    private final LlmSimulator simulator;

    public LlmServer(@Value("${llm.provider}") String provider, @Value("${llm.base-url}") String baseUrl,
                     @Value("${llm.model}") String model,
                     @Value("${llm.simulator.service-time}") Duration simulatedServiceTime,
                     @Value("${llm.simulator.parallelism}") int simulatedParallelism) {
        this.provider = provider.trim().toLowerCase(Locale.ROOT);
        if (!this.provider.equals("ollama") && !this.provider.equals("openai")) {
            throw new IllegalArgumentException("llm.provider (LLM_PROVIDER) '" + provider + "': use ollama or openai");
        }
        boolean openai = this.provider.equals("openai");
        this.model = model.isBlank() ? (openai ? "gpt-4o-mini" : "llama3.2") : model.trim();
        if (baseUrl.isBlank()) {
            simulator = LlmSimulator.builder().serviceTime(simulatedServiceTime).parallelism(simulatedParallelism)
                    .build().start();
            this.baseUrl = openai ? simulator.openAiBaseUrl() : simulator.ollamaBaseUrl();
            LOG.info("No LLM_BASE_URL set: using the built-in LLM simulator at {} ({} API, {} requests in parallel, {}"
                     + " ms each). Set LLM_BASE_URL to use a real server.", this.baseUrl, this.provider,
                    simulatedParallelism, simulatedServiceTime.toMillis());
        } else {
            simulator = null;
            this.baseUrl = baseUrl.trim();
            LOG.info("Using the {} server at {} with model {}", this.provider, this.baseUrl, this.model);
        }
    }

    /** The llmqueue endpoint for this server at that priority, for example {@code llmqueue:ollama?model=...}. */
    public String endpoint(String priority) {
        return "llmqueue:" + provider + "?model=" + model + "&priority=" + priority + "&baseUrl=" + baseUrl;
    }

    @Override
    public void destroy() {
        if (simulator != null) {
            simulator.close();
        }
    }
}
