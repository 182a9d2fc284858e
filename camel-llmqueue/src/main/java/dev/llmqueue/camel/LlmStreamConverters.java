package dev.llmqueue.camel;

import java.io.InputStream;
import java.io.Reader;

import org.apache.camel.Converter;

/**
 * Reads an {@link LlmStream} with Camel's type converters: as the whole text, or as the text as it arrives.
 */
@Converter(generateLoader = true)
public final class LlmStreamConverters {

    private LlmStreamConverters() {
    }

    /** The whole text: waits for the end of the stream. */
    @Converter
    public static String toString(LlmStream stream) {
        return stream.text();
    }

    /** The UTF-8 text as it arrives, so an HTTP endpoint can send it on chunked. */
    @Converter
    public static InputStream toInputStream(LlmStream stream) {
        return stream.asInputStream();
    }

    /** The text as it arrives. */
    @Converter
    public static Reader toReader(LlmStream stream) {
        return stream.asReader();
    }
}
