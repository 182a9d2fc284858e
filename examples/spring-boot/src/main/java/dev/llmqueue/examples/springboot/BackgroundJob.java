package dev.llmqueue.examples.springboot;

import java.util.concurrent.atomic.AtomicLong;

import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueueRejectedException;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Background work: every {@code example.background.every} it hands {@code example.background.batch} documents to the
 * LLM at LOW priority, without waiting for them. They wait on the LOW stack while users' questions (HIGH) go first,
 * and are refused at once when background work is turned off ({@code DISABLE_BACKGROUND_LLM=true} or
 * {@code camel.component.llmqueue.disable-background=true}) or the LOW stack is full.
 */
@Component
public class BackgroundJob {

    private static final Logger LOG = LoggerFactory.getLogger(BackgroundJob.class);

    private final ProducerTemplate producer;
    private final int batch;
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong summarised = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    public BackgroundJob(ProducerTemplate producer, @Value("${example.background.batch}") int batch) {
        this.producer = producer;
        this.batch = batch;
    }

    @Scheduled(initialDelayString = "${example.background.every}", fixedDelayString = "${example.background.every}")
    public void summariseNewDocuments() {
        for (int i = 0; i < batch; i++) {
            String document = "document-" + submitted.incrementAndGet();
            producer.asyncSend("direct:summarize", e -> e.getMessage().setBody(document))
                    .thenAccept(exchange -> done(document, exchange));
        }
    }

    private void done(String document, Exchange exchange) {
        Exception failure = exchange.getException();
        if (failure == null) {
            summarised.incrementAndGet();
            LOG.info("summarised {} (LOW) after waiting {} ms: {}", document,
                    exchange.getMessage().getHeader(LlmQueueConstants.WAIT_TIME), exchange.getMessage().getBody());
        } else if (failure instanceof LlmQueueRejectedException rejected) {
            refused.incrementAndGet();
            LOG.info("{} not summarised: {}", document, rejected.getMessage());
        } else {
            failed.incrementAndGet();
            LOG.warn("{} not summarised: {}", document, failure.getMessage());
        }
    }

    /** Documents summarised so far. */
    public long summarised() {
        return summarised.get();
    }

    /** Documents the queue refused (background off, LOW stack full, shutting down). */
    public long refused() {
        return refused.get();
    }

    /** Documents whose call failed. */
    public long failed() {
        return failed.get();
    }
}
