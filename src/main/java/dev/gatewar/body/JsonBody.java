package dev.gatewar.body;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * A well-formed JSON body and its tree. The tree is built only when a filter first asks for it. The
 * upstream receives the client's bytes until a filter sets the tree (a new one, or the same one
 * after changing it); the value is serialised at that moment, so a value that cannot be written
 * fails the filter that set it, and the body's length is always known.
 */
public final class JsonBody implements BufferedBody {
    /** The request attribute under which later filters find the tree, and set it to change the body. */
    public static final String TREE_ATTRIBUTE = "dev.gatewar.json.body";

    static final ObjectMapper MAPPER = JsonMapper.builder()
            // Exact numbers, so that a replaced tree keeps 20-digit integers and 1.0 as written.
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            // Parse errors go to the client: no echo of its document inside them.
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();

    private final byte[] original;
    /** The serialised value a filter set; null while the client's bytes stand. */
    private byte[] replacement;
    /** What was handed to the proxy; fixed from then on. */
    private byte[] sent;

    /** @param original bytes that {@link JsonSyntax#check} accepted */
    public JsonBody(byte[] original) {
        this.original = original;
    }

    /** {@code names} with the tree attribute added: it is listed before it is built. */
    static Enumeration<String> withTreeListed(Enumeration<String> names) {
        List<String> listed = Collections.list(names);
        listed.add(TREE_ATTRIBUTE);
        return Collections.enumeration(listed);
    }

    /** The tree of the client's bytes, built anew on each call. */
    JsonNode parse() {
        try {
            return MAPPER.readTree(original);
        } catch (IOException e) {
            // JsonSyntax checked these very bytes before this body was made.
            throw new IllegalStateException("The request body no longer parses as JSON", e);
        }
    }

    /** From now on the upstream is to receive {@code value} serialised as JSON. */
    void replaceWith(Object value) {
        try {
            replacement = MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("The value of request attribute " + TREE_ATTRIBUTE
                    + " cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** From now on the upstream is to receive the client's bytes again. */
    void restoreOriginal() {
        replacement = null;
    }

    @Override
    public byte[] content() {
        if (sent == null) {
            sent = replacement != null ? replacement : original;
        }
        return sent;
    }

    @Override
    public boolean replaced() {
        return sent != null ? sent != original : replacement != null;
    }

    @Override
    public int length() {
        return sent != null ? sent.length : replacement != null ? replacement.length : original.length;
    }
}
