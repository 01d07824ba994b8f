package dev.gatewar;

import dev.gatewar.observe.ObservationSettings;
import dev.gatewar.websocket.WebSocketSettings;
import dev.gatewar.proxy.RouteSettings;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's init-param tables and the example web.xml say what the code does. */
class DocumentationTest {
    /** name to default, from the Markdown table under {@code heading}. */
    private static Map<String, String> table(String heading) throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("### " + heading);
        assertTrue(start >= 0, "README has no section " + heading);
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : readme.substring(start).split("\n")) {
            if (line.startsWith("| `")) {
                String[] cells = line.split("\\|");
                rows.put(cells[1].trim().replace("`", ""), cells[2].trim().replace("`", ""));
            } else if (!rows.isEmpty() && !line.startsWith("|")) {
                break;
            }
        }
        return rows;
    }

    @Test
    void theServletTableListsEveryKnownParamWithTheCodesDefaults() throws Exception {
        Map<String, String> rows = table("PrefixProxyServlet init-params");
        assertEquals(RouteSettings.knownParams(), new TreeSet<>(rows.keySet()));
        assertEquals("(required)", rows.get(RouteSettings.UPSTREAM));
        assertEquals(Long.toString(RouteSettings.DEFAULT_CONNECT_TIMEOUT_MS), rows.get(RouteSettings.CONNECT_TIMEOUT));
        assertEquals(Long.toString(RouteSettings.DEFAULT_RESPONSE_TIMEOUT_MS), rows.get(RouteSettings.RESPONSE_TIMEOUT));
        assertEquals(Integer.toString(RouteSettings.DEFAULT_MAX_CONNECTIONS_PER_UPSTREAM), rows.get(RouteSettings.MAX_CONNECTIONS_PER_UPSTREAM));
        assertEquals("Jetty: the server's pool; elsewhere " + RouteSettings.DEFAULT_MAX_THREADS, rows.get(RouteSettings.MAX_THREADS));
        assertEquals(Boolean.toString(RouteSettings.DEFAULT_PRESERVE_HOST), rows.get(RouteSettings.PRESERVE_HOST));
        assertEquals(RouteSettings.DEFAULT_FORWARDED_HEADERS.paramValue(), rows.get(RouteSettings.FORWARDED_HEADERS));
        assertEquals(RouteSettings.DEFAULT_VIA_HOST, rows.get(RouteSettings.VIA_HOST));
        assertEquals(Integer.toString(RouteSettings.DEFAULT_RESPONSE_BUFFER_SIZE), rows.get(RouteSettings.RESPONSE_BUFFER_SIZE));
        assertEquals(Boolean.toString(ObservationSettings.DEFAULT_ACCESS_LOG), rows.get(ObservationSettings.ACCESS_LOG));
        assertEquals(Boolean.toString(ObservationSettings.DEFAULT_ACCESS_LOG_QUERY), rows.get(ObservationSettings.ACCESS_LOG_QUERY));
        assertEquals(Boolean.toString(ObservationSettings.DEFAULT_ACCESS_LOG_UPSTREAM_URL),
                rows.get(ObservationSettings.ACCESS_LOG_UPSTREAM_URL));
        assertEquals(Boolean.toString(ObservationSettings.DEFAULT_METRICS), rows.get(ObservationSettings.METRICS));
        assertEquals(Boolean.toString(ObservationSettings.DEFAULT_START_TRACE), rows.get(ObservationSettings.START_TRACE));
        assertEquals(Boolean.toString(WebSocketSettings.DEFAULT_ENABLED), rows.get(WebSocketSettings.WEBSOCKET));
        assertEquals(Long.toString(WebSocketSettings.DEFAULT_IDLE_TIMEOUT_MS), rows.get(WebSocketSettings.IDLE_TIMEOUT));
        assertEquals(Long.toString(WebSocketSettings.DEFAULT_MAX_MESSAGE_BYTES), rows.get(WebSocketSettings.MAX_MESSAGE_BYTES));
    }

    @Test
    void theMetricsAndContextTablesListTheCodesParamsAndDefaults() throws Exception {
        assertEquals(Map.of(MetricsServlet.ALLOW_FROM, MetricsServlet.DEFAULT_ALLOW_FROM), table("MetricsServlet init-params"));
        assertEquals(Map.of(ObservationSettings.CONTEXT_ACCESS_LOG, Boolean.toString(ObservationSettings.DEFAULT_ACCESS_LOG),
                ObservationSettings.CONTEXT_METRICS, Boolean.toString(ObservationSettings.DEFAULT_METRICS)), table("Context-params"));
    }

    @Test
    void theFilterTableListsEveryKnownParamWithTheCodesDefaults() throws Exception {
        Map<String, String> rows = table("JsonBodyFilter init-params");
        assertEquals(new TreeSet<>(JsonBodyFilter.KNOWN_PARAMS), new TreeSet<>(rows.keySet()));
        assertEquals(Integer.toString(JsonBodyFilter.DEFAULT_MAX_BODY_BYTES), rows.get(JsonBodyFilter.MAX_BODY_BYTES));
        assertEquals(JsonBodyFilter.DEFAULT_MALFORMED_JSON, rows.get(JsonBodyFilter.MALFORMED_JSON));
        assertEquals(Long.toString(JsonBodyFilter.DEFAULT_BODY_IDLE_TIMEOUT_MS), rows.get(JsonBodyFilter.BODY_IDLE_TIMEOUT));
    }

    @Test
    void theExampleWebXmlDocumentsEveryParam() throws Exception {
        String webXml = Files.readString(Path.of("webapp/WEB-INF/web.xml"));
        Set<String> all = new TreeSet<>(RouteSettings.knownParams());
        all.addAll(JsonBodyFilter.KNOWN_PARAMS);
        all.addAll(MetricsServlet.KNOWN_PARAMS);
        all.add(ObservationSettings.CONTEXT_ACCESS_LOG);
        all.add(ObservationSettings.CONTEXT_METRICS);
        for (String param : all) {
            assertTrue(webXml.contains(param), "web.xml does not mention " + param);
        }
    }

    /**
     * The example web.xml restates each param's default in its comments, as rows
     * {@code name [default] meaning}: those rows must be README's tables, name for name and default for
     * default, and every {@code <param-name>} it sets must be one README documents (and README's
     * tables are the code's known params, above).
     */
    @Test
    void theExampleWebXmlStatesTheReadmesDefaultsAndSetsOnlyDocumentedParams() throws Exception {
        String webXml = Files.readString(Path.of("webapp/WEB-INF/web.xml"));
        Map<String, String> readme = new TreeMap<>(table("PrefixProxyServlet init-params"));
        readme.putAll(table("JsonBodyFilter init-params"));
        readme.putAll(table("MetricsServlet init-params"));
        readme.putAll(table("Context-params"));
        Map<String, String> rows = new TreeMap<>();
        for (Matcher row = Pattern.compile("(?m)^[ \\t]+([\\w.]+)[ \\t]+\\[([^\\]\n]+)\\]").matcher(webXml); row.find(); ) {
            assertNull(rows.put(row.group(1), row.group(2)), "web.xml has two rows for " + row.group(1));
        }
        assertEquals(readme, rows, "web.xml's 'name [default]' rows against README's tables");
        for (Matcher set = Pattern.compile("<param-name>\\s*([^<\\s]+)\\s*</param-name>").matcher(webXml); set.find(); ) {
            assertTrue(readme.containsKey(set.group(1)), "web.xml sets " + set.group(1) + ", which README does not document");
        }
    }
}
