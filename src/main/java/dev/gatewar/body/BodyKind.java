package dev.gatewar.body;

import jakarta.servlet.http.HttpServletRequest;

import java.util.Locale;

/** Which request bodies the gateway buffers; every other body streams untouched. */
public enum BodyKind {
    /** {@code application/json} or {@code application/*+json}, any charset. */
    JSON,
    /** {@code application/x-www-form-urlencoded}: buffered so that parameter parsing cannot consume it. */
    FORM,
    /** Anything else, and any body with a {@code Content-Encoding}: streamed, never buffered. */
    OTHER;

    public static BodyKind of(HttpServletRequest request) {
        String encoding = request.getHeader("Content-Encoding");
        if (encoding != null && !encoding.isBlank() && !encoding.trim().equalsIgnoreCase("identity")) {
            return OTHER;
        }
        return ofContentType(request.getContentType());
    }

    static BodyKind ofContentType(String contentType) {
        if (contentType == null) {
            return OTHER;
        }
        int semicolon = contentType.indexOf(';');
        String mediaType = (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType).trim().toLowerCase(Locale.ROOT);
        if (mediaType.equals("application/json")
                || (mediaType.startsWith("application/") && mediaType.endsWith("+json") && mediaType.indexOf('/') == 11)) {
            return JSON;
        }
        if (mediaType.equals("application/x-www-form-urlencoded")) {
            return FORM;
        }
        return OTHER;
    }
}
