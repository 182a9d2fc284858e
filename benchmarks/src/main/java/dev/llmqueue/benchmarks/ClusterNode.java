package dev.llmqueue.benchmarks;

import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueueCoordination;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * A node of its own JVM for {@link ClusterBench}'s kill -9 measurement: joins the shared queue with
 * {@code coordination=redis}, sends {@code calls} requests to {@code baseUrl} (a server that holds them), prints
 * {@code SENT} and then waits to be killed.
 *
 * <pre>
 * java -cp ... dev.llmqueue.benchmarks.ClusterNode redisUri queueName nodeId leaseMillis maxConcurrentRequests baseUrl calls
 * </pre>
 */
public final class ClusterNode {

    private ClusterNode() {
    }

    public static void main(String[] args) throws Exception {
        String redisUri = args[0];
        String queueName = args[1];
        String nodeId = args[2];
        long lease = Long.parseLong(args[3]);
        int limit = Integer.parseInt(args[4]);
        String baseUrl = args[5];
        int calls = Integer.parseInt(args[6]);
        CamelContext context = new DefaultCamelContext();
        LlmQueueComponent queue = new LlmQueueComponent();
        queue.setCoordination(LlmQueueCoordination.redis);
        queue.setRedisUri(redisUri);
        queue.setQueueName(queueName);
        queue.setNodeId(nodeId);
        queue.setLeaseTime(lease);
        queue.setMaxConcurrentRequests(limit);
        context.addComponent("llmqueue", queue);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:ask").to("llmqueue:ollama?model=" + Harness.MODEL + "&maxRetries=0&baseUrl=" + baseUrl);
            }
        });
        context.start();
        ProducerTemplate template = context.createProducerTemplate();
        for (int i = 0; i < calls; i++) {
            template.asyncRequestBodyAndHeader("direct:ask", "held #" + i + "#", LlmQueueConstants.PRIORITY, "HIGH");
        }
        System.out.println("SENT " + calls);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
