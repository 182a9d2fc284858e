package dev.llmqueue.camel.cluster;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The test client's replies, against the real server; every key starts with the test's own prefix. */
@RequiresRedis
class RespClientTest {

    private RedisServer redis;
    private RespClient client;
    private String prefix;

    @BeforeEach
    void connect(RedisServer redis, TestInfo test) throws IOException {
        this.redis = redis;
        this.client = redis.client();
        this.prefix = RedisServer.uniqueQueueName(test.getDisplayName());
    }

    @AfterEach
    void cleanUp() throws IOException {
        client.close();
        redis.deleteQueueKeys(prefix);
    }

    private String key(String name) {
        return prefix + ":" + name;
    }

    @Test
    void simpleStringReplyIsAString() throws IOException {
        assertEquals("PONG", client.call("PING"));
    }

    @Test
    void errorReplyIsThrownWithItsCode() {
        RespClient.RedisError error = assertThrows(RespClient.RedisError.class, () -> client.call("NO-SUCH-COMMAND"));
        assertEquals("ERR", error.code());
    }

    @Test
    void connectionStaysUsableAfterAnErrorReply() throws IOException {
        client.call("SET", key("s"), "text");
        assertThrows(RespClient.RedisError.class, () -> client.call("INCR", key("s")));
        assertEquals("text", client.callString("GET", key("s")));
    }

    @Test
    void integerReplyIsALong() throws IOException {
        assertEquals(1L, client.call("INCR", key("n")));
        assertEquals(2L, client.callLong("INCR", key("n")));
    }

    @Test
    void bulkReplyKeepsUtf8AndLineBreaks() throws IOException {
        String value = "zwei Zeilen\r\nüber ✓ und $3\r\n*1";
        client.call("SET", key("b"), value);
        assertEquals(value, client.call("GET", key("b")));
    }

    @Test
    void emptyBulkIsAnEmptyString() throws IOException {
        client.call("SET", key("e"), "");
        assertEquals("", client.call("GET", key("e")));
    }

    @Test
    void nullBulkIsNull() throws IOException {
        assertNull(client.call("GET", key("missing")));
    }

    @Test
    void largeBulkIsReadWhole() throws IOException {
        String value = "x".repeat(3 * 1024 * 1024 + 7);
        client.call("SET", key("large"), value);
        assertEquals(value.length(), ((String) client.call("GET", key("large"))).length());
        assertEquals(value.length(), client.callLong("STRLEN", key("large")));
    }

    @Test
    void arrayReplyIsAListInOrder() throws IOException {
        client.call("RPUSH", key("l"), "a", "b", "c");
        assertEquals(List.of("a", "b", "c"), client.call("LRANGE", key("l"), "0", "-1"));
    }

    @Test
    void emptyArrayIsAnEmptyList() throws IOException {
        assertEquals(List.of(), client.call("LRANGE", key("none"), "0", "-1"));
    }

    @Test
    void nullArrayIsNull() throws IOException {
        // BLPOP's timeout answers a null array in RESP2
        assertNull(client.call("BLPOP", key("none"), "0.01"));
        assertEquals(List.of(), client.callList("BLPOP", key("none"), "0.01"));
    }

    @Test
    void mixedArrayHoldsIntegersBulksAndNestedArrays() throws IOException {
        client.call("ZADD", key("z"), "1", "one", "2", "two");
        List<Object> scan = client.callList("ZSCAN", key("z"), "0");
        assertEquals("0", scan.get(0));
        assertEquals(List.of("one", "1", "two", "2"), scan.get(1));
        assertEquals(List.of(1L, 0L), client.call("EVAL", "return {1, 0}", "0"));
    }

    @Test
    void errorInsideAnArrayIsReturnedNotThrown() throws IOException {
        client.call("MULTI");
        client.call("SET", key("t"), "word");
        client.call("INCR", key("t"));
        List<Object> results = client.callList("EXEC");
        assertEquals("OK", results.get(0));
        assertInstanceOf(RespClient.RedisError.class, results.get(1));
    }

    @Test
    void hgetallIsAMap() throws IOException {
        client.call("HSET", key("h"), "node", "a", "slots", "2");
        assertEquals(Map.of("node", "a", "slots", "2"), client.hgetall(key("h")));
        assertEquals(Map.of(), client.hgetall(key("no-hash")));
    }

    @Test
    void scanFindsEveryMatchingKeyAcrossPages() throws IOException {
        List<String> mset = new ArrayList<>(List.of("MSET"));
        for (int i = 0; i < 2_500; i++) {
            mset.add(key("k" + i));
            mset.add("v");
        }
        client.call(mset);
        assertEquals(2_500, client.scan(RespClient.globEscape(prefix) + ":k*").size());
    }

    @Test
    void deleteMatchingDeletesOnlyMatchingKeys() throws IOException {
        client.call("MSET", key("gone:1"), "v", key("gone:2"), "v", key("kept"), "v");
        assertEquals(2L, client.deleteMatching(RespClient.globEscape(prefix) + ":gone:*"));
        assertEquals(Set.of(key("kept")), client.scan(RespClient.globEscape(prefix) + ":*"));
    }

    @Test
    void globEscapeMatchesSpecialCharactersLiterally() throws IOException {
        client.call("MSET", key("a*[b]?"), "v", key("aX[b]?"), "v", key("a*b?"), "v");
        assertEquals(Set.of(key("a*[b]?")), client.scan(RespClient.globEscape(key("a*[b]?"))));
    }

    @Test
    void uriWithADatabaseSelectsIt() throws IOException {
        URI uri = URI.create(redis.uri().toString().replaceAll("/\\d*$", "") + "/3");
        try (RespClient db3 = RespClient.connect(uri, Duration.ofSeconds(5))) {
            db3.call("SET", key("db"), "three");
            assertEquals("three", db3.call("GET", key("db")));
            assertNull(client.call("GET", key("db")), "another database than the URI without one");
            db3.call("DEL", key("db"));
        }
    }
}
