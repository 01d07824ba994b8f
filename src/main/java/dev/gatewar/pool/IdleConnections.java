package dev.gatewar.pool;

import org.eclipse.jetty.client.Connection;
import org.eclipse.jetty.client.ConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Origin;

import java.net.URI;

/** Closes a client's pooled, idle connections to one upstream: after an ejection they may be half dead. */
public final class IdleConnections {
    private IdleConnections() {
    }

    public static void close(HttpClient client, URI upstream) {
        for (Destination destination : client.getDestinations()) {
            if (isTo(destination, upstream)) {
                ConnectionPool connections = destination.getConnectionPool();
                for (Connection idle = connections.acquire(false); idle != null; idle = connections.acquire(false)) {
                    connections.remove(idle);
                    idle.close();
                }
            }
        }
    }

    /** True when the client's {@code destination} is the one it uses for {@code upstream}. */
    public static boolean isTo(Destination destination, URI upstream) {
        int port = upstream.getPort() >= 0 ? upstream.getPort() : "https".equals(upstream.getScheme()) ? 443 : 80;
        Origin origin = destination.getOrigin();
        return origin.getScheme().equalsIgnoreCase(upstream.getScheme()) && origin.getAddress().getPort() == port
                && origin.getAddress().getHost().equalsIgnoreCase(upstream.getHost());
    }
}
