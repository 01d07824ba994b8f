#!/usr/bin/env python3
"""Hostile clients against a deployed gateway, judged by the wire, the upstream, the container's
log and a thread dump of the container's JVM (issue 13).

    python3 containers/hostile_clients.py --gateway http://127.0.0.1:8082/gw --route serviceC \\
        --other-route serviceD --container tomcat --log LOG --pid PID --body-idle-timeout 2000

Both routes (BASE/serviceC/*, BASE/serviceD/*) must point at http://127.0.0.1:9203, where this
script runs its own scripted upstream (run it after extra_checks.py, which uses the same port).
JsonBodyFilter must be mapped with bodyIdleTimeout=--body-idle-timeout. LOG is the container's log
(Jetty: its stderr; Tomcat: catalina.out), PID the container's JVM (for `jcmd PID Thread.print`).
Every request carries its own X-Request-Id, so that each log line is matched to the request that
caused it. Python 3 standard library only, 127.0.0.1 only, every socket has a timeout, and nothing
waits by sleeping: every wait polls a condition until a deadline. Prints one line per check
(PASS|FAIL name evidence), then "N passed, N failed".
"""
import argparse
import json
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

UPSTREAM_PORT = 9203
TIMEOUT = 20.0
LOG_WAIT = 20.0
RUN = "h%x" % (int(time.time()) & 0xFFFFFF)


def chunk(data):
    return b"%x\r\n" % len(data) + data + b"\r\n"


def rst_close(s):
    """Closes with a reset (SO_LINGER 0) instead of a FIN."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    s.close()


def wait_until(predicate, seconds, cond=None):
    """Polls predicate until it returns something true or the deadline passes; returns its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        left = deadline - time.monotonic()
        if value or left <= 0:
            return value
        if cond is not None:
            with cond:
                cond.wait(min(left, 0.2))
        else:
            time.sleep(min(left, 0.1))  # a poll interval, not a synchronisation


# --- the upstream ------------------------------------------------------------------------------------


class Upstream:
    """Records every request by its X-Request-Id: what arrived and how its body ended.

    /download*  answers 200 chunked and sends 64 KiB chunks until the gateway cuts it (or 256 MiB);
    anything else: reads the body as framed (Content-Length or chunked) and, if it is complete,
    answers 200 with the path as the body.
    """

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", UPSTREAM_PORT))
        self.sock.listen(128)
        self.sock.settimeout(1.0)  # accept() wakes up to see whether the upstream was closed
        self.cond = threading.Condition()
        self.seen = {}  # request id -> {"path", "received", "outcome"}
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.running = False
        self.sock.close()

    def record(self, rid):
        with self.cond:
            rec = self.seen.get(rid)
            return dict(rec) if rec else None

    def _update(self, rec, **fields):
        with self.cond:
            rec.update(fields)
            self.cond.notify_all()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(TIMEOUT)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _recv(conn):
        data = conn.recv(65536)
        if not data:
            raise EOFError
        return data

    def _serve(self, conn):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                rec = {"path": path, "received": 0, "outcome": "head only"}
                with self.cond:
                    self.seen[headers.get("x-request-id", "-")] = rec
                    self.cond.notify_all()
                if path.startswith("/download"):
                    self._download(conn, rec)
                    return
                buf, outcome = self._body(conn, headers, buf, rec)
                self._update(rec, outcome=outcome)
                if outcome != "complete":
                    return
                body = path.encode("latin-1")
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _body(self, conn, headers, buf, rec):
        """Reads one body as framed; returns (rest of buf, "complete" or how it ended)."""
        received = 0
        try:
            if "chunked" in headers.get("transfer-encoding", "").lower():
                while True:
                    while b"\r\n" not in buf:
                        buf += self._recv(conn)
                    line, buf = buf.split(b"\r\n", 1)
                    size = int(line.split(b";")[0], 16)
                    if size == 0:
                        while True:  # the trailer section, up to its empty line
                            while b"\r\n" not in buf:
                                buf += self._recv(conn)
                            line, buf = buf.split(b"\r\n", 1)
                            if not line:
                                return buf, "complete"
                    while len(buf) < size + 2:
                        before = len(buf)
                        buf += self._recv(conn)
                        received += len(buf) - before
                        self._update(rec, received=received)
                    buf = buf[size + 2:]
            length = int(headers.get("content-length", "0"))
            received = len(buf)
            while len(buf) < length:
                buf += self._recv(conn)
                received = len(buf)
                self._update(rec, received=received)
            return buf[length:], "complete"
        except EOFError:
            return b"", "aborted (EOF after %d body bytes)" % received
        except ConnectionResetError:
            return b"", "aborted (reset after %d body bytes)" % received
        except socket.timeout:
            return b"", "stalled (no end within %ds, %d body bytes)" % (TIMEOUT, received)

    def _download(self, conn, rec):
        sent = 0
        piece = chunk(b"d" * 65536)
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            while sent < 256 * 1024 * 1024:
                conn.sendall(piece)
                sent += 65536
                self._update(rec, received=sent)
            conn.sendall(b"0\r\n\r\n")
            self._update(rec, outcome="complete (%d bytes sent)" % sent)
        except socket.timeout:
            self._update(rec, outcome="stalled (the gateway stopped reading after %d bytes and kept the connection)" % sent)
        except OSError as e:
            self._update(rec, outcome="cut (%s after %d bytes sent)" % (type(e).__name__, sent))


# --- the gateway -------------------------------------------------------------------------------------


class Gateway:
    def __init__(self, url, route, other_route):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.prefix = u.path.rstrip("/") + "/" + route
        self.other_prefix = u.path.rstrip("/") + "/" + other_route

    def connect(self, timeout=TIMEOUT):
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def head(self, method, path, rid, fields=(), prefix=None):
        lines = ["%s %s%s HTTP/1.1" % (method, prefix or self.prefix, path), "Host: %s:%d" % (self.host, self.port),
                 "X-Request-Id: " + rid] + list(fields)
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_response(s):
    """(status, fields, body, how) of one response: framed by Content-Length, chunked, or the close.

    how is "complete", "eof", "reset" or "timeout"; status is None when no head arrived.
    """
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            data = s.recv(65536)
            if not data:
                return None, {}, buf, "eof"
            buf += data
        head, body = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        status = int(lines[0].split(" ")[1])
        if "content-length" in fields:
            while len(body) < int(fields["content-length"]):
                data = s.recv(65536)
                if not data:
                    return status, fields, body, "eof"
                body += data
            return status, fields, body, "complete"
        while True:
            data = s.recv(65536)
            if not data:
                return status, fields, body, "eof"
            body += data
    except ConnectionResetError:
        return (int(buf[9:12]) if buf.startswith(b"HTTP/") else None), {}, buf, "reset"
    except socket.timeout:
        return (int(buf[9:12]) if buf.startswith(b"HTTP/") else None), {}, buf, "timeout"


def json_of(body):
    try:
        value = json.loads(body.decode("utf-8"))
        return value if isinstance(value, dict) else None
    except ValueError:
        return None


# --- the container: its log and its threads ------------------------------------------------------------


class ContainerLog:
    """The container's log, read from where this script started; the gateway's lines parsed by level.

    Problem lines are looked for in every *.log file beside it too: Tomcat writes an exception a
    servlet throws to logs/localhost.DATE.log, not to catalina.out.
    """

    # Jetty's own logging abbreviates dev.gatewar.proxy.ExchangeFailures to dgp.ExchangeFailures
    # (dev.gatewar.X: dg.X); the base's logging-logback overlay writes the same layout with the full
    # name. The level is padded to 5 characters: "INFO :", "ERROR:".
    JETTY = re.compile(r":(?P<level>[A-Z]+) ?:(?:dg[a-z]?|dev\.gatewar(?:\.[a-z]+)?)\.\w+:[^:]*: (?P<message>.*)$")
    TOMCAT = re.compile(r"\s(?P<level>[A-Z]+) \[[^\]]*\] dev\.gatewar\.[\w.$]+ (?P<message>.*)$")
    # The access log (logger gatewar.access, one line per request: "time=... requestId=ID route=...
    # outcome=client_abort ..."): it names every request id too, but it is not one of the gateway's
    # verdicts these checks judge. Where it shares the container's log (Jetty: ":INFO :g.access:";
    # Tomcat: "INFO [...] dev.gatewar.observe.ExchangeRecorder.ended", slf4j-jdk14 names the caller),
    # its lines are told apart by their message, whatever the logger's name looks like there.
    ACCESS = re.compile(r"(?:^|\s)time=\S+ requestId=\S+ route=")

    def __init__(self, path, container):
        self.path = os.path.abspath(path)
        self.gateway_line = self.JETTY if container == "jetty" else self.TOMCAT
        self.start = self.size()

    def files(self):
        folder = os.path.dirname(self.path)
        return sorted({self.path} | {os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".log")})

    def size(self):
        """Where each log file ends now: a mark for lines() and problems()."""
        return {f: os.path.getsize(f) for f in self.files()}

    def lines(self, since=None, path=None):
        path = path or self.path
        with open(path, "rb") as f:
            f.seek((since or self.start).get(path, 0))
            return f.read().decode("utf-8", "replace").splitlines()

    def by_request(self, since=None):
        """{request id: [(level, message)]} of the gateway's lines."""
        found = {}
        for line in self.lines(since):
            m = self.gateway_line.search(line)
            if m and self.ACCESS.match(m.group("message")):  # the message starts with time=
                continue
            r = m and re.search(r"\brequestId=(\S+)", m.group("message"))
            if r:
                found.setdefault(r.group(1), []).append((m.group("level"), m.group("message")))
        return found

    def gateway_lines(self, rid, since=None):
        """[(level, message)] of the gateway's lines naming request id rid."""
        return self.by_request(since).get(rid, [])

    def classification(self, rid, expect, since=None):
        """Waits for the gateway's INFO line `client <expect>` for rid. (ok, evidence)."""
        def client_line():
            return [(lv, msg) for lv, msg in self.gateway_lines(rid, since) if msg.startswith("client ")]
        client = wait_until(client_line, LOG_WAIT)
        lines = self.gateway_lines(rid, since)
        upstream = [msg for _, msg in lines if "upstream failure" in msg]
        wanted = [msg for lv, msg in client if lv == "INFO" and msg.startswith("client " + expect)]
        ok = len(wanted) == 1 and not upstream and len(client) == 1
        if not lines:
            return False, "no gateway log line for requestId=%s within %ds" % (rid, LOG_WAIT)
        return ok, "; ".join("%s %s" % (lv, shorten(msg)) for lv, msg in lines)

    def problems(self, since=None):
        """Lines that must never appear, in any log file: SEVERE, ERROR, an IllegalStateException."""
        found = []
        for path in self.files():
            for line in self.lines(since, path):
                # catalina.out and catalina.DATE.log hold the same lines: each counts once.
                # An access line is data (its quoted path is the client's), never a problem report.
                if self.ACCESS.search(line):
                    continue
                if re.search(r"\bSEVERE\b|:ERROR ?:|IllegalStateException", line) and line not in found:
                    found.append(line)
        return found


def shorten(message):
    return re.sub(r" requestId=\S+", "", message)


# Frames of a container worker waiting for work (Jetty: its thread pool, selectors, acceptor; Tomcat:
# its executor's queue).
IDLE_WORKER = ("QueuedThreadPool$Runner.idleJobPoll", "ReservedThread.waitForTask", "ManagedSelector",
               "ServerSocketChannelImpl.accept", "TaskQueue.poll", "TaskQueue.take")


def thread_dump(pid):
    """The JVM's threads as [(name, state, stack lines)], from `jcmd PID Thread.print`."""
    out = subprocess.run(["jcmd", str(pid), "Thread.print"], capture_output=True, text=True, timeout=60, check=True).stdout
    threads = []
    for block in re.split(r"\n(?=\")", out):
        if not block.startswith('"'):
            continue
        name = block[1:block.index('"', 1)]
        state = re.search(r"java\.lang\.Thread\.State: (\w+)", block)
        threads.append((name, state.group(1) if state else "?", block.splitlines()))
    return threads


# --- the checks --------------------------------------------------------------------------------------

CHECKS = []
REQUEST_IDS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def rid(name):
    value = "%s-%s" % (RUN, name)
    REQUEST_IDS.append(value)
    return value


@check
def slow_json_bodies_park_no_thread(ctx):
    """N JSON bodies that trickle (a byte per client every 0.5 s) hold no container thread: a GET on
    the other route answers 200 within 2 s, no thread of the JVM is parked in a dev.gatewar frame, no
    slow client got an answer meanwhile, and once they close each one is one INFO `client aborted`
    line (no SEVERE, no IllegalStateException)."""
    gw, log, n = ctx.gw, ctx.log, ctx.slow_clients
    since = log.size()
    ids = [rid("slow-%d" % i) for i in range(n)]
    socks, sent = [], []
    stop = threading.Event()
    opening = b'{"slow": "'
    lock = threading.Lock()

    def trickle():
        # A pace, not a synchronisation: each client stays below the body idle timeout from its
        # first bytes on, and never completes its body (100 bytes outlast the check).
        while not stop.wait(0.5):
            with lock:
                held = list(enumerate(socks))
            for i, s in held:
                if sent[i] < 99:
                    try:
                        s.send(b"x")
                        sent[i] += 1
                    except OSError:
                        pass
    trickler = threading.Thread(target=trickle, daemon=True)
    try:
        trickler.start()
        t_open = time.monotonic()
        for i in range(n):
            s = gw.connect(timeout=10)
            s.sendall(gw.head("POST", "/slow/%d" % i, ids[i], ["Content-Type: application/json", "Content-Length: 100"])
                      + opening)
            with lock:
                socks.append(s)
                sent.append(len(opening))
        open_ms = (time.monotonic() - t_open) * 1000
        # One more trickle round for the last one opened, so its head has been taken in before the probe.
        wait_until(lambda: sent[-1] > len(opening), 5)

        t0 = time.monotonic()
        probe_id = rid("probe")
        try:
            with gw.connect(timeout=2.0) as p:
                p.sendall(gw.head("GET", "/probe", probe_id, ["Connection: close"], prefix=gw.other_prefix))
                status, _, _, how = read_response(p)
        except OSError as e:
            status, how = None, type(e).__name__
        probe_ms = (time.monotonic() - t0) * 1000

        threads = thread_dump(ctx.pid)
        in_gateway = [(name, state, next(l.strip() for l in lines if "at dev.gatewar." in l))
                      for name, state, lines in threads if any("at dev.gatewar." in l for l in lines)]
        parked = [t for t in in_gateway if t[1] != "RUNNABLE"]
        workers = [t for t in threads if t[0].startswith("qtp") or "-exec-" in t[0]]
        busy = [t for t in workers if not any(marker in line for line in t[2] for marker in IDLE_WORKER)]

        # Still held: no slow client has been answered (or cut) yet.
        readable, _, _ = select.select(socks, [], [], 0)
        stop.set()
        trickler.join(5)
    finally:
        stop.set()
        for s in socks:
            s.close()

    # Every slow client was in the gateway's hands when it went away: one client line each.
    aborted = wait_until(lambda: len(set(ids) & set(log.by_request(since))) == n, LOG_WAIT * 2)
    lines = log.by_request(since)
    logged = {}
    for i in ids:
        for level, message in lines.get(i, []):
            key = "%s %s" % (level, " ".join(message.split()[:2]))
            logged[key] = logged.get(key, 0) + 1
    problems = log.problems(since)
    ctx.notes.append("%d threads in dev.gatewar frames (%d parked) while %d slow JSON bodies were held "
                     "(jcmd: %d threads, %d container workers, %d of them busy); the GET on the other route: %s in %.0f ms"
                     % (len(in_gateway), len(parked), n, len(threads), len(workers), len(busy), status, probe_ms))
    evidence = ("%d slow JSON bodies held (opened in %.0f ms); GET on the other route: %s in %.0f ms (%s); jcmd: %d threads, %d workers, "
                "%d busy, %d in dev.gatewar frames, %d of them parked%s; answered while held: %d; after close: %s; "
                "SEVERE/ERROR/IllegalStateException lines: %d%s"
                % (n, open_ms, status, probe_ms, how, len(threads), len(workers), len(busy), len(in_gateway), len(parked),
                   (" " + repr(in_gateway[:3])) if in_gateway else "", len(readable), logged or "no lines",
                   len(problems), (" " + repr(problems[:2])) if problems else ""))
    ok = (status == 200 and probe_ms < 2000 and not parked and not readable and aborted
          and logged.get("INFO client aborted") == n and len(logged) == 1 and not problems)
    return ok, evidence


@check
def stalled_json_body_is_408_json(ctx):
    """A JSON body that stops arriving is answered 408 JSON once the body idle timeout passes, the
    upstream gets nothing, and the gateway logs one INFO `client timed out` line."""
    gw, log = ctx.gw, ctx.log
    request_id = rid("stalled")
    t0 = time.monotonic()
    with gw.connect(timeout=ctx.idle_timeout / 1000 + TIMEOUT) as s:
        s.sendall(gw.head("POST", "/stalled", request_id, ["Content-Type: application/json", "Content-Length: 100"])
                  + b'{"stalled": ')
        status, fields, body, how = read_response(s)
    elapsed = time.monotonic() - t0
    doc = json_of(body) or {}
    logged_ok, logged = log.classification(request_id, "timed out")
    upstream = ctx.up.record(request_id)
    ok = (status == 408 and fields.get("content-type", "").startswith("application/json")
          and doc.get("message") == "The request body did not arrive in time." and doc.get("requestId") == request_id
          and elapsed >= ctx.idle_timeout / 1000 * 0.9 and upstream is None and logged_ok)
    return ok, "%s after %.1f s: %s; upstream: %s; log: %s" % (
        status, elapsed, body.decode("utf-8", "replace").strip()[:120], upstream or "nothing", logged)


MALFORMED = [
    ("zz", b"zz\r\nhello\r\n0\r\n\r\n"),
    ("ffffffffffffffff1", b"ffffffffffffffff1\r\nhello\r\n0\r\n\r\n"),
    ("10000000000000005", b"10000000000000005\r\nhello\r\n0\r\n\r\n"),
    ("bare-lf-in-extension", b"5;a\nb\r\nhello\r\n0\r\n\r\n"),
    ("80k-extension", b"5;" + b"x" * (80 * 1024) + b"\r\nhello\r\n0\r\n\r\n"),
]


def malformed_chunked(ctx, name, body):
    gw, log, up = ctx.gw, ctx.log, ctx.up
    request_id = rid("chunk-" + name)
    with gw.connect() as s:
        try:
            s.sendall(gw.head("POST", "/malformed/" + name, request_id,
                              ["Content-Type: application/octet-stream", "Transfer-Encoding: chunked"]) + body)
            send_error = ""
        except OSError as e:  # the gateway may answer and close before it has read all of it
            send_error = " (sending stopped: %s)" % type(e).__name__
        status, fields, reply, how = read_response(s)
    doc = json_of(reply) or {}
    source = ("the gateway" if doc.get("message") == "The request body could not be read."
              else "the error page" if doc.get("message") == "The request is malformed." else "?")
    logged_ok, logged = log.classification(request_id, "aborted")
    # The upstream saw nothing, or a request that ended short: wait for how it ended if it began.
    # (Anything arriving later is caught by the last check.)
    def settled():
        rec = up.record(request_id)
        return "nothing" if rec is None else rec["outcome"] if rec["outcome"] != "head only" else None
    outcome = wait_until(settled, TIMEOUT, up.cond) or "head only, still open after %ds" % TIMEOUT
    ok = (status == 400 and fields.get("content-type", "").startswith("application/json") and "message" in doc
          and doc.get("requestId") == request_id and outcome != "complete" and outcome.split(" ")[0] in ("nothing", "aborted")
          and logged_ok)
    if ctx.container == "jetty" and source != "the gateway":
        ok = False  # Jetty hands the failed read to the gateway; only Tomcat may answer through its error page
    return ok, "%s JSON from %s (%s)%s; upstream: %s; log: %s" % (
        status, source, reply.decode("utf-8", "replace").strip()[:100], send_error, outcome, logged)


def malformed_check(name, body):
    def fn(ctx):
        return malformed_chunked(ctx, name, body)
    fn.__name__ = "malformed_chunked_" + name.replace("-", "_")
    fn.__doc__ = "Chunked body %s on a non-JSON route: 400 JSON, the upstream gets nothing complete, INFO client aborted." % name
    return fn


for _name, _body in MALFORMED:
    check(malformed_check(_name, _body))


def aborted_upload(ctx, how):
    gw, log, up = ctx.gw, ctx.log, ctx.up
    request_id = rid("upload-" + how)
    s = gw.connect()
    s.sendall(gw.head("POST", "/upload", request_id,
                      ["Content-Type: application/octet-stream", "Content-Length: %d" % (4 * 1024 * 1024)])
              + b"u" * (256 * 1024))
    # Cut only once the upstream is receiving: the gateway must end a live exchange.
    started = wait_until(lambda: (up.record(request_id) or {}).get("received", 0) > 0, TIMEOUT, up.cond)
    if how == "rst":
        rst_close(s)
    else:
        s.close()
    if not started:
        return False, "the upload never reached the upstream"
    logged_ok, logged = log.classification(request_id, "aborted")
    ended = wait_until(lambda: (up.record(request_id) or {}).get("outcome", "head only") != "head only", TIMEOUT + 5, up.cond)
    outcome = up.record(request_id)["outcome"]
    return logged_ok and ended and outcome.startswith("aborted"), "closed (%s) after 256 KiB of 4 MiB; upstream: %s; log: %s" % (
        how.upper(), outcome, logged)


@check
def aborted_upload_close_is_client_aborted(ctx):
    """A client that closes mid-upload (FIN) is one INFO `client aborted` line, no upstream failure,
    and the upstream sees the request end short."""
    return aborted_upload(ctx, "close")


@check
def aborted_upload_rst_is_client_aborted(ctx):
    """A client that resets mid-upload is one INFO `client aborted` line, no upstream failure, and the
    upstream sees the request end short."""
    return aborted_upload(ctx, "rst")


def abandoned_download(ctx, how):
    gw, log, up = ctx.gw, ctx.log, ctx.up
    request_id = rid("download-" + how)
    got = 0
    with gw.connect() as s:
        s.sendall(gw.head("GET", "/download", request_id))
        while got < 1024 * 1024:
            data = s.recv(65536)
            if not data:
                break
            got += len(data)
        if how == "rst":
            rst_close(s)
    if got < 1024 * 1024:
        return False, "the download ended after %d bytes, before the client abandoned it" % got
    logged_ok, logged = log.classification(request_id, "aborted")
    ended = wait_until(lambda: (up.record(request_id) or {}).get("outcome", "head only") != "head only", TIMEOUT + 5, up.cond)
    outcome = (up.record(request_id) or {}).get("outcome", "nothing")
    return logged_ok and ended and outcome.startswith("cut"), "closed (%s) after %d bytes; upstream: %s; log: %s" % (
        how.upper(), got, outcome, logged)


@check
def abandoned_download_close_is_client_aborted(ctx):
    """A client that closes mid-download is one INFO `client aborted` line, no upstream failure; the
    gateway stops the upstream. (A plain close(): with unread bytes the kernel sends a reset.)"""
    return abandoned_download(ctx, "close")


@check
def abandoned_download_rst_is_client_aborted(ctx):
    """A client that resets mid-download is one INFO `client aborted` line, no upstream failure; the
    gateway stops the upstream."""
    return abandoned_download(ctx, "rst")


@check
def no_upstream_failure_and_no_severe_lines(ctx):
    """Over the whole run: no `upstream failure` line for any of these requests, none of them reached
    the upstream complete unless it was whole, and no SEVERE, ERROR or IllegalStateException line."""
    lines = ctx.log.by_request()
    blamed = [rid_ for rid_ in REQUEST_IDS if any("upstream failure" in m for _, m in lines.get(rid_, []))]
    complete = [rid_ for rid_ in REQUEST_IDS if "-chunk-" in rid_ or "-upload-" in rid_ or "-slow-" in rid_
                if (ctx.up.record(rid_) or {}).get("outcome") == "complete"]
    problems = ctx.log.problems()
    return not blamed and not complete and not problems, "%d requests: upstream failure lines for %s, complete at the upstream: %s, %d problem lines%s" % (
        len(REQUEST_IDS), blamed or "none", complete or "none", len(problems), (": %r" % problems[:3]) if problems else "")


class Context:
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gateway", required=True, help="gateway base URL including any context path")
    ap.add_argument("--route", default="serviceC", help="route prefix pointing at 127.0.0.1:%d" % UPSTREAM_PORT)
    ap.add_argument("--other-route", default="serviceD", help="a second route to 127.0.0.1:%d" % UPSTREAM_PORT)
    ap.add_argument("--container", choices=("jetty", "tomcat"), required=True, help="how to read LOG")
    ap.add_argument("--log", required=True, help="the container's log file")
    ap.add_argument("--pid", required=True, type=int, help="the container's JVM")
    ap.add_argument("--body-idle-timeout", type=int, default=30000, help="JsonBodyFilter's bodyIdleTimeout (ms)")
    ap.add_argument("--slow-clients", type=int, default=250, help="slow JSON bodies held at once")
    ap.add_argument("--only", help="run only the checks whose name matches this regex")
    a = ap.parse_args()
    ctx = Context()
    ctx.up = Upstream()
    ctx.gw = Gateway(a.gateway, a.route, a.other_route)
    ctx.log = ContainerLog(a.log, a.container)
    ctx.container, ctx.pid, ctx.idle_timeout, ctx.slow_clients = a.container, a.pid, a.body_idle_timeout, a.slow_clients
    ctx.notes = []
    passed = failed = 0
    try:
        for fn in CHECKS:
            if a.only and not re.search(a.only, fn.__name__):
                continue
            try:
                ok, evidence = fn(ctx)
            except Exception as ex:  # a broken check is a failed check, with its reason
                ok, evidence = False, "%s: %s" % (type(ex).__name__, ex)
            print("%s  %-48s %s" % ("PASS" if ok else "FAIL", fn.__name__, evidence), flush=True)
            passed += bool(ok)
            failed += not ok
    finally:
        ctx.up.close()
    for note in ctx.notes:
        print("# " + note)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
