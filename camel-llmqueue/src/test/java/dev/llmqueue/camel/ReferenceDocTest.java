package dev.llmqueue.camel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The reference page docs/llmqueue-component.md documents exactly the options and headers of the generated component
 * JSON, with the same defaults. A row counts when its first cell is a name in backticks; it belongs to the section
 * heading ("Component options", "Endpoint options", "Message headers") it is under.
 */
class ReferenceDocTest {

    private static final String JSON_RESOURCE = "/META-INF/dev/llmqueue/camel/llmqueue.json";
    private static final List<Path> DOC_CANDIDATES
            = List.of(Path.of("../docs/llmqueue-component.md"), Path.of("docs/llmqueue-component.md"));

    private static final String COMPONENT_OPTIONS = "Component options";
    private static final String ENDPOINT_OPTIONS = "Endpoint options";
    private static final String MESSAGE_HEADERS = "Message headers";
    private static final List<String> SECTIONS = List.of(COMPONENT_OPTIONS, ENDPOINT_OPTIONS, MESSAGE_HEADERS);

    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern NAME_CELL = Pattern.compile("^`([^`]+)`$");
    private static final Pattern SEPARATOR_CELL = Pattern.compile("^:?-+:?$");

    private static JsonNode json;
    private static Path docPath;
    /** section name -> its rows in document order, each row: column header -> cell text. */
    private static Map<String, List<Map<String, String>>> sections;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = ReferenceDocTest.class.getResourceAsStream(JSON_RESOURCE)) {
            assertNotNull(in, "the generated component JSON " + JSON_RESOURCE + " is not on the classpath");
            json = new ObjectMapper().readTree(in);
        }
        docPath = DOC_CANDIDATES.stream().filter(Files::isRegularFile).findFirst().orElse(null);
        if (docPath == null) {
            fail("the reference page was not found; tried "
                 + DOC_CANDIDATES.stream().map(p -> p.toAbsolutePath().normalize().toString()).toList());
        }
        sections = parse(Files.readAllLines(docPath, StandardCharsets.UTF_8));
    }

    @Test
    void componentOptionsTableListsExactlyTheComponentOptionsOfTheJson() {
        assertSameNames(COMPONENT_OPTIONS, "componentProperties");
    }

    @Test
    void endpointOptionsTableListsExactlyTheEndpointOptionsOfTheJson() {
        assertSameNames(ENDPOINT_OPTIONS, "properties");
    }

    @Test
    void headersTableListsExactlyTheHeadersOfTheJson() {
        assertSameNames(MESSAGE_HEADERS, "headers");
    }

    /**
     * A sentence such as "supports 16 options" once listed 15: the page may state a count only when it is right (it is
     * simplest to state none).
     */
    @Test
    void countsStatedInTheTextMatchTheJson() throws IOException {
        Pattern stated = Pattern.compile("supports (\\d+) (options|message headers)");
        List<String> wrong = new ArrayList<>();
        for (String line : Files.readAllLines(docPath, StandardCharsets.UTF_8)) {
            for (Matcher m = stated.matcher(line); m.find();) {
                int count = Integer.parseInt(m.group(1));
                int actual = m.group(2).equals("message headers") ? jsonNames("headers").size()
                        : line.contains("endpoint") ? jsonNames("properties").size()
                        : jsonNames("componentProperties").size();
                if (count != actual) {
                    wrong.add("'" + m.group() + "' in: " + line.trim() + " (the JSON has " + actual + ")");
                }
            }
        }
        assertTrue(wrong.isEmpty(), docPath + ": counts that differ from the JSON:\n  " + String.join("\n  ", wrong));
    }

    @Test
    void documentedDefaultsMatchTheJson() {
        List<String> mismatches = new ArrayList<>();
        collectDefaultMismatches(COMPONENT_OPTIONS, "componentProperties", true, mismatches);
        collectDefaultMismatches(ENDPOINT_OPTIONS, "properties", true, mismatches);
        assertTrue(mismatches.isEmpty(),
                docPath + ": Default cells that differ from the JSON defaultValue:\n  " + String.join("\n  ", mismatches));
    }

    @Test
    void optionsWithoutAJsonDefaultShowNoDefault() {
        List<String> invented = new ArrayList<>();
        collectDefaultMismatches(COMPONENT_OPTIONS, "componentProperties", false, invented);
        collectDefaultMismatches(ENDPOINT_OPTIONS, "properties", false, invented);
        assertTrue(invented.isEmpty(),
                docPath + ": Default cells filled in for options that have no defaultValue in the JSON"
                                   + " (explain such defaults in the Description instead):\n  "
                                   + String.join("\n  ", invented));
    }

    // ---- checks ----

    private static void assertSameNames(String section, String jsonKey) {
        Set<String> expected = jsonNames(jsonKey);
        List<String> documented = rows(section).stream().map(row -> row.get(NAME)).toList();
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(documented);
        Set<String> extra = new TreeSet<>(documented);
        extra.removeAll(expected);
        Set<String> seen = new LinkedHashSet<>();
        Set<String> duplicated = new TreeSet<>();
        for (String name : documented) {
            if (!seen.add(name)) {
                duplicated.add(name);
            }
        }
        if (!missing.isEmpty() || !extra.isEmpty() || !duplicated.isEmpty()) {
            fail(docPath + ", section '" + section + "' does not list exactly the " + jsonKey + " of " + JSON_RESOURCE
                 + ":\n  missing (in the JSON, not in the doc): " + missing
                 + "\n  extra (in the doc, not in the JSON): " + extra
                 + "\n  listed more than once: " + duplicated);
        }
    }

    /**
     * @param withDefault true: options with a JSON defaultValue whose Default cell differs; false: options without
     *                    one whose Default cell is not empty
     */
    private static void collectDefaultMismatches(String section, String jsonKey, boolean withDefault,
                                                 List<String> mismatches) {
        Map<String, String> documented = new LinkedHashMap<>();
        for (Map<String, String> row : rows(section)) {
            String cell = row.get("default");
            if (cell == null) {
                fail(docPath + ", section '" + section + "' has a table without a Default column");
            }
            documented.putIfAbsent(row.get(NAME), stripCode(cell));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = json.path(jsonKey).fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> option = it.next();
            String name = option.getKey();
            if (!documented.containsKey(name)) {
                continue; // reported by the table tests
            }
            JsonNode jsonDefault = option.getValue().get("defaultValue");
            String cell = documented.get(name);
            if (withDefault && jsonDefault != null && !jsonDefault.asText().equals(cell)) {
                mismatches.add(section + " `" + name + "`: doc '" + cell + "', JSON '" + jsonDefault.asText() + "'");
            }
            if (!withDefault && jsonDefault == null && !cell.isEmpty()) {
                mismatches.add(section + " `" + name + "`: doc '" + cell + "', JSON has no defaultValue");
            }
        }
    }

    private static Set<String> jsonNames(String jsonKey) {
        JsonNode node = json.path(jsonKey);
        assertTrue(node.isObject() && node.size() > 0, JSON_RESOURCE + " has no '" + jsonKey + "'");
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<Map<String, String>> rows(String section) {
        List<Map<String, String>> rows = sections.get(section);
        if (rows == null || rows.isEmpty()) {
            fail(docPath + " has no table row with a `name` under a heading '" + section + "'");
        }
        return rows;
    }

    // ---- markdown tables ----

    /** Key of the first cell's name (the text inside the backticks) in a parsed row. */
    private static final String NAME = "\u0000name";

    private static Map<String, List<Map<String, String>>> parse(List<String> lines) {
        Map<String, List<Map<String, String>>> result = new LinkedHashMap<>();
        String section = null;
        int sectionLevel = 0;
        List<String> columns = null;
        boolean previousWasTableLine = false;
        for (String line : lines) {
            String trimmed = line.trim();
            Matcher heading = HEADING.matcher(trimmed);
            if (heading.matches()) {
                int level = heading.group(1).length();
                String title = heading.group(2);
                String known = SECTIONS.stream().filter(s -> s.equalsIgnoreCase(title)).findFirst().orElse(null);
                if (known != null) {
                    section = known;
                    sectionLevel = level;
                } else if (level <= sectionLevel) {
                    // a sibling or parent heading ends the section; deeper headings stay inside it
                    section = null;
                    sectionLevel = 0;
                }
                previousWasTableLine = false;
                continue;
            }
            if (!trimmed.startsWith("|")) {
                previousWasTableLine = false;
                continue;
            }
            List<String> cells = cells(trimmed);
            if (!previousWasTableLine) {
                // the first line of a table is its header row
                columns = cells.stream().map(c -> c.toLowerCase(Locale.ROOT)).toList();
                previousWasTableLine = true;
                continue;
            }
            previousWasTableLine = true;
            if (section == null || cells.stream().allMatch(c -> SEPARATOR_CELL.matcher(c).matches())) {
                continue;
            }
            Matcher name = NAME_CELL.matcher(cells.isEmpty() ? "" : cells.get(0));
            if (!name.matches()) {
                continue;
            }
            Map<String, String> row = new LinkedHashMap<>();
            row.put(NAME, name.group(1).trim());
            for (int i = 0; i < cells.size() && i < columns.size(); i++) {
                row.put(columns.get(i), cells.get(i));
            }
            result.computeIfAbsent(section, s -> new ArrayList<>()).add(row);
        }
        return result;
    }

    /** Splits a table line on the pipes that are not escaped as \|. */
    private static List<String> cells(String line) {
        String inner = line.substring(1);
        if (inner.endsWith("|") && !inner.endsWith("\\|")) {
            inner = inner.substring(0, inner.length() - 1);
        }
        List<String> cells = new ArrayList<>();
        for (String cell : inner.split("(?<!\\\\)\\|", -1)) {
            cells.add(cell.trim().replace("\\|", "|"));
        }
        return cells;
    }

    private static String stripCode(String cell) {
        String text = cell.trim();
        if (text.length() >= 2 && text.startsWith("`") && text.endsWith("`")) {
            text = text.substring(1, text.length() - 1).trim();
        }
        return text;
    }
}
