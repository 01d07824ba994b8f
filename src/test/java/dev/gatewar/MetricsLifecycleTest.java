package dev.gatewar;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two gateways in one container, each with its own registry, and one of them redeployed: no
 * duplicate registration, the new deployment starts from zero, and nothing is left running once
 * both are gone.
 */
class MetricsLifecycleTest {
    @RegisterExtension
    static final TestUpstream upstream = new TestUpstream();

    private static ServletContextHandler gateway(String contextPath) {
        ServletContextHandler context = new ServletContextHandler(contextPath);
        ServletHolder route = new ServletHolder("svc", PrefixProxyServlet.class);
        route.setInitParameters(Map.of("upstream", upstream.url()));
        route.setInitOrder(1);
        route.setAsyncSupported(true);
        context.addServlet(route, "/svc/*");
        ServletHolder metrics = new ServletHolder("metrics", MetricsServlet.class);
        metrics.setInitOrder(1);
        context.addServlet(metrics, "/metrics");
        return context;
    }

    private static Set<String> threadNames() {
        Set<String> names = new TreeSet<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (isCounted(thread)) {
                names.add(thread.getName());
            }
        }
        return names;
    }

    /** Not the test upstream's pool (it lives on), nor the JDK's shared pools. */
    private static boolean isCounted(Thread thread) {
        return thread.isAlive() && !thread.getName().startsWith("upstream") && !thread.getName().startsWith("ForkJoinPool")
                && !thread.getName().startsWith("process reaper");
    }

    /** The threads not in {@code before}, once each has had up to 5 s to end (an executor's shutdown does not wait for it). */
    private static Set<String> threadsLeft(Set<String> before) throws InterruptedException {
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (isCounted(thread) && !before.contains(thread.getName())) {
                thread.join(5_000);
            }
        }
        Set<String> left = threadNames();
        left.removeAll(before);
        return left;
    }

    private static String stacks(Set<String> names) {
        StringBuilder out = new StringBuilder();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (names.contains(thread.getName())) {
                out.append(thread.getName()).append(java.util.Arrays.toString(stack)).append('\n');
            }
        });
        return out.toString();
    }

    private static PrometheusScrape scrape(int port, String contextPath) throws Exception {
        RawHttp.Reply reply = RawHttp.exchange(port, RawMessage.get(contextPath + "/metrics").connectionClose());
        assertEquals(200, reply.status(), reply.head());
        return PrometheusScrape.parse(reply.bodyText());
    }

    /** The scrape once the route's count reached {@code count} (at most 5 s later). */
    private static PrometheusScrape scrapeWhenServed(int port, String contextPath, double count) throws Exception {
        return PrometheusScrape.awaitScrape(port, contextPath + "/metrics", m -> served(m) >= count, 5_000);
    }

    private static double served(PrometheusScrape scrape) {
        return scrape.sum("http_server_request_duration_seconds_count", "route", "svc");
    }

    @Test
    void twoGatewaysKeepApartAndARedeployLeavesNothingBehind() throws Exception {
        // The upstream's own server starts its scheduler thread on its first connection: before the count.
        RawHttp.exchange(upstream.port(), RawMessage.get("/warm").connectionClose());
        upstream.next();
        Set<String> before = threadNames();
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        ServletContextHandler a = gateway("/a");
        ServletContextHandler b = gateway("/b");
        server.setHandler(new Handler.Sequence(a, b));
        server.start();
        try {
            int port = connector.getLocalPort();
            assertEquals(200, RawHttp.exchange(port, RawMessage.get("/a/svc/x").connectionClose()).status());
            upstream.next();
            assertEquals(1, served(scrapeWhenServed(port, "/a", 1)));
            assertEquals(0, served(scrape(port, "/b")), "each gateway counts its own requests");

            for (int redeploy = 0; redeploy < 3; redeploy++) {
                a.stop();
                a.start();
                assertEquals(0, served(scrape(port, "/a")), "a redeployed gateway starts from zero");
                assertEquals(200, RawHttp.exchange(port, RawMessage.get("/a/svc/y").connectionClose()).status());
                upstream.next();
                assertEquals(1, served(scrapeWhenServed(port, "/a", 1)));
            }
            assertEquals(0, served(scrape(port, "/b")));
        } finally {
            server.stop();
        }
        Set<String> left = threadsLeft(before);
        assertTrue(left.isEmpty(), () -> "threads left running: " + left + "\n" + stacks(left));
    }
}
