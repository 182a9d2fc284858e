package dev.llmqueue.simulator;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLineTest {

    @Test
    void durationsAcceptMillisecondsSecondsAndZero() {
        assertEquals(Duration.ofMillis(50), LlmSimulator.parseDuration("50ms"));
        assertEquals(Duration.ofSeconds(2), LlmSimulator.parseDuration("2s"));
        assertEquals(Duration.ZERO, LlmSimulator.parseDuration("0"));
    }

    @Test
    void durationsAcceptOtherUnitsFractionsAndIso() {
        assertEquals(Duration.ofMillis(1500), LlmSimulator.parseDuration("1.5s"));
        assertEquals(Duration.ofMinutes(1), LlmSimulator.parseDuration("1m"));
        assertEquals(Duration.ofNanos(250_000), LlmSimulator.parseDuration("250us"));
        assertEquals(Duration.ofMillis(75), LlmSimulator.parseDuration("75"));
        assertEquals(Duration.ofSeconds(3), LlmSimulator.parseDuration("PT3S"));
    }

    @Test
    void badDurationsAreRejected() {
        for (String bad : new String[] {"", "fast", "-5ms", "5 parsecs", "PT-1S"}) {
            assertThrows(IllegalArgumentException.class, () -> LlmSimulator.parseDuration(bad), bad);
        }
    }

    @Test
    void argumentsConfigureTheSimulator() {
        LlmSimulator sim = LlmSimulator.parseArgs("--port", "11434", "--service-time", "50ms",
                "--parallelism", "2", "--max-queue=512", "--per-token-time", "1ms", "--completion-tokens", "7",
                "--seed", "9").build();

        assertEquals(11434, sim.port());
        assertEquals(Duration.ofMillis(50), sim.serviceTime());
        assertEquals(Duration.ofMillis(1), sim.perTokenTime());
        assertEquals(7, sim.completionTokens());
        assertEquals(2, sim.parallelism());
        assertEquals(512, sim.maxQueue());
        assertEquals(9, sim.seed());
        assertTrue(sim.faults().isNone());
        assertTrue(sim.recordsCalls());
    }

    @Test
    void faultArgumentsBuildFaults() {
        Faults f = LlmSimulator.parseArgs("--rate-limited", "0.1", "--retry-after", "2s", "--slow", "0.2",
                "--slow-delay", "300ms", "--drop-connection", "0.05", "--no-record").build().faults();

        assertEquals(0.1, f.rateLimitedProbability());
        assertEquals(Duration.ofSeconds(2), f.retryAfter());
        assertEquals(0.2, f.slowProbability());
        assertEquals(Duration.ofMillis(300), f.slowDelay());
        assertEquals(0.05, f.dropConnectionProbability());
    }

    @Test
    void streamingArgumentsConfigureTimingAndStreamFaults() {
        LlmSimulator sim = LlmSimulator.parseArgs("--time-to-first-token", "200ms", "--tokens-per-second=40",
                "--stall-probe-interval", "250ms", "--stream-fault", "stall-after=2; for=1s").build();

        assertEquals(Duration.ofMillis(200), sim.timeToFirstToken().orElseThrow());
        assertEquals(40.0, sim.tokensPerSecond());
        assertEquals(Duration.ofMillis(250), sim.stallProbeInterval());
        assertEquals(StreamFault.stallAfter(2, Duration.ofSeconds(1)), sim.streamFault().orElseThrow());
        assertTrue(LlmSimulator.parseArgs().build().timeToFirstToken().isEmpty());
        assertTrue(LlmSimulator.parseArgs().build().streamFault().isEmpty());
    }

    @Test
    void streamFaultArgumentsBuildFaults() {
        Faults f = LlmSimulator.parseArgs("--cut-stream", "0.1", "--stream-error", "0.05", "--stall-stream", "0.02",
                "--stream-fault-after", "5", "--stall-for", "forever").build().faults();

        assertEquals(0.1, f.cutStreamProbability());
        assertEquals(StreamFault.cutAfter(5), f.cutStream());
        assertEquals(0.05, f.streamErrorProbability());
        assertEquals(StreamFault.errorAfter(5), f.streamError());
        assertEquals(0.02, f.stallStreamProbability());
        assertEquals(StreamFault.stallForeverAfter(5), f.stallStream());
        assertEquals(StreamFault.stallAfter(3, Duration.ofSeconds(10)),
                LlmSimulator.parseArgs("--stall-stream", "0.5").build().faults().stallStream());
    }

    @Test
    void unknownOrIncompleteArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LlmSimulator.parseArgs("--colour", "blue"));
        assertThrows(IllegalArgumentException.class, () -> LlmSimulator.parseArgs("--port"));
        assertThrows(IllegalArgumentException.class, () -> LlmSimulator.parseArgs("--parallelism", "two"));
        assertThrows(IllegalArgumentException.class, () -> LlmSimulator.parseArgs("--parallelism", "0"));
        assertThrows(IllegalArgumentException.class, () -> LlmSimulator.parseArgs("--tokens-per-second", "-1"));
        assertThrows(IllegalArgumentException.class, () -> LlmSimulator.parseArgs("--stream-fault", "cut"));
        assertThrows(IllegalArgumentException.class, () -> LlmSimulator.parseArgs("--stall-probe-interval", "0"));
    }

    /**
     * The simulator needs Jackson: the help once showed {@code java -cp llm-simulator.jar ...}, which fails with
     * NoClassDefFoundError. It shows a Maven command (this module's exec-maven-plugin knows the main class and the
     * classpath) and a java command with the Jackson jars.
     */
    @Test
    void helpShowsCommandsThatPutJacksonOnTheClasspath() throws Exception {
        assertTrue(LlmSimulator.USAGE.contains("mvn -q -pl llm-simulator compile exec:java -Dexec.args="),
                LlmSimulator.USAGE);
        String pom = Files.readString(Path.of("pom.xml"));
        assertTrue(pom.contains("<artifactId>exec-maven-plugin</artifactId>")
                   && pom.contains("<mainClass>dev.llmqueue.simulator.LlmSimulator</mainClass>"),
                "exec:java needs the main class in llm-simulator/pom.xml");
        for (String line : LlmSimulator.USAGE.split("\\R")) {
            if (line.contains("java -cp")) {
                for (String jar : new String[] {"jackson-databind", "jackson-core", "jackson-annotations"}) {
                    assertTrue(line.contains(jar), "the java -cp line lacks " + jar + ": " + line);
                }
            }
        }
    }

    @Test
    void runPrintsTheListeningLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (LlmSimulator sim = LlmSimulator.run(new String[] {"--port", "0"},
                new PrintStream(bytes, true, StandardCharsets.UTF_8))) {
            String line = bytes.toString(StandardCharsets.UTF_8).trim();

            assertEquals("LLM simulator listening on http://127.0.0.1:" + sim.port()
                    + " (ollama: /api/*, openai: /v1/*)", line);
            assertFalse(line.contains("\n"));
        }
    }
}
