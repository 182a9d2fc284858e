package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.List;

import static dev.llmqueue.simulator.Http.MAPPER;
import static org.junit.jupiter.api.Assertions.assertEquals;

class StructuredTest {

    private static JsonNode instance(String schema) throws Exception {
        // through the wire text, as a client sees it
        return MAPPER.readTree(Structured.write(Structured.instance(MAPPER.readTree(schema))));
    }

    private static JsonNode json(String text) throws Exception {
        return MAPPER.readTree(text);
    }

    @Test
    void everyTypeGetsItsPlaceholder() throws Exception {
        assertEquals(json("{\"s\":\"example\",\"i\":1,\"n\":1.0,\"b\":true,\"z\":null}"), instance("""
                {"type":"object","properties":{"s":{"type":"string"},"i":{"type":"integer"},"n":{"type":"number"},
                 "b":{"type":"boolean"},"z":{"type":"null"}}}"""));
    }

    @Test
    void optionalPropertiesAreFilledToo() throws Exception {
        assertEquals(json("{\"a\":\"example\",\"b\":\"example\"}"), instance("""
                {"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"required":["a"]}"""));
    }

    @Test
    void anArrayHasOnePlaceholderItem() throws Exception {
        assertEquals(json("[{\"x\":1}]"),
                instance("{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"}}}}"));
    }

    @Test
    void minItemsAndMaxItemsAreHonoured() throws Exception {
        assertEquals(json("[true,true,true]"), instance("{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"minItems\":3}"));
        assertEquals(json("[]"), instance("{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"maxItems\":0}"));
    }

    @Test
    void enumAndConstGiveTheirValue() throws Exception {
        assertEquals(json("{\"e\":\"red\",\"c\":42}"), instance("""
                {"type":"object","properties":{"e":{"type":"string","enum":["red","green"]},"c":{"const":42}}}"""));
    }

    @Test
    void refsToDefsAreFollowed() throws Exception {
        assertEquals(json("{\"owner\":{\"name\":\"example\"},\"pets\":[{\"name\":\"example\"}]}"), instance("""
                {"$defs":{"Person":{"type":"object","properties":{"name":{"type":"string"}}}},
                 "type":"object","properties":{"owner":{"$ref":"#/$defs/Person"},
                   "pets":{"type":"array","items":{"$ref":"#/definitions/Pet"}}},
                 "definitions":{"Pet":{"$ref":"#/$defs/Person"}}}"""));
    }

    @Test
    void aRecursiveSchemaEnds() throws Exception {
        JsonNode tree = instance("""
                {"type":"object","properties":{"name":{"type":"string"},
                 "children":{"type":"array","items":{"$ref":"#"}}}}""");

        assertEquals("example", tree.at("/children/0/children/0/name").asText());
    }

    @Test
    void nullableTypesAndAnyOfTakeTheNonNullAlternative() throws Exception {
        assertEquals(json("{\"a\":\"example\",\"b\":1}"), instance("""
                {"type":"object","properties":{"a":{"type":["null","string"]},
                 "b":{"anyOf":[{"type":"null"},{"type":"integer"}]}}}"""));
    }

    @Test
    void allOfMergesTheProperties() throws Exception {
        assertEquals(json("{\"a\":1,\"b\":true}"), instance("""
                {"allOf":[{"type":"object","properties":{"a":{"type":"integer"}}},
                          {"type":"object","properties":{"b":{"type":"boolean"}}}]}"""));
    }

    @Test
    void numbersAreMovedInsideTheirBounds() throws Exception {
        assertEquals(json("{\"a\":5,\"b\":0,\"c\":3,\"d\":0.5}"), instance("""
                {"type":"object","properties":{"a":{"type":"integer","minimum":5},"b":{"type":"integer","maximum":0},
                 "c":{"type":"integer","exclusiveMinimum":2},"d":{"type":"number","maximum":0.5}}}"""));
    }

    @Test
    void stringFormatsAndLengthsAreHonoured() throws Exception {
        assertEquals(json("{\"t\":\"2025-01-01T00:00:00Z\",\"m\":\"user@example.com\",\"long\":\"examplexxx\",\"short\":\"ex\"}"),
                instance("""
                {"type":"object","properties":{"t":{"type":"string","format":"date-time"},
                 "m":{"type":"string","format":"email"},"long":{"type":"string","minLength":10},
                 "short":{"type":"string","maxLength":2}}}"""));
    }

    @Test
    void toolArgumentsAreFlatAndTakeWordsForStrings() throws Exception {
        JsonNode args = MAPPER.readTree(Structured.write(Structured.toolArguments(MAPPER.readTree("""
                {"type":"object","properties":{"from":{"type":"string"},"unit":{"type":"string","enum":["km","mi"]},
                 "to":{"type":"string"},"via":{"type":"string"},"count":{"type":"integer"},"ratio":{"type":"number"},
                 "list":{"type":"array","items":{"type":"string"}},"opts":{"type":"object",
                 "properties":{"x":{"type":"string"}}}}}"""), new ArrayDeque<>(List.of("Paris", "Lyon")))));

        assertEquals(json("""
                {"from":"Paris","unit":"km","to":"Lyon","via":"example","count":1,"ratio":1,"list":[],"opts":{}}"""),
                args);
    }

    @Test
    void toolArgumentsOfAToolWithoutParametersAreEmpty() {
        assertEquals("{}", Structured.write(Structured.toolArguments(null, new ArrayDeque<>())));
    }

    @Test
    void writtenJsonHasASpaceAfterColonsAndCommas() throws Exception {
        assertEquals("{\"a\": [1, 2], \"b\": {\"c\": \"d e\"}}",
                Structured.write(json("{\"a\":[1,2],\"b\":{\"c\":\"d e\"}}")));
    }
}
