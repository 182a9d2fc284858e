package dev.llmqueue.camel;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.llmqueue.simulator.LlmSimulator;
import dev.llmqueue.simulator.RecordedCall;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code split} in streaming mode over the {@link LlmStream} body, in the Java, YAML and XML DSLs, against the LLM
 * simulator streaming at a human pace: each delta reaches the next step as it is generated and in order, the
 * splitter's closing of the stream after its end changes nothing, and a route that stops reading early stops the LLM
 * and frees the slot.
 */
class StreamingRouteDslTest {

    /** 40 words at 20 a second: the simulator generates for about two seconds. */
    private static final int TOKENS = 40;

    private LlmSimulator simulator;
    private CamelContext context;
    private LlmQueueComponent component;

    @BeforeEach
    void setUp() {
        simulator = LlmSimulator.builder().tokensPerSecond(20).completionTokens(TOKENS).parallelism(2).build().start();
        context = new DefaultCamelContext();
        context.getPropertiesComponent().addInitialProperty("llm.url", simulator.ollamaBaseUrl());
        component = new LlmQueueComponent(name -> null);
        // one slot: a second question is served only once the first call has given it back
        component.setMaxConcurrentRequests(1);
        context.addComponent("llmqueue", component);
    }

    @AfterEach
    void tearDown() {
        context.stop();
        simulator.close();
    }

    private void loadRoutes(String name, String text) throws Exception {
        PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.fromString(name, text));
    }

    private Exchange ask(String question) {
        context.start();
        return context.createProducerTemplate().request("direct:ask", e -> e.getMessage().setBody(question));
    }

    // ---- each delta as it comes, in order ----

    private static final String YAML_SPLIT = """
            - route:
                from:
                  uri: direct:ask
                  steps:
                    - to:
                        uri: llmqueue:ollama
                        parameters:
                          model: llama3.2
                          priority: HIGH
                          baseUrl: "{{llm.url}}"
                          streaming: true
                    - split:
                        simple: "${body}"
                        streaming: true
                        steps:
                          - to: mock:delta
                    - to: mock:done
            """;

    private static final String XML_SPLIT = """
            <routes xmlns="http://camel.apache.org/schema/xml-io">
              <route>
                <from uri="direct:ask"/>
                <to uri="llmqueue:ollama?model=llama3.2&amp;priority=HIGH&amp;baseUrl={{llm.url}}&amp;streaming=true"/>
                <split streaming="true">
                  <simple>${body}</simple>
                  <to uri="mock:delta"/>
                </split>
                <to uri="mock:done"/>
              </route>
            </routes>
            """;

    private RouteBuilder javaSplit() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:ask")
                        .to("llmqueue:ollama?model=llama3.2&priority=HIGH&baseUrl={{llm.url}}&streaming=true")
                        .split(body()).streaming()
                            .to("mock:delta")
                        .end()
                        .to("mock:done");
            }
        };
    }

    @Test
    void javaSplitStreamingHandsOnEachDeltaInOrderAsItIsGenerated() throws Exception {
        context.addRoutes(javaSplit());
        assertEachDeltaInOrderAsItIsGenerated();
    }

    @Test
    void yamlSplitStreamingHandsOnEachDeltaInOrderAsItIsGenerated() throws Exception {
        loadRoutes("split.camel.yaml", YAML_SPLIT);
        assertEachDeltaInOrderAsItIsGenerated();
    }

    @Test
    void xmlSplitStreamingHandsOnEachDeltaInOrderAsItIsGenerated() throws Exception {
        loadRoutes("split.camel.xml", XML_SPLIT);
        assertEachDeltaInOrderAsItIsGenerated();
    }

    private void assertEachDeltaInOrderAsItIsGenerated() throws Exception {
        context.start();
        MockEndpoint deltas = context.getEndpoint("mock:delta", MockEndpoint.class);
        AtomicLong firstDeltaAt = new AtomicLong();
        deltas.whenExchangeReceived(1, e -> firstDeltaAt.set(System.nanoTime()));
        deltas.expectedMessageCount(TOKENS);

        Exchange reply = ask("Why is the sky blue?");
        assertNull(reply.getException());

        deltas.assertIsSatisfied();
        List<String> received = deltas.getExchanges().stream().map(e -> e.getMessage().getBody(String.class)).toList();
        String text = String.join("", received);
        assertTrue(text.startsWith("Simulated answer to: Why is the sky blue?"), text);
        assertEquals("Simulated", received.get(0));
        for (int i = 1; i < received.size(); i++) {
            String delta = received.get(i);
            assertTrue(delta.startsWith(" ") && delta.trim().split(" ").length == 1, "one word per delta: " + received);
        }
        for (int i = 0; i < received.size(); i++) {
            assertEquals(i, deltas.getExchanges().get(i).getProperty(Exchange.SPLIT_INDEX), "in order");
        }
        RecordedCall call = awaitCall(0);
        assertTrue(firstDeltaAt.get() < call.lastTokenNanos(), "the first delta reached the mock "
                + TimeUnit.NANOSECONDS.toMillis(call.lastTokenNanos() - firstDeltaAt.get())
                + " ms before the simulator sent its last token");
        assertFalse(call.aborted());

        // after the split, the body is the stream, ended: its end accessors still answer
        LlmStream stream = assertInstanceOf(LlmStream.class,
                context.getEndpoint("mock:done", MockEndpoint.class).getExchanges().get(0).getMessage().getBody());
        assertEquals(text, stream.text());
        assertEquals("stop", stream.finishReason());
        assertEquals(TOKENS, stream.completionTokens());
    }

    // ---- the splitter closes the stream after its end ----

    @Test
    void theSplitterClosingTheStreamAfterItsEndBreaksNothing() throws Exception {
        context.addRoutes(javaSplit());
        context.start();
        MockEndpoint done = context.getEndpoint("mock:done", MockEndpoint.class);

        Exchange first = ask("first");
        assertNull(first.getException());
        LlmStream stream = (LlmStream) done.getExchanges().get(0).getMessage().getBody();
        assertTrue(stream.isDone());
        // the splitter closed it (it is Closeable): a close after the end aborts nothing and loses nothing
        stream.close();
        assertFalse(stream.hasNext());
        assertEquals("stop", stream.finishReason());
        assertTrue(stream.text().startsWith("Simulated answer to: first"), stream.text());
        RecordedCall call = awaitCall(0);
        assertFalse(call.aborted(), "the server sent its whole answer");
        assertEquals(TOKENS, call.tokensSent());

        // the slot came back as usual: the next question is served in full, and both count as completed
        Exchange second = ask("second");
        assertNull(second.getException());
        assertEquals(TOKENS * 2, context.getEndpoint("mock:delta", MockEndpoint.class).getReceivedCounter());
        // counted by the call thread once the server's stream has ended, which the route may see first
        awaitCompleted(2);
        assertEquals(0, component.getFailedCount());
    }

    // ---- stream, then store (the user guide's recipe) ----

    @Test
    void streamThenStoreHandsOnEachDeltaThenTheWholeAnswerWithItsEndFigures() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:ask")
                        .to("llmqueue:ollama?model=llama3.2&priority=HIGH&baseUrl={{llm.url}}&streaming=true")
                        .split(body()).streaming()
                            .to("mock:ui")
                        .end()
                        // the split has read the stream to its end: the body is still the LlmStream
                        .setHeader("finishReason", simple("${body.finishReason()}"))
                        .setHeader("completionTokens", simple("${body.completionTokens()}"))
                        .convertBodyTo(String.class)
                        .to("mock:store");
            }
        });
        context.start();
        MockEndpoint ui = context.getEndpoint("mock:ui", MockEndpoint.class);
        ui.expectedMessageCount(TOKENS);
        MockEndpoint store = context.getEndpoint("mock:store", MockEndpoint.class);
        store.expectedMessageCount(1);
        store.expectedHeaderReceived("finishReason", "stop");
        store.expectedHeaderReceived("completionTokens", TOKENS);

        assertNull(ask("Why is the sky blue?").getException());

        MockEndpoint.assertIsSatisfied(context);
        String whole = store.getExchanges().get(0).getMessage().getBody(String.class);
        assertEquals(String.join("", ui.getExchanges().stream().map(e -> e.getMessage().getBody(String.class)).toList()),
                whole);
        assertTrue(whole.startsWith("Simulated answer to: Why is the sky blue?"), whole);
    }

    // ---- a route that stops reading early ----

    // stop() inside a split ends only that delta's sub-exchange, and the splitter goes on: a route gives up by
    // closing the stream, which ends the split at the next delta and aborts the LLM call
    private static final String YAML_STOP = """
            - route:
                from:
                  uri: direct:ask
                  steps:
                    - to:
                        uri: llmqueue:ollama
                        parameters:
                          model: llama3.2
                          baseUrl: "{{llm.url}}"
                          streaming: true
                    - setVariable:
                        name: answer
                        simple: "${body}"
                    - split:
                        simple: "${body}"
                        streaming: true
                        steps:
                          - to: mock:delta
                          - filter:
                              simple: "${exchangeProperty.CamelSplitIndex} == 2"
                              steps:
                                - script:
                                    simple: "${variable.answer.close()}"
                    - to: mock:done
            """;

    private static final String XML_STOP = """
            <routes xmlns="http://camel.apache.org/schema/xml-io">
              <route>
                <from uri="direct:ask"/>
                <to uri="llmqueue:ollama?model=llama3.2&amp;baseUrl={{llm.url}}&amp;streaming=true"/>
                <setVariable name="answer"><simple>${body}</simple></setVariable>
                <split streaming="true">
                  <simple>${body}</simple>
                  <to uri="mock:delta"/>
                  <filter>
                    <simple>${exchangeProperty.CamelSplitIndex} == 2</simple>
                    <script><simple>${variable.answer.close()}</simple></script>
                  </filter>
                </split>
                <to uri="mock:done"/>
              </route>
            </routes>
            """;

    @Test
    void yamlSplitThatClosesTheStreamEarlyAbortsTheCallAndFreesTheSlot() throws Exception {
        loadRoutes("stop.camel.yaml", YAML_STOP);
        assertStoppingEarlyAbortsTheCallAndFreesTheSlot();
    }

    @Test
    void xmlSplitThatClosesTheStreamEarlyAbortsTheCallAndFreesTheSlot() throws Exception {
        loadRoutes("stop.camel.xml", XML_STOP);
        assertStoppingEarlyAbortsTheCallAndFreesTheSlot();
    }

    @Test
    void javaRouteThatClosesTheStreamAbortsTheCallAndFreesTheSlot() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:ask")
                        .to("llmqueue:ollama?model=llama3.2&baseUrl={{llm.url}}&streaming=true")
                        // reads three deltas, then gives up
                        .process(e -> {
                            LlmStream stream = e.getMessage().getBody(LlmStream.class);
                            for (int i = 0; i < 3 && stream.hasNext(); i++) {
                                e.getContext().createProducerTemplate().sendBody("mock:delta", stream.next());
                            }
                            stream.close();
                        })
                        .to("mock:done");
            }
        });
        assertStoppingEarlyAbortsTheCallAndFreesTheSlot();
    }

    private void assertStoppingEarlyAbortsTheCallAndFreesTheSlot() throws Exception {
        context.start();
        MockEndpoint deltas = context.getEndpoint("mock:delta", MockEndpoint.class);

        Exchange stopped = ask("a long story");
        assertNull(stopped.getException());
        assertEquals(3, deltas.getReceivedCounter(), "the route read three deltas");
        assertEquals(1, context.getEndpoint("mock:done", MockEndpoint.class).getReceivedCounter(),
                "and went on after the split");

        RecordedCall call = awaitCall(0);
        assertTrue(call.aborted(), "the simulator saw its client leave: " + call);
        assertTrue(call.tokensSent() < TOKENS, "and stopped generating after " + call.tokensSent() + " tokens");

        // one slot: the next question is served, so the first call gave it back
        Exchange next = ask("next");
        assertNull(next.getException());
        assertEquals(6, deltas.getReceivedCounter());
        RecordedCall second = awaitCall(1);
        assertTrue(second.startNanos() < call.startNanos() + generationNanos(),
                "the next call started before the first would have ended");
        awaitCompleted(2);
        assertEquals(0, component.getFailedCount(), "a stream closed by its reader is no failure");
    }

    /** Polls (bounded) until the component has counted this many completed requests. */
    private void awaitCompleted(long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (component.getCompletedCount() < expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(expected, component.getCompletedCount());
    }

    /** How long the simulator takes to generate a whole answer, from its slot. */
    private static long generationNanos() {
        return TimeUnit.MILLISECONDS.toNanos(TOKENS * 1000L / 20);
    }

    /** The call of that index, once it has ended; polls the simulator's record (bounded), it sleeps no guessed time. */
    private RecordedCall awaitCall(int index) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            List<RecordedCall> calls = simulator.recorded();
            if (calls.size() > index && calls.get(index).completed()) {
                return calls.get(index);
            }
            Thread.sleep(5);
        }
        return fail("call " + index + " did not end: " + simulator.recorded());
    }
}
