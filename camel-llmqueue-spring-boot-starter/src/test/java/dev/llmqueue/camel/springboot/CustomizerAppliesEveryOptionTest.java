package dev.llmqueue.camel.springboot;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmqueue.camel.LlmQueueComponent;
import org.apache.camel.util.TimeUtils;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Each component option of llmqueue.json, set on the configuration to a value other than its default, reaches the
 * component (durations as milliseconds); an option that is not set leaves the component's value alone.
 */
class CustomizerAppliesEveryOptionTest {

    @Test
    void everyOptionThatIsSetReachesTheComponent() throws Exception {
        LlmQueueComponentConfiguration configuration = new LlmQueueComponentConfiguration();
        LlmQueueComponent component = new LlmQueueComponent();
        Map<String, JsonNode> options = ComponentMetadata.componentOptions();
        for (Map.Entry<String, JsonNode> option : options.entrySet()) {
            set(configuration, option.getKey(), nonDefault(option.getValue()));
        }
        LlmQueueComponentAutoConfiguration.apply(configuration, component);
        for (Map.Entry<String, JsonNode> option : options.entrySet()) {
            Object expected = nonDefault(option.getValue());
            if (expected instanceof Duration duration) {
                expected = duration.toMillis();
            }
            assertEquals(expected, get(component, option.getKey()), option.getKey());
        }
    }

    @Test
    void anOptionThatIsNotSetIsLeftAlone() throws Exception {
        LlmQueueComponent component = new LlmQueueComponent();
        component.setMaxRetries(7);
        LlmQueueComponentAutoConfiguration.apply(new LlmQueueComponentConfiguration(), component);
        assertEquals(7, component.getMaxRetries());
    }

    /** A value of the option's Spring Boot type that differs from its default. */
    private static Object nonDefault(JsonNode option) throws ClassNotFoundException {
        String type = option.get("type").asText();
        String defaultValue = option.path("defaultValue").asText();
        Object value = switch (type) {
            case "integer" -> Integer.parseInt(defaultValue) + 7;
            case "boolean" -> !Boolean.parseBoolean(defaultValue);
            case "string" -> defaultValue + "-other";
            case "duration" -> Duration.ofMillis(TimeUtils.toMilliSeconds(defaultValue) + 1234);
            case "enum" -> {
                Class<?> enumType = Class.forName(option.get("javaType").asText());
                Object other = null;
                for (Object constant : enumType.getEnumConstants()) {
                    if (!constant.toString().equals(defaultValue)) {
                        other = constant;
                    }
                }
                yield other;
            }
            default -> throw new AssertionError("an option of type " + type + ": teach this test its values");
        };
        assertNotEquals(defaultValue, String.valueOf(value));
        return value;
    }

    private static void set(Object target, String option, Object value) throws Exception {
        String setter = "set" + Character.toUpperCase(option.charAt(0)) + option.substring(1);
        for (Method method : target.getClass().getMethods()) {
            if (method.getName().equals(setter) && method.getParameterCount() == 1
                && method.getParameterTypes()[0].isInstance(value)) {
                method.invoke(target, value);
                return;
            }
        }
        throw new AssertionError(target.getClass().getSimpleName() + " has no " + setter + "(" + value.getClass()
                                 .getSimpleName() + ")");
    }

    private static Object get(Object target, String option) throws Exception {
        String suffix = Character.toUpperCase(option.charAt(0)) + option.substring(1);
        for (String prefix : new String[] {"get", "is"}) {
            try {
                return target.getClass().getMethod(prefix + suffix).invoke(target);
            } catch (NoSuchMethodException e) {
                // try the next
            }
        }
        throw new AssertionError(target.getClass().getSimpleName() + " has no getter for " + option);
    }
}
