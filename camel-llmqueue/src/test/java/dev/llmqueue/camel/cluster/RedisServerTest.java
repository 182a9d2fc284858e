package dev.llmqueue.camel.cluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** How the tests find or start a Redis server, and what they do with it. */
@RequiresRedis
class RedisServerTest {

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void assumeRedisServerOnPath() {
        // CI installs it (.ci/run); a developer with only REDIS_URL skips these few
        assumeTrue(RedisServer.executable(System.getenv("PATH")) != null, RedisServer.NO_REDIS);
    }

    @Test
    void sharedServerIsFoundOnceAndAnswers(RedisServer redis) {
        assertSame(redis, RedisServer.require());
        assertTrue(redis.isUp());
    }

    @Test
    void redisUrlWinsWhenSet(RedisServer redis) throws IOException {
        RedisServer found = RedisServer.find(Map.of("REDIS_URL", redis.uri().toString())::get);
        assertEquals(redis.uri(), found.uri());
        assertFalse(found.owned());
    }

    @Test
    void redisUrlThatDoesNotAnswerFailsInsteadOfFallingBack() throws IOException {
        String url = "redis://127.0.0.1:" + freePort();
        IOException e = assertThrows(IOException.class, () -> RedisServer.find(Map.of("REDIS_URL", url)::get));
        assertTrue(e.getMessage().contains(url), e.getMessage());
    }

    @Test
    void defaultAddressIsUsedWhenItAnswers(RedisServer redis) throws IOException {
        RedisServer found = RedisServer.find(Map.of("PATH", "")::get, redis.uri());
        assertEquals(redis.uri(), found.uri());
        assertFalse(found.owned());
    }

    @Test
    void redisServerFromThePathIsStartedWhenNothingAnswers() throws IOException {
        assumeRedisServerOnPath();
        URI nothing = URI.create("redis://127.0.0.1:" + freePort());
        try (RedisServer found = RedisServer.find(Map.of("PATH", System.getenv("PATH"))::get, nothing)) {
            assertTrue(found.owned());
            assertNotEquals(nothing, found.uri());
            assertTrue(found.isUp());
        }
    }

    @Test
    void nothingIsFoundWithoutAServerOrAnExecutable() throws IOException {
        URI nothing = URI.create("redis://127.0.0.1:" + freePort());
        assertNull(RedisServer.find(Map.of("PATH", "/nonexistent")::get, nothing));
    }

    @Test
    void ownServerAnswersOnItsOwnPortAndStopsWhenClosed() throws IOException {
        assumeRedisServerOnPath();
        RedisServer own = RedisServer.startOwn();
        try (own) {
            assertTrue(own.isUp());
            assertTrue(own.isRunning());
            assertNotEquals(6379, own.port());
        }
        assertFalse(own.isRunning());
        assertFalse(own.isUp());
    }

    @Test
    void stopWaitsForTheProcessToExit() throws IOException {
        assumeRedisServerOnPath();
        try (RedisServer own = RedisServer.startOwn()) {
            ProcessHandle handle = ProcessHandle.of(own.pid()).orElseThrow();
            own.stop();
            assertFalse(handle.isAlive());
            assertFalse(own.isUp());
        }
    }

    @Test
    void restartAnswersAgainOnTheSamePortWithoutTheOldData() throws IOException {
        assumeRedisServerOnPath();
        try (RedisServer own = RedisServer.startOwn()) {
            int port = own.port();
            try (RespClient client = own.client()) {
                client.call("SET", "before", "restart");
            }
            own.stop();
            own.restart();
            assertEquals(port, own.port());
            try (RespClient client = own.client()) {
                assertNull(client.call("GET", "before"));
            }
        }
    }

    @Test
    void restartOfARunningServerReplacesIt() throws IOException {
        assumeRedisServerOnPath();
        try (RedisServer own = RedisServer.startOwn()) {
            long before = own.pid();
            own.restart();
            assertNotEquals(before, own.pid());
            assertTrue(own.isUp());
        }
    }

    @Test
    void aServerFoundRunningCannotBeStopped(RedisServer redis) throws IOException {
        RedisServer found = RedisServer.find(Map.of("REDIS_URL", redis.uri().toString())::get);
        assertThrows(IllegalStateException.class, found::stop);
        found.close();
        assertTrue(redis.isUp(), "close leaves a server it did not start running");
    }

    @Test
    void uniqueQueueNamesDifferAndAreSafeInPatterns() {
        String first = RedisServer.uniqueQueueName("global limit [3 nodes]*");
        String second = RedisServer.uniqueQueueName("global limit [3 nodes]*");
        assertNotEquals(first, second);
        assertTrue(first.matches("[A-Za-z0-9._-]+"), first);
        assertTrue(first.contains("global_limit_3_nodes_"), first);
    }

    @Test
    void deleteQueueKeysRemovesPrefixedAndHashTaggedKeysOnly(RedisServer redis, TestInfo test) throws IOException {
        String queue = RedisServer.uniqueQueueName(test.getDisplayName());
        String other = queue + "x";
        try (RespClient client = redis.client()) {
            client.call("MSET", queue + ":slots", "1", "{" + queue + "}:tickets", "2", "{" + other + "}:tickets", "3");
            assertEquals(Set.of(queue + ":slots", "{" + queue + "}:tickets"), Set.copyOf(redis.queueKeys(queue)));
            assertEquals(2, redis.deleteQueueKeys(queue));
            assertEquals(List.of(), redis.queueKeys(queue));
            assertEquals("3", client.call("GET", "{" + other + "}:tickets"));
            redis.deleteQueueKeys(other);
        }
    }
}
