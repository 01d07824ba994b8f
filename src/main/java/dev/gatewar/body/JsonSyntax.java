package dev.gatewar.body;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;

/**
 * Whether a body is exactly one well-formed JSON value, without building it. The common, valid case
 * is settled by {@link StrictJsonScanner} at about half the cost of a Jackson tokenization; anything
 * it is not certain of is tokenized by Jackson, whose verdict and message (line, column) stand.
 */
public final class JsonSyntax {
    private static final StreamReadConstraints READ_LIMITS = JsonBody.MAPPER.getFactory().streamReadConstraints();

    private JsonSyntax() {
    }

    /** Returns normally for a well-formed body; otherwise throws Jackson's exception, which says where. */
    public static void check(byte[] body) throws JsonProcessingException {
        if (!StrictJsonScanner.certainlyWellFormed(body, READ_LIMITS)) {
            tokenize(body);
        }
    }

    /** The sentence the client gets for a malformed body. */
    public static String malformedMessage(JsonProcessingException e) {
        JsonLocation location = e.getLocation();
        String where = location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
        return "The request body is not valid JSON" + where + ": " + e.getOriginalMessage();
    }

    /** Jackson's verdict: exactly one JSON value, or the exception that says where it went wrong. */
    static void tokenize(byte[] body) throws JsonProcessingException {
        try (JsonParser parser = JsonBody.MAPPER.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new JsonParseException(parser, "No content: the body holds no JSON value");
            }
            parser.skipChildren();
            if (parser.nextToken() != null) {
                throw new JsonParseException(parser, "Trailing token (" + parser.currentToken()
                        + ") after the first JSON value");
            }
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            // A parser over a byte array does no I/O; only its JSON errors can happen.
            throw new IllegalStateException(e);
        }
    }
}
