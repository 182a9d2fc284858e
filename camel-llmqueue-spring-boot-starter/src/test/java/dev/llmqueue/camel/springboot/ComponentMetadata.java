package dev.llmqueue.camel.springboot;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The component's own metadata, llmqueue.json, as the camel-llmqueue jar ships it, and the Spring Boot configuration
 * metadata this module's build generates.
 */
final class ComponentMetadata {

    static final String PREFIX = "camel.component.llmqueue.";

    private ComponentMetadata() {
    }

    /** Each component option (camelCase name) with its metadata, in the JSON's order. */
    static Map<String, JsonNode> componentOptions() {
        try (InputStream in = ComponentMetadata.class.getClassLoader()
                .getResourceAsStream("META-INF/dev/llmqueue/camel/llmqueue.json")) {
            if (in == null) {
                throw new IllegalStateException("llmqueue.json is not on the classpath");
            }
            Map<String, JsonNode> options = new LinkedHashMap<>();
            new ObjectMapper().readTree(in).get("componentProperties").fields()
                    .forEachRemaining(e -> options.put(e.getKey(), e.getValue()));
            return options;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The properties of the spring-configuration-metadata.json generated for LlmQueueComponentConfiguration, by name;
     * null when there is none.
     */
    static Map<String, JsonNode> generatedProperties() {
        String source = LlmQueueComponentConfiguration.class.getName();
        try {
            for (URL url : Collections.list(ComponentMetadata.class.getClassLoader()
                    .getResources("META-INF/spring-configuration-metadata.json"))) {
                try (InputStream in = url.openStream()) {
                    JsonNode metadata = new ObjectMapper().readTree(in);
                    boolean ours = false;
                    for (JsonNode group : metadata.path("groups")) {
                        ours |= source.equals(group.path("sourceType").asText());
                    }
                    if (ours) {
                        Map<String, JsonNode> properties = new LinkedHashMap<>();
                        for (JsonNode property : metadata.path("properties")) {
                            properties.put(property.get("name").asText(), property);
                        }
                        return properties;
                    }
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** maxConcurrentRequests to max-concurrent-requests. */
    static String kebab(String option) {
        return option.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
    }
}
