package dev.llmqueue.examples;

import org.apache.camel.builder.RouteBuilder;

/**
 * Java DSL: {@code POST /chat} streams the answer to the HTTP client as the LLM generates it, one HTTP chunk per token
 * (the same route as {@code examples/routes/stream.camel.yaml}):
 * {@code curl -N -H 'Content-Type: text/plain' --data 'Why is the sky blue?' http://localhost:8080/chat}.
 */
public class StreamingChatRoutes extends RouteBuilder {

    @Override
    public void configure() {
        from("platform-http:/chat?httpMethodRestrict=POST").routeId("stream-chat")
                // curl --data without a Content-Type sends a form, which platform-http parses into fields
                // (the question would become a field name): ask for text
                .choice()
                    .when(header("Content-Type").startsWith("application/x-www-form-urlencoded"))
                        .removeHeaders("*")
                        .setHeader("CamelHttpResponseCode", constant(415))
                        .setBody(constant("Send the question as text: curl -N -H 'Content-Type: text/plain' "
                                          + "--data 'Why is the sky blue?' .../chat\n"))
                        .stop()
                .end()
                // the request's headers are not echoed in the reply; the body (the question) stays as it came:
                // ChunkedReply needs the platform-http message, which convertBodyTo or setBody would replace
                .removeHeaders("*")
                // resumes at the first token, with an LlmStream body
                .to("llmqueue:{{llm.provider}}?model={{llm.model}}&baseUrl={{llm.baseUrl}}&priority=HIGH&streaming=true")
                .log("first token after ${header.CamelLlmQueueTimeToFirstToken} ms (${header.CamelLlmQueueWaitTime} ms queued)")
                .setHeader("Content-Type", constant("text/plain; charset=utf-8"))
                // the last step: the reply is read by platform-http as the tokens arrive
                .setBody(method(ChunkedReply.class, "of"));
    }
}
