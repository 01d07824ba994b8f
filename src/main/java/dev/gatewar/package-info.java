/**
 * What an operator names in {@code web.xml}: the route servlet {@link dev.gatewar.PrefixProxyServlet},
 * the body filter {@link dev.gatewar.JsonBodyFilter}, the error page
 * {@link dev.gatewar.JsonErrorPageServlet} and the metrics endpoint {@link dev.gatewar.MetricsServlet}. They are thin: each hooks its container's life cycle and
 * hands the work to the packages below, which know nothing of these classes.
 *
 * <ul>
 *   <li>{@code dev.gatewar.config}: init-params read and validated once, every problem in one message;</li>
 *   <li>{@code dev.gatewar.body}: request bodies read into memory and replayed (JSON, forms);</li>
 *   <li>{@code dev.gatewar.exchange}: one request's state, its id and the gateway's JSON errors;</li>
 *   <li>{@code dev.gatewar.proxy}: a route's settings, its upstream URL and how failures are answered;</li>
 *   <li>{@code dev.gatewar.pool}: a route's upstreams, their health, and whether a request may be retried;</li>
 *   <li>{@code dev.gatewar.observe}: the access log, the metrics and the trace context of every exchange.</li>
 * </ul>
 *
 * Only the classes of this package and the attribute name {@code dev.gatewar.json.body} are meant for
 * operators; the other packages are public only so that this one can use them.
 */
package dev.gatewar;
