package dev.llmqueue.camel;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Text may come as a file: a {@link File} or a {@link Path} body is sent as the file's UTF-8 text.
 */
class FileBodyTest extends ProviderTestSupport {

    private static final String TEXT = "Grüße aus Köln: was ist 2 + 2?";

    @TempDir
    Path folder;

    private Path textFile() throws Exception {
        return Files.writeString(folder.resolve("question.txt"), TEXT, StandardCharsets.UTF_8);
    }

    @Test
    void aFileBodyIsSentAsItsUtf8Text() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);

        sendOk("llmqueue:ollama?model=llama3.2&baseUrl=" + baseUrl("/"), textFile().toFile());

        assertEquals(TEXT, json(takeRequest()).path("messages").path(0).path("content").asText());
    }

    @Test
    void aPathBodyIsSentAsItsUtf8Text() throws Exception {
        serveJson(OllamaProviderTest.CHAT_REPLY);

        sendOk("llmqueue:ollama?model=llama3.2&baseUrl=" + baseUrl("/"), textFile());

        assertEquals(TEXT, json(takeRequest()).path("messages").path(0).path("content").asText());
    }

    @Test
    void aFileThatCannotBeReadFailsNamingItAndNothingIsSent() {
        serveJson(OllamaProviderTest.CHAT_REPLY);
        File missing = folder.resolve("missing.txt").toFile();

        IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class,
                send("llmqueue:ollama?model=llama3.2&baseUrl=" + baseUrl("/"), missing).getException());

        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertEquals(0, server.getRequestCount());
    }
}
