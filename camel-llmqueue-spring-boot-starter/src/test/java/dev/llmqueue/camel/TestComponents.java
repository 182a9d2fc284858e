package dev.llmqueue.camel;

import java.util.Map;

/**
 * Components that read a given environment instead of the process's: the starter's tests check the precedence of
 * properties over the seed's environment variables without changing the JVM's environment.
 */
public final class TestComponents {

    private TestComponents() {
    }

    public static LlmQueueComponent withEnvironment(Map<String, String> environment) {
        return new LlmQueueComponent(environment::get);
    }
}
