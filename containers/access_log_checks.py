#!/usr/bin/env python3
"""The access log (logger gatewar.access) in its own file, and only there, on a running container.

    python3 containers/access_log_checks.py --gateway http://127.0.0.1:8082/gw \\
        --access-log 'DIR/logs/gatewar-access.*log' --main-log DIR/logs/catalina.out \\
        --main-log 'DIR/logs/catalina.*.log'

Run after the suite and the other check scripts, on the container they ran against, configured
as README.md's "Its own file on Tomcat/Jetty" says. ACCESS and MAIN are file names or glob patterns
(a daily file may roll over during the run). It sends two requests with their own X-Request-Id:
one to serviceB (its upstream refuses connections: 503 and a WARN `upstream failure` line) and one
to a path no route takes (404), then checks by polling with a deadline (the file handlers write
asynchronously): each request has its access line in the access file, message only; that file
holds nothing but access lines; no main log has a single access line, from the whole run; and the
gateway's other lines (the `upstream failure` WARN of the serviceB request) are still in the main
log. Python 3 standard library only. Prints PASS|FAIL lines, then "N passed, N failed".
"""
import argparse
import glob
import os
import re
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_report import report  # noqa: E402  (beside this file)

TIMEOUT = 20.0
# The access line as the gateway writes it: the message alone starts with time=.
ACCESS_LINE = re.compile(r"^time=\S+ requestId=(?P<id>\S+) route=(?P<route>\S+) method=\S+ path=\"[^\"]*\" "
                         r"status=(?P<status>\d+) .* outcome=(?P<outcome>\w+) traceId=\S+$")
# An access line anywhere in a line, after whatever prefix a log format adds.
ACCESS_ANYWHERE = re.compile(r"(?:^|\s)time=\S+ requestId=\S+ route=\S+ method=")


def read_lines(patterns):
    """{file: [lines]} of every file the patterns match."""
    out = {}
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            with open(path, "rb") as f:
                out[path] = f.read().decode("utf-8", "replace").splitlines()
    return out


def poll(fn, limit=TIMEOUT):
    """fn() until it is truthy or limit seconds pass; its last value."""
    deadline = time.monotonic() + limit
    while True:
        value = fn()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.1)


def send(url, request_id):
    req = urllib.request.Request(url, headers={"X-Request-Id": request_id})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gateway", required=True, help="the gateway's base URL (with its context path)")
    ap.add_argument("--access-log", action="append", required=True, help="the access log file (glob)")
    ap.add_argument("--main-log", action="append", required=True, help="a main log file of the container (glob)")
    a = ap.parse_args()
    base = a.gateway.rstrip("/")
    tag = "alog%d" % os.getpid()
    expected = {  # request id: (path, route, status, outcome)
        tag + "-down": ("/serviceB/access-log-check", "serviceB", "503", "upstream_error"),
        tag + "-none": ("/no-route/access-log-check", "-", "404", "rejected"),
    }
    sent = {rid: send(base + path, rid) for rid, (path, _, _, _) in expected.items()}
    results = []

    def access_lines():
        found = {}
        for lines in read_lines(a.access_log).values():
            for line in lines:
                m = ACCESS_LINE.match(line)
                if m and m.group("id") in expected:
                    found[m.group("id")] = (m.group("route"), m.group("status"), m.group("outcome"))
        return found if len(found) == len(expected) else None

    found = poll(access_lines) or {}
    for rid, (path, route, status, outcome) in expected.items():
        results.append(("access_line_in_own_file_" + route.replace("-", "no_route"),
                        found.get(rid) == (route, status, outcome),
                        "GET %s: %s; access file line: route, status, outcome = %s (want %s)"
                        % (path, sent[rid], found.get(rid), (route, status, outcome))))

    access = read_lines(a.access_log)
    count = sum(len(lines) for lines in access.values())
    other = [(f, line) for f, lines in access.items() for line in lines if not ACCESS_LINE.match(line)]
    results.append(("access_file_holds_only_access_lines", count > len(expected) and not other,
                    "%d lines in %s; not access lines: %d%s" % (count, sorted(access) or a.access_log, len(other),
                                                                (" e.g. %r" % (other[0],)) if other else "")))

    def failure_line():
        for f, lines in read_lines(a.main_log).items():
            for line in lines:
                if "upstream failure" in line and ("requestId=%s-down" % tag) in line:
                    return f, line
        return None

    failure = poll(failure_line)
    main_logs = read_lines(a.main_log)
    leaked = [(f, line) for f, lines in main_logs.items() for line in lines if ACCESS_ANYWHERE.search(line)]
    scanned = {f: len(lines) for f, lines in main_logs.items()}
    results.append(("no_access_line_in_main_log", bool(main_logs) and not leaked,
                    "%s: %d access lines%s" % (scanned or a.main_log, len(leaked), (" e.g. %r" % (leaked[0],)) if leaked else "")))
    results.append(("gateway_lines_stay_in_main_log", failure is not None,
                    "the serviceB request's upstream failure line: %r" % (failure,)))

    return report(results)


if __name__ == "__main__":
    sys.exit(main())
