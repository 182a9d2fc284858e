package dev.llmqueue.camel;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The same route in the Java, YAML and XML DSLs resumes after the LLM call with the reply as its body.
 */
class RouteDslTest {

    private FakeLlmServer server;
    private CamelContext context;

    @BeforeEach
    void setUp() throws Exception {
        server = new FakeLlmServer();
        context = new DefaultCamelContext();
        context.getPropertiesComponent().addInitialProperty("llm.url", server.baseUrl());
    }

    @AfterEach
    void tearDown() throws Exception {
        context.stop();
        server.close();
    }

    private String ask(String question) {
        context.start();
        return context.createProducerTemplate().requestBody("direct:ask", question, String.class);
    }

    @Test
    void javaRoute() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:ask")
                        .to("llmqueue:ollama?model=llama3.2&priority=HIGH&baseUrl={{llm.url}}")
                        .setBody(simple("${body} (${header.CamelLlmQueueFinishReason})"));
            }
        });
        assertEquals("echo: java (stop)", ask("java"));
    }

    @Test
    void yamlRoute() throws Exception {
        String yaml = """
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
                        - setBody:
                            simple: "${body} (${header.CamelLlmQueueFinishReason})"
                """;
        PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.fromString("ask.camel.yaml", yaml));
        assertEquals("echo: yaml (stop)", ask("yaml"));
    }

    @Test
    void xmlRoute() throws Exception {
        String xml = """
                <routes xmlns="http://camel.apache.org/schema/xml-io">
                  <route>
                    <from uri="direct:ask"/>
                    <to uri="llmqueue:ollama?model=llama3.2&amp;priority=HIGH&amp;baseUrl={{llm.url}}"/>
                    <setBody><simple>${body} (${header.CamelLlmQueueFinishReason})</simple></setBody>
                  </route>
                </routes>
                """;
        PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.fromString("ask.camel.xml", xml));
        assertEquals("echo: xml (stop)", ask("xml"));
    }
}
