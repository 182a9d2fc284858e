package dev.llmqueue.camel;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
 * Micrometer is optional: without it on the class path the component works, and without a bound MeterRegistry the
 * component's meters class is never loaded. Each case runs the component in a class loader of its own, which defines
 * this project's classes itself, records each, and can hide Micrometer.
 */
class MicrometerOptionalTest {

    private static final String METERS_CLASS = "dev.llmqueue.camel.micrometer.LlmQueueMeters";

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
    void withoutMicrometerOnTheClassPathTheComponentStartsAndAnswers() throws Exception {
        try (IsolatedLoader loader = new IsolatedLoader("io.micrometer.")) {
            assertEquals("echo: hi", Scenario.runIn(loader, server.baseUrl(), false));
            assertTrue(loader.loaded.contains(LlmQueueComponent.class.getName()), "the component ran in this loader");
            assertFalse(loader.loaded.contains(METERS_CLASS), "the meters class was not loaded");
            assertEquals(Set.of("io/micrometer/core/instrument/MeterRegistry.class"), loader.hiddenAskedFor,
                    "the component only looked for Micrometer, and loaded none of its classes");
            assertThrows(ClassNotFoundException.class,
                    () -> Class.forName("io.micrometer.core.instrument.MeterRegistry", false, loader),
                    "the loader does hide Micrometer");
        }
    }

    @Test
    void withoutABoundRegistryTheMetersClassIsNeverLoaded() throws Exception {
        try (IsolatedLoader loader = new IsolatedLoader(null)) {
            assertEquals("echo: hi", Scenario.runIn(loader, server.baseUrl(), false));
            assertTrue(loader.loaded.contains(LlmQueueComponent.class.getName()), "the component ran in this loader");
            assertFalse(loader.loaded.contains(METERS_CLASS), "no registry, no meters");
            // the same loader records the meters class as soon as a registry is bound
            assertEquals("echo: hi", Scenario.runIn(loader, server.baseUrl(), true));
            assertTrue(loader.loaded.contains(METERS_CLASS));
        }
    }

    @Test
    void theComponentsSignaturesHaveNoMicrometerType() {
        List<Class<?>> types = new ArrayList<>();
        for (Field field : LlmQueueComponent.class.getDeclaredFields()) {
            types.add(field.getType());
        }
        for (Method method : LlmQueueComponent.class.getDeclaredMethods()) {
            types.add(method.getReturnType());
            types.addAll(Arrays.asList(method.getParameterTypes()));
        }
        assertTrue(types.stream().noneMatch(t -> t.getName().startsWith("io.micrometer.")), types.toString());
    }

    /** Runs in an {@link IsolatedLoader}: a context, the component, one request. */
    public static final class Scenario {

        static String runIn(ClassLoader loader, String baseUrl, boolean bindRegistry) throws Exception {
            Class<?> scenario = Class.forName(Scenario.class.getName(), true, loader);
            assertEquals(loader, scenario.getClassLoader());
            // Camel resolves components (http for the calls) through the thread's context class loader
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                return (String) scenario.getMethod("run", String.class, boolean.class)
                        .invoke(null, baseUrl, bindRegistry);
            } finally {
                thread.setContextClassLoader(previous);
            }
        }

        public static String run(String baseUrl, boolean bindRegistry) throws Exception {
            CamelContext context = new DefaultCamelContext();
            if (bindRegistry) {
                ClassLoader loader = Scenario.class.getClassLoader();
                context.getRegistry().bind("meters", Class.forName(
                        "io.micrometer.core.instrument.simple.SimpleMeterRegistry", true, loader)
                        .getConstructor().newInstance());
            }
            context.addComponent("llmqueue", new LlmQueueComponent(n -> null));
            context.start();
            try (ProducerTemplate template = context.createProducerTemplate()) {
                return template.requestBody("llmqueue:ollama?model=llama3.2&baseUrl=" + baseUrl, "hi", String.class);
            } finally {
                context.stop();
            }
        }
    }

    /**
     * Defines the classes of this project ({@code dev.llmqueue}) itself, from the component's and the tests' class
     * folders, and records each; delegates everything else to the test's class loader, except the package prefix it
     * hides, whose classes and resources it refuses and records as asked for.
     */
    static final class IsolatedLoader extends URLClassLoader {
        final Set<String> loaded = ConcurrentHashMap.newKeySet();
        final Set<String> hiddenAskedFor = ConcurrentHashMap.newKeySet();
        private final String hiddenPackage;
        private final String hiddenPath;

        IsolatedLoader(String hiddenPackage) {
            super(new URL[] { location(LlmQueueComponent.class), location(MicrometerOptionalTest.class) },
                  MicrometerOptionalTest.class.getClassLoader());
            this.hiddenPackage = hiddenPackage;
            this.hiddenPath = hiddenPackage == null ? null : hiddenPackage.replace('.', '/');
        }

        private static URL location(Class<?> type) {
            return type.getProtectionDomain().getCodeSource().getLocation();
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (hiddenPackage != null && name.startsWith(hiddenPackage)) {
                hiddenAskedFor.add(name);
                throw new ClassNotFoundException(name + " is hidden");
            }
            if (!name.startsWith("dev.llmqueue.")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> type = findLoadedClass(name);
                if (type == null) {
                    type = findClass(name);
                    loaded.add(name);
                }
                return type;
            }
        }

        @Override
        public URL getResource(String name) {
            if (hiddenPath != null && name.startsWith(hiddenPath)) {
                hiddenAskedFor.add(name);
                return null;
            }
            return super.getResource(name);
        }

        @Override
        public Enumeration<URL> getResources(String name) throws IOException {
            if (hiddenPath != null && name.startsWith(hiddenPath)) {
                hiddenAskedFor.add(name);
                return Collections.emptyEnumeration();
            }
            return super.getResources(name);
        }
    }
}
