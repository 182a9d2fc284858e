package dev.llmqueue.camel;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.victools.jsonschema.generator.Option;
import com.github.victools.jsonschema.generator.OptionPreset;
import com.github.victools.jsonschema.generator.SchemaGenerator;
import com.github.victools.jsonschema.generator.SchemaGeneratorConfigBuilder;
import com.github.victools.jsonschema.generator.SchemaVersion;
import com.github.victools.jsonschema.module.jackson.JacksonModule;
import com.github.victools.jsonschema.module.jackson.JacksonOption;

/**
 * JSON Schemas generated from the outputClass, with victools' jsonschema-generator and its Jackson module (so that
 * {@code @JsonProperty} names and {@code @JsonIgnore} are respected the way the reply is bound).
 */
final class LlmQueueSchemas {

    private static final SchemaGenerator GENERATOR;

    static {
        SchemaGeneratorConfigBuilder config = new SchemaGeneratorConfigBuilder(SchemaVersion.DRAFT_2020_12,
                OptionPreset.PLAIN_JSON)
                .with(new JacksonModule(JacksonOption.RESPECT_JSONPROPERTY_REQUIRED))
                // OpenAI's strict mode: no additional properties on any object, and every property required
                .with(Option.FORBIDDEN_ADDITIONAL_PROPERTIES_BY_DEFAULT)
                .without(Option.SCHEMA_VERSION_INDICATOR);
        config.forFields().withRequiredCheck(field -> true);
        GENERATOR = new SchemaGenerator(config.build());
    }

    private LlmQueueSchemas() {
    }

    /**
     * The schema of a class: an object with every property required and no additional properties.
     *
     * @throws IllegalArgumentException naming the class when no object schema can be generated from it
     */
    static ObjectNode forClass(Class<?> type) {
        ObjectNode schema;
        try {
            schema = GENERATOR.generateSchema(type);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Endpoint option outputClass: cannot generate a JSON Schema from "
                                               + type.getName() + " (" + e.getMessage() + "); give one in jsonSchema",
                    e);
        }
        if (!"object".equals(schema.path("type").asText(null))) {
            throw new IllegalArgumentException("Endpoint option outputClass: " + type.getName() + " is not an object"
                                               + " type (its schema is " + schema + "); the reply must be a JSON"
                                               + " object, so use a class with properties");
        }
        return schema;
    }
}
