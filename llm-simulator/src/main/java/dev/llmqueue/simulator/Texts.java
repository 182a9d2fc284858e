package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;

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
        if (tokens <= 0) {
            return "";
        }
        StringBuilder sb = new StringBuilder(PREFIX.length() + SNIPPET_CHARS + tokens * 8);
        int words = 0;
        // the prefix, word by word (it may be cut when tokens < 3)
        int i = 0;
        int n = PREFIX.length();
        while (words < tokens && i < n) {
            int end = PREFIX.indexOf(' ', i);
            if (end < 0) {
                end = n;
            }
            if (words > 0) {
                sb.append(' ');
            }
            sb.append(PREFIX, i, end);
            words++;
            i = end + 1;
        }
        // words of the first 40 chars of the source
        if (source != null) {
            int limit = Math.min(source.length(), SNIPPET_CHARS);
            int p = 0;
            while (words < tokens && p < limit) {
                while (p < limit && Character.isWhitespace(source.charAt(p))) {
                    p++;
                }
                if (p >= limit) {
                    break;
                }
                int start = p;
                while (p < limit && !Character.isWhitespace(source.charAt(p))) {
                    p++;
                }
                sb.append(' ').append(source, start, p);
                words++;
            }
        }
        // filler
        int f = 0;
        while (words < tokens) {
            sb.append(' ').append(FILLER[f]);
            f = (f + 1) % FILLER.length;
            words++;
        }
        return sb.toString();
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
        long h = 0xcbf29ce484222325L;
        for (int i = 0, n = text.length(); i < n; i++) {
            h ^= text.charAt(i);
            h *= 0x100000001b3L;
        }
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
}
