package dev.llmqueue.examples.springboot;

import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * The two ways in to the queue: the chat at HIGH priority, served before any waiting background work, and the
 * background summaries at LOW. The queue itself (slots, stack sizes, aging, deadlines) is set in application.yaml.
 */
@Component
public class LlmRoutes extends RouteBuilder {

    private final LlmServer server;

    public LlmRoutes(LlmServer server) {
        this.server = server;
    }

    @Override
    public void configure() {
        // the caller (ChatController) turns a failure into an HTTP status: no need to log it here as well
        from("direct:chat").routeId("chat")
                .errorHandler(noErrorHandler())
                .to(server.endpoint("HIGH"));

        from("direct:summarize").routeId("summarize")
                .errorHandler(noErrorHandler())
                .setBody(simple("Summarise in one sentence: ${body}"))
                .to(server.endpoint("LOW"));
    }
}
