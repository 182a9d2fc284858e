package dev.llmqueue.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.llmqueue.simulator.RecordedCall;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        return start(routeFile, Map.of());
    }

    private CamelContext start(String routeFile, Map<String, String> more) throws Exception {
        Properties overrides = backend.properties();
        overrides.setProperty("answers.uri", "mock:answers");
        overrides.setProperty("embeddings.uri", "mock:embeddings");
        overrides.setProperty("chat.period", "50");
        overrides.setProperty("inbox.dir", inbox.toString());
        // application.properties starts an HTTP server on 8080: any free port here
        overrides.setProperty("camel.server.port", "0");
        overrides.setProperty("camel.management.port", "0");
        more.forEach(overrides::setProperty);
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

    /**
     * With background work disabled the queue refuses every inbox file. The recipe reports each one once and moves it
     * to .rejected, so the file consumer does not poll it again (with noop=true it was rolled back and failed again,
     * with a stack trace, on every poll). The second file proves it: the poll that finds it would find the first one
     * too, if it were still there.
     */
    private void assertARefusedFileIsReportedOnceAndMovedAside(CamelContext context, Path refusing) throws Exception {
        List<String> reports = new CopyOnWriteArrayList<>();
        context.getCamelContextExtension().addLogListener((exchange, logger, message) -> {
            if (message.startsWith("not embedded")) {
                reports.add(exchange.getMessage().getHeader(Exchange.FILE_NAME, String.class));
            }
            return message;
        });

        NotifyBuilder firstFailed = failureOf(context, "first.txt");
        drop(refusing, "first.txt");
        assertTrue(firstFailed.matches(20, TimeUnit.SECONDS), "the first file was refused");
        assertTrue(Files.exists(refusing.resolve(".rejected/first.txt")), "moved aside");
        assertFalse(Files.exists(refusing.resolve("first.txt")));

        NotifyBuilder secondFailed = failureOf(context, "second.txt");
        drop(refusing, "second.txt");
        assertTrue(secondFailed.matches(20, TimeUnit.SECONDS), "the second file was refused");
        assertEquals(List.of("first.txt", "second.txt"), reports, "one report per file");
        assertTrue(Files.exists(refusing.resolve(".rejected/second.txt")), "moved aside");
        assertEquals(0, backend.simulator.recorded().stream().filter(c -> c.path().equals("/api/embed")).count());
    }

    /** Matches when the exchange of this inbox file has failed, after the file consumer has moved the file. */
    private static NotifyBuilder failureOf(CamelContext context, String fileName) {
        return new NotifyBuilder(context).fromRoute("embed-inbox")
                .filter(exchange -> fileName.equals(exchange.getMessage().getHeader(Exchange.FILE_NAME)))
                .whenFailed(1).create();
    }

    /** Writes a file beside the folder, then moves it in at once, so the consumer never reads half of it. */
    private void drop(Path folder, String name) throws Exception {
        Path written = Files.writeString(inbox.resolve(name + ".tmp"), "document " + name);
        Files.move(written, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    private Map<String, String> refusingBackgroundWork(Path refusing) {
        return Map.of("inbox.dir", refusing.toString(), "camel.component.llmqueue.disableBackground", "true");
    }

    @Test
    void yamlRoutesReportARefusedInboxFileOnceAndMoveItAside() throws Exception {
        Path refusing = Files.createDirectory(inbox.resolve("refusing"));
        CamelContext context = start("routes/chat.camel.yaml", refusingBackgroundWork(refusing));
        assertARefusedFileIsReportedOnceAndMovedAside(context, refusing);
    }

    @Test
    void xmlRoutesReportARefusedInboxFileOnceAndMoveItAside() throws Exception {
        Path refusing = Files.createDirectory(inbox.resolve("refusing"));
        CamelContext context = start("routes/chat.camel.xml", refusingBackgroundWork(refusing));
        assertARefusedFileIsReportedOnceAndMovedAside(context, refusing);
    }

    @Test
    void javaRoutesReportARefusedInboxFileOnceAndMoveItAside() throws Exception {
        Path refusing = Files.createDirectory(inbox.resolve("refusing"));
        Properties overrides = backend.properties();
        overrides.setProperty("embeddings.uri", "mock:embeddings");
        refusingBackgroundWork(refusing).forEach(overrides::setProperty);
        main = new Main();
        main.setOverrideProperties(overrides);
        main.configure().addRoutesBuilder(new ChatAndEmbeddingRoutes());
        main.start();
        assertARefusedFileIsReportedOnceAndMovedAside(main.getCamelContext(), refusing);
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
