package dev.llmqueue.camel.cluster;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.llmqueue.camel.LlmProviderException;
import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueConstants;
import dev.llmqueue.camel.LlmQueueRejectedException;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.PropertyConfigurer;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.PropertyBindingSupport;
import org.apache.camel.support.service.ServiceHelper;

/**
 * One cluster node in its own JVM, driven line by line through stdin/stdout by {@link ClusterNodeProcess}.
 * <p>
 * Arguments are {@code name=value}; a system property {@code llmqueue.node.<name>} gives the same (an argument wins).
 * <ul>
 * <li>{@code baseUrl} (required): the simulator's Ollama base URL.</li>
 * <li>{@code model} (default llama3.2), {@code endpoint}: extra endpoint query options, e.g.
 * {@code requestTimeout=5000&retryBackoff=5}.</li>
 * <li>{@code shutdownTimeout} (seconds, default 5): how long QUIT lets calls in flight finish (Camel's graceful
 * shutdown of the route), before the component fails what is left.</li>
 * <li>every other name is a component option, bound by name: {@code coordination}, {@code redisUri},
 * {@code queueName}, {@code nodeId}, {@code leaseTime}, {@code redisFailureMode}, {@code maxConcurrentRequests},
 * {@code maxHighQueueSize}, ... An option the component does not have fails the start, except
 * {@code coordination=local} (the default, and a component without Redis coordination is exactly that).</li>
 * </ul>
 * The route is {@code from("direct:ask").to("llmqueue:ollama?model=...&baseUrl=...")}; the priority is the
 * {@link LlmQueueConstants#PRIORITY} header of each exchange.
 * <p>
 * Protocol, one line each way (stdout carries nothing else; logs go to stderr):
 * <pre>
 * out: READY                                once the context has started
 * in:  SEND &lt;n&gt; &lt;HIGH|LOW&gt; [deadlineMillis]   sends n exchanges asynchronously (deadline: from now)
 * out: SENT &lt;firstSeq&gt; &lt;lastSeq&gt;               sequence numbers start at 1 and grow per node
 * out: DONE &lt;seq&gt; ok                          one line per completion callback (two for one seq = a duplicate)
 * out: DONE &lt;seq&gt; error:&lt;ExceptionSimpleName&gt;:&lt;reason&gt;
 *        reason: the rejection Reason's name, the provider's HTTP status, or '-'
 * in:  SET &lt;option&gt; &lt;value&gt;                   binds a component option at run time
 * out: SET ok &lt;option&gt; | SET error &lt;message&gt;
 * in:  GET &lt;property&gt;                         a component getter, e.g. GET activeRequests
 * out: VALUE &lt;property&gt; &lt;value&gt; | GET error &lt;message&gt;
 * in:  QUIT (or end of stdin)                 stops the context (its waiting exchanges complete, rejected)
 * out: BYE                                    once every exchange sent has printed its DONE line (at most 10 s
 *                                             after the stop; else BYE pending=&lt;n&gt;), then the JVM exits 0
 * out: ERROR &lt;message&gt;                       a command it could not parse
 * </pre>
 */
public final class ClusterNodeMain {

    public static final String PROPERTY_PREFIX = "llmqueue.node.";

    private final PrintStream out;
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicInteger pending = new AtomicInteger();
    private CamelContext context;
    private LlmQueueComponent component;
    private AsyncProducer producer;

    private ClusterNodeMain(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        // nothing but the protocol on stdout: anything else printing there goes to stderr
        System.setOut(System.err);
        ClusterNodeMain node = new ClusterNodeMain(out);
        try {
            node.start(options(args));
        } catch (Exception e) {
            out.println("ERROR start failed: " + oneLine(e.toString()));
            e.printStackTrace();
            System.exit(2);
        }
        node.line("READY");
        node.commands();
        System.exit(0);
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        System.getProperties().stringPropertyNames().stream().filter(name -> name.startsWith(PROPERTY_PREFIX))
                .sorted().forEach(name -> options.put(name.substring(PROPERTY_PREFIX.length()),
                        System.getProperty(name)));
        for (String arg : args) {
            int equals = arg.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("not name=value: " + arg);
            }
            options.put(arg.substring(0, equals), arg.substring(equals + 1));
        }
        return options;
    }

    private void start(Map<String, String> options) throws Exception {
        Map<String, Object> componentOptions = new LinkedHashMap<>(options);
        String baseUrl = (String) componentOptions.remove("baseUrl");
        if (baseUrl == null) {
            throw new IllegalArgumentException("baseUrl=<the simulator's Ollama URL> is required");
        }
        String model = (String) componentOptions.remove("model");
        String endpointOptions = (String) componentOptions.remove("endpoint");
        Object shutdownTimeout = componentOptions.remove("shutdownTimeout");

        context = new DefaultCamelContext();
        // QUIT with calls in flight: the route's graceful shutdown waits this long for them (Camel's default is 45 s)
        context.getShutdownStrategy().setTimeout(shutdownTimeout == null ? 5 : Long.parseLong((String) shutdownTimeout));
        context.getShutdownStrategy().setShutdownNowOnTimeout(true);
        // reads LLM_* environment variables: ClusterNodeProcess starts it without the test JVM's
        component = new LlmQueueComponent();
        context.addComponent("llmqueue", component);
        bind(componentOptions);

        String uri = "llmqueue:ollama?model=" + (model == null ? "llama3.2" : model) + "&baseUrl=" + baseUrl
                     + (endpointOptions == null || endpointOptions.isEmpty() ? "" : "&" + endpointOptions);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:ask").routeId("ask").to(uri);
            }
        });
        context.start();
        producer = context.getEndpoint("direct:ask").createAsyncProducer();
        ServiceHelper.startService(producer);
    }

    private void bind(Map<String, Object> options) {
        Map<String, Object> left = new LinkedHashMap<>(options);
        binder().bind(context, component, left);
        if ("local".equalsIgnoreCase(String.valueOf(left.get("coordination")))) {
            left.remove("coordination");
        }
        if (!left.isEmpty()) {
            throw new IllegalArgumentException("the llmqueue component has no option(s) " + left.keySet());
        }
    }

    /**
     * Binds through the component's generated configurer, as Camel does for {@code camel.component.llmqueue.*}
     * properties: durations such as 2s, enums by name; bound entries are removed from the map.
     */
    private PropertyBindingSupport.Builder binder() {
        PropertyConfigurer configurer = component.getComponentPropertyConfigurer();
        if (configurer == null) {
            configurer = PluginHelper.getConfigurerResolver(context)
                    .resolvePropertyConfigurer("llmqueue-component", context);
        }
        return PropertyBindingSupport.build().withConfigurer(configurer).withRemoveParameters(true)
                .withIgnoreCase(true);
    }

    private void commands() throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String command;
        while ((command = in.readLine()) != null) {
            String[] words = command.trim().split("\\s+");
            try {
                switch (words[0].toUpperCase()) {
                    case "" -> {
                    }
                    case "SEND" -> send(words);
                    case "SET" -> set(words);
                    case "GET" -> get(words);
                    case "QUIT" -> {
                        quit();
                        return;
                    }
                    default -> line("ERROR unknown command: " + oneLine(command));
                }
            } catch (Exception e) {
                line("ERROR " + oneLine(command) + ": " + oneLine(e.toString()));
            }
        }
        quit();
    }

    private void send(String[] words) {
        if (words.length < 3 || words.length > 4) {
            throw new IllegalArgumentException("SEND <n> <HIGH|LOW> [deadlineMillis]");
        }
        int count = Integer.parseInt(words[1]);
        String priority = words[2].toUpperCase();
        if (!priority.equals("HIGH") && !priority.equals("LOW")) {
            throw new IllegalArgumentException("priority must be HIGH or LOW: " + words[2]);
        }
        Long deadline = words.length == 4 ? System.currentTimeMillis() + Long.parseLong(words[3]) : null;
        long first = sequence.get() + 1;
        long last = first + count - 1;
        sequence.set(last);
        line("SENT " + first + " " + last);
        for (long seq = first; seq <= last; seq++) {
            Exchange exchange = producer.getEndpoint().createExchange();
            exchange.getMessage().setBody("request " + seq + " from " + ProcessHandle.current().pid());
            exchange.getMessage().setHeader(LlmQueueConstants.PRIORITY, priority);
            if (deadline != null) {
                exchange.getMessage().setHeader(LlmQueueConstants.DEADLINE, deadline);
            }
            long id = seq;
            pending.incrementAndGet();
            producer.process(exchange, doneSync -> {
                line("DONE " + id + " " + outcome(exchange));
                synchronized (pending) {
                    pending.decrementAndGet();
                    pending.notifyAll();
                }
            });
        }
    }

    static String outcome(Exchange exchange) {
        Exception exception = exchange.getException();
        if (exception == null) {
            return "ok";
        }
        String reason = "-";
        if (exception instanceof LlmQueueRejectedException rejected) {
            reason = rejected.getReason().name();
        } else if (exception instanceof LlmProviderException provider) {
            reason = String.valueOf(provider.getStatusCode());
        }
        return "error:" + exception.getClass().getSimpleName() + ":" + reason;
    }

    private void set(String[] words) {
        if (words.length != 3) {
            throw new IllegalArgumentException("SET <option> <value>");
        }
        try {
            Map<String, Object> option = new LinkedHashMap<>(Map.of(words[1], words[2]));
            binder().bind(context, component, option);
            line(option.isEmpty() ? "SET ok " + words[1] : "SET error no option " + words[1]);
        } catch (RuntimeException e) {
            line("SET error " + oneLine(e.toString()));
        }
    }

    private void get(String[] words) {
        if (words.length != 2) {
            throw new IllegalArgumentException("GET <property>");
        }
        String name = words[1];
        String suffix = Character.toUpperCase(name.charAt(0)) + name.substring(1);
        for (String getter : new String[] {"get" + suffix, "is" + suffix}) {
            try {
                Method method = component.getClass().getMethod(getter);
                line("VALUE " + name + " " + oneLine(String.valueOf(method.invoke(component))));
                return;
            } catch (NoSuchMethodException e) {
                // the other spelling
            } catch (ReflectiveOperationException | RuntimeException e) {
                line("GET error " + oneLine(e.toString()));
                return;
            }
        }
        line("GET error no property " + name);
    }

    private void quit() throws InterruptedException {
        try {
            ServiceHelper.stopService(producer);
            context.stop();
        } finally {
            // every exchange sent has printed its DONE line before BYE (or BYE says how many never completed)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            synchronized (pending) {
                long left;
                while (pending.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
                    TimeUnit.NANOSECONDS.timedWait(pending, left);
                }
            }
            line(pending.get() == 0 ? "BYE" : "BYE pending=" + pending.get());
        }
    }

    private void line(String text) {
        synchronized (out) {
            out.println(text);
            out.flush();
        }
    }

    private static String oneLine(String text) {
        return text.replace('\r', ' ').replace('\n', ' ');
    }
}
