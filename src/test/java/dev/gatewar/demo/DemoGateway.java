package dev.gatewar.demo;

import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs the gateway from the working tree on embedded Jetty 12: the {@code webapp/} directory with a
 * {@code web.xml} (the shipped example unless another is named), on 127.0.0.1.
 *
 * <p>{@code mvn -q test-compile exec:java} starts it on port 8080 with the two demo upstreams the
 * example {@code web.xml} points at (127.0.0.1:9101 and :9102). System properties:
 * {@code gatewar.port} (8080), {@code gatewar.webXml} (webapp/WEB-INF/web.xml),
 * {@code gatewar.demoUpstreams} (true).
 */
public final class DemoGateway implements AutoCloseable {
    private final Server server;
    private final ServerConnector connector;

    public DemoGateway(Path webXml, int port) throws Exception {
        server = new Server();
        connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        WebAppContext webapp = new WebAppContext();
        webapp.setContextPath("/");
        webapp.setBaseResourceAsPath(Path.of("webapp").toAbsolutePath());
        webapp.setDescriptor(webXml.toAbsolutePath().toString());
        // The classes come from Maven's class path here, not from a WEB-INF/lib.
        webapp.setClassLoader(DemoGateway.class.getClassLoader());
        webapp.setThrowUnavailableOnStartupException(true);
        server.setHandler(webapp);
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            throw e;
        }
    }

    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.getInteger("gatewar.port", 8080);
        Path webXml = Path.of(System.getProperty("gatewar.webXml", "webapp/WEB-INF/web.xml"));
        if (!Files.isRegularFile(webXml)) {
            throw new IllegalArgumentException("no web.xml at " + webXml.toAbsolutePath());
        }
        if (Boolean.parseBoolean(System.getProperty("gatewar.demoUpstreams", "true"))) {
            new DemoUpstream("A", 9101);
            new DemoUpstream("B", 9102);
            System.out.println("demo upstreams: A on http://127.0.0.1:9101, B on http://127.0.0.1:9102");
        }
        DemoGateway gateway = new DemoGateway(webXml, port);
        System.out.println("gatewar: http://127.0.0.1:" + gateway.port() + "/ with " + webXml + " (Ctrl-C stops it)");
        gateway.server.join();
    }
}
