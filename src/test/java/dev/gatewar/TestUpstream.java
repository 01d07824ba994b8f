package dev.gatewar;

import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP upstream on 127.0.0.1 that records what reached it. It accepts any URI (so the tests
 * see exactly what the gateway forwarded) and answers by path:
 * {@code /status/NNN} with that status, {@code /connection-listed} with fields named in
 * {@code Connection}, anything else 200 "ok".
 *
 * <p>A test class registers it as {@code @RegisterExtension static final TestUpstream upstream = new
 * TestUpstream();}. It starts before the class's {@code @BeforeAll} methods (which may read its
 * {@link #url()}) and stops after its {@code @AfterAll} ones; each test starts with nothing recorded,
 * and a test that passed fails if a request reached the upstream that it did not take with
 * {@link #next()}: what the upstream saw is what the test checked, nothing else.
 */
final class TestUpstream implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    /** One request as the upstream received it. */
    record Received(String method, String target, HttpFields headers, byte[] body) {
        String header(String name) {
            return headers.get(name);
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final Server server;
    private final ServerConnector connector;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();

    TestUpstream() {
        server = new Server();
        HttpConfiguration config = new HttpConfiguration();
        config.setUriCompliance(UriCompliance.UNSAFE);
        config.setHttpCompliance(HttpCompliance.RFC7230);
        connector = new ServerConnector(server, new HttpConnectionFactory(config));
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                byte[] body;
                try (InputStream in = Content.Source.asInputStream(request)) {
                    body = in.readAllBytes();
                }
                String target = request.getHttpURI().getPathQuery();
                received.add(new Received(request.getMethod(), target, HttpFields.build(request.getHeaders()).asImmutable(), body));
                String path = request.getHttpURI().getPath();
                if (path.startsWith("/status/")) {
                    response.setStatus(Integer.parseInt(path.substring("/status/".length())));
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                    Content.Sink.write(response, true, "upstream says " + response.getStatus(), callback);
                    return true;
                }
                if (path.equals("/redirect")) {
                    response.setStatus(302);
                    response.getHeaders().put(HttpHeader.LOCATION, url() + "/landed?x=1");
                    callback.succeeded();
                    return true;
                }
                if (path.equals("/connection-listed")) {
                    response.getHeaders().add(HttpHeader.CONNECTION, "X-Hop-Secret");
                    response.getHeaders().add("X-Hop-Secret", "must not reach the client");
                    response.getHeaders().add("X-End-To-End", "kept");
                }
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                Content.Sink.write(response, true, "ok", callback);
                return true;
            }
        });
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        server.start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        received.clear();
    }

    /**
     * The test's client has its answers by now, and the upstream records a request before it
     * answers: whatever reached it is in the queue.
     */
    @Override
    public void afterEach(ExtensionContext context) {
        List<Received> unchecked = new ArrayList<>();
        received.drainTo(unchecked);
        if (!unchecked.isEmpty() && context.getExecutionException().isEmpty()) {
            throw new AssertionError("the upstream received requests the test did not check: "
                    + unchecked.stream().map(r -> r.method() + " " + r.target()).toList());
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        server.stop();
    }

    String url() {
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    /** The next request that reached the upstream, waiting at most 10 s. */
    Received next() throws InterruptedException {
        Received r = received.poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no request reached the upstream within 10 s");
        }
        return r;
    }

    /** True when every request recorded was taken by {@link #next()}; call after the client got its answer. */
    boolean receivedNothing() {
        return received.isEmpty();
    }
}
