package dev.llmqueue.benchmarks;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.llmqueue.benchmarks.Harness.Target;
import dev.llmqueue.benchmarks.Harness.Ticket;
import dev.llmqueue.camel.LlmQueueComponent;
import dev.llmqueue.camel.LlmQueueOperation;
import dev.llmqueue.camel.LlmStream;
import dev.llmqueue.camel.provider.LlmProvider;
import dev.llmqueue.camel.provider.LlmRequest;
import dev.llmqueue.simulator.LlmSimulator;
import dev.llmqueue.simulator.RecordedCall;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.component.http.HttpEndpoint;
import org.apache.camel.component.seda.SedaEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.classic.HttpClient;
import org.apache.hc.client5.http.routing.RoutingSupport;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;

/**
 * Section 6: streamed answers, the three contenders side by side in one CamelContext (its own, apart from
 * {@link Harness}'s), each reading an Ollama NDJSON stream from the same simulator:
 * <ul>
 * <li><b>direct</b>: from(direct).process(a streamed POST with camel-http's own HttpClient, read line by line);</li>
 * <li><b>llmqueue</b>: from(direct).to(llmqueue:ollama?streaming=true).process(read the LlmStream);</li>
 * <li><b>fifo</b>: from(direct).to(seda); from(seda?concurrentConsumers=N).process(the same streamed POST as
 * direct).</li>
 * </ul>
 * The route's <b>time to first token</b> (TTFT) is from the request entering the route to the first delta in the
 * route's hands: for llmqueue the exchange resumed and the first {@code LlmStream.next()} returned, for direct and
 * fifo the first line read. Every route then reads its stream to the end (which is when its slot or consumer is free)
 * and ends with {@link Harness#DONE}.
 * <p>
 * Two simulators: <i>quick</i> (first token as soon as the request has a slot, parallelism 256) for the added TTFT at
 * 1 in flight, and <i>busy</i> (a few slots, a real time to first token and token rate) for HIGH under a LOW flood.
 */
final class StreamBench implements AutoCloseable {

    private static final LlmProvider OLLAMA = LlmProvider.forName("ollama");
    private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(30);

    /** Which simulator. */
    enum Sim {
        quick, busy
    }

    /** Reads an llmqueue route's LlmStream: stamps the first delta, then reads to the end. */
    private static final Processor READ_STREAM = exchange -> {
        Object body = exchange.getMessage().getBody();
        if (!(body instanceof LlmStream stream)) {
            throw new IllegalStateException("expected an LlmStream body, got " + body);
        }
        Ticket ticket = exchange.getProperty(Harness.TICKET, Ticket.class);
        try (stream) {
            if (stream.hasNext()) {
                stream.next();
                if (ticket != null) {
                    ticket.firstToken = System.nanoTime();
                }
            }
            while (stream.hasNext()) {
                stream.next();
            }
        }
    };

    private final Sizes sizes;
    private final LlmSimulator quick;
    private final LlmSimulator busy;
    private final CamelContext context;
    private final LlmQueueComponent queue;
    private final Map<Sim, Map<Contender, AsyncProducer>> entries = new EnumMap<>(Sim.class);
    private final List<AsyncProducer> producers = new ArrayList<>();

    StreamBench(Sizes sizes) throws Exception {
        this.sizes = sizes;
        quick = LlmSimulator.builder().timeToFirstToken(Duration.ZERO).tokensPerSecond(sizes.streamTokensPerSecond())
                .completionTokens(sizes.streamTokens()).parallelism(256).maxQueue(4096).recordCalls(false).build()
                .start();
        busy = LlmSimulator.builder().timeToFirstToken(Duration.ofMillis(sizes.streamFloodTtftMillis()))
                .tokensPerSecond(sizes.streamFloodTokensPerSecond()).completionTokens(sizes.streamFloodTokens())
                .parallelism(sizes.streamFloodParallelism()).maxQueue(4096).recordCalls(true).build().start();
        context = new DefaultCamelContext();
        queue = new LlmQueueComponent();
        try {
            start();
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    private void start() throws Exception {
        context.getShutdownStrategy().setTimeout(2);
        context.getShutdownStrategy().setSuppressLoggingOnTimeout(true);
        queue.setMaxHighQueueSize(100_000);
        queue.setMaxLowQueueSize(100_000);
        queue.setMaxConcurrentRequests(8);
        queue.addListener(new CallClock());
        context.addComponent("llmqueue", queue);
        HttpComponent http = context.getComponent("http", HttpComponent.class);
        http.setHttpClientConfigurer(ReplyClock::install);
        context.start();
        Map<Sim, StreamCall> calls = new EnumMap<>(Sim.class);
        for (Sim sim : Sim.values()) {
            calls.put(sim, new StreamCall(context, simulator(sim)));
        }
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                onException(Exception.class).handled(true).process(Harness.FAILED);
                for (Sim sim : Sim.values()) {
                    LlmSimulator s = simulator(sim);
                    from("direct:direct-" + sim).routeId("stream-direct-" + sim).process(calls.get(sim))
                            .process(Harness.DONE);
                    from("direct:llmqueue-" + sim).routeId("stream-llmqueue-" + sim)
                            .to("llmqueue:ollama?streaming=true&model=" + Harness.MODEL + "&baseUrl=" + s.baseUrl())
                            .process(READ_STREAM).process(Harness.DONE);
                    String seda = "seda:stream-fifo-" + sim + "?concurrentConsumers=" + consumers(sim) + "&size=100000";
                    from("direct:fifo-" + sim).routeId("stream-enter-fifo-" + sim).to(seda);
                    from(seda).routeId("stream-fifo-" + sim).process(Harness.DISPATCHED).process(calls.get(sim))
                            .process(Harness.DONE);
                }
            }
        });
        for (Sim sim : Sim.values()) {
            Map<Contender, AsyncProducer> byContender = new EnumMap<>(Contender.class);
            for (Contender c : Contender.values()) {
                AsyncProducer producer = context.getEndpoint("direct:" + c + "-" + sim).createAsyncProducer();
                producer.start();
                producers.add(producer);
                byContender.put(c, producer);
            }
            entries.put(sim, byContender);
        }
    }

    /** fifo's consumers and llmqueue's slots: 8 on the quick simulator (never more than 1 in flight), else its slots. */
    private int consumers(Sim sim) {
        return sim == Sim.quick ? 8 : sizes.streamFloodParallelism();
    }

    LlmSimulator simulator(Sim sim) {
        return sim == Sim.quick ? quick : busy;
    }

    private Target target(Sim sim, Contender c) {
        if (c == Contender.llmqueue) {
            queue.setMaxConcurrentRequests(consumers(sim));
        }
        return new Target(c, entries.get(sim).get(c));
    }

    /** The JSON direct and fifo send: exactly what llmqueue sends for a String prompt with streaming=true. */
    static byte[] streamingPayload(String prompt) {
        return OLLAMA.requestBody(new LlmRequest(LlmQueueOperation.chat, Harness.MODEL, prompt, null, null, null), true);
    }

    // ------------------------------------------------------------------ 1 in flight

    /** What a run at 1 in flight measured, per request: TTFT and its parts, and the whole stream. */
    record Serial(Samples ttft, Samples dispatch, Samples toFirstByte, Samples firstByteToDelta, Samples whole,
                  int failures, Samples firstByteToEvent, Samples eventToDelta) {
    }

    /**
     * Sends {@code count} streamed requests one after the other on the quick simulator: each is sent when the previous
     * one's route has read its stream to the end and (llmqueue) its slot is back.
     */
    Serial serial(Contender c, String tag, int count) {
        Target target = target(Sim.quick, c);
        Samples ttft = new Samples(count);
        Samples dispatch = new Samples(count);
        Samples toFirstByte = new Samples(count);
        Samples firstByteToDelta = new Samples(count);
        Samples whole = new Samples(count);
        Samples firstByteToEvent = new Samples(count);
        Samples eventToDelta = new Samples(count);
        int failures = 0;
        byte[][] payloads = new byte[count][];
        if (c != Contender.llmqueue) {
            for (int i = 0; i < count; i++) {
                payloads[i] = streamingPayload(Harness.prompt(tag, i));
            }
        }
        ReplyClock.arm(count);
        CallClock.arm();
        try {
            for (int i = 0; i < count; i++) {
                Ticket ticket = new Ticket(i, "HIGH", null);
                Exchange exchange = target.prepare(ticket, Harness.prompt(tag, i), payloads[i]);
                ticket.start = System.nanoTime();
                target.send(exchange);
                if (!ticket.await(TIMEOUT)) {
                    throw new IllegalStateException(c + ": streamed request " + i + " did not complete in 30 s");
                }
                if (c == Contender.llmqueue) {
                    awaitIdle();
                }
                if (ticket.failure != null || ticket.firstToken == 0) {
                    failures++;
                    continue;
                }
                ttft.add(ticket.firstToken - ticket.start);
                whole.add(ticket.end - ticket.start);
                long dispatched = ticket.dispatched;
                if (dispatched != 0) {
                    dispatch.add(dispatched - ticket.start);
                }
                long firstByte = ReplyClock.replyNanos(i);
                if (firstByte != 0) {
                    toFirstByte.add(firstByte - (dispatched != 0 ? dispatched : ticket.start));
                    firstByteToDelta.add(ticket.firstToken - firstByte);
                    long event = ticket.steps.firstToken();
                    if (event != 0) {
                        // llmqueue: the component's onFirstToken, just before it hands the exchange to be resumed
                        firstByteToEvent.add(event - firstByte);
                        eventToDelta.add(ticket.firstToken - event);
                    }
                }
            }
        } finally {
            ReplyClock.disarm();
            CallClock.disarm();
        }
        return new Serial(ttft, dispatch, toFirstByte, firstByteToDelta, whole, failures, firstByteToEvent,
                eventToDelta);
    }

    /** llmqueue: until the call thread has given its slot back (it reads the server's last event after the route's). */
    private void awaitIdle() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (queue.getActiveRequests() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(20_000);
        }
    }

    // ------------------------------------------------------------------ HIGH under a LOW flood

    /** One HIGH request of the flood: sent at (s after the first HIGH), its TTFT in the route, its wait for a slot. */
    record High(double sentSeconds, long ttftNanos, boolean censored, long slotWaitNanos) {
    }

    /** What one contender's flood run measured. */
    record Flood(Contender contender, int backlog, double highPerSecond, double seconds, List<High> high,
                 double lowPerSecond, double servedPerSecond, int failures) {

        /** The HIGH p-quantile TTFT, a request without its first token counted at what it had waited (a lower bound). */
        long ttft(double q) {
            Samples all = new Samples(high.size());
            for (High h : high) {
                all.add(h.ttftNanos());
            }
            return all.percentile(q);
        }

        /** Whether that quantile falls on or above a censored request, so is only a lower bound. */
        boolean ttftCensored(double q) {
            long min = Long.MAX_VALUE;
            for (High h : high) {
                if (h.censored()) {
                    min = Math.min(min, h.ttftNanos());
                }
            }
            return min != Long.MAX_VALUE && ttft(q) >= min;
        }

        int censored() {
            int n = 0;
            for (High h : high) {
                if (h.censored()) {
                    n++;
                }
            }
            return n;
        }

        /** The p-quantile of the HIGH requests' wait for a server slot (simulator's stamps), over those that got one. */
        long slotWait(double q) {
            Samples all = new Samples(high.size());
            for (High h : high) {
                if (h.slotWaitNanos() >= 0) {
                    all.add(h.slotWaitNanos());
                }
            }
            return all.percentile(q);
        }
    }

    /**
     * A backlog of LOW streamed requests kept at {@code backlog} (each that ends is replaced; direct: that many caller
     * threads each calling in a loop, so the backlog waits in the server's own queue), then HIGH requests at
     * {@code highPerSecond} for {@code seconds}; the run goes on until every HIGH has its first token or
     * {@code drainSeconds} more have passed.
     */
    Flood flood(Contender c, int backlog, double highPerSecond, double seconds, double drainSeconds)
            throws InterruptedException {
        LlmSimulator sim = busy;
        Target target = target(Sim.busy, c);
        sim.clearRecorded();
        AtomicBoolean feeding = new AtomicBoolean(true);
        AtomicLong lowIds = new AtomicLong(1_000_000);
        AtomicLong lowDone = new AtomicLong();
        AtomicInteger failures = new AtomicInteger();
        List<Thread> lowThreads = new ArrayList<>();
        Harness.Listener[] lowListener = new Harness.Listener[1];
        lowListener[0] = ticket -> {
            if (ticket.failure != null) {
                if (feeding.get()) {
                    failures.incrementAndGet();
                }
                return;
            }
            lowDone.incrementAndGet();
            if (feeding.get() && !target.blocking()) {
                sendLow(target, lowIds.incrementAndGet(), lowListener[0]);
            }
        };
        if (target.blocking()) {
            for (int i = 0; i < backlog; i++) {
                Thread t = new Thread(() -> {
                    while (feeding.get()) {
                        sendLow(target, lowIds.incrementAndGet(), lowListener[0]);
                    }
                }, "bench-low-" + i);
                t.setDaemon(true);
                lowThreads.add(t);
                t.start();
            }
        } else {
            for (int i = 0; i < backlog; i++) {
                sendLow(target, lowIds.incrementAndGet(), lowListener[0]);
            }
        }
        // let the backlog settle: every slot busy, the backlog waiting
        Thread.sleep(300 + 2 * sizes.streamFloodTtftMillis());
        long lowDone0 = lowDone.get();
        long received0 = sim.stats().served();

        int count = (int) Math.round(highPerSecond * seconds);
        long period = (long) (1e9 / highPerSecond);
        Ticket[] tickets = new Ticket[count];
        ExecutorService senders = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "bench-high");
            t.setDaemon(true);
            return t;
        });
        long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
        try {
            for (int k = 0; k < count; k++) {
                long due = t0 + k * period;
                LoadDriver.sleepUntil(due);
                Ticket ticket = new Ticket(k, "HIGH", null);
                tickets[k] = ticket;
                byte[] payload = c == Contender.llmqueue ? null : streamingPayload(Harness.prompt("HIGH", k));
                Exchange exchange = target.prepare(ticket, Harness.prompt("HIGH", k), payload);
                if (target.blocking()) {
                    senders.execute(() -> {
                        ticket.start = System.nanoTime();
                        target.send(exchange);
                    });
                } else {
                    ticket.start = System.nanoTime();
                    target.send(exchange);
                }
            }
            LoadDriver.sleepUntil(t0 + count * period);
            long windowEnd = System.nanoTime();
            long lowDone1 = lowDone.get();
            long received1 = sim.stats().served();
            // every HIGH should get its first token: wait for the slowest, within bounds
            long drainEnd = windowEnd + (long) (drainSeconds * 1e9);
            for (Ticket t : tickets) {
                while (t.firstToken == 0 && !t.done() && System.nanoTime() < drainEnd) {
                    Thread.sleep(5);
                }
            }
            long runEnd = System.nanoTime();

            // stop the flood and let what is in flight end
            feeding.set(false);
            if (c == Contender.llmqueue) {
                queue.setDisableBackground(true);
                for (Ticket t : tickets) {
                    t.await(TimeUnit.SECONDS.toNanos(5));
                }
                queue.setDisableBackground(false);
            } else if (c == Contender.fifo) {
                for (var endpoint : context.getEndpoints()) {
                    if (endpoint instanceof SedaEndpoint seda
                        && seda.getEndpointUri().startsWith("seda://stream-fifo-" + Sim.busy)) {
                        seda.getQueue().clear();
                    }
                }
            }
            for (Thread t : lowThreads) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
            for (Ticket t : tickets) {
                t.await(TimeUnit.SECONDS.toNanos(10));
            }
            waitIdle(sim);

            // the HIGH requests' slot waits, from the simulator's stamps
            long[] slot = new long[count];
            for (RecordedCall call : sim.recorded()) {
                if (call.body().contains("HIGH #")) {
                    long id = ReplyClock.idIn(call.body().getBytes(StandardCharsets.UTF_8));
                    if (id >= 0 && id < count && call.startNanos() != 0) {
                        slot[(int) id] = call.startNanos();
                    }
                }
            }
            List<High> high = new ArrayList<>(count);
            for (int k = 0; k < count; k++) {
                Ticket t = tickets[k];
                double sentAt = (t.start - t0) / 1e9;
                long wait = slot[k] != 0 ? slot[k] - t.start : -1;
                if (t.firstToken != 0 && t.firstToken <= runEnd) {
                    high.add(new High(sentAt, t.firstToken - t.start, false, wait));
                } else {
                    high.add(new High(sentAt, runEnd - t.start, true, wait));
                }
                if (t.failure != null) {
                    failures.incrementAndGet();
                }
            }
            double window = (windowEnd - t0) / 1e9;
            return new Flood(c, backlog, highPerSecond, window, high, (lowDone1 - lowDone0) / window,
                    (received1 - received0) / window, failures.get());
        } finally {
            feeding.set(false);
            senders.shutdownNow();
        }
    }

    private static void sendLow(Target target, long id, Harness.Listener listener) {
        Ticket ticket = new Ticket(id, "LOW", listener);
        byte[] payload = target.contender() == Contender.llmqueue ? null
                : streamingPayload(Harness.prompt("LOW", id));
        Exchange exchange = target.prepare(ticket, Harness.prompt("LOW", id), payload);
        ticket.start = System.nanoTime();
        target.send(exchange);
    }

    private void waitIdle(LlmSimulator sim) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline
               && (sim.stats().currentlyServing() > 0 || sim.stats().currentlyWaiting() > 0
                   || queue.getActiveRequests() > 0)) {
            Thread.sleep(20);
        }
        Thread.sleep(100);
    }

    @Override
    public void close() {
        for (AsyncProducer producer : producers) {
            try {
                producer.stop();
            } catch (Exception e) {
                // closing anyway
            }
        }
        try {
            context.stop();
        } catch (Exception e) {
            // closing anyway
        }
        quick.close();
        busy.close();
    }

    /**
     * direct's and fifo's call: POST the streaming request with camel-http's own HttpClient (the same client, pool
     * and options llmqueue's endpoint gets from camel-http), read the NDJSON reply line by line, stamp the first line.
     */
    static final class StreamCall implements Processor {
        private final HttpClient client;
        private final HttpHost host;
        private final String url;

        StreamCall(CamelContext context, LlmSimulator sim) throws Exception {
            // a camel-http endpoint of its own (Harness.httpUri's options, as llmqueue's), so a pool of its own
            HttpEndpoint endpoint = context.getEndpoint(Harness.httpUri(sim), HttpEndpoint.class);
            endpoint.getClientBuilder().disableAutomaticRetries();
            this.client = endpoint.getHttpClient();
            this.url = sim.baseUrl() + "/api/chat";
            this.host = RoutingSupport.determineHost(new HttpPost(url));
        }

        @Override
        public void process(Exchange exchange) throws Exception {
            Ticket ticket = exchange.getProperty(Harness.TICKET, Ticket.class);
            byte[] payload = exchange.getMessage().getBody(byte[].class);
            HttpPost post = new HttpPost(url);
            post.setEntity(new ByteArrayEntity(payload, ContentType.APPLICATION_JSON));
            post.setHeader("Accept", "application/x-ndjson, text/event-stream");
            try (ClassicHttpResponse response = client.executeOpen(host, post, null)) {
                HttpEntity entity = response.getEntity();
                if (response.getCode() != 200 || entity == null) {
                    throw new IllegalStateException("HTTP " + response.getCode() + " from " + url);
                }
                BufferedReader lines = new BufferedReader(new InputStreamReader(entity.getContent(),
                        StandardCharsets.UTF_8));
                String first = lines.readLine();
                long now = System.nanoTime();
                if (first == null) {
                    throw new IllegalStateException("empty stream from " + url);
                }
                if (ticket != null) {
                    ticket.firstToken = now;
                }
                while (lines.readLine() != null) {
                    // read to the end: the connection goes back to the pool
                }
                EntityUtils.consume(entity);
            }
        }
    }
}
