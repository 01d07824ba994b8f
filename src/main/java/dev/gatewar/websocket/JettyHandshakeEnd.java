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
 * Works around a Jetty 12 ee10 bug (seen in 12.1.8 and 12.1.14): a handshake without
 * {@code Content-Length} (every browser's) has its end-of-request marked in Jetty's HTTP/1.1 stream
 * when its head is parsed, and {@code HttpServletRequest.upgrade()} leaves that mark in place, so the
 * upgraded connection's input reads -1 before the first byte the client sends. A handshake with
 * {@code Content-Length: 0} (the JDK's client sends one) is not marked, and works.
 *
 * <p>Before the upgrade, the mark is taken off the stream, which then reads the connection's bytes
 * as Jetty's tunnel parser delivers them: the state a {@code Content-Length: 0} handshake is in.
 * Reached by reflection (a webapp cannot see Jetty's server classes), on Jetty only; if the fields
 * are not where 12.1 keeps them, nothing is changed and one WARN line says so.
 */
final class JettyHandshakeEnd {
    private static final Logger LOG = LoggerFactory.getLogger(JettyHandshakeEnd.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private JettyHandshakeEnd() {
    }

    /** Clears the end-of-request mark of {@code request}'s stream, on Jetty; a no-op elsewhere. */
    static void clear(ServletRequest request) {
        while (request instanceof ServletRequestWrapper wrapper) {
            request = wrapper.getRequest();
        }
        if (!request.getClass().getName().startsWith("org.eclipse.jetty.")) {
            return;
        }
        try {
            Object info = call(request, "getServletRequestInfo");
            Object coreRequest = call(call(info, "getServletChannel"), "getRequest");
            Object connection = call(call(coreRequest, "getConnectionMetaData"), "getConnection");
            Object stream = ((AtomicReference<?>) field(connection, "_stream").get(connection)).get();
            Field chunk = field(stream, "_chunk");
            Object mark = chunk.get(stream);
            // Only Jetty's end mark itself (Content.Chunk.EOF, a singleton) is cleared.
            Object endMark = mark == null ? null : Class.forName("org.eclipse.jetty.io.Content$Chunk", false,
                    mark.getClass().getClassLoader()).getField("EOF").get(null);
            if (mark != null && mark == endMark) {
                chunk.set(stream, null);
                LOG.debug("cleared the handshake's end-of-request mark before the upgrade");
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            if (WARNED.compareAndSet(false, true)) {
                LOG.warn("this Jetty keeps its HTTP/1.1 stream elsewhere: WebSocket handshakes without Content-Length"
                        + " may see their connection end at once ({})", e.toString());
            }
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
