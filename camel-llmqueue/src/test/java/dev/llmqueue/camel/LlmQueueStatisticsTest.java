package dev.llmqueue.camel;

import java.net.ConnectException;

import dev.llmqueue.camel.LlmQueueListener.RequestInfo;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the statistics keep per server: only the servers failing right now, so their cost follows those, not every
 * server ever called.
 */
class LlmQueueStatisticsTest {

    private static RequestInfo call(String server) {
        return new RequestInfo("id", LlmQueuePriority.HIGH, "ollama", "m", server + "/api/chat", server);
    }

    private static Exception refused() {
        return new LlmProviderException("cannot connect", null, -1, "ollama", "u", null, true, -1,
                new ConnectException("Connection refused"));
    }

    @Test
    void serversThatAnsweredAreNotKept() {
        LlmQueueStatistics statistics = new LlmQueueStatistics();
        for (int i = 0; i < 20_000; i++) {
            statistics.onCallEnded(call("http://server-" + i), 1, 1, null, 1, 1);
        }
        assertEquals(0, statistics.trackedServers());
    }

    @Test
    void aServerIsUnreachableAfterFiveConnectFailuresInARowAndForgottenWhenItAnswers() {
        LlmQueueStatistics statistics = new LlmQueueStatistics();
        for (int i = 0; i < 4; i++) {
            statistics.onCallEnded(call("http://down"), 1, 1, refused(), null, null);
        }
        assertTrue(statistics.unreachableServers().isEmpty(), "four failures are not enough");
        statistics.onCallEnded(call("http://down"), 1, 1, refused(), null, null);
        assertTrue(statistics.unreachableServers().get("http://down").startsWith("cannot connect"));
        statistics.onCallEnded(call("http://down"), 1, 1, null, 1, 1);
        assertTrue(statistics.unreachableServers().isEmpty());
        assertEquals(0, statistics.trackedServers());
    }

    @Test
    void anAnswerInBetweenStartsTheCountAgain() {
        LlmQueueStatistics statistics = new LlmQueueStatistics();
        for (int i = 0; i < 4; i++) {
            statistics.onCallEnded(call("http://flaky"), 1, 1, refused(), null, null);
        }
        statistics.onCallEnded(call("http://flaky"), 1, 1, new LlmProviderException("500", null, 500, "ollama", "u",
                null, false, -1, null), null, null);
        statistics.onCallEnded(call("http://flaky"), 1, 1, refused(), null, null);
        assertTrue(statistics.unreachableServers().isEmpty());
    }
}
