package dev.llmqueue.examples.springboot;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueueRejectedException;
import dev.llmqueue.camel.LlmQueueTimeoutException;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /chat} with {@code {"question": "..."}}: the question goes to the LLM at HIGH priority and the answer
 * comes back in the response. The request thread is not held while the question waits for a slot: the reply is a
 * future that the queue completes.
 */
@RestController
public class ChatController {

    /** A question. */
    public record ChatRequest(String question) {
    }

    /** The answer, with how long it waited for a slot and how long the LLM took. */
    public record ChatAnswer(String answer, long waitedMs, long callMs) {
    }

    private final ProducerTemplate producer;

    public ChatController(ProducerTemplate producer) {
        this.producer = producer;
    }

    @PostMapping("/chat")
    public CompletableFuture<ResponseEntity<?>> chat(@RequestBody ChatRequest request) {
        if (request.question() == null || request.question().isBlank()) {
            return CompletableFuture.completedFuture(
                    ResponseEntity.badRequest().body(Map.of("error", "no question: send {\"question\": \"...\"}")));
        }
        return producer.asyncSend("direct:chat", exchange -> exchange.getMessage().setBody(request.question()))
                .thenApply(ChatController::response);
    }

    private static ResponseEntity<?> response(Exchange exchange) {
        Exception failure = exchange.getException();
        if (failure == null) {
            var message = exchange.getMessage();
            return ResponseEntity.ok(new ChatAnswer(message.getBody(String.class),
                    message.getHeader(LlmQueueConstants.WAIT_TIME, 0L, Long.class),
                    message.getHeader(LlmQueueConstants.CALL_TIME, 0L, Long.class)));
        }
        // a full queue (or shutting down): try again later; a deadline passed: the gateway timed out; else the LLM failed
        HttpStatus status = failure instanceof LlmQueueRejectedException ? HttpStatus.SERVICE_UNAVAILABLE
                : failure instanceof LlmQueueTimeoutException ? HttpStatus.GATEWAY_TIMEOUT
                : HttpStatus.BAD_GATEWAY;
        return ResponseEntity.status(status).body(Map.of("error", String.valueOf(failure.getMessage())));
    }
}
