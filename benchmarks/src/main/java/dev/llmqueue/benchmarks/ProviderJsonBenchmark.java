package dev.llmqueue.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import dev.llmqueue.camel.LlmQueueOperation;
import dev.llmqueue.camel.provider.LlmProvider;
import dev.llmqueue.camel.provider.LlmReply;
import dev.llmqueue.camel.provider.LlmRequest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Part of the per-request overhead that is not queueing: the Ollama provider writing the request JSON and reading the
 * reply JSON (the direct and fifo contenders send pre-built JSON and do not read the reply).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ProviderJsonBenchmark {

    private static final LlmProvider OLLAMA = LlmProvider.forName("ollama");
    private static final LlmRequest REQUEST = new LlmRequest(LlmQueueOperation.chat, Harness.MODEL,
            "bench #12345# what is the answer?", null, null, null);
    /** A reply of the simulator to that request (12 completion tokens). */
    private static final byte[] REPLY = ("{\"model\":\"llama3.2\",\"created_at\":\"2026-11-27T16:40:00.123456Z\","
                                         + "\"message\":{\"role\":\"assistant\",\"content\":\"Simulated answer to: bench"
                                         + " #12345# what is the answer? lorem ipsum\"},\"done_reason\":\"stop\","
                                         + "\"done\":true,\"total_duration\":1000,\"load_duration\":0,"
                                         + "\"prompt_eval_count\":6,\"prompt_eval_duration\":0,\"eval_count\":12,"
                                         + "\"eval_duration\":0}").getBytes(StandardCharsets.UTF_8);

    @Benchmark
    public byte[] writeRequest() {
        return OLLAMA.requestBody(REQUEST);
    }

    @Benchmark
    public LlmReply readReply() throws Exception {
        return OLLAMA.parseReply(LlmQueueOperation.chat, REPLY, false);
    }
}
