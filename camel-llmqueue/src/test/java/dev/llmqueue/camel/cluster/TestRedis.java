package dev.llmqueue.camel.cluster;

/**
 * The URI of the Redis the cluster tests share ({@link RedisServer#shared()}: REDIS_URL, 127.0.0.1:6379, or a
 * redis-server started from the PATH). Classes using it are {@link RequiresRedis}, so they skip, saying how to get a
 * Redis, when there is none.
 */
final class TestRedis {

    private TestRedis() {
    }

    static String uri() {
        return RedisServer.require().uri().toString();
    }
}
