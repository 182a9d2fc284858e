package dev.llmqueue.camel.cluster;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Marks a test class that needs a Redis server: when {@link RedisServer#shared()} finds none, every test of the class
 * is skipped with {@link RedisServer#NO_REDIS} (and {@code .ci/run} fails the build). Test methods, constructors and
 * lifecycle methods may take a {@link RedisServer} parameter: the shared server.
 *
 * <pre>
 * &#64;RequiresRedis
 * class SomeRedisTest {
 *     &#64;Test
 *     void something(RedisServer redis, TestInfo test) throws Exception {
 *         String queue = RedisServer.uniqueQueueName(test.getDisplayName());
 *         try { ... redis.uri() ... } finally { redis.deleteQueueKeys(queue); }
 *     }
 * }
 * </pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresRedis.Extension.class)
public @interface RequiresRedis {

    /** The JUnit 5 extension behind {@link RequiresRedis}; also usable with {@code @ExtendWith}. */
    final class Extension implements ExecutionCondition, ParameterResolver {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return RedisServer.shared().isPresent() ? ConditionEvaluationResult.enabled("Redis at hand")
                    : ConditionEvaluationResult.disabled(RedisServer.noRedisMessage());
        }

        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == RedisServer.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            return RedisServer.require();
        }
    }
}
