package dev.gatewar.body;

import jakarta.servlet.http.HttpServletRequest;

import java.util.Collections;
import java.util.Enumeration;
import java.util.Map;

/**
 * A request with a buffered {@code application/x-www-form-urlencoded} body: its parameters come from
 * the query and that buffer, so a filter calling {@code getParameter()} never makes the container
 * consume the stream the upstream must still receive.
 */
public final class FormBodyRequest extends BufferedBodyRequest {
    private Map<String, String[]> parameters;

    public FormBodyRequest(HttpServletRequest request, byte[] form) {
        super(request, new ExactBody(form));
    }

    private Map<String, String[]> parameters() {
        if (parameters == null) {
            parameters = FormParameters.parse(getQueryString(), body().content(), charset());
        }
        return parameters;
    }

    @Override
    public String getParameter(String name) {
        String[] values = parameters().get(name);
        return values == null ? null : values[0];
    }

    @Override
    public Map<String, String[]> getParameterMap() {
        return parameters();
    }

    @Override
    public Enumeration<String> getParameterNames() {
        return Collections.enumeration(parameters().keySet());
    }

    @Override
    public String[] getParameterValues(String name) {
        String[] values = parameters().get(name);
        return values == null ? null : values.clone();
    }
}
