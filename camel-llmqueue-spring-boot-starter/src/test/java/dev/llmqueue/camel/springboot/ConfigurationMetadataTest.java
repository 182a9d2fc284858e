package dev.llmqueue.camel.springboot;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmqueue.dashboard.LlmQueueDashboard;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.llmqueue.camel.springboot.ComponentMetadata.PREFIX;
import static dev.llmqueue.camel.springboot.ComponentMetadata.kebab;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The META-INF/spring-configuration-metadata.json the build generates lists every component option of llmqueue.json,
 * in kebab case, with the same description, the matching type and the same default: IDEs complete and document
 * exactly what the component has; and the dashboard's properties, camel.component.llmqueue.dashboard.*.
 */
class ConfigurationMetadataTest {

    /**
     * camel.component.llmqueue.dashboard.*: the options of LlmQueueDashboard (path, token, showPrompts, with its
     * defaults) and enabled; type and default ("" for none).
     */
    private static final Map<String, String[]> DASHBOARD = Map.of(
            "enabled", new String[] {"java.lang.Boolean", "false"},
            "path", new String[] {"java.lang.String", LlmQueueDashboard.DEFAULT_PATH},
            "token", new String[] {"java.lang.String", ""},
            "show-prompts", new String[] {"java.lang.Boolean", "false"});

    private static Map<String, JsonNode> generated;

    @BeforeAll
    static void readGeneratedMetadata() {
        generated = ComponentMetadata.generatedProperties();
        assertNotNull(generated, "no generated spring-configuration-metadata.json for LlmQueueComponentConfiguration");
    }

    @Test
    void everyComponentOptionIsListedWithItsDescriptionTypeAndDefault() {
        Map<String, JsonNode> options = ComponentMetadata.componentOptions();
        assertTrue(options.size() >= 16, options.keySet().toString());
        for (Map.Entry<String, JsonNode> option : options.entrySet()) {
            String name = PREFIX + kebab(option.getKey());
            JsonNode property = generated.get(name);
            assertNotNull(property, name + " is missing from spring-configuration-metadata.json");
            JsonNode expected = option.getValue();
            assertEquals(expected.get("description").asText(), property.path("description").asText(),
                    name + ": description");
            assertEquals(bootType(expected), property.path("type").asText(), name + ": type");
            // nodeId has no default value, only a computed one
            assertEquals(expected.path("defaultValue").asText(), property.path("defaultValue").asText(),
                    name + ": default");
        }
    }

    @Test
    void listsNothingTheComponentDoesNotHave() {
        Set<String> expected = new TreeSet<>(Set.of(PREFIX + "enabled", PREFIX + "customizer.enabled"));
        DASHBOARD.keySet().forEach(option -> expected.add(PREFIX + "dashboard." + option));
        ComponentMetadata.componentOptions().keySet().forEach(option -> expected.add(PREFIX + kebab(option)));
        Set<String> listed = new TreeSet<>();
        generated.keySet().stream().filter(name -> name.startsWith(PREFIX)).forEach(listed::add);
        assertEquals(expected, listed);
    }

    @Test
    void enabledIsListedAndDefaultsToTrue() {
        JsonNode enabled = generated.get(PREFIX + "enabled");
        assertNotNull(enabled);
        assertEquals("java.lang.Boolean", enabled.path("type").asText());
        assertTrue(enabled.path("defaultValue").asBoolean(false));
        assertTrue(enabled.path("description").asText().contains("llmqueue"), enabled.toString());
    }

    @Test
    void theDashboardsPropertiesAreListedWithTypeDefaultAndDescription() {
        for (Map.Entry<String, String[]> option : DASHBOARD.entrySet()) {
            String name = PREFIX + "dashboard." + option.getKey();
            JsonNode property = generated.get(name);
            assertNotNull(property, name + " is missing from spring-configuration-metadata.json");
            assertEquals(option.getValue()[0], property.path("type").asText(), name + ": type");
            assertEquals(option.getValue()[1], property.path("defaultValue").asText(), name + ": default");
            assertFalse(property.path("description").asText().isBlank(), name + ": description");
        }
    }

    /** The type a property of that option has in Spring Boot: durations bind as java.time.Duration. */
    private static String bootType(JsonNode option) {
        return switch (option.get("type").asText()) {
            case "integer" -> "java.lang.Integer";
            case "boolean" -> "java.lang.Boolean";
            case "duration" -> "java.time.Duration";
            case "string" -> "java.lang.String";
            default -> option.get("javaType").asText();
        };
    }
}
