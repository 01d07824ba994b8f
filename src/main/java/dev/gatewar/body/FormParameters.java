package dev.gatewar.body;

import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses request parameters from the query string and a buffered form body, in that order (as the
 * Servlet specification merges them), so that the container never has to read the body stream.
 */
final class FormParameters {
    private FormParameters() {
    }

    static Map<String, String[]> parse(String query, byte[] formBody, Charset charset) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        if (query != null) {
            addAll(values, query, charset);
        }
        addAll(values, new String(formBody, charset), charset);
        Map<String, String[]> result = new LinkedHashMap<>();
        values.forEach((name, list) -> result.put(name, list.toArray(String[]::new)));
        return Collections.unmodifiableMap(result);
    }

    private static void addAll(Map<String, List<String>> values, String encoded, Charset charset) {
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = decode(equals >= 0 ? pair.substring(0, equals) : pair, charset);
            String value = equals >= 0 ? decode(pair.substring(equals + 1), charset) : "";
            values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
    }

    /** A malformed escape is kept literally rather than failing the request: the upstream judges it. */
    private static String decode(String text, Charset charset) {
        try {
            return URLDecoder.decode(text, charset);
        } catch (IllegalArgumentException e) {
            return text;
        }
    }
}
