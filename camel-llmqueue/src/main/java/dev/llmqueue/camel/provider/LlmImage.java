package dev.llmqueue.camel.provider;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * One image for a request: its MIME type, sniffed from its first bytes, and its bytes in base64.
 *
 * @param mimeType {@code image/png}, {@code image/jpeg}, {@code image/gif} or {@code image/webp}
 * @param base64   the bytes, base64-encoded without line breaks
 */
public record LlmImage(String mimeType, String base64) {

    /**
     * @throws IllegalArgumentException when the bytes are not PNG, JPEG, GIF or WebP; the message names what they look
     *                                  like
     */
    public static LlmImage of(byte[] bytes) {
        String mime = mimeType(bytes);
        if (mime == null) {
            throw new IllegalArgumentException("is not a PNG, JPEG, GIF or WebP image: it looks like " + describe(bytes));
        }
        return new LlmImage(mime, Base64.getEncoder().encodeToString(bytes));
    }

    /** {@code data:<mime>;base64,<bytes>}, as OpenAI's image_url takes it. */
    public String dataUrl() {
        return "data:" + mimeType + ";base64," + base64;
    }

    /** The MIME type from the magic bytes, or null when they are not PNG, JPEG, GIF or WebP. */
    static String mimeType(byte[] b) {
        if (startsWith(b, 0, 0x89, 0x50, 0x4E, 0x47)) {
            return "image/png";
        }
        if (startsWith(b, 0, 0xFF, 0xD8, 0xFF)) {
            return "image/jpeg";
        }
        if (startsWith(b, 0, 'G', 'I', 'F', '8')) {
            return "image/gif";
        }
        if (startsWith(b, 0, 'R', 'I', 'F', 'F') && startsWith(b, 8, 'W', 'E', 'B', 'P')) {
            return "image/webp";
        }
        return null;
    }

    /** What the bytes look like, for an error message: a known format's name, or their first bytes in hex. */
    static String describe(byte[] b) {
        if (b.length == 0) {
            return "nothing (0 bytes)";
        }
        if (startsWith(b, 0, '%', 'P', 'D', 'F')) {
            return "PDF";
        }
        if (startsWith(b, 0, 'B', 'M')) {
            return "BMP";
        }
        if (startsWith(b, 0, 'I', 'I', 0x2A, 0x00) || startsWith(b, 0, 'M', 'M', 0x00, 0x2A)) {
            return "TIFF";
        }
        if (startsWith(b, 0, 'P', 'K', 0x03, 0x04)) {
            return "ZIP";
        }
        if (startsWith(b, 4, 'f', 't', 'y', 'p')) {
            return "an ISO media file (HEIC, AVIF or MP4: '" + new String(b, 8, Math.min(4, b.length - 8),
                    StandardCharsets.ISO_8859_1) + "')";
        }
        if (startsWith(b, 0, '<')) {
            return "text markup (SVG, XML or HTML)";
        }
        StringBuilder hex = new StringBuilder("unknown bytes");
        for (int i = 0; i < Math.min(8, b.length); i++) {
            hex.append(' ').append(String.format("%02X", b[i] & 0xFF));
        }
        return hex.toString();
    }

    private static boolean startsWith(byte[] bytes, int offset, int... magic) {
        if (bytes.length < offset + magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((bytes[offset + i] & 0xFF) != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
