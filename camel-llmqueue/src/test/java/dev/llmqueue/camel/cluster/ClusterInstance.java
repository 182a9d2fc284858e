package dev.llmqueue.camel.cluster;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueConstants;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PropertyBindingSupport;

/** One Camel instance of a shared queue: its own CamelContext, the llmqueue component bound to Redis. */
final class ClusterInstance implements AutoCloseable {

    final CamelContext context = new DefaultCamelContext();
    final LlmQueueComponent component = new LlmQueueComponent();
    private final ProducerTemplate template;

    /**
     * @param options component options besides coordination=redis (queueName, redisUri, maxConcurrentRequests...)
     */
    ClusterInstance(String baseUrl, Map<String, Object> options) throws Exception {
        this(baseUrl, options, "maxRetries=0");
    }

    /**
     * @param endpointOptions the llmqueue endpoint's options besides model and baseUrl, as URI query text (maxRetries=1&amp;
     *                        retryBackoff=300, maxQueueTime=200...)
     */
    ClusterInstance(String baseUrl, Map<String, Object> options, String endpointOptions) throws Exception {
        context.getShutdownStrategy().setTimeout(10);
        PropertyBindingSupport.build().withRemoveParameters(false)
                .bind(context, component, new java.util.HashMap<>(options));
        component.setCoordination(dev.llmqueue.camel.LlmQueueCoordination.redis);
        context.addComponent("llmqueue", component);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // the tests read each failure from the reply: no error handler logging the expected ones
                errorHandler(noErrorHandler());
                from("direct:ask").to("llmqueue:ollama?model=m&" + endpointOptions + "&baseUrl=" + baseUrl);
            }
        });
        context.start();
        template = context.createProducerTemplate();
    }

    /** Sends a prompt at a priority; the future completes with the reply, or exceptionally with the failure. */
    CompletableFuture<String> ask(String prompt, String priority) {
        return template.asyncRequestBodyAndHeader("direct:ask", prompt, LlmQueueConstants.PRIORITY, priority,
                String.class);
    }

    /** Sends a prompt at a priority with more headers (CamelLlmQueueTimeout...). */
    CompletableFuture<String> ask(String prompt, String priority, Map<String, Object> headers) {
        Map<String, Object> all = new java.util.HashMap<>(headers);
        all.put(LlmQueueConstants.PRIORITY, priority);
        return template.asyncRequestBodyAndHeaders("direct:ask", prompt, all, String.class);
    }

    @Override
    public void close() {
        context.stop();
    }
}
