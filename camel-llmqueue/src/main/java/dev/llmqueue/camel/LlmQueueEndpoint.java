package dev.llmqueue.camel;

import java.io.File;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InputStream;
import java.io.Reader;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import dev.llmqueue.camel.provider.LlmProvider;
import dev.llmqueue.camel.provider.LlmReply;
import dev.llmqueue.camel.provider.LlmReplyFormatException;
import dev.llmqueue.camel.provider.LlmStreamErrorException;
import dev.llmqueue.camel.provider.LlmStreamReader;
import dev.llmqueue.camel.provider.LlmRequest;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.StreamCache;
import org.apache.camel.WrappedFile;
import org.apache.camel.Producer;
import org.apache.camel.component.http.HttpEndpoint;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.classic.HttpClient;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.routing.RoutingSupport;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.util.URISupport;
import org.apache.camel.util.PropertiesHelper;

/**
 * Sends requests to an Ollama or OpenAI-compatible server through the component's priority queue: the exchange
 * waits on a HIGH or LOW LIFO stack until a slot is free, and the route resumes when the LLM has answered.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "llmqueue", title = "LLM Queue", syntax = "llmqueue:provider",
             producerOnly = true, category = { Category.AI }, headersClass = LlmQueueConstants.class)
public class LlmQueueEndpoint extends DefaultEndpoint {

    @UriPath(enums = "ollama,openai",
             description = "The server's API: ollama (Ollama's native API) or openai (any OpenAI-compatible server:"
                           + " OpenAI, vLLM, llama.cpp server, LM Studio, Groq...)")
    @Metadata(required = true)
    private String provider;
    @UriParam(defaultValue = "HIGH",
              description = "The stack requests go on: HIGH (user-facing work, always served first) or LOW (background"
                            + " work). The header CamelLlmQueuePriority overrides it.")
    private LlmQueuePriority priority = LlmQueuePriority.HIGH;
    @UriParam(defaultValue = "chat",
              description = "What the LLM is asked: chat (a String is one user message, a List of role/content Maps is"
                            + " the whole conversation), generate (a String prompt) or embed (a String or a List of"
                            + " Strings; the reply is a float array, or a List of float arrays).")
    private LlmQueueOperation operation = LlmQueueOperation.chat;
    @UriParam(description = "The model to use, for example llama3.2 or gpt-4o-mini. Required, here or in the header"
                            + " CamelLlmQueueModel: a request without a model fails and nothing is sent.")
    private String model;
    @UriParam(description = "The server's base URL. Default http://localhost:11434 for ollama and"
                            + " https://api.openai.com/v1 for openai (for openai the paths /chat/completions, /completions"
                            + " and /embeddings are appended to it, so it includes /v1).")
    private String baseUrl;
    @UriParam(label = "security", secret = true,
              description = "The API key, sent as Authorization: Bearer. For openai it defaults to the environment"
                            + " variable OPENAI_API_KEY. Never logged.")
    private String apiKey;
    @UriParam(description = "A system message put before a String chat body (ollama also uses it as the system prompt"
                            + " of generate). The header CamelLlmQueueSystemMessage overrides it.")
    private String systemMessage;
    @UriParam(description = "The sampling temperature; the server's default when not set.")
    private Double temperature;
    @UriParam(description = "The most tokens to generate (ollama options.num_predict, openai max_tokens); the"
                            + " server's default when not set.")
    private Integer maxTokens;
    @UriParam(label = "advanced", defaultValue = "5m", javaType = "java.time.Duration",
              description = "How long one HTTP call may take, from the connection to the last byte of the reply: a"
                            + " call still running then is aborted and fails (a timeout, retried like other timeouts)."
                            + " The wait for a slot is bounded by maxQueueTime instead.")
    private long requestTimeout = 5 * 60 * 1000L;
    @UriParam(label = "advanced", defaultValue = "10s", javaType = "java.time.Duration",
              description = "How long making the connection may take: the TCP connection and, for https, the TLS"
                            + " handshake. Default: the component's connectTimeout.")
    private long connectTimeout = 10_000;
    @UriParam(label = "advanced", defaultValue = "2",
              description = "How many times a call is tried again after a failure that may pass: no response, a timeout,"
                            + " 429 (but not insufficient_quota), 502, 503, 504. 0 turns retries off. Default: the"
                            + " component's maxRetries.")
    private int maxRetries = 2;
    @UriParam(label = "advanced", defaultValue = "500ms", javaType = "java.time.Duration",
              description = "The wait before the first retry, doubled for each further one, with 25 percent jitter. A"
                            + " server's retry-after-ms or Retry-After header is used instead when present. The request"
                            + " holds no slot while it waits. Default: the component's retryBackoff.")
    private long retryBackoff = 500;
    @UriParam(label = "advanced", defaultValue = "30s", javaType = "java.time.Duration",
              description = "The longest wait before a retry, including one asked for by the server. Default: the"
                            + " component's maxRetryBackoff.")
    private long maxRetryBackoff = 30_000;
    @UriParam(defaultValue = "0", javaType = "java.time.Duration",
              description = "How long a request may wait for a slot (on its stack and between retries) before it fails"
                            + " with LlmQueueTimeoutException; its call is then never made. 0 waits indefinitely."
                            + " Default: the component's maxQueueTime.")
    private long maxQueueTime;
    @UriParam(label = "advanced", defaultValue = "16777216",
              description = "The largest reply accepted, in bytes; a larger one fails the exchange. Default: the"
                            + " component's maxResponseSize (16 MiB).")
    private int maxResponseSize = 16 * 1024 * 1024;
    @UriParam(label = "tools",
              description = "Tools (function calling) offered to the model, chat only: a JSON array of function tools in"
                            + " OpenAI's form ([{\"type\":\"function\",\"function\":{\"name\":...,\"description\":"
                            + "...,\"parameters\":{...}}}]), given inline, as resource:classpath:... or resource:file:...,"
                            + " or as a #bean reference to a List of Maps. Sent as tools to both providers. The header"
                            + " CamelLlmQueueTools overrides it. The calls the model asks for come back in the header"
                            + " CamelLlmQueueToolCalls.")
    private Object tools;
    @UriParam(label = "tools",
              description = "Whether and which tool the model must call: auto, none, required, or the name of one of"
                            + " the tools. Sent as OpenAI's tool_choice (a name as {\"type\":\"function\",\"function\":"
                            + "{\"name\":...}}), only when tools are sent. Ollama has no such field: it is not sent to"
                            + " Ollama, whose model always decides itself.")
    private String toolChoice;
    @UriParam(label = "output", defaultValue = "text", enums = "text,json,jsonSchema",
              description = "The form of the reply, for chat (and generate with ollama): text; json (OpenAI"
                            + " response_format json_object, Ollama format json); or jsonSchema (the schema of"
                            + " jsonSchema or generated from outputClass). When JSON is asked, a reply that is not valid"
                            + " JSON fails the exchange with LlmProviderException, and is not retried.")
    private String responseFormat = "text";
    @UriParam(label = "output",
              description = "A JSON Schema the reply must follow, inline or as resource:classpath:... or"
                            + " resource:file:...; setting it implies responseFormat=jsonSchema. OpenAI gets it as"
                            + " response_format json_schema with strict true, Ollama as format. The header"
                            + " CamelLlmQueueJsonSchema overrides it.")
    private String jsonSchema;
    @UriParam(label = "output", defaultValue = "response",
              description = "The name sent with the schema to OpenAI (response_format.json_schema.name).")
    private String jsonSchemaName = "response";
    @UriParam(label = "output",
              description = "A class name: the reply content is read with Jackson into this class, which becomes the"
                            + " body. Without jsonSchema, the schema is generated from the class (every property"
                            + " required, no additional properties, as OpenAI's strict mode wants). A reply that does"
                            + " not bind fails the exchange with LlmProviderException.")
    private String outputClass;
    @UriParam(label = "output", defaultValue = "false",
              description = "Whether the body becomes the provider's whole reply JSON as a Map, instead of the text;"
                            + " the usual headers are still set.")
    private boolean rawResponse;
    @UriParam(defaultValue = "false",
              description = "Streams the answer (chat and generate): the route resumes as soon as the first token has"
                            + " arrived, with an LlmStream as the body (an Iterator of the text deltas, readable as"
                            + " String, InputStream or Reader); the component keeps reading the server's stream on its"
                            + " own thread, so the slot is held only while the server generates. requestTimeout then"
                            + " bounds the wait for the first token and then the time between two tokens.")
    private boolean streaming;
    @UriParam(label = "advanced", multiValue = true, prefix = "bodyProperties.",
              description = "Extra fields of the request JSON, such as bodyProperties.seed=42,"
                            + " bodyProperties.top_p=0.9, bodyProperties.keep_alive=10m or, for Ollama,"
                            + " bodyProperties.options.num_ctx=8192 (dots nest). A value that is valid JSON (a number, a"
                            + " boolean, an object) is sent as that JSON, anything else as a string. A key the component"
                            + " sets itself (model, messages, prompt, input, stream, or a field set from another option)"
                            + " fails at endpoint creation. The header CamelLlmQueueBodyProperties is merged over them.")
    private Map<String, Object> bodyProperties = new LinkedHashMap<>();
    @UriParam(label = "security", multiValue = true, prefix = "httpHeaders.", secret = true,
              description = "Extra HTTP headers sent with every call, such as httpHeaders.OpenAI-Organization=org-..."
                            + " or OpenRouter's httpHeaders.HTTP-Referer=https://myapp.example. Their values are never"
                            + " logged.")
    private Map<String, Object> httpHeaders = new LinkedHashMap<>();
    @UriParam(label = "security", defaultValue = "Authorization",
              description = "The HTTP header that carries apiKey. With Authorization the key is sent as Bearer <apiKey>;"
                            + " with any other name (Azure OpenAI's api-key) the key is sent as it is.")
    private String apiKeyHeader = "Authorization";

    /** The options above, checked and parsed by validate(). */
    private LlmQueueRequestOptions requestOptions;

    private final LlmProvider llmProvider;
    private String serverUrl;
    private String url;
    private HttpClient httpClient;
    private HttpHost server;

    public LlmQueueEndpoint(String uri, LlmQueueComponent component, LlmProvider llmProvider) {
        super(uri, component);
        this.llmProvider = llmProvider;
        this.provider = llmProvider.name();
    }

    @Override
    public LlmQueueComponent getComponent() {
        return (LlmQueueComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() throws Exception {
        return new LlmQueueProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        throw new UnsupportedOperationException("The llmqueue component only sends: use it in to(...), not from(...)");
    }

    /** Takes the multi-value options (bodyProperties.*, httpHeaders.*) out of the URI's parameters. */
    @Override
    public void configureProperties(Map<String, Object> options) {
        if (PropertiesHelper.hasProperties(options, "bodyProperties.")) {
            bodyProperties.putAll(PropertiesHelper.extractProperties(options, "bodyProperties."));
        }
        if (PropertiesHelper.hasProperties(options, "httpHeaders.")) {
            httpHeaders.putAll(PropertiesHelper.extractProperties(options, "httpHeaders."));
        }
        super.configureProperties(options);
    }

    /** The endpoint as Camel shows it, with the values of httpHeaders.* masked as well as the secrets. */
    @Override
    public String toString() {
        return super.toString().replaceAll("(httpHeaders\\.[^=&]*=)[^&\\]]*", "$1xxxxxx");
    }

    /**
     * The endpoint's URI as operators may see it (JMX, the dev console): Camel's sanitising masks the key, and the
     * values of extra HTTP headers are masked too, since they may carry a gateway's credentials.
     */
    String displayUri() {
        return URISupport.sanitizeUri(getEndpointUri()).replaceAll("(httpHeaders\\.[^=&]*=)[^&]*", "$1xxxxxx");
    }

    /**
     * Checks the options, so that a bad one fails when the endpoint is created, naming the option.
     */
    void validate() {
        if (requestTimeout <= 0) {
            throw new IllegalArgumentException("requestTimeout must be positive, was " + requestTimeout + " ms");
        }
        if (connectTimeout <= 0) {
            throw new IllegalArgumentException("connectTimeout must be positive, was " + connectTimeout + " ms");
        }
        if (maxTokens != null && maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, was " + maxTokens);
        }
        if (temperature != null && (temperature.isNaN() || temperature < 0)) {
            throw new IllegalArgumentException("temperature must be a number of 0 or more, was " + temperature);
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative, was " + maxRetries);
        }
        if (retryBackoff < 0 || maxRetryBackoff < 0 || maxQueueTime < 0) {
            throw new IllegalArgumentException("retryBackoff, maxRetryBackoff and maxQueueTime must not be negative");
        }
        if (maxResponseSize < 1) {
            throw new IllegalArgumentException("maxResponseSize must be at least 1 byte, was " + maxResponseSize);
        }
        serverUrl = stripTrailingSlash(checkBaseUrl(baseUrl != null ? baseUrl : llmProvider.defaultBaseUrl(),
                llmProvider.defaultBaseUrl()));
        url = serverUrl + llmProvider.path(operation);
        if (streaming && operation == LlmQueueOperation.embed) {
            throw new IllegalArgumentException("streaming is for operation chat or generate; embed answers at once");
        }
        if (streaming && (outputClass != null || rawResponse)) {
            throw new IllegalArgumentException("streaming cannot be combined with " + (outputClass != null
                    ? "outputClass (a POJO needs the whole answer)" : "rawResponse (there is no single reply JSON)")
                                               + ": read the LlmStream as a String instead");
        }
        requestOptions = LlmQueueRequestOptions.of(this);
    }

    /**
     * Checks that the base URL is an http(s) URL with a host and nothing that cannot be part of a base: no user info,
     * no query, no fragment. The errors never show the URL as given (nor URISyntaxException's message, which repeats
     * it): it may hold a password.
     */
    private static String checkBaseUrl(String base, String example) {
        URI parsed;
        try {
            parsed = new URI(base);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("baseUrl " + shown(base) + " is not a valid URL (" + e.getReason()
                                               + "); expected an http:// or https:// URL such as " + example);
        }
        if (!"http".equals(parsed.getScheme()) && !"https".equals(parsed.getScheme()) || parsed.getHost() == null) {
            throw new IllegalArgumentException("baseUrl " + shown(base)
                                               + " is not an http:// or https:// URL with a host, such as " + example);
        }
        List<String> extras = new ArrayList<>();
        if (parsed.getRawUserInfo() != null) {
            extras.add("user info (put the key in apiKey instead)");
        }
        if (parsed.getRawQuery() != null) {
            extras.add("a query (?...)");
        }
        if (parsed.getRawFragment() != null) {
            extras.add("a fragment (#...)");
        }
        if (!extras.isEmpty()) {
            throw new IllegalArgumentException("baseUrl " + shown(base) + " has " + String.join(" and ", extras)
                                               + ": expected a base URL with no user info, no query and no fragment,"
                                               + " such as " + example);
        }
        return base;
    }

    /**
     * The base URL as an error message may show it: user info masked, query and fragment cut off. Everything up to
     * the last '@' counts as user info, so a password that contains '/', '?' or '#' is masked too.
     */
    static String shown(String base) {
        String shown = base;
        int at = shown.lastIndexOf('@');
        if (at >= 0) {
            int authority = shown.indexOf("//");
            shown = (authority >= 0 && authority < at ? shown.substring(0, authority + 2) : "") + "***@"
                    + shown.substring(at + 1);
        }
        for (int i = 0; i < shown.length(); i++) {
            if (shown.charAt(i) == '?' || shown.charAt(i) == '#') {
                shown = shown.substring(0, i + 1) + "...";
                break;
            }
        }
        return "'" + shown + "'";
    }

    private static String stripTrailingSlash(String base) {
        return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        // camel-http builds the client, so TLS, proxies and pooling are configured on the http component as usual.
        // Its connectTimeout also bounds the TLS handshake; its responseTimeout bounds each read, and call() bounds
        // the whole reply
        // the scheduler bounds the calls in flight; the connection pool must never be a second, hidden queue
        int poolSize = Math.max(1000, getComponent().getMaxConcurrentRequests());
        Endpoint endpoint = getCamelContext().getEndpoint(url + "?responseTimeout=" + requestTimeout
                                                          + "&connectTimeout=" + connectTimeout
                                                          + "&maxTotalConnections=" + poolSize
                                                          + "&connectionsPerRoute=" + poolSize);
        if (!(endpoint instanceof HttpEndpoint http)) {
            throw new IllegalStateException("Expected a camel-http endpoint for " + url + ", got " + endpoint);
        }
        // HttpClient would otherwise repeat a 429/503 by itself, waiting while the call holds a slot, and retry what
        // must never be retried (insufficient_quota); retries are the queue's decision
        http.getClientBuilder().disableAutomaticRetries();
        // the client itself, not camel-http's producer: no exchange per call, and the server's headers stay here
        httpClient = http.getHttpClient();
        server = RoutingSupport.determineHost(new HttpPost(url));
    }

    /**
     * Builds the JSON of a request from the exchange, checking everything that can be checked before queueing.
     */
    byte[] requestBody(Exchange exchange, String model) {
        Message message = exchange.getMessage();
        Object body = message.getBody();
        if (body instanceof CharSequence || body instanceof byte[] || body instanceof InputStream
            || body instanceof Reader || body instanceof StreamCache || body instanceof WrappedFile) {
            // text as HTTP, file and messaging endpoints deliver it
            body = message.getBody(String.class);
        } else if (body instanceof File || body instanceof Path) {
            body = fileText(exchange, body);
        }
        String system = message.getHeader(LlmQueueConstants.SYSTEM_MESSAGE, systemMessage, String.class);
        return llmProvider.requestBody(requestOptions.request(exchange, model, body, system), streaming);
    }

    /**
     * A file's text: its bytes through Camel's type converters, decoded as UTF-8 unless the exchange names another
     * charset ({@code CamelCharsetName}).
     */
    private static String fileText(Exchange exchange, Object file) {
        String charset = exchange.getProperty(ExchangePropertyKey.CHARSET_NAME, String.class);
        try {
            byte[] bytes = exchange.getContext().getTypeConverter().mandatoryConvertTo(byte[].class, exchange, file);
            return new String(bytes, charset != null ? Charset.forName(charset) : StandardCharsets.UTF_8);
        } catch (Exception e) {
            throw new IllegalArgumentException("Cannot read the message body, the file " + file + ", as text: " + e, e);
        }
    }

    /**
     * Makes the HTTP call and reads the reply. Runs on a call thread, holding a slot. The provider's HTTP headers stay
     * on a private exchange and never reach the user's.
     */
    LlmReply call(LlmQueueRequest request) throws LlmProviderException {
        HttpPost post = new HttpPost(url);
        post.setEntity(new ByteArrayEntity(request.payload(), ContentType.APPLICATION_JSON));
        post.setHeader(HttpHeaders.ACCEPT, "application/json");
        requestOptions.setHttpHeaders(post, apiKey);
        int status;
        byte[] body;
        long retryAfter;
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> abort = abortAfterRequestTimeout(post, timedOut);
        try (ClassicHttpResponse response = httpClient.executeOpen(server, post, null)) {
            status = response.getCode();
            retryAfter = RetryPolicy.retryAfterMillis(headerValue(response, "retry-after-ms"),
                    headerValue(response, HttpHeaders.RETRY_AFTER), System.currentTimeMillis());
            HttpEntity entity = response.getEntity();
            body = entity == null ? new byte[0] : readBody(entity.getContent());
            if (body != null) {
                // fully read: the connection goes back to the pool; a cut reply closes it with the response
                EntityUtils.consume(entity);
            }
        } catch (IOException | RuntimeException e) {
            // any failure of the transport, not only I/O: a stopped client throws IllegalStateException
            throw noResponse(request.exchange(), e, timedOut.get());
        } finally {
            if (abort != null) {
                abort.cancel(false);
            }
        }
        if (body == null) {
            throw new LlmProviderException(
                    "The reply of " + llmProvider.name() + " from POST " + url + " is larger than maxResponseSize ("
                                           + maxResponseSize + " bytes)",
                    request.exchange(), status, llmProvider.name(), url, null, false, -1, null);
        }
        if (status < 200 || status > 299) {
            throw httpError(request, status, body, retryAfter);
        }
        try {
            return requestOptions.reply(request, status, body);
        } catch (LlmReplyFormatException e) {
            throw new LlmProviderException(
                    "Cannot read the " + operation + " reply of " + llmProvider.name() + " from POST " + url + ": "
                                           + e.getMessage(),
                    request.exchange(), status, llmProvider.name(), url, null, false, -1, e);
        }
    }

    /** A non-2xx answer: retryable for "slow down" (429 rate limit, 502, 503, 504), not for "give up". */
    private LlmProviderException httpError(LlmQueueRequest request, int status, byte[] body, long retryAfter) {
        String text = llmProvider.errorText(body);
        boolean quota = status == 429 && llmProvider.isQuotaExhausted(body);
        boolean retryable = !quota && (status == 429 || status == 502 || status == 503 || status == 504);
        // a 404 that is not about the model: the path was wrong, so baseUrl probably is
        String hint = status == 404 ? llmProvider.notFoundHint(serverUrl, body) : null;
        return new LlmProviderException(
                llmProvider.name() + " answered HTTP " + status + " to POST " + url + (text != null ? ": " + text : "")
                                       + (hint != null ? "; " + hint : ""),
                request.exchange(), status, llmProvider.name(), url, text, retryable, retryAfter, null);
    }

    /**
     * Makes a streamed call and reads the server's events as they come, on the call thread, holding the slot: each
     * text delta goes to {@code stream}, and the first one resumes the route ({@link LlmQueueRequest#tokenArrived()}).
     * Until the first token requestTimeout bounds the whole wait, as for any call; after it, the silence between two
     * tokens (keep-alive comments and blank lines do not count as tokens). The stream is ended or failed here, before
     * the connection is let go, so neither the reader nor the slot waits for a server that keeps its connection open.
     *
     * @return the whole answer once the server's stream has ended, or null when the route closed the stream first
     *         (closing aborted the call)
     */
    LlmReply callStreaming(LlmQueueRequest request, LlmStream stream) throws LlmProviderException {
        HttpPost post = new HttpPost(url);
        post.setEntity(new ByteArrayEntity(request.payload(), ContentType.APPLICATION_JSON));
        post.setHeader(HttpHeaders.ACCEPT, "application/x-ndjson, text/event-stream");
        requestOptions.setHttpHeaders(post, apiKey);
        stream.onClose(post::cancel);
        LlmStreamReader reader = llmProvider.streamReader(operation);
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> firstTokenTimeout = abortAfterRequestTimeout(post, timedOut);
        long silenceLimit = TimeUnit.MILLISECONDS.toNanos(requestTimeout);
        long started = System.nanoTime();
        int status = -1;
        boolean readToTheEnd = false;
        try (ClassicHttpResponse response = httpClient.executeOpen(server, post, null)) {
            try {
                status = response.getCode();
                HttpEntity entity = response.getEntity();
                if (status < 200 || status > 299) {
                    long retryAfter = RetryPolicy.retryAfterMillis(headerValue(response, "retry-after-ms"),
                            headerValue(response, HttpHeaders.RETRY_AFTER), System.currentTimeMillis());
                    byte[] body = entity == null ? new byte[0] : readBody(entity.getContent());
                    readToTheEnd = body != null;
                    throw httpError(request, status, body == null ? new byte[0] : body, retryAfter);
                }
                if (entity == null) {
                    throw new LlmReplyFormatException("the streamed reply has no body");
                }
                BufferedReader lines = new BufferedReader(new InputStreamReader(entity.getContent(),
                        StandardCharsets.UTF_8));
                long lastToken = System.nanoTime();
                boolean first = true;
                String line;
                while (!reader.isDone() && (line = lines.readLine()) != null) {
                    String delta = reader.line(line);
                    long now = System.nanoTime();
                    if (delta == null) {
                        if (!first && now - lastToken > silenceLimit) {
                            // keep-alives, but no token: as silent as no bytes at all
                            throw new SocketTimeoutException("no token for longer than requestTimeout");
                        }
                        continue;
                    }
                    lastToken = now;
                    if (first) {
                        first = false;
                        if (firstTokenTimeout != null) {
                            firstTokenTimeout.cancel(false);
                        }
                        request.tokenArrived();
                    }
                    if (!stream.append(delta, () -> tooLarge(request, 200))) {
                        if (stream.isClosedEarly()) {
                            return null;
                        }
                        throw tooLarge(request, 200);
                    }
                }
                if (!reader.isComplete()) {
                    // the connection ended before the last event: a cut, which may pass
                    throw new LlmProviderException(llmProvider.name() + " stream from POST " + url
                                                   + " ended before its last event (the connection was closed)",
                            request.exchange(), LlmProviderException.NO_RESPONSE, llmProvider.name(), url, null, true,
                            -1, null);
                }
                LlmReply reply = reader.reply();
                // the reader has everything now; letting the connection go may take a moment more
                stream.end(reply.finishReason(), reply.promptTokens(), reply.completionTokens(), reply.model(),
                        reply.toolCalls(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                readToTheEnd = drain(post, entity);
                return reply;
            } finally {
                if (firstTokenTimeout != null) {
                    firstTokenTimeout.cancel(false);
                }
                if (!readToTheEnd) {
                    // closing the response would read the rest of the body first: a server that keeps sending, or
                    // keeps its connection open, would hold the call; the connection is dropped instead
                    post.cancel();
                }
            }
        } catch (IOException | RuntimeException e) {
            if (stream.isClosedEarly()) {
                return null;
            }
            throw noResponse(request.exchange(), e, timedOut.get());
        } catch (LlmStreamErrorException e) {
            throw new LlmProviderException(llmProvider.name() + " reported an error in the stream from POST " + url
                                           + ": " + e.getMessage(),
                    request.exchange(), status, llmProvider.name(), url, e.getMessage(), false, -1, e);
        } catch (LlmReplyFormatException e) {
            throw new LlmProviderException(
                    "Cannot read the streamed " + operation + " reply of " + llmProvider.name() + " from POST " + url
                                           + ": " + e.getMessage(),
                    request.exchange(), status, llmProvider.name(), url, null, false, -1, e);
        }
    }

    /**
     * Reads what follows the last event (nothing, for a well-behaved server), so that the connection can be reused;
     * gives up after a second, dropping the connection.
     *
     * @return whether the body was read to its end
     */
    private boolean drain(HttpPost post, HttpEntity entity) {
        ScheduledExecutorService timer = getComponent().getTimer();
        ScheduledFuture<?> giveUp = null;
        try {
            if (timer != null) {
                giveUp = timer.schedule(post::cancel, Math.min(1000, requestTimeout), TimeUnit.MILLISECONDS);
            }
            EntityUtils.consume(entity);
            return true;
        } catch (IOException | RejectedExecutionException e) {
            return false;
        } finally {
            if (giveUp != null) {
                giveUp.cancel(false);
            }
        }
    }

    private LlmProviderException tooLarge(LlmQueueRequest request, int status) {
        return new LlmProviderException(
                "The reply of " + llmProvider.name() + " from POST " + url + " is larger than maxResponseSize ("
                                        + maxResponseSize + ")",
                request.exchange(), status, llmProvider.name(), url, null, false, -1, null);
    }

    /**
     * Arms the abort of the call at requestTimeout, so that it bounds the whole call (HttpClient's response timeout
     * bounds each read only, and a reply that drips in never trips it). Null when the component's timer is gone (it
     * is stopping): each read is still bounded.
     */
    private ScheduledFuture<?> abortAfterRequestTimeout(HttpPost post, AtomicBoolean timedOut) {
        ScheduledExecutorService timer = getComponent().getTimer();
        if (timer == null) {
            return null;
        }
        try {
            return timer.schedule(() -> {
                timedOut.set(true);
                post.cancel();
            }, requestTimeout, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    private static String headerValue(ClassicHttpResponse response, String name) {
        Header header = response.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    /** The whole reply, or null when it is larger than maxResponseSize. */
    private byte[] readBody(InputStream in) throws IOException {
        if (in == null) {
            return new byte[0];
        }
        // one byte more than the limit tells a reply at the limit from a larger one (saturated: an array cannot be larger)
        byte[] bytes = in.readNBytes((int) Math.min((long) maxResponseSize + 1, Integer.MAX_VALUE));
        return bytes.length > maxResponseSize ? null : bytes;
    }

    /**
     * The failure of a call that got no (complete) HTTP response, naming what happened and, for a timeout, which one.
     *
     * @param timedOut whether requestTimeout aborted the call
     */
    private LlmProviderException noResponse(Exchange exchange, Exception failure, boolean timedOut) {
        String what;
        if (timedOut) {
            what = "the whole reply did not arrive within requestTimeout (" + requestTimeout + " ms)";
        } else if (causedBy(failure, ConnectTimeoutException.class)) {
            // HttpClient reports a TLS handshake that timed out as a connect timeout too
            what = "no connection within connectTimeout (" + connectTimeout + " ms)"
                   + (duringTlsHandshake(failure) ? "; is the server speaking https at " + serverUrl + "?" : "");
        } else if (causedBy(failure, SSLException.class) && duringTlsHandshake(failure)) {
            what = "TLS handshake failed; is the server speaking https at " + serverUrl + "?";
        } else if (causedBy(failure, SocketTimeoutException.class)) {
            what = "no answer within requestTimeout (" + requestTimeout + " ms)";
        } else if (causedBy(failure, ConnectException.class)) {
            what = "cannot connect; is the server running at " + serverUrl + "?";
        } else if (causedBy(failure, IOException.class)) {
            what = "no HTTP response";
        } else {
            what = "the HTTP client failed";
        }
        // no response, a timeout, a dropped connection: the same request may well succeed later. A failure of the
        // client itself (stopped, misconfigured) will not pass by trying again.
        boolean retryable = timedOut || causedBy(failure, IOException.class);
        return new LlmProviderException(
                llmProvider.name() + " call to POST " + url + " failed: " + what + " (" + failure + ")",
                exchange, LlmProviderException.NO_RESPONSE, llmProvider.name(), url, null, retryable, -1, failure);
    }

    /** Whether the failure happened in the TLS handshake, which HttpClient runs while it connects. */
    private static boolean duringTlsHandshake(Throwable failure) {
        if (causedBy(failure, SSLHandshakeException.class)) {
            return true;
        }
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            for (StackTraceElement frame : t.getStackTrace()) {
                if (frame.getMethodName().equals("startHandshake")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** The URL calls go to. */
    public String getUrl() {
        return url;
    }

    /** The server's base URL: the unit of adaptive concurrency. */
    String getServerUrl() {
        return serverUrl;
    }

    public String getProvider() {
        return provider;
    }

    /**
     * The server's API: ollama or openai.
     */
    public void setProvider(String provider) {
        this.provider = provider;
    }

    public LlmQueuePriority getPriority() {
        return priority;
    }

    /**
     * The stack requests go on: HIGH or LOW.
     */
    public void setPriority(LlmQueuePriority priority) {
        this.priority = priority;
    }

    public LlmQueueOperation getOperation() {
        return operation;
    }

    /**
     * What the LLM is asked: chat, generate or embed.
     */
    public void setOperation(LlmQueueOperation operation) {
        this.operation = operation;
    }

    public String getModel() {
        return model;
    }

    /**
     * The model to use.
     */
    public void setModel(String model) {
        this.model = model;
    }

    public String getBaseUrl() {
        return baseUrl;
    }

    /**
     * The server's base URL.
     */
    public void setBaseUrl(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    public String getApiKey() {
        return apiKey;
    }

    /**
     * The API key, sent as Authorization: Bearer.
     */
    public void setApiKey(String apiKey) {
        this.apiKey = apiKey;
    }

    public String getSystemMessage() {
        return systemMessage;
    }

    /**
     * A system message put before a String chat body.
     */
    public void setSystemMessage(String systemMessage) {
        this.systemMessage = systemMessage;
    }

    public Double getTemperature() {
        return temperature;
    }

    /**
     * The sampling temperature.
     */
    public void setTemperature(Double temperature) {
        this.temperature = temperature;
    }

    public Integer getMaxTokens() {
        return maxTokens;
    }

    /**
     * The most tokens to generate.
     */
    public void setMaxTokens(Integer maxTokens) {
        this.maxTokens = maxTokens;
    }

    public long getRequestTimeout() {
        return requestTimeout;
    }

    /**
     * How long one HTTP call may take, from the connection to the last byte of the reply, in milliseconds.
     */
    public void setRequestTimeout(long requestTimeout) {
        this.requestTimeout = requestTimeout;
    }

    public long getConnectTimeout() {
        return connectTimeout;
    }

    /**
     * How long making the connection (TCP and TLS handshake) may take, in milliseconds.
     */
    public void setConnectTimeout(long connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public int getMaxRetries() {
        return maxRetries;
    }

    /**
     * How many times a call is tried again after a failure that may pass.
     */
    public void setMaxRetries(int maxRetries) {
        this.maxRetries = maxRetries;
    }

    public long getRetryBackoff() {
        return retryBackoff;
    }

    /**
     * The wait before the first retry, in milliseconds.
     */
    public void setRetryBackoff(long retryBackoff) {
        this.retryBackoff = retryBackoff;
    }

    public long getMaxRetryBackoff() {
        return maxRetryBackoff;
    }

    /**
     * The longest wait before a retry, in milliseconds.
     */
    public void setMaxRetryBackoff(long maxRetryBackoff) {
        this.maxRetryBackoff = maxRetryBackoff;
    }

    public long getMaxQueueTime() {
        return maxQueueTime;
    }

    /**
     * How long a request may wait for a slot, in milliseconds; 0 waits indefinitely.
     */
    public void setMaxQueueTime(long maxQueueTime) {
        this.maxQueueTime = maxQueueTime;
    }

    public int getMaxResponseSize() {
        return maxResponseSize;
    }

    /**
     * The largest reply accepted, in bytes.
     */
    public void setMaxResponseSize(int maxResponseSize) {
        this.maxResponseSize = maxResponseSize;
    }

    LlmProvider llmProvider() {
        return llmProvider;
    }

    public Object getTools() {
        return tools;
    }

    /**
     * Tools offered to the model: a JSON array, a resource: URI, or a List of Maps.
     */
    public void setTools(Object tools) {
        this.tools = tools;
    }

    public String getToolChoice() {
        return toolChoice;
    }

    /**
     * auto, none, required or a tool's name (OpenAI only).
     */
    public void setToolChoice(String toolChoice) {
        this.toolChoice = toolChoice;
    }

    public String getResponseFormat() {
        return responseFormat;
    }

    /**
     * text, json or jsonSchema.
     */
    public void setResponseFormat(String responseFormat) {
        this.responseFormat = responseFormat;
    }

    public String getJsonSchema() {
        return jsonSchema;
    }

    /**
     * A JSON Schema, inline or as a resource: URI.
     */
    public void setJsonSchema(String jsonSchema) {
        this.jsonSchema = jsonSchema;
    }

    public String getJsonSchemaName() {
        return jsonSchemaName;
    }

    /**
     * The schema's name for OpenAI.
     */
    public void setJsonSchemaName(String jsonSchemaName) {
        this.jsonSchemaName = jsonSchemaName;
    }

    public String getOutputClass() {
        return outputClass;
    }

    /**
     * The class the JSON reply is read into.
     */
    public void setOutputClass(String outputClass) {
        this.outputClass = outputClass;
    }

    public boolean isStreaming() {
        return streaming;
    }

    /**
     * Streams the answer: the route resumes at the first token with an LlmStream body.
     */
    public void setStreaming(boolean streaming) {
        this.streaming = streaming;
    }

    public boolean isRawResponse() {
        return rawResponse;
    }

    /**
     * Whether the body is the provider's whole reply JSON as a Map.
     */
    public void setRawResponse(boolean rawResponse) {
        this.rawResponse = rawResponse;
    }

    public Map<String, Object> getBodyProperties() {
        return bodyProperties;
    }

    /**
     * Extra fields of the request JSON.
     */
    public void setBodyProperties(Map<String, Object> bodyProperties) {
        this.bodyProperties = bodyProperties;
    }

    public Map<String, Object> getHttpHeaders() {
        return httpHeaders;
    }

    /**
     * Extra HTTP headers sent with every call.
     */
    public void setHttpHeaders(Map<String, Object> httpHeaders) {
        this.httpHeaders = httpHeaders;
    }

    public String getApiKeyHeader() {
        return apiKeyHeader;
    }

    /**
     * The HTTP header that carries apiKey.
     */
    public void setApiKeyHeader(String apiKeyHeader) {
        this.apiKeyHeader = apiKeyHeader;
    }
}
