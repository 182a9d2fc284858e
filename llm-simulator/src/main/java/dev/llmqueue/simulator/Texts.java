package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/** Deterministic simulated answers, token counts and embeddings. One "token" is one whitespace-separated word. */
final class Texts {

    static final String PREFIX = "Simulated answer to:";
    static final int PREFIX_WORDS = 3;
    static final int SNIPPET_CHARS = 40;
    static final int EMBEDDING_DIMENSIONS = 8;

    private static final String[] FILLER = {
        "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit",
        "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua"
    };

    private Texts() {
    }

    /**
     * {@code "Simulated answer to: " + first 40 chars of source}, cut or padded with filler words so that it
     * has exactly {@code tokens} whitespace-separated words.
     */
    static String answer(String source, int tokens) {
        return answer(PREFIX, source, null, tokens);
    }

    /**
     * The words of {@code prefix}, then the words of the first 40 characters of {@code source}, then the words of
     * {@code note} (may be null), then filler words, so that the text has exactly {@code tokens} words. When
     * {@code tokens} is too small, the prefix is kept first, then the note, then as many source words as fit.
     */
    static String answer(String prefix, String source, String note, int tokens) {
        if (tokens <= 0) {
            return "";
        }
        StringBuilder sb = new StringBuilder(prefix.length() + SNIPPET_CHARS + tokens * 8);
        int words = appendWords(sb, prefix, prefix.length(), tokens, 0);
        int noteWords = note == null ? 0 : Math.min(words(note), tokens - words);
        if (source != null) {
            words = appendWords(sb, source, Math.min(source.length(), SNIPPET_CHARS), tokens - noteWords, words);
        }
        if (noteWords > 0) {
            words = appendWords(sb, note, note.length(), words + noteWords, words);
        }
        int f = 0;
        while (words < tokens) {
            sb.append(' ').append(FILLER[f]);
            f = (f + 1) % FILLER.length;
            words++;
        }
        return sb.toString();
    }

    /** Appends the words of {@code text[0, limit)} while fewer than {@code max} words are in {@code sb}. */
    private static int appendWords(StringBuilder sb, String text, int limit, int max, int words) {
        int p = 0;
        while (words < max && p < limit) {
            while (p < limit && Character.isWhitespace(text.charAt(p))) {
                p++;
            }
            if (p >= limit) {
                break;
            }
            int start = p;
            while (p < limit && !Character.isWhitespace(text.charAt(p))) {
                p++;
            }
            if (words > 0) {
                sb.append(' ');
            }
            sb.append(text, start, p);
            words++;
        }
        return words;
    }

    /** {@code "(1 image)"}, {@code "(N images)"}, or null when there are none. */
    static String imageNote(int images) {
        if (images <= 0) {
            return null;
        }
        return images == 1 ? "(1 image)" : "(" + images + " images)";
    }

    /**
     * The images of a message: the size of an Ollama {@code images} array plus the OpenAI content parts of type
     * {@code image_url}.
     */
    static int images(JsonNode message) {
        int n = 0;
        JsonNode images = message.get("images");
        if (images != null && images.isArray()) {
            n += images.size();
        }
        JsonNode content = message.get("content");
        if (content != null && content.isArray()) {
            for (JsonNode part : content) {
                if ("image_url".equals(part.path("type").asText()) || part.has("image_url")) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * The words of {@code text}, each with the whitespace before it ({@code "a b  c"} → {@code "a", " b", "  c"}):
     * the streamed deltas of a text. Concatenated they give {@code text} exactly; there are {@link #words} of them
     * (whitespace at the end goes with the last word).
     */
    static List<String> pieces(String text) {
        List<String> out = new ArrayList<>(Math.max(4, text.length() / 5));
        int n = text.length();
        int p = 0;
        while (p < n) {
            int start = p;
            while (p < n && Character.isWhitespace(text.charAt(p))) {
                p++;
            }
            if (p == n) {
                if (out.isEmpty()) {
                    out.add(text.substring(start));
                } else {
                    out.set(out.size() - 1, out.get(out.size() - 1) + text.substring(start));
                }
                break;
            }
            while (p < n && !Character.isWhitespace(text.charAt(p))) {
                p++;
            }
            out.add(text.substring(start, p));
        }
        return out;
    }

    /** Number of whitespace-separated words. */
    static int words(CharSequence s) {
        if (s == null) {
            return 0;
        }
        int count = 0;
        boolean inWord = false;
        for (int i = 0, n = s.length(); i < n; i++) {
            boolean ws = Character.isWhitespace(s.charAt(i));
            if (!ws && !inWord) {
                count++;
            }
            inWord = !ws;
        }
        return count;
    }

    /**
     * The text of a message {@code content}: a string, or (OpenAI) an array of content parts whose
     * {@code text} fields are joined with a space. Anything else gives {@code ""}.
     */
    static String content(JsonNode content) {
        if (content == null || content.isNull() || content.isMissingNode()) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : content) {
                JsonNode text = part.isTextual() ? part : part.get("text");
                if (text != null && text.isTextual()) {
                    if (sb.length() > 0) {
                        sb.append(' ');
                    }
                    sb.append(text.textValue());
                }
            }
            return sb.toString();
        }
        return "";
    }

    /** A deterministic, unit-length, 8-dimensional embedding of {@code text}. */
    static float[] embedding(String text) {
        // 64-bit FNV-1a over the UTF-16 chars, then SplitMix64 for each component
        long h = fnv64(text);
        double[] v = new double[EMBEDDING_DIMENSIONS];
        double norm = 0;
        long state = h;
        for (int i = 0; i < EMBEDDING_DIMENSIONS; i++) {
            state += 0x9e3779b97f4a7c15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            z = z ^ (z >>> 31);
            double d = ((z >>> 11) * 0x1.0p-53) * 2.0 - 1.0; // [-1, 1)
            v[i] = d;
            norm += d * d;
        }
        norm = Math.sqrt(norm);
        float[] out = new float[EMBEDDING_DIMENSIONS];
        for (int i = 0; i < EMBEDDING_DIMENSIONS; i++) {
            out[i] = (float) (norm == 0 ? (i == 0 ? 1.0 : 0.0) : v[i] / norm);
        }
        return out;
    }

    /** 64-bit FNV-1a over the UTF-16 chars of {@code text}. */
    static long fnv64(String text) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0, n = text.length(); i < n; i++) {
            h ^= text.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }
}
