package dev.llmqueue.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import dev.llmqueue.simulator.RecordedCall;
import org.apache.camel.CamelContext;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every example route file runs, the way {@code camel run} runs it, against the simulator: the chat question gets an
 * answer and every inbox file is embedded.
 */
class ExampleRoutesTest {

    @TempDir
    Path inbox;
    private LlmBackend backend;
    private Main main;

    @BeforeEach
    void setUp() throws Exception {
        backend = LlmBackend.start(Map.<String, String> of()::get, Duration.ZERO, 2);
        for (String name : List.of("a.txt", "b.txt", "c.txt")) {
            Files.writeString(inbox.resolve(name), "document " + name);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (main != null) {
            main.stop();
        }
        backend.close();
    }

    private CamelContext start(String routeFile) throws Exception {
        Properties overrides = backend.properties();
        overrides.setProperty("answers.uri", "mock:answers");
        overrides.setProperty("embeddings.uri", "mock:embeddings");
        overrides.setProperty("chat.period", "50");
        overrides.setProperty("inbox.dir", inbox.toString());
        // application.properties starts an HTTP server on 8080: any free port here
        overrides.setProperty("camel.server.port", "0");
        overrides.setProperty("camel.management.port", "0");
        main = QuickRun.newMain(List.of(routeFile), overrides);
        main.start();
        return main.getCamelContext();
    }

    private void assertChatAndEmbeddingsWork(CamelContext context) throws Exception {
        MockEndpoint answers = context.getEndpoint("mock:answers", MockEndpoint.class);
        answers.expectedMessageCount(3);
        MockEndpoint embeddings = context.getEndpoint("mock:embeddings", MockEndpoint.class);
        embeddings.expectedMessageCount(3);
        MockEndpoint.assertIsSatisfied(context, 20, java.util.concurrent.TimeUnit.SECONDS);
        for (var exchange : answers.getExchanges()) {
            assertTrue(exchange.getMessage().getBody(String.class).startsWith("Simulated answer to: Why is the sky blue?"),
                    exchange.getMessage().getBody(String.class));
        }
        for (var exchange : embeddings.getExchanges()) {
            assertInstanceOf(float[].class, exchange.getMessage().getBody());
        }
        List<RecordedCall> calls = backend.simulator.recorded();
        assertEquals(3, calls.stream().filter(c -> c.path().equals("/api/chat")).count());
        assertEquals(3, calls.stream().filter(c -> c.path().equals("/api/embed")).count());
    }

    @Test
    void yamlRoutesAnswerTheChatAndEmbedTheInbox() throws Exception {
        assertChatAndEmbeddingsWork(start("routes/chat.camel.yaml"));
    }

    @Test
    void xmlRoutesAnswerTheChatAndEmbedTheInbox() throws Exception {
        assertChatAndEmbeddingsWork(start("routes/chat.camel.xml"));
    }

    @Test
    void applicationPropertiesConfigureTheComponent() throws Exception {
        CamelContext context = start("routes/chat.camel.yaml");
        var component = context.getComponent("llmqueue", dev.llmqueue.camel.LlmQueueComponent.class);
        assertEquals(2, component.getMaxConcurrentRequests());
        assertEquals(1000, component.getMaxLowQueueSize());
    }

    @Test
    void javaRoutesAnswerTheChatAndEmbedTheInbox() throws Exception {
        Properties overrides = backend.properties();
        overrides.setProperty("embeddings.uri", "mock:embeddings");
        overrides.setProperty("inbox.dir", inbox.toString());
        main = new Main();
        main.setOverrideProperties(overrides);
        main.configure().addRoutesBuilder(new ChatAndEmbeddingRoutes());
        main.start();
        CamelContext context = main.getCamelContext();
        String answer = context.createProducerTemplate().requestBody("direct:chat", "Hello?", String.class);
        assertTrue(answer.startsWith("Simulated answer to: Hello?"), answer);
        MockEndpoint embeddings = context.getEndpoint("mock:embeddings", MockEndpoint.class);
        embeddings.expectedMessageCount(3);
        MockEndpoint.assertIsSatisfied(context, 20, java.util.concurrent.TimeUnit.SECONDS);
    }
}
