package dev.gatewar.body;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link StrictJsonScanner} must never say "well-formed" where Jackson would not, and must say it for
 * the ordinary documents it exists to speed up.
 */
class StrictJsonScannerTest {
    private static final StreamReadConstraints DEFAULTS = new JsonFactory().streamReadConstraints();

    private static final List<String> SEEDS = List.of(
            "{\"order\":\"A-1\",\"items\":[{\"id\":1,\"price\":7.01,\"qty\":-3,\"tags\":[\"a\",\"b\"],\"on\":true}],\"note\":null}",
            "[0, -0.5e+10, 1E-2, 123456789012345678901234567890, {\"\\u00e9\\n\\\"\": false}, [], {}]",
            "  {\r\n\t\"caf\u00e9 \u2603 \ud83d\ude00\" : \"\\/\\\\\\b\\f\\n\\r\\t\"  }  ");

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean scan(byte[] body) {
        return StrictJsonScanner.certainlyWellFormed(body, DEFAULTS);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{}", "[]", "0", "-0", "1.5", "-12e3", "2E+7", "3.25e-1", "\"\"", "\"x\"", "true", "false", "null",
        " [ 1 , 2 ] ", "{\"a\":{\"b\":[{\"c\":[]}]}}", "[\"\\ud800\"]", "{\"k\":\"\u00e9\u20ac\ud834\udd1e\"}",
        "[true,false,null]", "{\"a\":1,\"a\":2}"})
    void acceptsWellFormedDocumentsThatJacksonAccepts(String json) {
        assertTrue(scan(utf8(json)), json);
        assertDoesNotThrow(() -> JsonSyntax.tokenize(utf8(json)));
    }

    @Test
    void acceptsTheSeedsAndTheBenchmarkDocumentShape() {
        for (String seed : SEEDS) {
            assertTrue(scan(utf8(seed)), seed);
        }
        StringBuilder order = new StringBuilder("{\"items\":[");
        for (int i = 1; i <= 30; i++) {
            order.append(i > 1 ? "," : "").append("{\"id\":").append(i).append(",\"sku\":\"SKU-").append(i)
                    .append("\",\"price\":").append(i * 7).append(".01,\"tags\":[\"bench\",\"json\"],\"active\":true}");
        }
        assertTrue(scan(utf8(order.append("]}").toString())));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "   ", "{", "[1,]", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "[+1]", "[NaN]", "[Infinity]", "['a']",
        "{a:1}", "[1]/*c*/", "[\"a\tb\"]", "[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12G4\"]", "\"open", "[1] [2]",
        "[truex]", "[nul]", "[1 2]", "{\"a\" 1}", "{\"a\":}", "[-]", "[1e]", "[1e+]", "--1", "[}", "{]"})
    void leavesMalformedDocumentsToJackson(String json) {
        assertFalse(scan(utf8(json)), json);
        assertThrows(IOException.class, () -> JsonSyntax.tokenize(utf8(json)), json);
    }

    @Test
    void leavesToJacksonWhatItCannotBeSureOf() {
        // Jackson accepts these; the scanner only declines to decide, and Jackson then does.
        byte[] bom = utf8("\ufeff{\"a\":1}");
        byte[] overlong = {'[', '"', (byte) 0xC0, (byte) 0x80, '"', ']'};
        byte[] utf16 = "{\"a\":1}".getBytes(StandardCharsets.UTF_16BE);
        for (byte[] body : List.of(bom, overlong, utf16)) {
            assertFalse(scan(body));
            assertDoesNotThrow(() -> JsonSyntax.check(body));
        }
    }

    @Test
    void respectsJacksonsReadLimits() {
        StreamReadConstraints tight = StreamReadConstraints.builder()
                .maxNestingDepth(3).maxNumberLength(5).maxNameLength(4).maxStringLength(6).build();
        JsonFactory jackson = JsonFactory.builder().streamReadConstraints(tight).build();
        String within = "[[{\"abcd\":\"abcdef\",\"n\":12345}]]";
        assertTrue(StrictJsonScanner.certainlyWellFormed(utf8(within), tight));
        assertDoesNotThrow(() -> readAll(jackson, within));
        for (String over : List.of("[[[[1]]]]", "[123456]", "{\"abcde\":1}", "[\"abcdefg\"]")) {
            assertFalse(StrictJsonScanner.certainlyWellFormed(utf8(over), tight), over);
            assertThrows(IOException.class, () -> readAll(jackson, over), over);
        }
        StringBuilder deep = new StringBuilder();
        deep.append("[".repeat(DEFAULTS.getMaxNestingDepth() + 1)).append("]".repeat(DEFAULTS.getMaxNestingDepth() + 1));
        assertFalse(scan(utf8(deep.toString())));
        String fine = "[".repeat(200) + "]".repeat(200);
        assertTrue(scan(utf8(fine)));
    }

    private static void readAll(JsonFactory jackson, String json) throws IOException {
        try (JsonParser parser = jackson.createParser(utf8(json))) {
            while (parser.nextToken() != null) {
                if (parser.currentToken() == JsonToken.VALUE_STRING || parser.currentToken() == JsonToken.VALUE_NUMBER_INT) {
                    parser.getText(); // string and number lengths are checked when the value is read
                }
            }
        }
    }

    /** Random edits of valid documents: whenever the scanner says yes, Jackson must say yes too. */
    @Test
    void neverAcceptsWhatJacksonRejects() {
        byte[] alphabet = utf8("{}[],:\"\\/ \t\r\n0123456789-+.eEtrufalsnbx\u00e9");
        byte[] extra = {0x00, 0x1F, (byte) 0x80, (byte) 0xBF, (byte) 0xC0, (byte) 0xED, (byte) 0xF4, (byte) 0xF5, (byte) 0xFF};
        Random random = new Random(20261124L);
        int accepted = 0;
        int rejected = 0;
        for (int round = 0; round < 60_000; round++) {
            byte[] doc = utf8(SEEDS.get(round % SEEDS.size()));
            for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
                doc = edit(doc, random, alphabet, extra);
            }
            if (!scan(doc)) {
                rejected++;
                continue;
            }
            accepted++;
            byte[] accept = doc;
            assertDoesNotThrow(() -> JsonSyntax.tokenize(accept),
                    () -> "scanner accepted what Jackson rejects: " + new String(accept, StandardCharsets.ISO_8859_1));
        }
        // Both verdicts must have been exercised many times, or the test proves nothing.
        assertTrue(accepted > 2_000, "accepted " + accepted);
        assertTrue(rejected > 20_000, "rejected " + rejected);
    }

    private static byte[] edit(byte[] doc, Random random, byte[] alphabet, byte[] extra) {
        byte b = random.nextInt(8) == 0 ? extra[random.nextInt(extra.length)] : alphabet[random.nextInt(alphabet.length)];
        int at = random.nextInt(doc.length + 1);
        switch (random.nextInt(3)) {
            case 0: { // insert
                byte[] out = new byte[doc.length + 1];
                System.arraycopy(doc, 0, out, 0, at);
                out[at] = b;
                System.arraycopy(doc, at, out, at + 1, doc.length - at);
                return out;
            }
            case 1: { // delete
                if (at == doc.length) {
                    return doc;
                }
                byte[] out = new byte[doc.length - 1];
                System.arraycopy(doc, 0, out, 0, at);
                System.arraycopy(doc, at + 1, out, at, doc.length - at - 1);
                return out;
            }
            default: { // replace
                if (at == doc.length) {
                    return doc;
                }
                byte[] out = doc.clone();
                out[at] = b;
                return out;
            }
        }
    }
}
