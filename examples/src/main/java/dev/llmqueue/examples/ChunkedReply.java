package dev.llmqueue.examples;

import java.io.IOException;
import java.io.InputStream;

import dev.llmqueue.camel.LlmStream;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reply body that makes a {@code platform-http} route send a streamed answer ({@code llmqueue:...?streaming=true})
 * to its HTTP client as the LLM generates it, one HTTP chunk per delta. Use it as the route's last step:
 * {@code setBody: method: {beanType: dev.llmqueue.examples.ChunkedReply, method: of}}.
 *
 * <p><b>Why Camel 4.18 needs it.</b> platform-http on Vert.x (camel-platform-http-main, Camel Quarkus) writes an
 * {@code InputStream} reply by reading it into a 16 KB buffer and sending the buffer when it is full or when the
 * stream ends. A plain {@code convertBodyTo: java.io.InputStream} of an answer shorter than 16 KB therefore reaches the
 * client in one piece, when the LLM has finished. The stream returned here reports an end of stream after each piece
 * of text it hands to that writer, which sends what it has at once and reads on; the real end comes after the last
 * delta. Other HTTP consumers (servlet, jetty) write replies their own way; this class gives them the plain text
 * stream ({@link LlmStream#asInputStream()}), and whether they send it as it arrives is not tested here.
 *
 * <p><b>The HTTP connection follows the LLM call, and the other way round.</b> A client that goes away closes the
 * {@link LlmStream}: the LLM call is aborted and its slot comes back at once. A stream that breaks after the first
 * token (an error event, a cut, silence longer than {@code requestTimeout}) closes the connection, so the client sees
 * an incomplete chunked reply, never a complete-looking one; the failure is logged.
 *
 * <p><b>Limits.</b> It needs the platform-http message: a {@code convertBodyTo} or {@code setBody} before it replaces
 * that message (the route then fails with a message that says so). The Vert.x writer reads every {@code InputStream}
 * reply of a server on one ordered worker queue, so streamed replies sent at the same time take turns between their
 * deltas: each waits for the next delta of the one ahead of it, and a stream that stalls delays the others until its
 * next delta or its {@code requestTimeout}.
 */
public final class ChunkedReply {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkedReply.class);

    private ChunkedReply() {
    }

    /**
     * The reply body for the exchange's {@link LlmStream} body: delta by delta on platform-http (Vert.x); the plain
     * text stream ({@link LlmStream#asInputStream()}) for any other consumer.
     *
     * @throws InvalidPayloadException when the body is not an {@link LlmStream} (the endpoint lacks
     *                                 {@code streaming=true})
     * @throws IllegalStateException   when the exchange came from platform-http but its message was replaced
     */
    public static InputStream of(Exchange exchange) throws InvalidPayloadException {
        if (!(exchange.getMessage().getBody() instanceof LlmStream stream)) {
            throw new InvalidPayloadException(exchange, LlmStream.class);
        }
        if (exchange.getMessage() instanceof HttpMessage http && http.getResponse() != null) {
            HttpServerResponse response = http.getResponse();
            // the client left before the end: stop the LLM and free the slot
            response.closeHandler(gone -> stream.close());
            return new DeltaByDelta(stream, response);
        }
        String from = exchange.getFromEndpoint() != null ? exchange.getFromEndpoint().getEndpointUri() : "";
        if (from.startsWith("platform-http:")) {
            throw new IllegalStateException("ChunkedReply needs the platform-http message, and a step before it "
                                            + "replaced it (convertBodyTo and setBody do): leave the question in the "
                                            + "body as it came, the llmqueue endpoint reads it as text");
        }
        return stream.asInputStream();
    }

    /**
     * The text of the stream with an end of stream after each piece (a marker that platform-http's writer, reading on
     * a Vert.x worker thread, takes as "send what you have"), then the real end. Read on any other thread, it is the
     * plain text stream: a reader that stops at the first end of stream gets the whole text.
     */
    private static final class DeltaByDelta extends InputStream {
        private final LlmStream stream;
        private final InputStream text;
        private final HttpServerResponse response;
        /** Whether the last read returned text: the next read reports the end of what has arrived. */
        private boolean flush;
        private long sent;

        DeltaByDelta(LlmStream stream, HttpServerResponse response) {
            this.stream = stream;
            this.text = stream.asInputStream();
            this.response = response;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int off, int len) throws IOException {
            boolean vertx = Context.isOnWorkerThread();
            if (len == 0) {
                return 0;
            }
            if (flush && vertx) {
                flush = false;
                return -1;
            }
            int n;
            try {
                n = text.read(buffer, off, len);
            } catch (IOException e) {
                if (!vertx) {
                    throw e;
                }
                LOG.warn("The LLM stream broke after {} bytes of the reply; closing the client's connection: {}", sent,
                        e.getMessage());
                response.reset();
                return -1;
            }
            if (n > 0) {
                sent += n;
                flush = true;
            }
            return n;
        }

        @Override
        public void close() {
            stream.close();
        }
    }
}
