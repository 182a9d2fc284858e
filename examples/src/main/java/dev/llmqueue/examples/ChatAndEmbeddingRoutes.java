package dev.llmqueue.examples;

import dev.llmqueue.camel.LlmQueueRejectedException;
import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;

/**
 * Java DSL: a chat endpoint at HIGH priority beside a file-driven background embedding job at LOW.
 */
public class ChatAndEmbeddingRoutes extends RouteBuilder {

    @Override
    public void configure() {
        // user-facing: answered before any background work that is waiting
        from("direct:chat").routeId("chat")
                .to("llmqueue:{{llm.provider}}?model={{llm.model}}&baseUrl={{llm.baseUrl}}&priority=HIGH")
                .log("answer in ${header.CamelLlmQueueCallTime} ms after ${header.CamelLlmQueueWaitTime} ms queued: ${body}");

        // background: every file dropped in the inbox is embedded when no user is waiting, then moved to .done. A file
        // the queue refuses (background disabled, a full LOW stack, shutting down) is reported once and moved to
        // .rejected: the exchange fails, so the file consumer applies moveFailed, and the file is not polled again
        from("file:{{inbox.dir:inbox}}?move=.done&moveFailed=.rejected").routeId("embed-inbox")
                .onException(LlmQueueRejectedException.class)
                    .handled(false)
                    .logExhausted(false)
                    .log(LoggingLevel.WARN, "not embedded, moved to .rejected: ${header.CamelFileName} (${exception.message})")
                .end()
                .convertBodyTo(String.class)
                .to("llmqueue:{{llm.provider}}?model={{llm.embedModel}}&baseUrl={{llm.baseUrl}}&priority=LOW&operation=embed")
                .log("embedded ${header.CamelFileName} after ${header.CamelLlmQueueWaitTime} ms queued")
                .to("{{embeddings.uri:log:embeddings}}");
    }
}
