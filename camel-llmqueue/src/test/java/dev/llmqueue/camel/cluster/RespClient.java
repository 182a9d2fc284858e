package dev.llmqueue.camel.cluster;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.net.ssl.SSLSocketFactory;

/**
 * A tiny blocking Redis client over a plain socket, speaking RESP2: for tests that inspect keys and for
 * {@link RedisServer}'s readiness checks, without Lettuce. One connection, one caller at a time (the methods are
 * synchronized).
 * <p>
 * Replies map to Java as: simple string → {@link String}; error → {@link RedisError} (thrown when it is the whole
 * reply, returned as an element inside an array, e.g. from EXEC); integer → {@link Long}; bulk string → {@link String}
 * (UTF-8) or {@code null}; array → {@code List<Object>} or {@code null}.
 */
public final class RespClient implements AutoCloseable {

    /** An error reply from the server ({@code -ERR ...}, {@code -WRONGTYPE ...}, {@code -NOSCRIPT ...}). */
    public static final class RedisError extends RuntimeException {
        public RedisError(String message) {
            super(message);
        }

        /** The first word of the error, e.g. ERR, WRONGTYPE, NOSCRIPT. */
        public String code() {
            String message = getMessage();
            int space = message.indexOf(' ');
            return space < 0 ? message : message.substring(0, space);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RespClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = new BufferedOutputStream(socket.getOutputStream());
    }

    /** Connects to host:port; {@code timeout} bounds the connect and every read. */
    public static RespClient connect(String host, int port, Duration timeout) throws IOException {
        return connect(host, port, false, timeout);
    }

    private static RespClient connect(String host, int port, boolean tls, Duration timeout) throws IOException {
        Socket socket = tls ? SSLSocketFactory.getDefault().createSocket() : new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) timeout.toMillis());
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            return new RespClient(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Connects to a {@code redis://[[user]:password@]host[:port][/db]} or {@code rediss://} URI, sending AUTH and
     * SELECT when the URI has them.
     */
    public static RespClient connect(URI uri, Duration timeout) throws IOException {
        String scheme = uri.getScheme() == null ? "redis" : uri.getScheme().toLowerCase();
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            throw new IllegalArgumentException("not a redis:// or rediss:// URI: " + scheme + "://" + uri.getHost());
        }
        RespClient client = connect(uri.getHost() == null ? "127.0.0.1" : uri.getHost(),
                uri.getPort() < 0 ? 6379 : uri.getPort(), scheme.equals("rediss"), timeout);
        try {
            String userInfo = uri.getRawUserInfo();
            if (userInfo != null && !userInfo.isEmpty()) {
                int colon = userInfo.indexOf(':');
                String user = colon < 0 ? "" : decode(userInfo.substring(0, colon));
                String password = decode(colon < 0 ? userInfo : userInfo.substring(colon + 1));
                if (user.isEmpty()) {
                    client.call("AUTH", password);
                } else {
                    client.call("AUTH", user, password);
                }
            }
            String path = uri.getPath();
            if (path != null && path.length() > 1) {
                client.call("SELECT", path.substring(1));
            }
            return client;
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }

    /** Sends one command as an array of bulk strings and reads its reply; an error reply is thrown. */
    public synchronized Object call(String... command) throws IOException {
        write(command);
        Object reply = read();
        if (reply instanceof RedisError error) {
            throw new RedisError(error.getMessage());
        }
        return reply;
    }

    /** Like {@link #call} for a command the caller builds as a list (e.g. DEL with many keys). */
    public Object call(List<String> command) throws IOException {
        return call(command.toArray(String[]::new));
    }

    /** A command whose reply is an integer (ZCARD, DEL, EXISTS, INCR ...). */
    public long callLong(String... command) throws IOException {
        Object reply = call(command);
        if (reply instanceof Long value) {
            return value;
        }
        throw new IllegalStateException("not an integer reply to " + command[0] + ": " + reply);
    }

    /** A command whose reply is a simple or bulk string, or null (GET, PING, SET, TYPE ...). */
    public String callString(String... command) throws IOException {
        Object reply = call(command);
        if (reply == null || reply instanceof String) {
            return (String) reply;
        }
        throw new IllegalStateException("not a string reply to " + command[0] + ": " + reply);
    }

    /** A command whose reply is an array (LRANGE, ZRANGE, KEYS ...); a null array is an empty list. */
    @SuppressWarnings("unchecked")
    public List<Object> callList(String... command) throws IOException {
        Object reply = call(command);
        if (reply == null) {
            return List.of();
        }
        if (reply instanceof List<?> list) {
            return (List<Object>) list;
        }
        throw new IllegalStateException("not an array reply to " + command[0] + ": " + reply);
    }

    public boolean ping() throws IOException {
        return "PONG".equals(call("PING"));
    }

    /** HGETALL as a map in the server's order. */
    public Map<String, String> hgetall(String key) throws IOException {
        List<Object> flat = callList("HGETALL", key);
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            map.put((String) flat.get(i), (String) flat.get(i + 1));
        }
        return map;
    }

    /** Every key matching a glob pattern, by SCAN (never KEYS, which blocks the server). */
    public Set<String> scan(String pattern) throws IOException {
        Set<String> keys = new LinkedHashSet<>();
        String cursor = "0";
        do {
            List<Object> page = callList("SCAN", cursor, "MATCH", pattern, "COUNT", "1000");
            cursor = (String) page.get(0);
            for (Object key : (List<?>) page.get(1)) {
                keys.add((String) key);
            }
        } while (!cursor.equals("0"));
        return keys;
    }

    /** Deletes every key matching a glob pattern; returns how many were deleted. */
    public long deleteMatching(String pattern) throws IOException {
        List<String> keys = new ArrayList<>(scan(pattern));
        long deleted = 0;
        for (int from = 0; from < keys.size(); from += 500) {
            List<String> command = new ArrayList<>();
            command.add("DEL");
            command.addAll(keys.subList(from, Math.min(keys.size(), from + 500)));
            deleted += (Long) call(command);
        }
        return deleted;
    }

    /** Escapes a literal for a Redis glob pattern (* ? [ ] \ are special). */
    public static String globEscape(String literal) {
        StringBuilder escaped = new StringBuilder(literal.length());
        for (char c : literal.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                escaped.append('\\');
            }
            escaped.append(c);
        }
        return escaped.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    // ---- the protocol ----

    private void write(String... command) throws IOException {
        if (command.length == 0) {
            throw new IllegalArgumentException("empty command");
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        buffer.writeBytes(("*" + command.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String argument : command) {
            byte[] bytes = argument.getBytes(StandardCharsets.UTF_8);
            buffer.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            buffer.writeBytes(bytes);
            buffer.writeBytes(new byte[] {'\r', '\n'});
        }
        buffer.writeTo(out);
        out.flush();
    }

    private Object read() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by the server");
        }
        String line = readLine();
        switch (type) {
            case '+':
                return line;
            case '-':
                return new RedisError(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length);
                if (bytes.length < length) {
                    throw new EOFException("bulk string cut short: " + bytes.length + " of " + length + " bytes");
                }
                expectCrLf();
                return new String(bytes, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> elements = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    elements.add(read());
                }
                return Collections.unmodifiableList(elements);
            }
            default:
                throw new IOException("unexpected RESP type byte '" + (char) type + "' (" + type + ")");
        }
    }

    /** The rest of a header line, without its CRLF (such lines never hold a CR). */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(32);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed inside a reply");
            }
            if (b == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("CR not followed by LF in a reply");
                }
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }

    private void expectCrLf() throws IOException {
        if (in.read() != '\r' || in.read() != '\n') {
            throw new IOException("bulk string not followed by CRLF");
        }
    }
}
