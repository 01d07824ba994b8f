package dev.gatewar.observe;

import dev.gatewar.config.InitParamReader;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;

import java.util.List;

/**
 * How a component that is not a route (the JSON filter, the error page) reports the exchanges it ends
 * itself: with the web application's context-param settings and its {@link RouteMeters#NO_ROUTE}
 * meters. Opened in {@code init()}, closed in {@code destroy()}.
 */
public final class GatewayObserver implements AutoCloseable {
    private final ServletContext context;
    private final GatewayMetrics metrics;
    private final ExchangeRecorder recorder;

    private GatewayObserver(ServletContext context, GatewayMetrics metrics, ExchangeRecorder recorder) {
        this.context = context;
        this.metrics = metrics;
        this.recorder = recorder;
    }

    public static GatewayObserver open(ServletContext context) throws ServletException {
        InitParamReader params = ObservationSettings.contextParams(context);
        ObservationSettings settings = ObservationSettings.forContext(params);
        params.throwIfInvalid();
        GatewayMetrics metrics = settings.metrics() ? GatewayMetrics.acquire(context) : null;
        return new GatewayObserver(context, metrics,
                new ExchangeRecorder(RouteMeters.NO_ROUTE, settings, metrics == null ? null : metrics.noRoute(), List.of()));
    }

    public ExchangeRecorder recorder() {
        return recorder;
    }

    @Override
    public void close() {
        if (metrics != null) {
            metrics.release(context);
        }
    }
}
