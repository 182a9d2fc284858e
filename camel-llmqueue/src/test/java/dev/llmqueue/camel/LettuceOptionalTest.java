package dev.llmqueue.camel;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.llmqueue.camel.MicrometerOptionalTest.IsolatedLoader;
import dev.llmqueue.camel.cluster.Coordinator;
import dev.llmqueue.camel.queue.LlmQueueScheduler;
import dev.llmqueue.camel.queue.SlotAuthority;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lettuce (and Redis) is optional: with {@code coordination=local}, the default, the component works without Lettuce
 * on the class path, never looks for a Lettuce class and never loads its own Redis class. Runs the component in a class
 * loader of its own that hides {@code io.lettuce.}, as {@link MicrometerOptionalTest} does for Micrometer.
 */
class LettuceOptionalTest {

    private static final String REDIS_CLASS = "dev.llmqueue.camel.cluster.RedisSlotAuthority";

    private FakeLlmServer server;

    @BeforeEach
    void setUp() throws IOException {
        server = new FakeLlmServer();
    }

    @AfterEach
    void tearDown() throws IOException {
        server.close();
    }

    @Test
    void withCoordinationLocalNoLettuceClassIsLookedUpOrLoaded() throws Exception {
        try (IsolatedLoader loader = new IsolatedLoader("io.lettuce.")) {
            // a redisUri is set (to a closed port), as a shared configuration may do: local mode ignores it
            assertEquals("echo: hi", Scenario.runIn(loader, server.baseUrl(), closedPortUri(), false));
            assertTrue(loader.loaded.contains(LlmQueueComponent.class.getName()), "the component ran in this loader");
            assertFalse(loader.loaded.contains(REDIS_CLASS), "the Redis slot authority was not loaded");
            assertEquals(List.of(), List.copyOf(loader.hiddenAskedFor), "no Lettuce class or resource was looked up");
            assertThrows(ClassNotFoundException.class,
                    () -> Class.forName("io.lettuce.core.RedisClient", false, loader), "the loader does hide Lettuce");
        }
    }

    @Test
    void theSameLoaderRecordsTheRedisClassOnceCoordinationIsRedis() throws Exception {
        // the control: what the first test looks for is seen when it happens. Redis is not reachable here and
        // redisFailureMode=local, so the instance queues alone and still answers
        try (IsolatedLoader loader = new IsolatedLoader(null)) {
            assertEquals("echo: hi", Scenario.runIn(loader, server.baseUrl(), closedPortUri(), true));
            assertTrue(loader.loaded.contains(REDIS_CLASS), "coordination=redis loads the Redis slot authority");
        }
    }

    @Test
    void theSignaturesTheComponentAndTheSchedulerLoadHaveNoLettuceType() {
        List<Class<?>> types = new ArrayList<>();
        for (Class<?> type : List.of(LlmQueueComponent.class, LlmQueueEndpoint.class, LlmQueueProducer.class,
                LlmQueueScheduler.class, SlotAuthority.class, Coordinator.class, Coordinator.GlobalFigures.class)) {
            for (Field field : type.getDeclaredFields()) {
                types.add(field.getType());
            }
            for (Method method : type.getDeclaredMethods()) {
                types.add(method.getReturnType());
                types.addAll(Arrays.asList(method.getParameterTypes()));
                types.addAll(Arrays.asList(method.getExceptionTypes()));
            }
        }
        assertTrue(types.stream().noneMatch(t -> t.getName().startsWith("io.lettuce.")), types.toString());
    }

    /** A redis:// URI of a port nothing listens on. */
    private static String closedPortUri() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "redis://127.0.0.1:" + socket.getLocalPort();
        }
    }

    /** Runs in an {@link IsolatedLoader}: a context, the component, one request. */
    public static final class Scenario {

        static String runIn(ClassLoader loader, String baseUrl, String redisUri, boolean redis) throws Exception {
            Class<?> scenario = Class.forName(Scenario.class.getName(), true, loader);
            assertEquals(loader, scenario.getClassLoader());
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                return (String) scenario.getMethod("run", String.class, String.class, boolean.class)
                        .invoke(null, baseUrl, redisUri, redis);
            } finally {
                thread.setContextClassLoader(previous);
            }
        }

        public static String run(String baseUrl, String redisUri, boolean redis) throws Exception {
            CamelContext context = new DefaultCamelContext();
            LlmQueueComponent component = new LlmQueueComponent(n -> null);
            component.setRedisUri(redisUri);
            component.setQueueName("lettuce-optional");
            if (redis) {
                component.setCoordination(LlmQueueCoordination.redis);
                component.setRedisFailureMode(LlmQueueRedisFailureMode.local);
            }
            context.addComponent("llmqueue", component);
            context.start();
            try (ProducerTemplate template = context.createProducerTemplate()) {
                return template.requestBody("llmqueue:ollama?model=llama3.2&baseUrl=" + baseUrl, "hi", String.class);
            } finally {
                context.stop();
            }
        }
    }
}
