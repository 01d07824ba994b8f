package dev.gatewar;

import dev.gatewar.config.InitParamReader;
import dev.gatewar.exchange.Exchange;
import dev.gatewar.exchange.JsonErrorResponse;
import dev.gatewar.observe.AddressAllowList;
import dev.gatewar.observe.GatewayMetrics;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * Serves the web application's metrics in the Prometheus text format (or OpenMetrics, when the
 * scraper asks for it), to the client addresses {@code allowFrom} lists and no one else: 403 JSON
 * otherwise. The address is the one the container reports for the connection; a forwarded-for
 * header does not change it unless the operator configured the container to trust one.
 */
public class MetricsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    public static final String ALLOW_FROM = "allowFrom";
    public static final String DEFAULT_ALLOW_FROM = "127.0.0.0/8,::1";
    public static final Set<String> KNOWN_PARAMS = Set.of(ALLOW_FROM);

    private static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private transient AddressAllowList allowList;
    private transient GatewayMetrics metrics;

    @Override
    public void init(ServletConfig config) throws ServletException {
        InitParamReader params = new InitParamReader("servlet '" + config.getServletName() + "'", config::getInitParameter);
        params.rejectUnknown(Collections.list(config.getInitParameterNames()), KNOWN_PARAMS, Map.of());
        String allowFrom = params.raw(ALLOW_FROM);
        AddressAllowList parsed = null;
        try {
            parsed = AddressAllowList.parse(allowFrom == null ? DEFAULT_ALLOW_FROM : allowFrom);
        } catch (IllegalArgumentException e) {
            params.invalid(ALLOW_FROM, allowFrom, "IP addresses or CIDR ranges separated by commas (e.g. 127.0.0.1, 10.0.0.0/8, ::1): "
                    + e.getMessage());
        }
        params.throwIfInvalid();
        this.allowList = parsed;
        super.init(config);
        this.metrics = GatewayMetrics.acquire(config.getServletContext());
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!allowList.allows(request.getRemoteAddr())) {
            JsonErrorResponse.send(response, HttpServletResponse.SC_FORBIDDEN, "The metrics are not served to this address.",
                    Exchange.of(request), false);
            return;
        }
        String accept = request.getHeader("Accept");
        String contentType = accept != null && accept.contains("application/openmetrics-text") ? OPEN_METRICS : TEXT;
        ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
        metrics.scrape(body, contentType);
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(contentType);
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.size());
        if (!"HEAD".equals(request.getMethod())) {
            body.writeTo(response.getOutputStream());
        }
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        String method = request.getMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            doGet(request, response);
            return;
        }
        JsonErrorResponse.send(response, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "The metrics are read with GET.",
                Exchange.of(request), false, "GET, HEAD");
    }

    @Override
    public void destroy() {
        if (metrics != null) {
            metrics.release(getServletContext());
            metrics = null;
        }
        super.destroy();
    }
}
