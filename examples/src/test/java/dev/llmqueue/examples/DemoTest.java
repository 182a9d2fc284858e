package dev.llmqueue.examples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import dev.llmqueue.examples.Demo.Outcome;
import dev.llmqueue.simulator.LlmSimulator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo runs on a fresh machine (the built-in simulator), and what it shows obeys the queue's policy.
 */
class DemoTest {

    /** Times are read in whole milliseconds: closer events than this are not compared. */
    /**
     * Wall-clock slack: a request counts as waiting, or as newer, only this far beyond the moments the demo measured.
     * The gap between the queue choosing a call and the call thread stamping its start grows with the machine's load
     * (30 ms failed at a load average of 14 on 2 cores); the exact order is pinned without clocks by the scheduler's
     * own tests, this one checks the demo end to end.
     */
    private static final long MARGIN_MILLIS = 150;

    @Test
    void theDemoRunsOnTheSimulatorAndServesHighFirstAndNewestFirst() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        Demo.Run run;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            // the dashboard on any free port
            run = Demo.play(Map.of("DASHBOARD_PORT", "0")::get, out);
        }
        List<Outcome> outcomes = run.outcomes();
        String output = buffer.toString(StandardCharsets.UTF_8);
        assertTrue(output.lines().findFirst().orElse("").contains("built-in LLM simulator"), output);
        assertTrue(output.matches("(?s).*Dashboard: http://localhost:\\d+/llmqueue .*"), output);
        assertTrue(output.contains("done=" + Demo.SCENARIO.size() + "/" + Demo.SCENARIO.size()), output);
        assertTrue(output.contains("Served in this order"), output);
        assertEquals(Demo.SCENARIO.size(), outcomes.size());
        for (Outcome o : outcomes) {
            assertNull(o.error(), o.step().name());
        }
        for (Outcome served : outcomes) {
            for (Outcome waiting : outcomes) {
                boolean waitedThroughout = waiting.sentMillis() + MARGIN_MILLIS < served.startMillis()
                                           && waiting.startMillis() > served.startMillis() + MARGIN_MILLIS;
                if (!waitedThroughout) {
                    continue;
                }
                boolean outranks = outranks(waiting, served);
                assertTrue(!outranks, waiting.step().name() + " was waiting when " + served.step().name()
                                      + " was served, and outranks it\n" + output);
            }
        }
    }

    @Test
    void theStreamedAnswerIsPrintedTokenByTokenAheadOfTheFlood() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        Demo.Run run;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            run = Demo.play(Map.of("DASHBOARD_PORT", "0")::get, out);
        }
        String output = buffer.toString(StandardCharsets.UTF_8);
        Demo.Streamed streamed = run.streamed();
        assertNull(streamed.error(), output);
        // the simulator's answer has 12 words, each streamed on its own
        assertEquals(12, streamed.deltas().size(), streamed.deltas().toString());
        assertTrue(streamed.answer().startsWith("Simulated answer to: " + Demo.STREAMED_QUESTION), streamed.answer());
        assertTrue(output.contains("user-S> " + streamed.answer() + System.lineSeparator()), output);
        // from the queue's own record of the order it started the calls in, no clock involved: the first two LOW jobs
        // took the two slots as they were sent; the question, sent after all six, started before the LOW jobs still
        // waiting (four, unless this machine stalled for a whole LOW call before the question was sent)
        int ahead = streamed.lowStartedAfter().size();
        assertTrue(ahead >= 1 && ahead <= Demo.FLOOD - 2, ahead + " LOW jobs started after the question\n" + output);
        assertTrue(output.contains("The question went ahead of " + ahead + " of the " + Demo.FLOOD + " LOW jobs"),
                output);
    }

    @Test
    void withLlmBaseUrlTheDemoUsesThatServerInsteadOfTheSimulator() throws Exception {
        try (LlmSimulator external = LlmSimulator.builder().build().start()) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            Demo.Run run;
            try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
                run = Demo.play(Map.of("LLM_BASE_URL", external.openAiBaseUrl(), "LLM_PROVIDER", "openai",
                        "LLM_MODEL", "gpt-4o-mini", "OPENAI_API_KEY", "sk-demo", "DASHBOARD_PORT", "0")::get, out);
            }
            String firstLine = buffer.toString(StandardCharsets.UTF_8).lines().findFirst().orElse("");
            assertTrue(firstLine.startsWith("Using the openai server at " + external.openAiBaseUrl()), firstLine);
            List<Outcome> outcomes = run.outcomes();
            assertEquals(Demo.SCENARIO.size(), outcomes.size());
            outcomes.forEach(o -> assertNull(o.error(), o.step().name()));
            assertNull(run.streamed().error());
            assertTrue(run.streamed().answer().startsWith("Simulated answer to: " + Demo.STREAMED_QUESTION));
            // the scenario, the warm-up call, the flood and the streamed question, all on /v1/chat/completions
            assertEquals(Demo.SCENARIO.size() + 1 + Demo.FLOOD + 1,
                    external.recorded().stream().filter(c -> c.path().equals("/v1/chat/completions")).count());
        }
    }

    /** HIGH before LOW; within a priority the newer first. */
    private static boolean outranks(Outcome a, Outcome b) {
        if (!a.step().priority().equals(b.step().priority())) {
            return a.step().priority().equals("HIGH");
        }
        return a.sentMillis() > b.sentMillis() + MARGIN_MILLIS;
    }
}
