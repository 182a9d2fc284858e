package dev.llmqueue.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLongArray;

import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;

/**
 * Stamps the moment each HTTP reply reaches the client: a response interceptor on every camel-http client of the
 * harness (llmqueue's own endpoint included, since it is made by the same http component). The request is found by
 * the {@code #id#} in its JSON body. Off unless {@link #arm armed}, so it costs one volatile read otherwise.
 */
final class ReplyClock {

    private static volatile AtomicLongArray stamps;

    private ReplyClock() {
    }

    static void install(HttpClientBuilder builder) {
        builder.addResponseInterceptorLast((response, entity, context) -> {
            AtomicLongArray armed = stamps;
            if (armed == null) {
                return;
            }
            long now = System.nanoTime();
            long id = requestId(context);
            if (id >= 0 && id < armed.length()) {
                armed.set((int) id, now);
            }
        });
    }

    /** Starts recording reply times for request ids {@code 0..size-1}. */
    static void arm(int size) {
        stamps = new AtomicLongArray(size);
    }

    /** The reply time of request {@code id}, 0 if none was seen. */
    static long replyNanos(long id) {
        AtomicLongArray armed = stamps;
        return armed == null || id < 0 || id >= armed.length() ? 0 : armed.get((int) id);
    }

    static void disarm() {
        stamps = null;
    }

    private static long requestId(HttpContext context) {
        Object request = context instanceof HttpCoreContext core ? core.getRequest() : null;
        if (request == null) {
            request = context.getAttribute(HttpCoreContext.HTTP_REQUEST);
        }
        if (!(request instanceof ClassicHttpRequest classic)) {
            return -1;
        }
        HttpEntity entity = classic.getEntity();
        if (entity == null || !entity.isRepeatable()) {
            return -1;
        }
        try (InputStream in = entity.getContent()) {
            return idIn(in.readAllBytes());
        } catch (IOException e) {
            return -1;
        }
    }

    /** The number between the first pair of '#' in a body, or -1. */
    static long idIn(byte[] body) {
        for (int i = 0; i < body.length; i++) {
            if (body[i] != '#') {
                continue;
            }
            long id = 0;
            int j = i + 1;
            while (j < body.length && body[j] >= '0' && body[j] <= '9') {
                id = id * 10 + (body[j] - '0');
                j++;
            }
            if (j > i + 1 && j < body.length && body[j] == '#') {
                return id;
            }
        }
        return -1;
    }

}
