package dev.llmqueue.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Deterministic tool calls. A chat request that offers {@code tools} asks for the tools whose names appear as
 * words in its last user message (one call each, in the order of their first appearance), unless a tool result
 * (a message with role {@code tool}) follows that user message. On {@code /v1}, {@code tool_choice} is honoured:
 * {@code "none"} calls nothing, {@code {type:"function", function:{name}}} calls that tool, {@code "required"}
 * calls the first offered tool when the message names none.
 *
 * <p>A name "appears as a word" when the characters around it are not letters, digits, {@code _} or {@code -}
 * (case-sensitive). The string arguments of a call take, one per string property in schema order, the words that
 * follow the tool's first appearance, up to the next appearance of an offered tool name, with punctuation trimmed
 * from their ends and {@link #STOP_WORDS} skipped.
 */
final class Tools {

    /** Words never taken as string arguments. */
    static final Set<String> STOP_WORDS = Set.of(
            "a", "an", "and", "about", "at", "by", "for", "from", "in", "into", "of", "on", "or", "please", "the",
            "to", "with");

    /** One requested call. {@code argumentsJson} is {@code arguments} as written on the wire (OpenAI). */
    record Call(String id, String name, ObjectNode arguments, String argumentsJson) {
    }

    /** Where an offered name appears in the text: {@code [start, end)}. */
    private record Occurrence(int start, int end, String name) {
    }

    private Tools() {
    }

    /**
     * The calls a chat request asks for, or an empty list.
     *
     * @param lastUser   the text of the last user message (null when there is none)
     * @param toolResult whether a tool message follows the last user message
     */
    static List<Call> calls(JsonNode req, String lastUser, boolean toolResult, boolean openAi) {
        JsonNode tools = req.get("tools");
        if (toolResult || tools == null || !tools.isArray() || tools.isEmpty()) {
            return List.of();
        }
        Map<String, JsonNode> offered = offered(tools);
        if (offered.isEmpty()) {
            return List.of();
        }
        String text = lastUser == null ? "" : lastUser;
        List<Occurrence> occurrences = new ArrayList<>();
        List<String> names = named(text, offered, occurrences);
        if (openAi) {
            JsonNode choice = req.get("tool_choice");
            if (choice != null && choice.isTextual() && choice.textValue().equals("none")) {
                return List.of();
            }
            JsonNode forced = choice == null ? null : choice.path("function").get("name");
            if (forced != null && forced.isTextual() && offered.containsKey(forced.textValue())) {
                names = List.of(forced.textValue());
            } else if (names.isEmpty() && choice != null && choice.isTextual()
                    && choice.textValue().equals("required")) {
                names = List.of(offered.keySet().iterator().next());
            }
        }
        if (names.isEmpty()) {
            return List.of();
        }
        String conversation = String.valueOf(req.get("messages"));
        List<Call> calls = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            ObjectNode arguments = Structured.toolArguments(offered.get(name), wordsAfter(text, name, occurrences));
            String json = Structured.write(arguments);
            String id = String.format(Locale.ROOT, "call_%016x",
                    Texts.fnv64(conversation + '\u0000' + i + '\u0000' + name));
            calls.add(new Call(id, name, arguments, json));
        }
        return calls;
    }

    /** Completion tokens of a tool-call answer: per call, one for the name plus the words of its arguments. */
    static int tokens(List<Call> calls) {
        int n = 0;
        for (Call c : calls) {
            n += 1 + Texts.words(c.argumentsJson());
        }
        return n;
    }

    /** The offered function tools, name → parameters schema (null when absent), in request order. */
    private static Map<String, JsonNode> offered(JsonNode tools) {
        Map<String, JsonNode> offered = new LinkedHashMap<>();
        for (JsonNode t : tools) {
            JsonNode function = t.get("function");
            if (function == null || !function.isObject()) {
                continue;
            }
            JsonNode name = function.get("name");
            if (name != null && name.isTextual() && !name.textValue().isEmpty()) {
                offered.putIfAbsent(name.textValue(), function.get("parameters"));
            }
        }
        return offered;
    }

    /**
     * The offered names that appear as words in {@code text}, in the order of their first appearance; adds every
     * appearance of every offered name to {@code occurrences}, sorted by position.
     */
    private static List<String> named(String text, Map<String, JsonNode> offered, List<Occurrence> occurrences) {
        for (String name : offered.keySet()) {
            for (int from = 0, at; (at = text.indexOf(name, from)) >= 0; from = at + 1) {
                int end = at + name.length();
                if ((at == 0 || !isNameChar(text.charAt(at - 1)))
                        && (end == text.length() || !isNameChar(text.charAt(end)))) {
                    occurrences.add(new Occurrence(at, end, name));
                }
            }
        }
        occurrences.sort((a, b) -> a.start() != b.start()
                ? Integer.compare(a.start(), b.start()) : Integer.compare(b.end(), a.end()));
        List<String> inOrder = new ArrayList<>();
        for (Occurrence o : occurrences) {
            if (!inOrder.contains(o.name())) {
                inOrder.add(o.name());
            }
        }
        return inOrder;
    }

    /**
     * The words after the first appearance of {@code name}, up to the next appearance of any offered name,
     * trimmed of punctuation at their ends, without stop words.
     */
    private static Deque<String> wordsAfter(String text, String name, List<Occurrence> occurrences) {
        Deque<String> words = new ArrayDeque<>();
        int start = -1;
        for (Occurrence o : occurrences) {
            if (o.name().equals(name)) {
                start = o.end();
                break;
            }
        }
        if (start < 0) {
            return words;
        }
        int end = text.length();
        for (Occurrence o : occurrences) {
            if (o.start() >= start) {
                end = o.start();
                break;
            }
        }
        for (String w : text.substring(start, end).split("\\s+")) {
            int a = 0;
            int b = w.length();
            while (a < b && !Character.isLetterOrDigit(w.charAt(a))) {
                a++;
            }
            while (b > a && !Character.isLetterOrDigit(w.charAt(b - 1))) {
                b--;
            }
            String word = w.substring(a, b);
            if (!word.isEmpty() && !STOP_WORDS.contains(word.toLowerCase(Locale.ROOT))) {
                words.add(word);
            }
        }
        return words;
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '-';
    }
}
