package dev.llmqueue.camel.springboot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static dev.llmqueue.camel.springboot.ComponentMetadata.PREFIX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The table "Spring Boot properties" of docs/user-guide.md lists exactly the properties of the generated
 * spring-configuration-metadata.json, with the same defaults. A row counts when its first cell is a name in backticks.
 */
class SpringBootPropertiesDocTest {

    private static final List<Path> DOC_CANDIDATES = List.of(Path.of("../docs/user-guide.md"),
            Path.of("docs/user-guide.md"));
    private static final String HEADING = "### Spring Boot properties";
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([^`]+)`\\s*\\|([^|]*)\\|([^|]*)\\|.*$");

    @Test
    void theTableListsEveryPropertyWithItsDefault() throws IOException {
        Path doc = DOC_CANDIDATES.stream().filter(Files::isRegularFile).findFirst()
                .orElseThrow(() -> new AssertionError("docs/user-guide.md not found"));
        Map<String, String> documented = new TreeMap<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(doc, StandardCharsets.UTF_8)) {
            if (line.startsWith("#")) {
                inSection = line.trim().equals(HEADING);
                continue;
            }
            Matcher row = ROW.matcher(line);
            if (inSection && row.matches()) {
                documented.put(PREFIX + row.group(1), row.group(3).trim());
            }
        }
        if (documented.isEmpty()) {
            fail("no table under '" + HEADING + "' in " + doc);
        }
        Map<String, JsonNode> generated = ComponentMetadata.generatedProperties();
        assertNotNull(generated);
        Map<String, String> expected = new TreeMap<>();
        generated.forEach((name, property) -> {
            if (name.startsWith(PREFIX)) {
                expected.put(name, property.path("defaultValue").asText());
            }
        });
        assertEquals(expected, documented);
    }
}
