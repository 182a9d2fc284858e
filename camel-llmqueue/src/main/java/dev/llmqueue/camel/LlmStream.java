package dev.llmqueue.camel;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A streamed LLM answer: the body of an exchange sent to an endpoint with {@code streaming=true}. The route resumes
 * as soon as the first token has arrived; the component keeps reading the server's stream on its own call thread into
 * this buffer, whatever the route does with it, so the slot is held only while the server generates.
 * <ul>
 * <li>An {@link Iterator} of the text deltas in order: {@link #hasNext()} blocks until the next delta arrives, so
 * {@code .split(body()).streaming()} handles each delta as it comes. A failure after the first token is thrown there,
 * as an {@link LlmProviderException} (thrown as it is, though checked), at the point where the stream broke.</li>
 * <li>{@link #close()} before the end aborts the HTTP call: the server stops generating and the slot comes back at
 * once.</li>
 * <li>Camel's type converters read it as a {@code String} (waits for the end: the whole text) and as an
 * {@code InputStream} or {@code Reader} (the UTF-8 text as it arrives).</li>
 * <li>After the end: {@link #finishReason()}, {@link #promptTokens()}, {@link #completionTokens()},
 * {@link #toolCalls()}, {@link #responseModel()}, {@link #callTime()}; each waits for the end.</li>
 * </ul>
 * One reader iterates; the text, stream and end accessors may be used from any thread.
 */
public final class LlmStream implements Iterator<String>, Closeable {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<String> deltas = new ArrayList<>();
    private final long maxChars;
    /** Aborts the HTTP call; set by the call thread before the first delta. */
    private volatile Runnable abort;

    // guarded by lock
    private int next;
    private long chars;
    private boolean ended;
    private boolean closed;
    /** Thrown as it is (an LlmProviderException, though checked) where the stream broke. */
    private Exception failure;
    private String finishReason;
    private Integer promptTokens;
    private Integer completionTokens;
    private String responseModel;
    private List<Map<String, Object>> toolCalls = List.of();
    private long callMillis;

    /**
     * @param maxChars the most characters the buffer accepts; the stream fails past it ({@code maxResponseSize})
     */
    LlmStream(long maxChars) {
        this.maxChars = maxChars;
    }

    // ---- the call thread's side ----

    /** What aborts the HTTP call when the reader closes the stream early. */
    void onClose(Runnable abort) {
        this.abort = abort;
    }

    /**
     * Adds a delta.
     *
     * @return false when the reader closed the stream (the call should stop), or the buffer is full (the stream has
     *         then failed)
     */
    boolean append(String delta, java.util.function.Supplier<Exception> tooLarge) {
        lock.lock();
        try {
            if (closed || ended) {
                return false;
            }
            chars += delta.length();
            if (chars > maxChars) {
                failure = tooLarge.get();
                ended = true;
                changed.signalAll();
                return false;
            }
            deltas.add(delta);
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The server's stream ended normally. */
    void end(String finishReason, Integer promptTokens, Integer completionTokens, String responseModel,
             List<Map<String, Object>> toolCalls, long callMillis) {
        lock.lock();
        try {
            if (ended) {
                return;
            }
            this.finishReason = finishReason;
            this.promptTokens = promptTokens;
            this.completionTokens = completionTokens;
            this.responseModel = responseModel;
            this.toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
            this.callMillis = callMillis;
            ended = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The server's stream broke after the route had resumed; the reader sees {@code failure} where it broke. */
    void fail(Exception failure, long callMillis) {
        lock.lock();
        try {
            if (ended) {
                return;
            }
            this.failure = failure;
            this.callMillis = callMillis;
            ended = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the reader closed the stream before its end. */
    boolean isClosedEarly() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Deltas received so far, for operators' views. */
    int received() {
        lock.lock();
        try {
            return deltas.size();
        } finally {
            lock.unlock();
        }
    }

    // ---- the reader's side ----

    /** Blocks until the next delta has arrived or the stream has ended; throws where the stream broke. */
    @Override
    public boolean hasNext() {
        lock.lock();
        try {
            while (next == deltas.size() && !ended && !closed) {
                awaitChange();
            }
            if (next < deltas.size() && !closed) {
                return true;
            }
            if (failure != null && !closed) {
                throw LlmStream.<RuntimeException>sneaky(failure);
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String next() {
        lock.lock();
        try {
            if (!hasNext()) {
                throw new NoSuchElementException("the LLM stream has ended");
            }
            return deltas.get(next++);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops reading. Before the end this aborts the HTTP call, so the server stops generating and the slot is given
     * back at once; after the end it does nothing.
     */
    @Override
    public void close() {
        Runnable abortCall;
        lock.lock();
        try {
            if (closed || ended) {
                closed = true;
                return;
            }
            closed = true;
            abortCall = abort;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (abortCall != null) {
            abortCall.run();
        }
    }

    /** Waits for the end and returns the whole text, whatever was already iterated. */
    public String text() {
        awaitEnd();
        lock.lock();
        try {
            return String.join("", deltas);
        } finally {
            lock.unlock();
        }
    }

    /** The UTF-8 text as it arrives, from the first delta, independently of the iterator. */
    public InputStream asInputStream() {
        return new DeltaInputStream();
    }

    /** The text as it arrives, from the first delta, independently of the iterator. */
    public Reader asReader() {
        return new InputStreamReader(asInputStream(), StandardCharsets.UTF_8);
    }

    /** Why the model stopped (ollama done_reason, openai finish_reason); waits for the end. */
    public String finishReason() {
        awaitEnd();
        return locked(() -> finishReason);
    }

    /** Prompt tokens, when the provider reported them; waits for the end. */
    public Integer promptTokens() {
        awaitEnd();
        return locked(() -> promptTokens);
    }

    /** Completion tokens, when the provider reported them; waits for the end. */
    public Integer completionTokens() {
        awaitEnd();
        return locked(() -> completionTokens);
    }

    /** The model that answered; waits for the end. */
    public String responseModel() {
        awaitEnd();
        return locked(() -> responseModel);
    }

    /**
     * The tools the model asked for, in the shape of the header {@code CamelLlmQueueToolCalls}; empty when none. Waits
     * for the end.
     */
    public List<Map<String, Object>> toolCalls() {
        awaitEnd();
        return locked(() -> toolCalls);
    }

    /** Milliseconds the HTTP call took, from its start to the end of the stream; waits for the end. */
    public long callTime() {
        awaitEnd();
        return locked(() -> callMillis);
    }

    /** Whether the server's stream has ended (normally or not) or the reader closed it. */
    public boolean isDone() {
        return locked(() -> ended || closed);
    }

    /** Waits for the end of the server's stream; throws its failure, if it broke. */
    private void awaitEnd() {
        lock.lock();
        try {
            while (!ended && !closed) {
                awaitChange();
            }
            if (failure != null) {
                throw LlmStream.<RuntimeException>sneaky(failure);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Throws a checked exception (the {@link LlmProviderException} of a broken stream) from an {@link Iterator}
     * method, which cannot declare it: the route's error handler then sees the exception itself, not a wrapper.
     */
    @SuppressWarnings("unchecked")
    private static <E extends Exception> E sneaky(Exception e) throws E {
        throw (E) e;
    }

    private <T> T locked(java.util.function.Supplier<T> read) {
        lock.lock();
        try {
            return read.get();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock. An interrupted reader gives up: the stream is closed and the call aborted. */
    private void awaitChange() {
        try {
            changed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            lock.unlock();
            try {
                close();
            } finally {
                lock.lock();
            }
            throw new CancellationException("interrupted while waiting for the LLM's next token");
        }
    }

    @Override
    public String toString() {
        return locked(() -> "LlmStream[" + deltas.size() + " deltas" + (ended ? ", ended" : "") + (closed ? ", closed"
                : "") + (failure != null ? ", failed" : "") + "]");
    }

    /** Reads the deltas' UTF-8 bytes as they arrive, with its own position. */
    private final class DeltaInputStream extends InputStream {
        private int delta;
        private byte[] current = new byte[0];
        private int offset;
        /** The first half of a surrogate pair whose second half comes with the next delta; 0 for none. */
        private char pendingHigh;

        /** Whether this reader has had every delta of a stream that has ended. */
        private boolean atEnd() {
            lock.lock();
            try {
                return ended && delta == deltas.size();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (offset == current.length) {
                String text = nextDelta();
                if (text == null) {
                    if (pendingHigh == 0) {
                        return -1;
                    }
                    text = "";
                }
                if (pendingHigh != 0) {
                    // a surrogate pair split across two deltas is one character: encode it whole
                    text = pendingHigh + text;
                    pendingHigh = 0;
                }
                if (!text.isEmpty() && Character.isHighSurrogate(text.charAt(text.length() - 1)) && !atEnd()) {
                    pendingHigh = text.charAt(text.length() - 1);
                    text = text.substring(0, text.length() - 1);
                }
                current = text.getBytes(StandardCharsets.UTF_8);
                offset = 0;
            }
            int n = Math.min(len, current.length - offset);
            System.arraycopy(current, offset, buffer, off, n);
            offset += n;
            return n;
        }

        /** The next delta for this reader, blocking; null at the end. */
        private String nextDelta() throws IOException {
            lock.lock();
            try {
                while (delta == deltas.size() && !ended && !closed) {
                    awaitChange();
                }
                if (delta < deltas.size()) {
                    return deltas.get(delta++);
                }
                if (failure != null) {
                    throw new IOException(failure.getMessage(), failure);
                }
                return null;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            LlmStream.this.close();
        }
    }
}
