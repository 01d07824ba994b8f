package dev.gatewar.proxy;

import dev.gatewar.observe.RouteMeters;
import dev.gatewar.pool.IdleConnections;
import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.ConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;

import java.net.URI;
import java.util.List;

/** A route's pooled upstream connections, counted from its client's destinations when the metrics are scraped. */
public final class UpstreamConnectionCounts implements RouteMeters.UpstreamConnections {
    private final HttpClient client;
    private final List<URI> upstreams;

    public UpstreamConnectionCounts(HttpClient client, List<URI> upstreams) {
        this.client = client;
        this.upstreams = List.copyOf(upstreams);
    }

    @Override
    public double active(int upstream) {
        AbstractConnectionPool pool = poolOf(upstream);
        return pool == null ? 0 : pool.getActiveConnectionCount();
    }

    @Override
    public double idle(int upstream) {
        AbstractConnectionPool pool = poolOf(upstream);
        return pool == null ? 0 : pool.getIdleConnectionCount();
    }

    private AbstractConnectionPool poolOf(int upstream) {
        for (Destination destination : client.getDestinations()) {
            if (IdleConnections.isTo(destination, upstreams.get(upstream))) {
                ConnectionPool pool = destination.getConnectionPool();
                return pool instanceof AbstractConnectionPool counted ? counted : null;
            }
        }
        return null;
    }
}
