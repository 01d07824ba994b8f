package dev.gatewar.observe;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.ServletContext;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The web application's one metrics registry, shared by its routes, its filter, its error page and
 * the servlet that serves it. Each of them acquires it in {@code init()} and releases it in
 * {@code destroy()}; the last release closes it, with the JVM binders that hold listeners on the
 * platform's beans, so that an undeployed WAR leaves nothing registered behind. Several WARs in one
 * container each get their own registry (their own class loader, their own context).
 */
public final class GatewayMetrics {
    private static final String ATTRIBUTE = GatewayMetrics.class.getName();

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics;
    private RouteMeters noRoute;
    private int users;

    private GatewayMetrics() {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.gcMetrics = new JvmGcMetrics();
        for (MeterBinder binder : new MeterBinder[] {new JvmMemoryMetrics(), gcMetrics, new JvmThreadMetrics(),
                new ClassLoaderMetrics(), new ProcessorMetrics(), new UptimeMetrics(), new FileDescriptorMetrics()}) {
            binder.bindTo(registry);
        }
    }

    /** The context's registry, created on first use. Pair every call with {@link #release}. */
    public static GatewayMetrics acquire(ServletContext context) {
        synchronized (GatewayMetrics.class) {
            GatewayMetrics metrics = (GatewayMetrics) context.getAttribute(ATTRIBUTE);
            if (metrics == null) {
                metrics = new GatewayMetrics();
                context.setAttribute(ATTRIBUTE, metrics);
            }
            metrics.users++;
            return metrics;
        }
    }

    /** Gives up one use; the last one closes the registry. */
    public void release(ServletContext context) {
        synchronized (GatewayMetrics.class) {
            if (--users > 0) {
                return;
            }
            context.removeAttribute(ATTRIBUTE);
            gcMetrics.close();
            registry.close();
        }
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The meters of exchanges the gateway answered before or without a route, shared by the filter and the error page. */
    public synchronized RouteMeters noRoute() {
        if (noRoute == null) {
            noRoute = new RouteMeters(registry, RouteMeters.NO_ROUTE, 0, null);
        }
        return noRoute;
    }

    /** Removes meters a component registered, when it goes away before the registry does. */
    public void remove(Iterable<Meter> meters) {
        for (Meter meter : meters) {
            registry.remove(meter);
        }
    }

    /** Writes every meter in the format {@code contentType} names (the Prometheus text format when it names none it knows). */
    public void scrape(OutputStream out, String contentType) throws IOException {
        registry.scrape(out, contentType);
    }
}
