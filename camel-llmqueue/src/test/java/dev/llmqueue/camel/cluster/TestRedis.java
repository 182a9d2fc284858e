package dev.llmqueue.camel.cluster;

/**
 * The Redis the cluster tests talk to. A facade, so that how a Redis is found (REDIS_URL, 127.0.0.1:6379, or a
 * redis-server started from the PATH) lives in one place: {@link RedisServer} once it lands.
 */
final class TestRedis {

    private TestRedis() {
    }

    static String uri() {
        String url = System.getenv("REDIS_URL");
        return url != null && !url.isBlank() ? url : "redis://127.0.0.1:6379";
    }
}
