package dev.llmqueue.camel.springboot;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;

/**
 * An application with nothing but auto-configuration: what a user gets from the starter alone. No component scan, so
 * that the tests' own configurations stay apart.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class TestApplication {
}
