package dev.llmqueue.camel.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The decisions of {@code llmqueue.lua}, one behaviour per test, against the real Redis: the script is called directly
 * ({@code EVAL}, as {@link RedisSlotAuthority} does by SHA) and its effects are read from the keys themselves. Each test
 * has a queue of its own and deletes its keys afterwards. Tickets are named {@code node:number}, as the Java side names
 * them; a node joins with a {@code rejoin} that holds nothing, as a starting instance does.
 */
@RequiresRedis
class LuaDecisionsTest {

    private static final String SCRIPT = script();
    /** A lease no test outlives unless it shortens it on purpose. */
    private static final String LONG_LEASE = "600000";

    private static RedisClient client;
    private static StatefulRedisConnection<String, String> connection;
    private static RedisCommands<String, String> redis;

    /** "{queue}", the prefix of every key of this test. */
    private String q;

    @BeforeAll
    static void connect() {
        client = RedisClient.create(TestRedis.uri());
        connection = client.connect();
        redis = connection.sync();
    }

    @AfterAll
    static void disconnect() {
        connection.close();
        client.shutdown();
    }

    @BeforeEach
    void queue(TestInfo test) {
        q = "{lua-" + test.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime() + "}";
    }

    @AfterEach
    void deleteKeys() {
        List<String> keys = keys();
        if (!keys.isEmpty()) {
            redis.del(keys.toArray(String[]::new));
        }
        assertEquals(List.of(), keys(), "keys of " + q + " left");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // submit: grants, order, aging, reserved slots, per-server caps, bounds, disabled

    @Test
    void submitGrantsWhileFewerThanTheLimitRunAndPushesTheGrantOnTheNodesList() {
        join("a", 3);
        set("limit", "2");
        assertEquals(List.of("OK"), submit("a:1", "H", "s1"));
        assertEquals(List.of("OK"), submit("a:2", "L", "s1"));
        assertEquals(List.of("G 3 a:1", "G 3 a:2"), messages("a"));
        assertEquals(List.of("OK"), submit("a:3", "H", "s1"));
        assertEquals(List.of(), messages("a"), "the limit is reached: a:3 waits");
        assertEquals(Set.of("a:1", "a:2"), redis.hkeys(q + ":leases").stream().collect(java.util.stream.Collectors.toSet()));
        assertEquals(Set.of("a:3"), redis.hkeys(q + ":tickets").stream().collect(java.util.stream.Collectors.toSet()));
        assertCounts(1, 0, 2, 1);
        assertEquals("2", redis.hget(q + ":srun", "s1"));
    }

    @Test
    void theNextSlotGoesToTheNewestHighOfAnyNodeThenTheNewestLow() {
        join("a", 1);
        join("b", 1);
        join("c", 1);
        set("limit", "1");
        submit("a:1", "H", "s1");
        assertEquals(List.of("G 1 a:1"), messages("a"));
        submit("b:1", "L", "s1");
        submit("c:1", "L", "s2");
        submit("a:2", "H", "s2");
        submit("b:2", "H", "s1");
        submit("c:2", "H", "s1");
        assertEquals(List.of("c:2", "b:2", "a:2", "c:1", "b:1"), drainOneByOne("a:1"));
    }

    @Test
    void aLowTicketThatWaitedMaxWaitGoesFirstOldestFirst() {
        join("a", 1);
        join("b", 1);
        set("limit", "1", "maxWait", "600000");
        submit("a:1", "H", "s1");
        submit("a:2", "L", "s1");
        submit("b:1", "L", "s2");
        submit("b:2", "H", "s1");
        submit("b:3", "H", "s2");
        messages("a");
        assertEquals(List.of(1L), release("a:1", "NONE"));
        assertEquals(List.of("G 1 b:3"), messages("b"), "no LOW ticket has waited 10 minutes: the newest HIGH goes");

        // the oldest LOW ticket has now waited maxWait (measured on Redis' own clock, as the script measures it)
        redis.hset(q + ":cfg", "maxWait", "20");
        awaitRedisTime(pushedAt("a:2") + 20);
        assertEquals(List.of(1L), release("b:3", "NONE"));
        assertEquals(List.of("G 1 a:2"), messages("a"), "the oldest LOW ticket, before the waiting HIGH one");
        assertEquals(List.of(), messages("b"));

        awaitRedisTime(pushedAt("b:1") + 20);
        assertEquals(List.of(1L), release("a:2", "NONE"));
        assertEquals(List.of("G 1 b:1"), messages("b"), "b:1 has waited maxWait too: it goes before b:2 (HIGH)");
        assertEquals(List.of(1L), release("b:1", "NONE"));
        assertEquals(List.of("G 1 b:2"), messages("b"));
    }

    @Test
    void lowTicketsNeverHoldMoreThanTheLimitLessTheReservedSlots() {
        join("a", 1);
        set("limit", "3", "reserved", "1");
        submit("a:1", "L", "s1");
        submit("a:2", "L", "s1");
        submit("a:3", "L", "s1");
        assertEquals(List.of("G 1 a:1", "G 1 a:2"), messages("a"), "the third slot is kept for HIGH");
        submit("a:4", "H", "s1");
        assertEquals(List.of("G 1 a:4"), messages("a"));
        assertCounts(0, 1, 3, 2);
        assertEquals(List.of(0L), release("a:4", "NONE"), "the freed slot is a reserved one: a:3 (LOW) waits on");
        assertEquals(List.of(), messages("a"));
        assertEquals(List.of(1L), release("a:1", "NONE"));
        assertEquals(List.of("G 1 a:3"), messages("a"));
        assertCounts(0, 0, 2, 2);
    }

    @Test
    void aServerNeverHoldsMoreThanPerServerWhileOthersUseTheRest() {
        join("a", 1);
        set("limit", "4", "perServer", "2", "adaptive", "false");
        submit("a:1", "H", "s1");
        submit("a:2", "H", "s1");
        submit("a:3", "L", "s2");
        submit("a:4", "H", "s1");
        assertEquals(List.of("G 1 a:1", "G 1 a:2", "G 1 a:3"), messages("a"));
        assertEquals("2", redis.hget(q + ":srun", "s1"));
        submit("a:5", "L", "s2");
        assertEquals(List.of("G 1 a:5"), messages("a"), "s2 has room: its LOW ticket goes before s1's waiting HIGH one");
        assertEquals(List.of(0L), release("a:3", "NONE"), "s1 still holds its two");
        assertEquals(List.of(1L), release("a:1", "NONE"));
        assertEquals(List.of("G 1 a:4"), messages("a"));
    }

    @Test
    void overloadHalvesOnlyThatServersCapAndSuccessesRaiseItBackOneAtATime() {
        join("a", 1);
        set("limit", "4");
        for (int i = 1; i <= 4; i++) {
            submit("a:" + i, "H", "s1");
        }
        submit("a:5", "H", "s2");
        submit("a:6", "H", "s1");
        messages("a");

        // s1 holds 4; overloaded, its cap halves to 2: with 3 still running it takes none, s2 gets the slot
        assertEquals(List.of(1L), release("a:1", "OVERLOADED"));
        assertEquals("2", redis.hget(q + ":slim", "s1"));
        assertNull(redis.hget(q + ":slim", "s2"), "another server's limit stays");
        assertEquals(List.of("G 1 a:5"), messages("a"), "the newest HIGH (a:6) is on the capped server");
        assertEquals(List.of(0L), release("a:2", "OVERLOADED"));
        assertEquals("1", redis.hget(q + ":slim", "s1"), "halved again, from its lowered cap");
        assertEquals(List.of(0L), release("a:3", "NONE"), "s1 holds 1, its cap");

        // additive increase: one up after as many successes as the lowered cap
        assertEquals(List.of(1L), release("a:4", "SUCCESS"));
        assertEquals("2", redis.hget(q + ":slim", "s1"));
        assertEquals(List.of("G 1 a:6"), messages("a"));
        submit("a:7", "H", "s1");
        submit("a:8", "H", "s1");
        assertEquals(List.of("G 1 a:7"), messages("a"), "s1 takes 2 now, not 3");
        assertEquals(List.of(1L), release("a:6", "SUCCESS"));
        assertEquals(List.of("G 1 a:8"), messages("a"));
        assertEquals("2", redis.hget(q + ":slim", "s1"), "one success of the two needed");
        assertEquals(List.of(0L), release("a:7", "SUCCESS"));
        assertEquals("3", redis.hget(q + ":slim", "s1"));
        submit("a:9", "H", "s1");
        submit("a:10", "H", "s1");
        submit("a:11", "H", "s1");
        assertEquals(List.of("G 1 a:9", "G 1 a:10"), messages("a"), "s1 takes 3 now");
        release("a:8", "SUCCESS");
        assertEquals(List.of("G 1 a:11"), messages("a"));
        release("a:9", "SUCCESS");
        assertEquals("3", redis.hget(q + ":slim", "s1"));
        release("a:10", "SUCCESS");
        assertNull(redis.hget(q + ":slim", "s1"), "back at the global limit: no lowered cap any more");
        assertNull(redis.hget(q + ":sok", "s1"));
    }

    @Test
    void withAdaptiveOffAnOverloadChangesNothing() {
        join("a", 1);
        set("limit", "2", "adaptive", "false");
        submit("a:1", "H", "s1");
        submit("a:2", "H", "s1");
        submit("a:3", "H", "s1");
        messages("a");
        assertEquals(List.of(1L), release("a:1", "OVERLOADED"));
        assertNull(redis.hget(q + ":slim", "s1"));
        assertEquals(List.of("G 1 a:3"), messages("a"));
    }

    @Test
    void aFullStackRejectsTheNewTicketCountingEveryNode() {
        join("a", 1);
        join("b", 1);
        set("limit", "1", "maxH", "2", "maxL", "1", "whenFull", "rejectNew");
        submit("a:1", "H", "s1");
        submit("a:2", "H", "s1");
        submit("b:1", "H", "s2");
        assertEquals(List.of("QUEUE_FULL", "2"), submit("b:2", "H", "s2"));
        assertFalse(redis.hexists(q + ":tickets", "b:2"));
        assertEquals(List.of("OK"), submit("b:3", "L", "s2"), "LOW has a bound of its own");
        assertEquals(List.of("QUEUE_FULL", "1"), submit("a:3", "L", "s1"));
        assertCounts(2, 1, 1, 0);
    }

    @Test
    void aFullStackWithDropOldestDropsTheOldestOfThatPriorityOnAnyNodeAndTellsItsNode() {
        join("a", 1);
        join("b", 7);
        set("limit", "1", "maxL", "2", "whenFull", "dropOldest");
        submit("a:1", "H", "s1");
        submit("b:1", "L", "s2");
        submit("a:2", "H", "s1");
        submit("b:2", "L", "s2");
        assertEquals(List.of("G 1 a:1"), messages("a"));
        assertEquals(List.of("OK"), submit("a:3", "L", "s1"), "a's ticket, on another server, makes room");
        assertEquals(List.of("D 7 b:1"), messages("b"), "the oldest LOW of all, not the newest of its server");
        assertEquals(List.of(), messages("a"));
        assertFalse(redis.hexists(q + ":tickets", "b:1"));
        assertEquals(Set.of("b:2"), redis.smembers(q + ":node:b:tickets"));
        assertEquals(List.of("b:2"), redis.zrange(q + ":wait:L:s2", 0, -1));
        assertTrue(redis.hexists(q + ":tickets", "a:3"));
        assertCounts(1, 2, 1, 0);
        assertTrue(redis.hexists(q + ":tickets", "a:2"), "HIGH is another stack");
    }

    @Test
    void withBackgroundDisabledLowIsRefusedAndWaitingLowIsNeverGranted() {
        join("a", 1);
        set("limit", "1");
        submit("a:1", "H", "s1");
        submit("a:2", "L", "s1");
        configure("a", "disabled", "true");
        assertEquals(List.of("BACKGROUND_DISABLED"), submit("a:3", "L", "s1"));
        assertFalse(redis.hexists(q + ":tickets", "a:3"));
        messages("a");
        assertEquals(List.of(0L), release("a:1", "NONE"), "a free slot, and only a LOW ticket waits");
        submit("a:4", "H", "s1");
        assertEquals(List.of("G 1 a:4"), messages("a"));
        assertEquals(List.of(0L), release("a:4", "NONE"));
        assertEquals(List.of(), messages("a"));
        assertEquals(List.of(1L), configure("a", "disabled", "false"), "enabled again, the waiting LOW ticket goes");
        assertEquals(List.of("G 1 a:2"), messages("a"));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // release, withdraw

    @Test
    void aReleaseHandsTheSlotOnInTheSameCallAndASecondReleaseChangesNothing() {
        join("a", 1);
        set("limit", "2");
        submit("a:1", "H", "s1");
        submit("a:2", "H", "s1");
        submit("a:3", "H", "s2");
        submit("a:4", "L", "s2");
        messages("a");
        assertEquals(List.of(1L), release("a:1", "NONE"));
        assertEquals(List.of("G 1 a:3"), messages("a"), "granted by the release itself");
        assertEquals(List.of(0L), release("a:1", "NONE"));
        assertEquals(List.of(0L), release("a:1", "OVERLOADED"));
        assertEquals(List.of(), messages("a"));
        assertCounts(0, 1, 2, 0);
        assertEquals("1", redis.hget(q + ":srun", "s1"));
        assertEquals("1", redis.hget(q + ":srun", "s2"));
        assertNull(redis.hget(q + ":slim", "s1"), "a repeated release adapts nothing");
    }

    @Test
    void withdrawingAWaitingTicketRemovesItAndGrantsNothing() {
        join("a", 1);
        set("limit", "1");
        submit("a:1", "H", "s1");
        submit("a:2", "L", "s2");
        messages("a");
        assertEquals(List.of(0L), withdraw("a:2"));
        assertFalse(redis.hexists(q + ":tickets", "a:2"));
        assertEquals(Set.of(), redis.smembers(q + ":node:a:tickets"));
        assertEquals(Set.of(), redis.smembers(q + ":servers"));
        assertCounts(0, 0, 1, 0);
        assertEquals(List.of(0L), release("a:1", "NONE"));
        assertEquals(List.of(), messages("a"));
        assertEquals(List.of(0L), withdraw("a:9"), "an unknown ticket");
    }

    @Test
    void withdrawingAGrantedTicketGivesItsSlotBackToTheNext() {
        join("a", 1);
        join("b", 1);
        set("limit", "1");
        submit("a:1", "H", "s1");
        submit("b:1", "L", "s1");
        messages("a");
        assertEquals(List.of(1L), withdraw("a:1"));
        assertEquals(List.of("G 1 b:1"), messages("b"));
        assertEquals(List.of("b:1"), redis.hkeys(q + ":leases"));
        assertEquals(Set.of(), redis.smembers(q + ":node:a:leases"));
        assertCounts(0, 0, 1, 1);
        assertEquals(List.of(0L), withdraw("a:1"), "twice is once");
        assertCounts(0, 0, 1, 1);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // nodes: heartbeat, lease expiry, rejoin, leave

    @Test
    void aHeartbeatRenewsAKnownNodeAndTellsAnUnknownOneToRejoin() {
        assertEquals(List.of(1L), call("heartbeat", "x", "1000"));
        assertNull(redis.zscore(q + ":nodes", "x"), "a heartbeat does not join");
        join("a", 1);
        long before = redisNow();
        assertEquals(List.of(0L), call("heartbeat", "a", "5000"));
        double lease = redis.zscore(q + ":nodes", "a");
        assertTrue(lease >= before + 5000 && lease <= redisNow() + 5000, "renewed to now + 5 s: " + lease);
    }

    @Test
    void aNodeWhoseLeaseRanOutIsPurgedByTheNextDecisionAndItsSlotsAreHandedOn() {
        join("a", 1);
        join("b", 1);
        set("limit", "2");
        submit("a:1", "H", "s1");
        submit("a:2", "L", "s1");
        submit("a:3", "H", "s1");
        submit("b:1", "L", "s2");
        submit("b:2", "H", "s2");
        assertEquals(List.of("G 1 a:1", "G 1 a:2"), messages("a"));
        // a stops renewing: its lease is shortened to 1 ms and runs out
        call("heartbeat", "a", "1");
        awaitRedisTime(redis.zscore(q + ":nodes", "a").longValue());

        assertEquals(List.of(0L), call("heartbeat", "b", LONG_LEASE), "b is still known");
        assertEquals(List.of("G 1 b:2", "G 1 b:1"), messages("b"), "a's two slots went to b's tickets");
        assertEquals(Set.of("b:1", "b:2"), Set.copyOf(redis.hkeys(q + ":leases")));
        assertEquals(List.of(), redis.hkeys(q + ":tickets"), "a:3 went with its node");
        assertCounts(0, 0, 2, 1);
        assertEquals(Map.of("s2", "2"), redis.hgetall(q + ":srun"));
        assertNull(redis.zscore(q + ":nodes", "a"));
        assertNull(redis.hget(q + ":epoch", "a"));
        assertEquals(0, redis.exists(q + ":node:a:tickets", q + ":node:a:leases", q + ":grants:a"));
        assertEquals(List.of("REJOIN"), submit("a:4", "H", "s1"), "a must tell what it holds before asking again");
        assertFalse(redis.hexists(q + ":tickets", "a:4"));
    }

    /** Not only heartbeats: whatever decision comes next purges the dead node first, then decides. */
    @ParameterizedTest
    @ValueSource(strings = { "submit", "release", "withdraw", "heartbeat", "rejoin", "leave", "configure" })
    void anyDecisionPurgesTheNodesWhoseLeaseRanOut(String decision) {
        join("a", 1);
        join("b", 1);
        join("dead", 1);
        set("limit", "1");
        submit("dead:1", "H", "s1");
        submit("dead:2", "L", "s1");
        submit("a:1", "H", "s2");
        call("heartbeat", "dead", "1");
        awaitRedisTime(redis.zscore(q + ":nodes", "dead").longValue());
        messages("a");

        switch (decision) {
            case "submit" -> submit("a:2", "L", "s2");
            case "release" -> release("a:9", "NONE");
            case "withdraw" -> withdraw("a:9");
            case "heartbeat" -> call("heartbeat", "a", LONG_LEASE);
            case "rejoin" -> call("rejoin", "a", LONG_LEASE, "1", "0", "0", "a:1", "H", "s2");
            case "leave" -> call("leave", "b");
            case "configure" -> configure("b", "maxWait", "0");
            default -> fail(decision);
        }
        assertNull(redis.zscore(q + ":nodes", "dead"), decision + " purged the dead node");
        assertEquals(0, redis.exists(q + ":node:dead:tickets", q + ":node:dead:leases", q + ":grants:dead"));
        assertEquals(List.of("a:1"), redis.hkeys(q + ":leases"), "the dead node's slot went to a:1");
        assertEquals(List.of("G 1 a:1"), messages("a").stream().filter(m -> !m.startsWith("C ")).toList());
    }

    @Test
    void aRejoinFillsInTheSettingsRedisLostAndKeepsThoseItKept() {
        set("limit", "5");
        assertEquals(List.of(0L), call("rejoin", "a", LONG_LEASE, "1", "2", "limit", "1", "maxH", "7", "0"));
        assertEquals("5", redis.hget(q + ":cfg", "limit"), "a live change another node made stays");
        assertEquals("7", redis.hget(q + ":cfg", "maxH"), "a setting Redis lost (a restart) is filled in");
    }

    @Test
    void aRejoinReplacesWhatTheNodeHeldCountsItsCallsEvenAboveTheLimitAndCarriesItsEpoch() {
        join("a", 1);
        join("b", 1);
        set("limit", "2");
        submit("a:1", "H", "s1");
        submit("b:1", "H", "s1");
        submit("a:2", "H", "s1");
        submit("b:2", "L", "s1");
        messages("a");
        messages("b");
        redis.rpush(q + ":grants:a", "G 1 a:stale");

        // a comes back after an outage: 2 calls running (started alone meanwhile), 3 waiting, oldest first
        assertEquals(List.of(0L), call("rejoin", "a", LONG_LEASE, "5", "0", "2", "a:10", "H", "s1", "a:11", "L", "s2",
                "a:12", "L", "s1", "a:13", "L", "s2", "a:14", "H", "s2"));
        assertEquals(Set.of("b:1", "a:10", "a:11"), Set.copyOf(redis.hkeys(q + ":leases")), "a:1 is gone");
        assertEquals(Set.of("b:2", "a:12", "a:13", "a:14"), Set.copyOf(redis.hkeys(q + ":tickets")), "a:2 is gone");
        assertCounts(1, 3, 3, 1);
        assertEquals(Map.of("s1", "2", "s2", "1"), redis.hgetall(q + ":srun"));
        assertEquals("5", redis.hget(q + ":epoch", "a"));
        assertEquals(List.of(), messages("a"), "messages of the old epoch are dropped");
        assertTrue(redis.zscore(q + ":wait:L:s1", "a:12") < redis.zscore(q + ":wait:L:s2", "a:13"),
                "waiting tickets keep their order");

        assertEquals(List.of(0L), release("b:1", "NONE"), "3 ran with a limit of 2: one release frees nothing");
        assertEquals(List.of(1L), release("a:10", "NONE"));
        assertEquals(List.of("G 5 a:14"), messages("a"), "the grant carries the new epoch");
        assertEquals(List.of("a:13", "a:12", "b:2"), drainOneByOne("a:14"));
    }

    @Test
    void aNodeThatLeavesTakesItsTicketsAndSlotsWithItAndItsSlotsAreHandedOn() {
        join("a", 1);
        join("b", 1);
        set("limit", "1");
        submit("a:1", "H", "s1");
        submit("a:2", "H", "s1");
        submit("b:1", "L", "s1");
        assertEquals(List.of(1L), call("leave", "a"));
        assertEquals(List.of("G 1 b:1"), messages("b"));
        assertEquals(List.of("b:1"), redis.hkeys(q + ":leases"));
        assertEquals(List.of(), redis.hkeys(q + ":tickets"));
        assertCounts(0, 0, 1, 1);
        assertNull(redis.zscore(q + ":nodes", "a"));
        assertEquals(0, redis.exists(q + ":node:a:tickets", q + ":node:a:leases", q + ":grants:a"));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // configure, stats

    @Test
    void configureWritesTheSettingsTellsTheOtherLiveNodesAndGrantsWhatANewLimitAllows() {
        join("a", 1);
        join("b", 1);
        join("c", 1);
        join("dead", 1);
        set("limit", "1");
        messages("b");
        messages("c");
        submit("b:1", "H", "s1");
        submit("b:2", "H", "s1");
        submit("c:1", "L", "s1");
        assertEquals(List.of("G 1 b:1"), messages("b"));
        call("heartbeat", "dead", "1");
        awaitRedisTime(redis.zscore(q + ":nodes", "dead").longValue());

        assertEquals(List.of(2L), configure("a", "limit", "3", "reserved", "0"));
        assertEquals("3", redis.hget(q + ":cfg", "limit"));
        assertEquals(List.of("C limit 3 reserved 0", "G 1 b:2"), messages("b"), "the change travels with the message");
        assertEquals(List.of("C limit 3 reserved 0", "G 1 c:1"), messages("c"));
        assertEquals(List.of(), messages("a"), "the node that changed them knows");
        assertEquals(0, redis.exists(q + ":grants:dead"), "a node whose lease ran out is told nothing");
    }

    @Test
    void statsGiveTheGlobalFiguresLiveNodesAndSettings() {
        join("a", 1);
        join("b", 1);
        join("gone", 1);
        set("limit", "2", "reserved", "1", "maxWait", "0");
        submit("a:1", "L", "s1");
        submit("b:1", "L", "s1");
        submit("b:2", "H", "s1");
        submit("a:2", "H", "s2");
        submit("a:3", "L", "s2");
        call("heartbeat", "gone", "1");
        awaitRedisTime(redis.zscore(q + ":nodes", "gone").longValue());
        List<Object> stats = call("stats", "a");
        assertEquals(List.of(1L, 2L, 2L, 1L, 2L), stats.subList(0, 5), "H, L waiting, run, runL, live nodes");
        Map<String, String> settings = new HashMap<>();
        for (int i = 5; i < stats.size(); i += 2) {
            settings.put((String) stats.get(i), (String) stats.get(i + 1));
        }
        assertEquals(Map.of("limit", "2", "reserved", "1", "maxWait", "0"), settings);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // many random decisions

    /**
     * 2,000 random submits, releases (some twice, with every signal) and withdraws across 3 nodes and 3 servers, with
     * bounds, dropOldest, reserved slots and per-server caps: after each decision the keys themselves are read and
     * checked against what was granted and what still waits.
     */
    @Test
    void randomDecisionsKeepTheLimitsAndTheCountersTrue() {
        List<String> nodes = List.of("a", "b", "c");
        List<String> servers = List.of("s1", "s2", "s3");
        for (String n : nodes) {
            join(n, 1);
        }
        int limit = 5;
        int reserved = 1;
        int perServer = 3;
        set("limit", "" + limit, "reserved", "" + reserved, "perServer", "" + perServer, "maxH", "6",
                "maxL", "8", "whenFull", "dropOldest", "maxWait", "0");
        for (String n : nodes) {
            messages(n);
        }
        Random random = new Random(11);
        Set<String> waiting = new HashSet<>();
        Set<String> granted = new HashSet<>();
        Set<String> everGranted = new HashSet<>();
        List<String> gone = new ArrayList<>();
        Map<String, Integer> next = new HashMap<>();
        Map<String, Integer> decisions = new TreeMap<>();
        String[] signals = { "SUCCESS", "SUCCESS", "SUCCESS", "OVERLOADED", "FAILED", "PREEMPTED", "NONE" };
        for (int step = 0; step < 2_000; step++) {
            int dice = random.nextInt(100);
            String decision;
            if (dice < 45 || waiting.isEmpty() && granted.isEmpty()) {
                String n = nodes.get(random.nextInt(nodes.size()));
                String ticket = n + ":" + next.merge(n, 1, Integer::sum);
                List<Object> reply = submit(ticket, random.nextInt(3) == 0 ? "H" : "L",
                        servers.get(random.nextInt(servers.size())));
                if (reply.get(0).equals("OK")) {
                    waiting.add(ticket);
                    decision = "submit";
                } else {
                    assertEquals("QUEUE_FULL", reply.get(0), reply.toString());
                    decision = "refused";
                }
            } else if (dice < 80 && !granted.isEmpty()) {
                String ticket = pick(random, granted);
                release(ticket, signals[random.nextInt(signals.length)]);
                granted.remove(ticket);
                gone.add(ticket);
                decision = "release";
            } else if (dice < 85 && !gone.isEmpty()) {
                assertEquals(List.of(0L), release(gone.get(random.nextInt(gone.size())), "SUCCESS"));
                decision = "release again";
            } else if (dice < 95 && !waiting.isEmpty()) {
                String ticket = pick(random, waiting);
                assertEquals(List.of(0L), withdraw(ticket));
                waiting.remove(ticket);
                gone.add(ticket);
                decision = "withdraw waiting";
            } else if (!granted.isEmpty()) {
                String ticket = pick(random, granted);
                withdraw(ticket);
                granted.remove(ticket);
                gone.add(ticket);
                decision = "withdraw granted";
            } else {
                continue;
            }
            decisions.merge(decision, 1, Integer::sum);
            // one round trip reads every key of the queue (a read-only script), one more empties the grant lists
            Map<String, Object> keys = snapshot(nodes, servers);
            redis.del(nodes.stream().map(n -> q + ":grants:" + n).toArray(String[]::new));
            for (String n : nodes) {
                for (Object text : list(keys.get(q + ":grants:" + n))) {
                    String message = (String) text;
                    String[] parts = message.split(" ");
                    assertEquals("1", parts[1], message);
                    assertTrue(parts[2].startsWith(n + ":"), "a message on its own node's list: " + message);
                    assertTrue(waiting.remove(parts[2]), "only a waiting ticket is granted or dropped: " + message);
                    if (parts[0].equals("G")) {
                        assertTrue(everGranted.add(parts[2]), "granted twice: " + parts[2]);
                        granted.add(parts[2]);
                    } else {
                        assertEquals("D", parts[0], message);
                        gone.add(parts[2]);
                        decisions.merge("dropped", 1, Integer::sum);
                    }
                }
            }
            String context = "after step " + step + " (" + decision + ")";
            checkInvariants(keys, nodes, servers, context, limit, reserved, perServer, waiting, granted);
        }
        System.out.println("random decisions: " + decisions + ", granted " + everGranted.size());
        assertTrue(decisions.getOrDefault("dropped", 0) > 0 && decisions.getOrDefault("refused", 0) == 0
                   && everGranted.size() > 500, "the run exercised grants and drops: " + decisions);
    }

    /**
     * What the keys hold, read directly: the counters equal what the sets and hashes hold, the limits hold, and no
     * slot stays free while a ticket that may take it waits.
     */
    private void checkInvariants(Map<String, Object> keys, List<String> nodes, List<String> servers, String context,
                                 int limit, int reserved, int perServer, Set<String> waiting, Set<String> granted) {
        Map<String, String> tickets = hash(keys.get(q + ":tickets"));
        Map<String, String> leases = hash(keys.get(q + ":leases"));
        assertEquals(waiting, tickets.keySet(), "waiting tickets " + context);
        assertEquals(granted, leases.keySet(), "leases " + context);

        Map<String, Integer> waitingByPrio = new HashMap<>();
        Map<String, Set<String>> byWaitKey = new HashMap<>();
        Map<String, Set<String>> ticketsByNode = new HashMap<>();
        for (Map.Entry<String, String> e : tickets.entrySet()) {
            String[] f = e.getValue().split("\n");
            waitingByPrio.merge(f[0], 1, Integer::sum);
            byWaitKey.computeIfAbsent(q + ":wait:" + f[0] + ":" + f[2], k -> new HashSet<>()).add(e.getKey());
            ticketsByNode.computeIfAbsent(f[1], k -> new HashSet<>()).add(e.getKey());
        }
        int runLow = 0;
        Map<String, Integer> runByServer = new HashMap<>();
        Map<String, Set<String>> leasesByNode = new HashMap<>();
        for (Map.Entry<String, String> e : leases.entrySet()) {
            String[] f = e.getValue().split("\n");
            runLow += f[0].equals("L") ? 1 : 0;
            runByServer.merge(f[2], 1, Integer::sum);
            leasesByNode.computeIfAbsent(f[1], k -> new HashSet<>()).add(e.getKey());
        }
        Map<String, String> count = hash(keys.get(q + ":count"));
        assertEquals(waitingByPrio.getOrDefault("H", 0), intOf(count.get("H")), "count H " + context);
        assertEquals(waitingByPrio.getOrDefault("L", 0), intOf(count.get("L")), "count L " + context);
        assertEquals(leases.size(), intOf(count.get("run")), "count run " + context);
        assertEquals(runLow, intOf(count.get("runL")), "count runL " + context);
        Map<String, Integer> srun = new HashMap<>();
        hash(keys.get(q + ":srun")).forEach((k, v) -> srun.put(k, Integer.parseInt(v)));
        assertEquals(runByServer, srun, "srun " + context);

        assertTrue(leases.size() <= limit, "leases " + leases.size() + " > limit " + context);
        assertTrue(runLow <= limit - reserved, "LOW leases " + runLow + " > limit - reserved " + context);
        runByServer.forEach((server, n) -> assertTrue(n <= perServer, server + " holds " + n + " " + context));

        Set<String> serversWaiting = new HashSet<>();
        for (String prio : List.of("H", "L")) {
            for (String server : servers) {
                String key = q + ":wait:" + prio + ":" + server;
                Set<String> members = new HashSet<>(list(keys.get(key)));
                assertEquals(byWaitKey.getOrDefault(key, Set.of()), members, key + " " + context);
                if (!members.isEmpty()) {
                    serversWaiting.add(server);
                }
            }
        }
        assertEquals(serversWaiting, members(keys.get(q + ":servers")), "servers " + context);
        for (String n : nodes) {
            assertEquals(ticketsByNode.getOrDefault(n, Set.of()), members(keys.get(q + ":node:" + n + ":tickets")),
                    "tickets of " + n + " " + context);
            assertEquals(leasesByNode.getOrDefault(n, Set.of()), members(keys.get(q + ":node:" + n + ":leases")),
                    "leases of " + n + " " + context);
        }

        // work-conserving: a free slot never stays free while a ticket that may take it waits
        if (leases.size() < limit) {
            Map<String, String> lowered = hash(keys.get(q + ":slim"));
            for (Map.Entry<String, String> e : tickets.entrySet()) {
                String[] f = e.getValue().split("\n");
                int cap = Math.min(perServer, Math.min(limit, Integer.parseInt(lowered.getOrDefault(f[2], "" + limit))));
                boolean serverHasRoom = runByServer.getOrDefault(f[2], 0) < cap;
                boolean mayRun = f[0].equals("H") || runLow < limit - reserved;
                assertFalse(serverHasRoom && mayRun, e.getKey() + " waits while a slot is free " + context);
            }
        }
    }

    /** Reads every key of the queue at once: a read-only script returning each key's type and contents. */
    private Map<String, Object> snapshot(List<String> nodes, List<String> servers) {
        List<String> names = new ArrayList<>(List.of(q + ":tickets", q + ":leases", q + ":count", q + ":srun",
                q + ":slim", q + ":servers"));
        for (String server : servers) {
            names.add(q + ":wait:H:" + server);
            names.add(q + ":wait:L:" + server);
        }
        for (String n : nodes) {
            names.add(q + ":node:" + n + ":tickets");
            names.add(q + ":node:" + n + ":leases");
            names.add(q + ":grants:" + n);
        }
        List<Object> reply = redis.eval(SNAPSHOT, ScriptOutputType.MULTI, names.toArray(String[]::new));
        Map<String, Object> keys = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            List<?> typed = (List<?>) reply.get(i);
            List<Object> contents = new ArrayList<>((List<?>) typed.get(1));
            switch ((String) typed.get(0)) {
                case "hash" -> {
                    Map<String, String> hash = new HashMap<>();
                    for (int j = 0; j < contents.size(); j += 2) {
                        hash.put((String) contents.get(j), (String) contents.get(j + 1));
                    }
                    keys.put(names.get(i), hash);
                }
                case "set" -> keys.put(names.get(i), new HashSet<>(contents));
                case "none" -> {
                }
                default -> keys.put(names.get(i), contents);
            }
        }
        return keys;
    }

    private static final String SNAPSHOT = """
            local out = {}
            for i, key in ipairs(KEYS) do
                local t = redis.call('TYPE', key)['ok']
                local v = {}
                if t == 'hash' then v = redis.call('HGETALL', key)
                elseif t == 'set' then v = redis.call('SMEMBERS', key)
                elseif t == 'zset' then v = redis.call('ZRANGE', key, 0, -1)
                elseif t == 'list' then v = redis.call('LRANGE', key, 0, -1)
                end
                out[i] = { t, v }
            end
            return out
            """;

    @SuppressWarnings("unchecked")
    private static Map<String, String> hash(Object value) {
        return value == null ? Map.of() : (Map<String, String>) value;
    }

    @SuppressWarnings("unchecked")
    private static Set<String> members(Object value) {
        return value == null ? Set.of() : (Set<String>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<String> list(Object value) {
        return value == null ? List.of() : (List<String>) value;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // helpers

    private List<Object> call(String op, String node, String... args) {
        String[] argv = new String[args.length + 2];
        argv[0] = op;
        argv[1] = node;
        System.arraycopy(args, 0, argv, 2, args.length);
        return redis.eval(SCRIPT, ScriptOutputType.MULTI, new String[] { q }, argv);
    }

    /** A node joins holding nothing, with a long lease and an epoch. */
    private void join(String node, long epoch) {
        assertEquals(List.of(0L), call("rejoin", node, LONG_LEASE, Long.toString(epoch), "0", "0"));
    }

    /** Writes settings straight into the cfg hash: no node is told, nothing is granted. */
    private void set(String... settings) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < settings.length; i += 2) {
            values.put(settings[i], settings[i + 1]);
        }
        redis.hset(q + ":cfg", values);
    }

    private List<Object> configure(String node, String... settings) {
        return call("configure", node, settings);
    }

    /** Submits a ticket named "node:number" for its node. */
    private List<Object> submit(String ticket, String prio, String server) {
        return call("submit", nodeOf(ticket), ticket, prio, server);
    }

    private List<Object> release(String ticket, String signal) {
        return call("release", nodeOf(ticket), ticket, signal);
    }

    private List<Object> withdraw(String ticket) {
        return call("withdraw", nodeOf(ticket), ticket);
    }

    private static String nodeOf(String ticket) {
        return ticket.substring(0, ticket.indexOf(':'));
    }

    /** Takes every message waiting on a node's list, in order. */
    private List<String> messages(String node) {
        String key = q + ":grants:" + node;
        List<String> messages = redis.lrange(key, 0, -1);
        redis.del(key);
        return messages;
    }

    /**
     * Releases {@code holder}, then each ticket granted in turn, and returns the order of the grants: with one slot,
     * the order in which the waiting tickets get it.
     */
    private List<String> drainOneByOne(String holder) {
        List<String> order = new ArrayList<>();
        String current = holder;
        while (true) {
            List<Object> reply = release(current, "NONE");
            List<String> grants = new ArrayList<>();
            for (String n : List.of("a", "b", "c")) {
                grants.addAll(messages(n));
            }
            if (grants.isEmpty()) {
                assertEquals(List.of(0L), reply);
                return order;
            }
            assertEquals(1, grants.size(), "one slot, one grant: " + grants);
            assertEquals(List.of(1L), reply);
            current = grants.get(0).split(" ")[2];
            order.add(current);
        }
    }

    private void assertCounts(int waitingHigh, int waitingLow, int run, int runLow) {
        Map<String, String> count = redis.hgetall(q + ":count");
        assertEquals(List.of(waitingHigh, waitingLow, run, runLow), List.of(intOf(count.get("H")), intOf(count.get("L")),
                intOf(count.get("run")), intOf(count.get("runL"))), "H, L, run, runL");
    }

    private static int intOf(String value) {
        return value == null ? 0 : Integer.parseInt(value);
    }

    private long pushedAt(String ticket) {
        String[] fields = redis.hget(q + ":tickets", ticket).split("\n");
        return Long.parseLong(fields[3]);
    }

    /** Redis' clock in ms, the one the script reads. */
    private static long redisNow() {
        List<String> time = redis.time();
        return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
    }

    /** Waits (at most 5 s) until Redis' clock has passed {@code millis}. */
    private static void awaitRedisTime(long millis) {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (redisNow() <= millis) {
            if (System.nanoTime() > giveUp) {
                fail("Redis' clock did not pass " + millis + " within 5 s");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(e);
            }
        }
    }

    private static String pick(Random random, Set<String> tickets) {
        List<String> sorted = new ArrayList<>(new java.util.TreeSet<>(tickets));
        return sorted.get(random.nextInt(sorted.size()));
    }

    private List<String> keys() {
        return scan(q + "*");
    }

    private static List<String> scan(String pattern) {
        List<String> keys = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(pattern).limit(1000));
            keys.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return keys;
    }

    private static String script() {
        try (InputStream in = LuaDecisionsTest.class.getResourceAsStream("/dev/llmqueue/camel/cluster/llmqueue.lua")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
