package dev.llmqueue.examples;

import dev.llmqueue.camel.LlmQueueConstants;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.processor.aggregate.GroupedBodyAggregationStrategy;

/**
 * Java DSL: an agent loop through the queue. Each turn of the model is one llmqueue request at the route's priority;
 * while the tools run (plain Camel routes, called with toD), the request holds no slot, so other work uses the GPU.
 */
public class ToolLoopRoutes extends RouteBuilder {

    @Override
    public void configure() {
        String llm = "llmqueue:{{llm.provider}}?model={{llm.model}}&baseUrl={{llm.baseUrl}}&priority=HIGH"
                     + "&tools=resource:classpath:llmqueue/weather-tools.json";

        from("direct:agent").routeId("agent")
                .setVariable("conversation", method(Conversation.class, "start(${body})"))
                .setBody(variable("conversation"))
                .to(llm)
                // the model asked for tools: run them, add their results, and ask again
                .loopDoWhile(header(LlmQueueConstants.TOOL_CALLS).isNotNull())
                    .split(header(LlmQueueConstants.TOOL_CALLS), new GroupedBodyAggregationStrategy())
                        .setVariable("toolCall", body())
                        .setBody(simple("${body[arguments]}"))
                        .toD("direct:tool-${variable.toolCall[name]}")
                        .setBody(method(Conversation.class,
                                "toolResult(${variable.toolCall}, ${body}, '{{llm.provider}}')"))
                    .end()
                    .setBody(method(Conversation.class, "append(${variable.conversation}, "
                                                        + "${header.CamelLlmQueueAssistantMessage}, ${body})"))
                    .to(llm)
                .end()
                .log("agent answered after ${header.CamelLlmQueueAttempts} attempt(s): ${body}");

        // a tool is a route: its body in is the arguments Map, its body out the result
        from("direct:tool-get_weather").routeId("tool-get_weather")
                .setBody(simple("18 degrees and sunny in ${body[city]}"));
    }
}
