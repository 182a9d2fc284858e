package dev.llmqueue.examples.springboot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * A Spring Boot application on camel-llmqueue-spring-boot-starter: users ask at {@code POST /chat} (HIGH priority,
 * the answer in the response) while a scheduled job summarises documents in the background (LOW priority). The queue
 * is configured in application.yaml under {@code camel.component.llmqueue}; Actuator shows its health check and its
 * meters.
 */
@SpringBootApplication
@EnableScheduling
public class LlmChatApplication {

    public static void main(String[] args) {
        SpringApplication.run(LlmChatApplication.class, args);
    }
}
