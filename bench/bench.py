#!/usr/bin/env python3
"""Helper of bench/run (Python 3 standard library only).

  bench.py json-body BYTES FILE           write a JSON document of exactly BYTES bytes to FILE
  bench.py gc-peak GCLOG FROM_LINE        "PEAK_MIB LIVE_MIB GC_COUNT" of the -Xlog:gc lines after
                                          line FROM_LINE (see gc_peak)
  bench.py h2load-summary OUTPUT LOG        one JSON summary of an h2load run, with wrk.lua's keys, from
                                          its output and its --log-file (see h2load_summary)
  bench.py render RESULTS META [README]   print the results (JSON lines) as Markdown; with README,
                                          also replace the text between its results markers
"""
import json
import re
import sys

MARK_START, MARK_END = "<!-- results:start -->", "<!-- results:end -->"

CONTESTANTS = {
    "direct": "direct to the backend",
    "nginx": "nginx reverse proxy",
    "jetty-floor": "Jetty answering itself (no proxying)",
    "tomcat-floor": "Tomcat answering itself (no proxying)",
    "jetty-proxy": "Jetty `ProxyServlet$Transparent`",
    "jetty-async-proxy": "Jetty `AsyncProxyServlet$Transparent`",
    "gatewar-jetty": "gatewar on Jetty",
    "gatewar-jetty-nofilter": "gatewar on Jetty, no JsonBodyFilter",
    "gatewar-tomcat": "gatewar on Tomcat",
}
SCENARIOS = {
    "small": "small GET: `/small.json` ({small_bytes} B)",
    "small-pool": ("3-upstream small GET: `/p/small.json` ({small_bytes} B), round-robin over the backend's ports "
                   "{pool} (nginx: an `upstream` of three servers; gatewar on Jetty: route `/p`, no "
                   "`JsonBodyFilter`); *vs direct*: against the direct small GET"),
    "1m": "1 MiB GET: `/1m.bin`",
    "post": "4 KiB JSON POST: `/discard` ({post_bytes} B, `application/json`), answered once the backend has read it",
    "post-answer": ("4 KiB JSON POST to a backend that answers at once: `/answer` ({post_bytes} B, "
                    "`application/json`; nginx's `return 200` before it reads the body)"),
    "small-rate": ("small GET at a fixed rate: `/small.json` at {rate_total} req/s (h2load, HTTP/1.1, "
                   "{rate_per_client} req/s on each connection), every contestant below its maximum"),
}


def json_body(size, path):
    """An order-like document (objects, strings, numbers, booleans), padded to exactly `size` bytes."""
    items, length, i = [], 0, 0
    while True:
        i += 1
        item = ('{"id":%d,"sku":"SKU-%06d","name":"Item number %d","price":%d.%02d,"qty":%d,'
                '"tags":["bench","json"],"active":%s}'
                % (i, i, i, i * 7 % 1000, i % 100, i % 13, "true" if i % 2 else "false"))
        if length + len(item) + 1 + 64 > size:
            break
        items.append(item)
        length += len(item) + 1
    head = '{"order":"bench-%d","items":[%s],"note":"' % (size, ",".join(items))
    tail = '"}'
    text = head + "x" * (size - len(head) - len(tail)) + tail
    json.loads(text)
    assert len(text.encode()) == size, len(text)
    with open(path, "w") as f:
        f.write(text)


GC_LINE = re.compile(r"\bGC\(\d+\) .* (\d+)([KMG])->(\d+)([KMG])\((\d+)([KMG])\)")


def gc_peak(path, from_line):
    """Heap used just before each collection after line `from_line` (the last of them is the forced
    one that ends the window, so the heap at the end counts too): its maximum is the peak; the
    largest heap left after a collection is what the JVM still held; collections other than the
    forced ones are counted."""
    unit = {"K": 1 / 1024, "M": 1, "G": 1024}
    peak, live, count = 0.0, 0.0, 0
    with open(path, errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = GC_LINE.search(line)
            if n > from_line and m:
                count += "(Diagnostic Command)" not in line
                peak = max(peak, int(m.group(1)) * unit[m.group(2)])
                live = max(live, int(m.group(3)) * unit[m.group(4)])
    print("%d %d %d" % (round(peak), round(live), count))


H2LOAD_FINISHED = re.compile(r"^finished in ([0-9.]+)(ms|s),")


def h2load_summary(output_path, log_path):
    """wrk.lua's summary keys for an h2load run: requests = responses (any status), duration from its
    "finished in" line, errors_read = streams that failed (status -1 in the log), errors_status =
    statuses of 400 or more (as wrk counts them), p50/p99 from the per-request latencies of the log.
    A status of 0 is a complete response whose status h2load did not record: its HTTP/1.1 parser
    reports the status with the reason phrase, and Tomcat sends none ("HTTP/1.1 200 "), so h2load
    calls every Tomcat response "failed" while counting its bytes; it is counted as a response here."""
    duration_us = None
    with open(output_path, errors="replace") as f:
        for line in f:
            m = H2LOAD_FINISHED.match(line)
            if m:
                duration_us = float(m.group(1)) * (1000 if m.group(2) == "ms" else 1e6)
    if duration_us is None:
        sys.exit("bench.py: no 'finished in' line in %s" % output_path)
    latencies, failed, bad_status = [], 0, 0
    with open(log_path) as f:
        for line in f:
            cols = line.split("\t")
            if len(cols) < 3:
                continue
            status = int(cols[1])
            if status < 0:
                failed += 1
                continue
            bad_status += status >= 400
            latencies.append(int(cols[2]))
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] if latencies else 0
    print(json.dumps({"requests": len(latencies), "duration_us": int(duration_us), "bytes": 0,
                      "errors_connect": 0, "errors_read": failed, "errors_write": 0, "errors_timeout": 0,
                      "errors_status": bad_status, "p50_us": pct(50), "p99_us": pct(99)}))


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            if key:
                meta[key] = value
    return meta


def fmt(value, digits=0, empty="–"):
    if value is None:
        return empty
    return "{:,.{}f}".format(value, digits)


def render(results_path, meta_path):
    meta = read_meta(meta_path)
    rows = [json.loads(line) for line in open(results_path) if line.strip()]
    load = [r for r in rows if r["type"] == "load"]
    big = [r for r in rows if r["type"] == "big"]
    out = []
    if meta.get("warmup", "0") == "0":
        warmup = "no warm-up"
    elif int(meta.get("warmup", "0")) < 10:
        warmup = "after %s s of warm-up under the same load" % meta.get("warmup")
    else:
        warmup = ("after a warm-up under the same load (%s to %s s, until the rate and the JIT settle: column "
                  "\"warm-up s\")" % (meta.get("warmup"), meta.get("warmup_max")))
    out.append("Run of %s (`%s`): %s s measured per cell, %s; %s."
               % (meta.get("date", "?"), meta.get("mode", "?"), meta.get("duration", "?"), warmup,
                  meta.get("pinning", "?")))
    out.append("")
    out.append("- machine: %s CPUs (%s), %s memory, Linux %s"
               % (meta.get("nproc"), meta.get("cpu"), meta.get("memory"), meta.get("kernel")))
    out.append("- versions: gatewar %s; %s; Jetty %s; Tomcat %s; nginx %s; wrk %s; curl %s"
               % (meta.get("gatewar"), meta.get("java"), meta.get("jetty"), meta.get("tomcat"),
                  meta.get("nginx"), meta.get("wrk"), meta.get("curl")))
    out.append("- JVMs: %s" % meta.get("jvm_options"))
    for scenario, title in SCENARIOS.items():
        cells = [r for r in load if r["scenario"] == scenario]
        if not cells:
            continue
        # the 3-upstream route serves the same file: its baseline is the direct small GET
        base = [r for r in load if r["scenario"] == ("small" if scenario == "small-pool" else scenario)]
        direct = next((r for r in base if r["contestant"] == "direct"), None)
        direct_rps = direct and rps(direct)
        out.append("")
        out.append("**%s, %d connections**" % (title.format(**dict({"pool": "?", "rate_total": "?", "rate_per_client": "?"}, **meta)),
                                                cells[0]["connections"]))
        out.append("")
        out.append("| contestant | req/s | vs direct | p50 ms | p99 ms | proxy CPU ms / 1k req "
                   "| backend CPU ms / 1k req | backend conns / 1k req | proxy peak RSS MiB | errors | warm-up s |")
        out.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for r in cells:
            w = r["wrk"]
            n = w["requests"]
            per_k = lambda ms: None if ms is None or n == 0 else ms * 1000.0 / n
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                CONTESTANTS.get(r["contestant"], r["contestant"]),
                fmt(rps(r)),
                "%.2f" % (rps(r) / direct_rps) if direct_rps else "–",
                fmt(w["p50_us"] / 1000, 2), fmt(w["p99_us"] / 1000, 2),
                fmt(per_k(r["proxy_cpu_ms"]), 1), fmt(per_k(r["backend_cpu_ms"]), 1),
                fmt(per_k(r.get("backend_accepts")), 2),
                fmt(r["proxy_hwm_kb"] and r["proxy_hwm_kb"] / 1024),
                errors(w), r.get("warmup_s", "–")))
        if scenario == "small-pool":
            out.extend(pool_summary(load))
    paired = [r for r in rows if r["type"] == "paired"]
    if paired:
        out.extend(render_paired(paired))
    if meta.get("mode") == "full":   # a smoke run's figures are not measurements
        out.extend(render_targets(load, paired, big))
    if big:
        out.append("")
        out.append("**%s MiB transfers**, one curl each, bytes counted (the upload's also in the backend's "
                   "log); the JVMs restarted with %s. From the JVM's `-Xlog:gc` log, between a forced "
                   "full GC (`jcmd GC.run`) before the transfer and one after it: peak heap = most heap "
                   "in use before a collection, live = most left after one, GCs = collections during "
                   "the transfer." % (meta.get("big_mib"), meta.get("big_heap")))
        out.append("")
        out.append("| contestant | transfer | result | s | MiB/s | proxy CPU ms | peak heap MiB | live MiB "
                   "| GCs | proxy peak RSS MiB |")
        out.append("|---|---|---|--:|--:|--:|--:|--:|--:|--:|")
        for r in big:
            secs = r["seconds"]
            out.append("| %s | %s | %s | %.2f | %s | %s | %s | %s | %s | %s |" % (
                CONTESTANTS.get(r["contestant"], r["contestant"]), r["direction"], r["check"], secs,
                fmt(r["bytes"] / 1048576 / secs if secs > 0 else None), fmt(r["proxy_cpu_ms"]),
                fmt(r["peak_heap_mib"]), fmt(r["live_heap_mib"]), fmt(r["gcs"]),
                fmt(r["proxy_hwm_kb"] and r["proxy_hwm_kb"] / 1024)))
    return "\n".join(out) + "\n"


def cpu_per_k(r):
    n = r["wrk"]["requests"]
    return None if n == 0 or r["proxy_cpu_ms"] is None else r["proxy_cpu_ms"] * 1000.0 / n


def cell_cpu_per_k(load, contestant, scenario):
    """Proxy CPU ms per 1k requests of one cell of the run; None when the run has no such cell."""
    r = next((r for r in load if r["contestant"] == contestant and r["scenario"] == scenario), None)
    return r and cpu_per_k(r)


def pool_summary(load):
    """One line under the 3-upstream table: proxy CPU per request, gatewar on Jetty next to nginx, and
    each against its own 1-upstream small GET (separate cells: the paired small-pool row is the finer
    measure of what the pool costs gatewar)."""
    def k(contestant, scenario):
        return cell_cpu_per_k(load, contestant, scenario)
    def ratio(x, y):
        return "%.2f×" % (x / y) if x is not None and y else "–"
    parts = ["%s %s (1 upstream: %s, %s)" % (CONTESTANTS[c], fmt(k(c, "small-pool"), 1), fmt(k(c, "small"), 1),
                                             ratio(k(c, "small-pool"), k(c, "small")))
             for c in ("nginx", "gatewar-jetty")]
    return ["", "Proxy CPU ms / 1k req with 3 upstreams: %s; gatewar on Jetty / nginx: %s with 3 upstreams, "
            "%s with 1." % ("; ".join(parts),
                             ratio(k("gatewar-jetty", "small-pool"), k("nginx", "small-pool")),
                             ratio(k("gatewar-jetty", "small"), k("nginx", "small")))]


# Paired measurements: NAME -> (title, what /A is, what /B is, what the ratio says)
PAIRED = {
    "small-vs-stock": ("small GET", "gatewar, no filter", "stock `ProxyServlet$Transparent`", "gatewar vs stock"),
    "post-vs-stock": ("4 KiB JSON POST", "gatewar, no filter", "stock `ProxyServlet$Transparent`", "gatewar vs stock"),
    "post-filter": ("4 KiB JSON POST", "with `JsonBodyFilter`", "the same route without it", "filter's cost"),
    "post-answer-vs-stock": ("4 KiB JSON POST, answered at once", "gatewar, no filter", "stock `ProxyServlet$Transparent`",
                             "gatewar vs stock"),
    "post-answer-filter": ("4 KiB JSON POST, answered at once", "with `JsonBodyFilter`", "the same route without it",
                           "filter's cost"),
    "small-pool": ("small GET", "3 upstreams, round-robin", "the same route with 1", "pool's cost"),
    "small-observed": ("small GET", "access log and metrics on (defaults)", "the same route with both off", "observability's cost"),
    "post-observed": ("4 KiB JSON POST", "access log and metrics on (defaults)", "the same route with both off",
                      "observability's cost"),
}


def render_targets(load, paired, big):
    """Issue #14's targets, each as the ratio this run gives (only where the run has both sides)."""
    def k(contestant, scenario):
        return cell_cpu_per_k(load, contestant, scenario)
    def pair(name):
        r = next((r for r in paired if r["name"] == name), None)
        ratios = r and pair_ratios(r)[2]
        return median(ratios) if ratios else None
    rows = []
    def add(target, what, value, goal, fmt_value=lambda v: "%.2f×" % v):
        if value is not None:
            rows.append("| %s | %s | %s | %s | %s |" % (target, what, fmt_value(value), "≤ %s" % (
                fmt_value(goal)), "yes" if value <= goal else "**no**"))
    def ratio(a, b):
        return a / b if a is not None and b else None
    names = {"small": "small GET", "small-rate": "small GET at a fixed rate", "1m": "1 MiB GET",
             "post": "4 KiB JSON POST", "post-answer": "4 KiB JSON POST, answered at once"}
    for s in ("small", "post", "post-answer"):
        add("1", "gatewar on Jetty / nginx, %s (cells)" % names[s], ratio(k("gatewar-jetty", s), k("nginx", s)), 2.0)
    for s in ("small", "post", "post-answer"):
        add("1", "gatewar on Jetty / stock `ProxyServlet$Transparent`, %s (cells)" % names[s],
            ratio(k("gatewar-jetty", s), k("jetty-proxy", s)), 1.0)
    for name, s in (("small-vs-stock", "small"), ("post-vs-stock", "post"), ("post-answer-vs-stock", "post-answer")):
        add("1", "gatewar without the filter / stock, %s (paired, one JVM)" % names[s], pair(name), 1.0)
    add("2", "`JsonBodyFilter`'s cost, 4 KiB JSON POST (paired)", pair("post-filter"), 1.10)
    add("2", "`JsonBodyFilter`'s cost, 4 KiB JSON POST answered at once (paired)", pair("post-answer-filter"), 1.10)
    for s in ("small", "small-rate", "1m", "post", "post-answer"):
        add("3", "gatewar on Tomcat / on Jetty, %s" % names[s], ratio(k("gatewar-tomcat", s), k("gatewar-jetty", s)), 1.2)
    for s in ("small", "small-rate", "1m", "post", "post-answer"):
        jf, tf, gj, gt = k("jetty-floor", s), k("tomcat-floor", s), k("gatewar-jetty", s), k("gatewar-tomcat", s)
        if None not in (jf, tf, gj, gt) and jf:
            rows.append("| – | %s: Tomcat answering itself / Jetty answering itself; gatewar minus its container's floor, "
                        "Tomcat / Jetty | %.2f×; %s / %s = %.2f× | – | – |"
                        % (names[s], tf / jf, fmt(gt - tf, 1), fmt(gj - jf, 1), (gt - tf) / (gj - jf) if gj > jf else float("nan")))
    r = next((r for r in load if r["contestant"] == "gatewar-jetty" and r["scenario"] == "small"), None)
    if r and r["proxy_hwm_kb"]:
        add("4", "gatewar on Jetty, peak RSS under the small GET", r["proxy_hwm_kb"] / 1024, 300, lambda v: "%d MiB" % v)
    for b in big:
        if b["contestant"].startswith("gatewar") and b["peak_heap_mib"] is not None:
            rows.append("| 4 | %s, %s through a 128 MiB heap | %s, live heap %s MiB | ok | %s |" % (
                CONTESTANTS[b["contestant"]], b["direction"], b["check"], fmt(b["live_heap_mib"]),
                "yes" if b["check"] == "ok" else "**no**"))
    add("5", "gatewar on Jetty / nginx, small GET at a fixed rate", ratio(k("gatewar-jetty", "small-rate"), k("nginx", "small-rate")), 2.0)
    for s in ("small", "small-rate", "post", "post-answer"):
        floor, nginx, gw = k("jetty-floor", s), k("nginx", s), k("gatewar-jetty", s)
        if floor is not None and nginx and gw is not None:
            rows.append("| – | %s: Jetty answering itself / nginx; gatewar on Jetty minus that floor | %.2f×; %s ms / 1k | – | – |"
                        % (names[s], floor / nginx, fmt(gw - floor, 1)))
    if not rows:
        return []
    return ["", "**Against the targets of issue #14** (proxy CPU per request, the ratios of this run's figures above):",
            "", "| target | figure | this run | goal | met |", "|---|---|--:|--:|---|"] + rows


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def pair_ratios(record):
    """A paired record's per-pair CPU per 1k requests of route A and of route B, and A / B per pair."""
    a_k = [cpu_per_k(p[record["a"]]) for p in record["pairs"]]
    b_k = [cpu_per_k(p[record["b"]]) for p in record["pairs"]]
    return a_k, b_k, [x / y for x, y in zip(a_k, b_k) if x is not None and y]


def render_paired(records):
    """Two routes of one JVM in alternating windows: per pair, route A's CPU per request over route
    B's; the median pair is the figure (the windows share the JVM's drift, which two JVMs do not)."""
    r0 = records[0]
    lines = ["", "**Paired in one JVM** (%s, %d connections, alternating %d s windows in ABBA order after two "
             "unmeasured rounds): its `web.xml` also maps `/n` (gatewar without `JsonBodyFilter`) and `/s` "
             "(Jetty's stock `ProxyServlet$Transparent`) to the same backend%s. Proxy CPU ms per 1k requests; "
             "the figure is the median of the per-pair ratios." % (
                 CONTESTANTS.get(r0["contestant"], r0["contestant"]), r0["connections"], r0["window_s"],
                 (", and `/p` (`/n` with three upstreams, round-robin: the backend's three ports)"
                  if any(r["name"] == "small-pool" for r in records) else "")
                 + (", and `/q` (`/n` with its access log and metrics off)"
                    if any(r["name"].endswith("-observed") for r in records) else "")), ""]
    lines.append("| comparison | scenario | A | B | A per pair | B per pair | A / B per pair | median A / B |")
    lines.append("|---|---|---|---|--:|--:|--:|--:|")
    for r in records:
        title, a_what, b_what, says = PAIRED.get(r["name"], (r["name"], "/" + r["a"], "/" + r["b"], r["name"]))
        a_k, b_k, ratios = pair_ratios(r)
        lines.append("| %s | %s | %s (`/%s`) | %s (`/%s`) | %s | %s | %s | %s |" % (
            says, title, a_what, r["a"], b_what, r["b"],
            " ".join(fmt(x, 1) for x in a_k), " ".join(fmt(y, 1) for y in b_k),
            " ".join("%.2f" % x for x in ratios), "%.2f×" % median(ratios) if ratios else "–"))
    return lines


def rps(r):
    w = r["wrk"]
    return w["requests"] * 1e6 / w["duration_us"] if w["duration_us"] else 0.0


def errors(w):
    parts = [(k[len("errors_"):], w[k]) for k in
             ("errors_connect", "errors_read", "errors_write", "errors_timeout", "errors_status") if w[k]]
    total = sum(v for _, v in parts)
    return "0" if not total else "%d (%s)" % (total, ", ".join("%s %d" % p for p in parts))


def update_readme(path, block):
    text = open(path).read()
    start, end = text.find(MARK_START), text.find(MARK_END)
    if start < 0 or end < start:
        sys.exit("bench.py: %s has no %s ... %s markers" % (path, MARK_START, MARK_END))
    text = text[:start + len(MARK_START)] + "\n" + block + text[end:]
    with open(path, "w") as f:
        f.write(text)


def main(argv):
    if len(argv) == 3 and argv[0] == "json-body":
        json_body(int(argv[1]), argv[2])
    elif len(argv) == 3 and argv[0] == "h2load-summary":
        h2load_summary(argv[1], argv[2])
    elif len(argv) == 3 and argv[0] == "gc-peak":
        gc_peak(argv[1], int(argv[2]))
    elif len(argv) in (3, 4) and argv[0] == "render":
        block = render(argv[1], argv[2])
        sys.stdout.write(block)
        if len(argv) == 4:
            update_readme(argv[3], block)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
