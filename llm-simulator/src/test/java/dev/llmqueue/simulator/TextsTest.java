package dev.llmqueue.simulator;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextsTest {

    @Test
    void answerHasExactlyTheRequestedNumberOfWords() {
        String longQuestion = "one two three four five six seven eight nine ten eleven twelve thirteen";
        for (int tokens = 0; tokens <= 30; tokens++) {
            assertEquals(tokens, Http.words(Texts.answer(longQuestion, tokens)), "tokens " + tokens);
            assertEquals(tokens, Texts.words(Texts.answer("", tokens)), "tokens " + tokens);
        }
    }

    @Test
    void answerQuotesTheFirst40CharactersOfTheQuestion() {
        String answer = Texts.answer("abcdefghij abcdefghij abcdefghij abcdefghij abcdefghij", 100);

        // 40 chars end inside the 4th word: "abcdefghij abcdefghij abcdefghij abcdefg"
        assertTrue(answer.startsWith("Simulated answer to: abcdefghij abcdefghij abcdefghij abcdefg lorem ipsum"),
                answer);
    }

    @Test
    void embeddingIsDeterministic() {
        assertArrayEquals(Texts.embedding("same"), Texts.embedding("same"));
    }

    @Test
    void aNoteComesAfterTheQuestionAndIsKeptWhenWordsRunShort() {
        assertEquals("Simulated answer to: a b (2 images) lorem", Texts.answer(Texts.PREFIX, "a b", "(2 images)", 8));
        assertEquals("Simulated answer to: a (2 images)", Texts.answer(Texts.PREFIX, "a b c", "(2 images)", 6));
        assertEquals("Simulated answer to: (2", Texts.answer(Texts.PREFIX, "a b c", "(2 images)", 4));
        for (int tokens = 0; tokens <= 20; tokens++) {
            assertEquals(tokens, Texts.words(Texts.answer("Other prefix:", "x y z", "(1 image)", tokens)));
        }
    }

    @Test
    void piecesKeepTheWhitespaceBeforeEachWordSoTheyConcatenateExactly() {
        assertEquals(java.util.List.of("Simulated", " answer", " to:", "  hi "), Texts.pieces("Simulated answer to:  hi "));
        assertEquals(java.util.List.of("{\"a\":", " \"New", " York\"}"), Texts.pieces("{\"a\": \"New York\"}"));
        assertEquals(java.util.List.of(), Texts.pieces(""));
        String answer = Texts.answer("a question with several words in it", 9);
        assertEquals(answer, String.join("", Texts.pieces(answer)));
        assertEquals(9, Texts.pieces(answer).size());
    }
}
