package dev.gatewar.websocket;

import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletRequestWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the Servlet API cannot do about a connection Jetty 12 (ee10) upgrades, done to Jetty's own
 * HTTP/1.1 connection, reached by reflection (a webapp cannot see Jetty's server classes). On other
 * containers nothing is done; if a field is not where Jetty 12.1 keeps it, nothing is changed and one
 * WARN line says so.
 *
 * <ul>
 *   <li>A Jetty bug (12.1.8, still in 12.1.14): a handshake without {@code Content-Length} (every
 *   browser's) has its end-of-request marked in Jetty's stream when its head is parsed, and
 *   {@code upgrade()} leaves the mark, so the upgraded input reads -1 before the client's first
 *   byte. A handshake with {@code Content-Length: 0} (the JDK's client sends one) is not marked, and
 *   works: clearing the mark puts every handshake in that state.</li>
 *   <li>Jetty keeps its connector's idle timeout (30 s by default) on the upgraded connection, and
 *   would cut a quiet WebSocket without a close frame long before the route's own idle timeout. The
 *   connection gets the route's timeout plus a margin instead, so that the tunnel's own timeout,
 *   which sends close frames, comes first. (Tomcat leaves an upgraded connection's timeouts to it.)</li>
 * </ul>
 */
final class JettyUpgrade {
    private static final Logger LOG = LoggerFactory.getLogger(JettyUpgrade.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    /** How much later than the tunnel's idle timeout Jetty's may cut the client's connection. */
    static final long IDLE_MARGIN_MS = 10_000;

    private JettyUpgrade() {
    }

    /** Prepares {@code request}'s connection for the upgrade, on Jetty; a no-op elsewhere. */
    static void prepare(ServletRequest request, long tunnelIdleTimeoutMs) {
        while (request instanceof ServletRequestWrapper wrapper) {
            request = wrapper.getRequest();
        }
        if (!request.getClass().getName().startsWith("org.eclipse.jetty.")) {
            return;
        }
        try {
            Object coreRequest = call(call(call(request, "getServletRequestInfo"), "getServletChannel"), "getRequest");
            Object connection = call(call(coreRequest, "getConnectionMetaData"), "getConnection");
            clearEndMark(connection);
            Object endPoint = call(connection, "getEndPoint");
            Method setIdleTimeout = endPoint.getClass().getMethod("setIdleTimeout", long.class);
            setIdleTimeout.setAccessible(true);
            setIdleTimeout.invoke(endPoint, tunnelIdleTimeoutMs + IDLE_MARGIN_MS);
        } catch (ReflectiveOperationException | RuntimeException e) {
            if (WARNED.compareAndSet(false, true)) {
                LOG.warn("this Jetty keeps its HTTP/1.1 connection otherwise: WebSocket handshakes without Content-Length"
                        + " may see their connection end at once, and quiet ones end at the connector's idle timeout ({})",
                        e.toString());
            }
        }
    }

    private static void clearEndMark(Object connection) throws ReflectiveOperationException {
        Object stream = ((AtomicReference<?>) field(connection, "_stream").get(connection)).get();
        Field chunk = field(stream, "_chunk");
        Object mark = chunk.get(stream);
        if (mark == null) {
            return;
        }
        // Only Jetty's end mark itself (Content.Chunk.EOF, a singleton) is cleared.
        Object endMark = Class.forName("org.eclipse.jetty.io.Content$Chunk", false, mark.getClass().getClassLoader())
                .getField("EOF").get(null);
        if (mark == endMark) {
            chunk.set(stream, null);
            LOG.debug("cleared the handshake's end-of-request mark before the upgrade");
        }
    }

    private static Object call(Object target, String name) throws ReflectiveOperationException {
        for (Class<?> type = target.getClass(); type != null; type = type.getSuperclass()) {
            for (Method method : type.getDeclaredMethods()) {
                if (method.getName().equals(name) && method.getParameterCount() == 0) {
                    method.setAccessible(true);
                    return method.invoke(target);
                }
            }
        }
        throw new NoSuchMethodException(target.getClass().getName() + "." + name + "()");
    }

    private static Field field(Object target, String name) throws NoSuchFieldException {
        for (Class<?> type = target.getClass(); type != null; type = type.getSuperclass()) {
            try {
                Field field = type.getDeclaredField(name);
                field.setAccessible(true);
                return field;
            } catch (NoSuchFieldException e) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException(target.getClass().getName() + "." + name);
    }
}
