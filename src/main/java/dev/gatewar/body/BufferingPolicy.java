package dev.gatewar.body;

import com.fasterxml.jackson.core.JsonProcessingException;
import jakarta.servlet.http.HttpServletRequest;

/**
 * How {@code JsonBodyFilter} treats the bodies it buffers: how large they may be, what becomes of
 * malformed JSON, and how long a body may pause while it arrives.
 *
 * @param maxBodyBytes    the largest body held in memory
 * @param rejectMalformed malformed JSON is refused (400) rather than passed on unparsed
 * @param idleTimeoutMs   how long a body that has not fully arrived may send nothing
 */
public record BufferingPolicy(int maxBodyBytes, boolean rejectMalformed, long idleTimeoutMs) {

    /** The refusal of a body over {@link #maxBodyBytes}. */
    public BodyVerdict.Refused tooLarge() {
        return new BodyVerdict.Refused(413, "The request body is larger than the gateway accepts for this content type ("
                + maxBodyBytes + " bytes).", true);
    }

    /** The verdict on a body of {@code kind} that arrived whole as {@code body}. */
    public BodyVerdict judge(HttpServletRequest request, BodyKind kind, byte[] body) {
        if (kind == BodyKind.FORM) {
            return new BodyVerdict.Accepted(new FormBodyRequest(request, body));
        }
        if (body.length == 0) {
            return new BodyVerdict.Accepted(new BufferedBodyRequest(request, new ExactBody(body)));
        }
        try {
            JsonSyntax.check(body);
            return new BodyVerdict.Accepted(new JsonBodyRequest(request, new JsonBody(body)));
        } catch (JsonProcessingException e) {
            if (rejectMalformed) {
                return new BodyVerdict.Refused(400, JsonSyntax.malformedMessage(e), false);
            }
            return new BodyVerdict.Accepted(new BufferedBodyRequest(request, new ExactBody(body)));
        }
    }
}
