package dev.llmqueue.simulator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Deque;
import java.util.Map;

/**
 * Structured output: which format a request asks for (JSON mode or a JSON schema) and deterministic placeholder
 * instances of JSON schemas, for structured answers and for tool-call arguments.
 *
 * <p>Placeholders: {@code const} → its value; {@code enum} → its first value; string → {@code "example"} (or a
 * fixed value of its {@code format}: date-time, date, time, email, uri, uuid; padded or cut to
 * {@code minLength}/{@code maxLength}); integer → 1 and number → 1.0 (moved into {@code minimum}/{@code maximum}
 * when 1 is outside); boolean → true; null → null; array → one placeholder item ({@code minItems} items when
 * more are required); object → every property (required or not), recursively. A {@code type} array takes its
 * first type other than null; {@code anyOf}/{@code oneOf} take their first alternative that is not null;
 * {@code allOf} merges the properties of its members; {@code $ref} to {@code #}, {@code #/$defs/...} or
 * {@code #/definitions/...} is followed. Anything else gives {@code "example"}.
 */
final class Structured {

    /** What a request asks its answer to be. */
    enum Kind {
        /** Plain text (no format, or one the simulator cannot make sense of). */
        TEXT,
        /** Any JSON object: OpenAI {@code response_format:{type:"json_object"}}, Ollama {@code format:"json"}. */
        JSON_OBJECT,
        /** An instance of a schema: OpenAI {@code json_schema}, Ollama {@code format:<schema>}. */
        JSON_SCHEMA
    }

    /** The requested format; {@code schema} is set for {@link Kind#JSON_SCHEMA} only. */
    record Format(Kind kind, JsonNode schema) {
        static final Format TEXT = new Format(Kind.TEXT, null);
        static final Format JSON_OBJECT = new Format(Kind.JSON_OBJECT, null);
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectWriter SPACED = MAPPER.writer(new SpacedPrinter());
    private static final int MAX_DEPTH = 12;
    private static final int MAX_REFS = 16;
    private static final int MAX_ITEMS = 16;

    private Structured() {
    }

    /** The format asked by OpenAI's {@code response_format} or Ollama's {@code format}. */
    static Format requested(JsonNode req, boolean openAi) {
        if (openAi) {
            JsonNode rf = req.get("response_format");
            if (rf == null || !rf.isObject()) {
                return Format.TEXT;
            }
            String type = rf.path("type").asText("");
            if (type.equals("json_object")) {
                return Format.JSON_OBJECT;
            }
            if (type.equals("json_schema")) {
                JsonNode schema = rf.path("json_schema").get("schema");
                return schema != null && schema.isObject() ? new Format(Kind.JSON_SCHEMA, schema) : Format.TEXT;
            }
            return Format.TEXT;
        }
        JsonNode format = req.get("format");
        if (format == null) {
            return Format.TEXT;
        }
        if (format.isTextual()) {
            return format.textValue().equals("json") ? Format.JSON_OBJECT : Format.TEXT;
        }
        return format.isObject() ? new Format(Kind.JSON_SCHEMA, format) : Format.TEXT;
    }

    /** {@code {"answer": text}}. */
    static String answerObject(String text) {
        ObjectNode o = NODES.objectNode();
        o.put("answer", text);
        return write(o);
    }

    /** A placeholder instance of {@code schema}: every property, arrays with one item, nested objects filled. */
    static JsonNode instance(JsonNode schema) {
        return value(schema, schema, 0, null, true);
    }

    /**
     * Tool-call arguments: an object with a placeholder for each property of the tool's {@code parameters}
     * schema; strings (without enum, const or format) take the next of {@code words}, or {@code "example"} when
     * there are no more; integer and number → 1; array → []; object → {}.
     */
    static ObjectNode toolArguments(JsonNode parameters, Deque<String> words) {
        if (parameters == null || !parameters.isObject()) {
            return NODES.objectNode();
        }
        JsonNode v = value(parameters, parameters, 0, words, false);
        return v.isObject() ? (ObjectNode) v : NODES.objectNode();
    }

    /** JSON with a space after {@code :} and {@code ,}, on one line, like a model writes it. */
    static String write(JsonNode node) {
        try {
            return SPACED.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- placeholders

    /**
     * @param words null for a schema instance; the words for strings for tool arguments
     * @param deep  whether nested arrays and objects are filled (schema instance) or left empty (tool arguments)
     */
    private static JsonNode value(JsonNode schema, JsonNode root, int depth, Deque<String> words, boolean deep) {
        schema = resolve(schema, root);
        if (schema == null || !schema.isObject()) {
            return NODES.textNode("example");
        }
        JsonNode constant = schema.get("const");
        if (constant != null) {
            return constant.deepCopy();
        }
        JsonNode values = schema.get("enum");
        if (values != null && values.isArray() && !values.isEmpty()) {
            return values.get(0).deepCopy();
        }
        JsonNode alternative = alternative(schema.get("anyOf"));
        if (alternative == null) {
            alternative = alternative(schema.get("oneOf"));
        }
        if (alternative != null) {
            return value(alternative, root, depth, words, deep);
        }
        JsonNode all = schema.get("allOf");
        if (all != null && all.isArray() && !all.isEmpty() && !schema.has("type") && !schema.has("properties")) {
            JsonNode first = value(all.get(0), root, depth, words, deep);
            if (!first.isObject()) {
                return first;
            }
            ObjectNode merged = (ObjectNode) first;
            for (int i = 1; i < all.size(); i++) {
                JsonNode more = value(all.get(i), root, depth, words, deep);
                if (more.isObject()) {
                    merged.setAll((ObjectNode) more);
                }
            }
            return merged;
        }
        switch (type(schema)) {
            case "string":
                return NODES.textNode(string(schema, words));
            case "integer":
                return integral(bounded(schema, 1, true));
            case "number": {
                double d = bounded(schema, 1, false);
                return deep || d != Math.rint(d) ? NODES.numberNode(d) : integral(d);
            }
            case "boolean":
                return NODES.booleanNode(true);
            case "null":
                return NODES.nullNode();
            case "array": {
                ArrayNode a = NODES.arrayNode();
                if (!deep || depth >= MAX_DEPTH) {
                    return a;
                }
                JsonNode prefixItems = schema.get("prefixItems");
                if (prefixItems == null && schema.path("items").isArray()) {
                    prefixItems = schema.get("items"); // draft 4-7 tuple form
                }
                if (prefixItems != null && prefixItems.isArray()) {
                    for (JsonNode item : prefixItems) {
                        a.add(value(item, root, depth + 1, null, true));
                    }
                    return a;
                }
                int n = Math.max(1, Math.min(MAX_ITEMS, schema.path("minItems").asInt(1)));
                if (schema.has("maxItems")) {
                    n = Math.min(n, Math.max(0, schema.get("maxItems").asInt(n)));
                }
                JsonNode items = schema.get("items");
                for (int i = 0; i < n; i++) {
                    a.add(value(items, root, depth + 1, null, true));
                }
                return a;
            }
            case "object": {
                ObjectNode o = NODES.objectNode();
                if ((depth > 0 && !deep) || depth >= MAX_DEPTH) {
                    return o;
                }
                JsonNode properties = schema.get("properties");
                if (properties != null && properties.isObject()) {
                    for (Map.Entry<String, JsonNode> f : properties.properties()) {
                        o.set(f.getKey(), value(f.getValue(), root, depth + 1, words, deep));
                    }
                }
                return o;
            }
            default:
                return NODES.textNode("example");
        }
    }

    /** An int node when {@code d} fits an int, else a long node. */
    private static JsonNode integral(double d) {
        long l = (long) d;
        return l == (int) l ? NODES.numberNode((int) l) : NODES.numberNode(l);
    }

    /** Follows {@code $ref}s to {@code #...} in {@code root}; null when one cannot be followed. */
    private static JsonNode resolve(JsonNode schema, JsonNode root) {
        for (int hops = 0; schema != null && schema.isObject() && schema.has("$ref"); hops++) {
            String ref = schema.get("$ref").asText("");
            if (hops >= MAX_REFS || !ref.startsWith("#")) {
                return null;
            }
            if (ref.equals("#")) {
                schema = root;
            } else {
                try {
                    JsonNode target = root.at(JsonPointer.compile(ref.substring(1)));
                    schema = target.isMissingNode() ? null : target;
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return schema;
    }

    /** The first member of an anyOf/oneOf array that is not {@code {"type":"null"}}, else its first member. */
    private static JsonNode alternative(JsonNode alternatives) {
        if (alternatives == null || !alternatives.isArray() || alternatives.isEmpty()) {
            return null;
        }
        for (JsonNode a : alternatives) {
            if (!"null".equals(a.path("type").asText())) {
                return a;
            }
        }
        return alternatives.get(0);
    }

    /** The schema's type: {@code type}, the first non-null of a type array, or inferred from its keywords. */
    private static String type(JsonNode schema) {
        JsonNode type = schema.get("type");
        if (type != null && type.isTextual()) {
            return type.textValue();
        }
        if (type != null && type.isArray()) {
            for (JsonNode t : type) {
                if (t.isTextual() && !t.textValue().equals("null")) {
                    return t.textValue();
                }
            }
            if (!type.isEmpty()) {
                return "null";
            }
        }
        if (schema.has("properties")) {
            return "object";
        }
        if (schema.has("items") || schema.has("prefixItems")) {
            return "array";
        }
        return "string";
    }

    private static String string(JsonNode schema, Deque<String> words) {
        String s;
        String format = schema.path("format").asText("");
        switch (format) {
            case "date-time":
                s = "2025-01-01T00:00:00Z";
                break;
            case "date":
                s = "2025-01-01";
                break;
            case "time":
                s = "00:00:00Z";
                break;
            case "email":
                s = "user@example.com";
                break;
            case "uri":
            case "url":
                s = "https://example.com";
                break;
            case "uuid":
                s = "00000000-0000-0000-0000-000000000000";
                break;
            default:
                String word = words == null ? null : words.pollFirst();
                s = word != null ? word : "example";
        }
        int min = schema.path("minLength").asInt(0);
        if (s.length() < min) {
            StringBuilder sb = new StringBuilder(s);
            while (sb.length() < min) {
                sb.append('x');
            }
            s = sb.toString();
        }
        JsonNode max = schema.get("maxLength");
        if (max != null && max.canConvertToInt() && max.intValue() >= 0 && s.length() > max.intValue()) {
            s = s.substring(0, max.intValue());
        }
        return s;
    }

    /** {@code value} moved inside minimum/maximum (and their exclusive forms) when it is outside. */
    private static double bounded(JsonNode schema, double value, boolean integer) {
        double v = value;
        JsonNode min = schema.get("minimum");
        if (min != null && min.isNumber() && v < min.doubleValue()) {
            v = integer ? Math.ceil(min.doubleValue()) : min.doubleValue();
        }
        JsonNode xmin = schema.get("exclusiveMinimum");
        if (xmin != null && xmin.isNumber() && v <= xmin.doubleValue()) {
            v = Math.floor(xmin.doubleValue()) + 1;
        }
        JsonNode max = schema.get("maximum");
        if (max != null && max.isNumber() && v > max.doubleValue()) {
            v = integer ? Math.floor(max.doubleValue()) : max.doubleValue();
        }
        JsonNode xmax = schema.get("exclusiveMaximum");
        if (xmax != null && xmax.isNumber() && v >= xmax.doubleValue()) {
            v = Math.ceil(xmax.doubleValue()) - 1;
        }
        return v;
    }

    /** Compact JSON on one line with a space after {@code :} and {@code ,}. */
    private static final class SpacedPrinter extends MinimalPrettyPrinter {
        private static final long serialVersionUID = 1L;

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            g.writeRaw(", ");
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(", ");
        }
    }
}
