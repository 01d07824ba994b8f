// The "Jetty answering itself" contestant of bench/run: the container's own floor. It answers what
// the backend answers, from memory, with no proxying, so a proxy's CPU per request can be read as
// the container's share plus the proxying's. bench/run compiles it against the distribution's
// servlet API and deploys it as the WAR of its own Jetty base; it is not part of gatewar.
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

public class FloorServlet extends HttpServlet {
    private static final byte[] ACCEPTED = "{\"accepted\":true}\n".getBytes(StandardCharsets.US_ASCII);
    private Map<String, byte[]> files;

    @Override
    public void init() throws ServletException {
        Path dir = Path.of(getInitParameter("dir"));
        try {
            files = Map.of("/small.json", Files.readAllBytes(dir.resolve("small.json")),
                    "/1m.bin", Files.readAllBytes(dir.resolve("1m.bin")));
        } catch (IOException e) {
            throw new ServletException("FloorServlet: cannot read the bench's files in " + dir, e);
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo();
        byte[] body = path == null ? null : files.get(path);
        if (body == null) {
            response.sendError(404);
            return;
        }
        response.setContentType(path.endsWith(".json") ? "application/json" : "application/octet-stream");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if ("/answer".equals(request.getPathInfo())) {   // like nginx's "return 200": before the body
            response.setContentType("application/json");
            response.setContentLength(ACCEPTED.length);
            response.getOutputStream().write(ACCEPTED);
            return;
        }
        // /discard: like the backend's, the 204 leaves once the whole body has been read
        byte[] buffer = new byte[8192];
        try (InputStream in = request.getInputStream()) {
            while (in.read(buffer) >= 0) {
                // discard
            }
        }
        response.setStatus(204);
    }
}
