#!/usr/bin/python3
"""The gateway's Prometheus metrics after the conformance suite and the check scripts ran against it.

    /usr/bin/python3 containers/metrics_checks.py --gateway http://127.0.0.1:8082/gw --save FILE

Scrapes GATEWAY/metrics (dev.gatewar.MetricsServlet, default allowFrom: loopback) over real HTTP,
saves the body to FILE and parses it with containers/prometheus_samples.py, i.e. the Prometheus
Python client's own parser (Debian's python3-prometheus-client, hence /usr/bin/python3): every
assertion is on parsed samples, none on a regular expression. What it expects is what the traffic
before it caused: the suite's 200s on serviceA and 404s for paths no route takes, the 503s of
serviceB (its upstream, 127.0.0.1:9202, refuses connections), the client aborts and the stalled JSON
body of hostile_clients.py on serviceC. GATEWAY/metrics-closed (allowFrom with no loopback address)
must refuse this 127.0.0.1 client. Prints one line per check (PASS|FAIL name evidence), then
"N passed, N failed".
"""
import argparse
import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_report import report  # noqa: E402  (beside this file)
from prometheus_samples import samples  # noqa: E402

TIMEOUT = 20.0
SERVER = "http_server_request_duration_seconds"
CLIENT = "http_client_request_duration_seconds"


def get(url):
    """(status, content type, body text) of a GET, also for an error status."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")


def select(all_samples, name, **labels):
    return [s for s in all_samples if s["name"] == name and all(s["labels"].get(k) == v for k, v in labels.items())]


def total(all_samples, name, **labels):
    return sum(s["value"] for s in select(all_samples, name, **labels))


def at_least_one(all_samples, name, **labels):
    n = total(all_samples, name, **labels)
    shown = ",".join('%s="%s"' % kv for kv in labels.items())
    return n > 0, "%s{%s} = %g (%d series)" % (name, shown, n, len(select(all_samples, name, **labels)))


def histogram_consistent(all_samples, name):
    """Per series: the +Inf bucket equals _count, and the buckets never decrease as le grows."""
    series = {}
    for s in all_samples:
        if s["name"] != name + "_bucket":
            continue
        key = tuple(sorted((k, v) for k, v in s["labels"].items() if k != "le"))
        series.setdefault(key, []).append((float(s["labels"]["le"]), s["value"]))
    counts = {tuple(sorted(s["labels"].items())): s["value"] for s in select(all_samples, name + "_count")}
    bad = []
    for key, buckets in series.items():
        buckets.sort()
        inf = [v for le, v in buckets if le == float("inf")]
        values = [v for _, v in buckets]
        if not inf or inf[0] != counts.get(key) or values != sorted(values):
            bad.append("%s: +Inf %s, count %s" % (dict(key), inf[:1], counts.get(key)))
    ok = bool(series) and not bad and len(series) == len(counts)
    return ok, "%d series, %d count samples%s" % (len(series), len(counts), ("; " + "; ".join(bad[:3])) if bad else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gateway", required=True, help="the gateway's base URL (with its context path)")
    ap.add_argument("--save", required=True, help="where to write the scrape")
    a = ap.parse_args()
    base = a.gateway.rstrip("/")
    results = []

    status, ctype, body = get(base + "/metrics")
    with open(a.save, "w", encoding="utf-8") as f:
        f.write(body)
    try:
        parsed = samples(body) if status == 200 else []
        error = ""
    except Exception as e:  # the parser's verdict is the evidence
        parsed, error = [], " parse error: %r" % e
    results.append(("scrape_is_prometheus_text", status == 200 and ctype.startswith("text/plain") and len(parsed) > 0,
                    "GET %s/metrics: %d %s, %d bytes, %d samples%s" % (base, status, ctype, len(body), len(parsed), error)))

    S = SERVER + "_count"
    results.append(("not_found_counted_under_route_dash",)
                   + at_least_one(parsed, S, route="-", http_response_status_code="404", outcome="rejected"))
    results.append(("dead_upstream_counted_as_refused",)
                   + at_least_one(parsed, "gatewar_upstream_failures_total", route="serviceB", error_type="refused"))
    results.append(("dead_upstream_503s_are_upstream_error",)
                   + at_least_one(parsed, S, route="serviceB", http_response_status_code="503", outcome="upstream_error"))
    results.append(("service_a_200s_are_ok",)
                   + at_least_one(parsed, S, route="serviceA", http_response_status_code="200", outcome="ok"))
    results.append(("hostile_client_aborts_counted",) + at_least_one(parsed, S, route="serviceC", outcome="client_abort"))
    results.append(("stalled_json_body_counted",) + at_least_one(parsed, "gatewar_json_bodies_total", outcome="timeout"))
    results.append(("server_histogram_inf_bucket_is_count",) + histogram_consistent(parsed, SERVER))
    results.append(("client_histogram_inf_bucket_is_count",) + histogram_consistent(parsed, CLIENT))
    jvm = select(parsed, "jvm_memory_used_bytes")
    results.append(("jvm_memory_used_bytes_present", len(jvm) > 0 and all(s["value"] >= 0 for s in jvm),
                    "%d series, e.g. %s" % (len(jvm), jvm[0] if jvm else "none")))

    status, ctype, body = get(base + "/metrics-closed")
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    results.append(("closed_metrics_refuse_loopback", status == 403 and ctype.startswith("application/json")
                    and isinstance(doc, dict) and "# HELP" not in body,
                    "GET %s/metrics-closed from 127.0.0.1: %d %s %s" % (base, status, ctype, body[:120].strip())))

    return report(results)


if __name__ == "__main__":
    sys.exit(main())
