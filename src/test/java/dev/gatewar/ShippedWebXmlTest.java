package dev.gatewar;

import dev.gatewar.demo.DemoGateway;
import org.eclipse.jetty.toolchain.test.jupiter.WorkDir;
import org.eclipse.jetty.toolchain.test.jupiter.WorkDirExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example {@code webapp/WEB-INF/web.xml} that users copy, deployed as a web application on
 * embedded Jetty: only its two upstream addresses are pointed at this test's upstreams.
 */
@ExtendWith(WorkDirExtension.class)
class ShippedWebXmlTest {
    private static final Path SHIPPED = Path.of("webapp/WEB-INF/web.xml");

    @RegisterExtension
    static final TestUpstream upstreamA = new TestUpstream();
    @RegisterExtension
    static final TestUpstream upstreamB = new TestUpstream();

    public WorkDir workDir;

    private Path shippedWithUpstreams(String a, String b) throws Exception {
        String xml = Files.readString(SHIPPED, StandardCharsets.UTF_8);
        assertTrue(xml.contains("http://127.0.0.1:9101<") && xml.contains("http://127.0.0.1:9102/v1<"), "the example routes changed");
        Path copy = workDir.getEmptyPathDir().resolve("web.xml");
        Files.writeString(copy, xml.replace("http://127.0.0.1:9101<", a + "<").replace("http://127.0.0.1:9102/v1<", b + "/v1<"));
        return copy;
    }

    @Test
    void routesBothExampleServicesAndAnswersUnknownPathsWithJson() throws Exception {
        try (DemoGateway gateway = new DemoGateway(shippedWithUpstreams(upstreamA.url(), upstreamB.url()), 0)) {
            RawHttp.Reply toA = RawHttp.exchange(gateway.port(), RawMessage.get("/serviceA/users/7?x=1").connectionClose());
            assertEquals(200, toA.status());
            assertEquals("/users/7?x=1", upstreamA.next().target());

            String json = "{\"n\": 12345678901234567890}";
            RawHttp.Reply toB = RawHttp.exchange(gateway.port(),
                    RawMessage.post("/serviceB/orders", "application/json", json).connectionClose());
            assertEquals(200, toB.status());
            TestUpstream.Received received = upstreamB.next();
            assertEquals("/v1/orders", received.target());
            assertEquals(json, received.bodyText());

            RawHttp.Reply unknown = RawHttp.exchange(gateway.port(), RawMessage.get("/elsewhere").connectionClose());
            assertEquals(404, unknown.status());
            assertTrue(unknown.header("Content-Type").startsWith("application/json"), unknown.head());
        }
    }

    @Test
    void aBadValueInTheShippedFileFailsTheDeployment() throws Exception {
        Path broken = workDir.getEmptyPathDir().resolve("web.xml");
        Files.writeString(broken, Files.readString(SHIPPED).replace("<param-value>5000</param-value>", "<param-value>5 s</param-value>"));
        Exception failure = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> new DemoGateway(broken, 0).close());
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertTrue(messages.toString().contains("gatewar: servlet 'serviceA' is misconfigured: init-param 'connectTimeout' "
                + "has the invalid value '5 s': expected a whole number of milliseconds greater than 0"), messages.toString());
    }
}
