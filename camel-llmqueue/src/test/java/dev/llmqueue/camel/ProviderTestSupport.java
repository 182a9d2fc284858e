package dev.llmqueue.camel;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.apache.camel.Exchange;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A fake LLM server per test: it answers every request with one canned response and records what it saw.
 */
abstract class ProviderTestSupport extends CamelTestSupport {

    protected static final ObjectMapper JSON = new ObjectMapper();

    protected MockWebServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = new MockWebServer();
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    /** Answers every request with this status, body and headers (name, value, name, value...). */
    protected void serve(int code, String body, String... headers) {
        MockResponse.Builder builder = new MockResponse.Builder().code(code).body(body);
        for (int i = 0; i < headers.length; i += 2) {
            builder.addHeader(headers[i], headers[i + 1]);
        }
        MockResponse response = builder.build();
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return response;
            }
        });
    }

    /** Answers every request with 200 and this JSON. */
    protected void serveJson(String json, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "Content-Type";
        all[1] = "application/json";
        System.arraycopy(headers, 0, all, 2, headers.length);
        serve(200, json, all);
    }

    /** The base URL of the fake server, followed by this path (such as "/" or "/v1"). */
    protected String baseUrl(String path) {
        return server.url(path).toString();
    }

    /** The URL a call to this path of the fake server goes to. */
    protected String urlOf(String path) {
        return server.url(path).toString();
    }

    protected Exchange send(String uri, Object body) {
        return send(uri, body, Collections.emptyMap());
    }

    protected Exchange send(String uri, Object body, Map<String, Object> headers) {
        return template.send(uri, exchange -> {
            exchange.getMessage().setBody(body);
            headers.forEach(exchange.getMessage()::setHeader);
        });
    }

    /** Sends and expects success. */
    protected Exchange sendOk(String uri, Object body) {
        return sendOk(uri, body, Collections.emptyMap());
    }

    protected Exchange sendOk(String uri, Object body, Map<String, Object> headers) {
        Exchange exchange = send(uri, body, headers);
        if (exchange.getException() != null) {
            throw new AssertionError("the exchange failed: " + exchange.getException(), exchange.getException());
        }
        return exchange;
    }

    /** Sends and expects an LlmProviderException. */
    protected LlmProviderException sendFailing(String uri, Object body) {
        return sendFailing(uri, body, Collections.emptyMap());
    }

    protected LlmProviderException sendFailing(String uri, Object body, Map<String, Object> headers) {
        Exchange exchange = send(uri, body, headers);
        return assertInstanceOf(LlmProviderException.class, exchange.getException());
    }

    /** The one request the fake server received. */
    protected RecordedRequest takeRequest() throws InterruptedException {
        RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        assertNotNull(request, "the server received no request");
        return request;
    }

    protected static JsonNode json(RecordedRequest request) throws IOException {
        assertNotNull(request.getBody(), "the request has no body");
        return JSON.readTree(request.getBody().toByteArray());
    }

    /** The media type of the request, without parameters such as charset. */
    protected static String mediaType(RecordedRequest request) {
        String contentType = request.getHeaders().get("Content-Type");
        assertNotNull(contentType, "the request has no Content-Type");
        return contentType.split(";")[0].trim();
    }

    protected static List<Map<String, Object>> conversation(String... roleContentPairs) {
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < roleContentPairs.length; i += 2) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", roleContentPairs[i]);
            message.put("content", roleContentPairs[i + 1]);
            messages.add(message);
        }
        return messages;
    }

    /** Asserts the JSON messages are exactly these role/content pairs, in order. */
    protected static void assertMessages(JsonNode messages, String... roleContentPairs) {
        assertEquals(roleContentPairs.length / 2, messages.size(), "messages: " + messages);
        for (int i = 0; i < roleContentPairs.length; i += 2) {
            JsonNode message = messages.get(i / 2);
            assertEquals(roleContentPairs[i], message.path("role").asText(), "role of message " + i / 2);
            assertEquals(roleContentPairs[i + 1], message.path("content").asText(), "content of message " + i / 2);
        }
    }

    /** A port nothing listens on. */
    protected static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Every message and toString of the exception and its causes. */
    protected static String allText(Throwable failure) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            text.append(t).append('\n').append(t.getMessage()).append('\n');
            for (Throwable suppressed : t.getSuppressed()) {
                text.append(suppressed).append('\n');
            }
        }
        return text.toString();
    }
}
