package dev.llmqueue.examples;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.simulator.RecordedCall;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.main.Main;
import org.apache.camel.support.EventNotifierSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tool-loop example, in Java and in YAML, on both APIs of the simulator: the model asks for get_weather, the tool
 * route answers, the result goes back as a tool message, and the second turn answers with it. While the tool runs, no
 * request holds a slot.
 */
class ToolLoopExampleTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LlmBackend backend;
    private Main main;

    @AfterEach
    void tearDown() {
        if (main != null) {
            main.stop();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private CamelContext start(String provider, String dsl) throws Exception {
        backend = LlmBackend.start(Map.of("LLM_PROVIDER", provider)::get, Duration.ZERO, 2);
        Properties overrides = backend.properties();
        overrides.setProperty("camel.server.port", "0");
        overrides.setProperty("camel.management.port", "0");
        // the YAML file's own demo route would ask the agent too
        overrides.setProperty("agent.demo", "false");
        if (dsl.equals("yaml")) {
            main = QuickRun.newMain(List.of("routes/tool-loop.camel.yaml"), overrides);
        } else {
            main = new Main();
            main.setOverrideProperties(overrides);
            main.configure().addRoutesBuilder(new ToolLoopRoutes());
        }
        main.start();
        return main.getCamelContext();
    }

    @ParameterizedTest(name = "{1} routes on the {0} API")
    @CsvSource({ "ollama, java", "ollama, yaml", "openai, java", "openai, yaml" })
    void theAgentCallsTheToolRouteAndAnswersWithItsResult(String provider, String dsl) throws Exception {
        CamelContext context = start(provider, dsl);
        LlmQueueComponent queue = context.getComponent("llmqueue", LlmQueueComponent.class);
        List<Integer> slotsInUseWhileToolsRan = new ArrayList<>();
        context.getManagementStrategy().addEventNotifier(new EventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event instanceof CamelEvent.ExchangeSendingEvent sending
                    && sending.getEndpoint().getEndpointUri().startsWith("direct://tool-")) {
                    slotsInUseWhileToolsRan.add(queue.getActiveRequests());
                }
            }
        });

        String answer = context.createProducerTemplate().requestBody("direct:agent",
                "Use get_weather for Paris, then tell me what to wear.", String.class);

        assertTrue(answer.startsWith("Simulated answer using tool result: 18 degrees and sunny in Paris"), answer);
        assertEquals(List.of(0), slotsInUseWhileToolsRan, "the tool ran once, and while it ran no request held a slot");
        List<RecordedCall> calls = backend.simulator.recorded();
        assertEquals(2, calls.size(), "two turns, each one llmqueue request");
        JsonNode secondTurn = JSON.readTree(calls.get(1).body()).path("messages");
        JsonNode toolResult = secondTurn.path(secondTurn.size() - 1);
        assertEquals("tool", toolResult.path("role").asText());
        assertEquals("18 degrees and sunny in Paris", toolResult.path("content").asText());
        assertEquals("assistant", secondTurn.path(secondTurn.size() - 2).path("role").asText());
        assertTrue(secondTurn.path(secondTurn.size() - 2).has("tool_calls"), secondTurn.toString());
        if (provider.equals("openai")) {
            assertEquals(secondTurn.path(secondTurn.size() - 2).path("tool_calls").path(0).path("id").asText(),
                    toolResult.path("tool_call_id").asText());
        } else {
            assertEquals("get_weather", toolResult.path("tool_name").asText());
        }
    }
}
