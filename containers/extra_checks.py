#!/usr/bin/env python3
"""Behaviours issue #3 requires of a deployed gateway that ../shared/conformance does not test.

    python3 containers/extra_checks.py --gateway http://127.0.0.1:8080/gw --route serviceC

The route (BASE/serviceC/*) must point at http://127.0.0.1:9203, where this script runs its own
scripted upstream. Python 3 standard library only, 127.0.0.1 only, every socket has a timeout and
the upstream never relies on the client's timing: where an order matters, the client tells it
through an Event. Prints one line per check (PASS|FAIL name evidence) and "N passed, N failed".
"""
import argparse
import socket
import sys
import threading
import urllib.parse

UPSTREAM_PORT = 9203
TIMEOUT = 20.0


class Upstream:
    """A scripted HTTP/1.1 upstream: each path names a behaviour."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", UPSTREAM_PORT))
        self.sock.listen(64)
        self.client_saw_first = threading.Event()
        self.upload_outcome = {}
        self.heads = {}
        self.upload_started = threading.Event()
        self.upload_done = threading.Event()
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.running = False
        self.sock.close()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(TIMEOUT)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_head(conn, buf):
        while b"\r\n\r\n" not in buf:
            data = conn.recv(65536)
            if not data:
                return None, buf
            buf += data
        head, rest = buf.split(b"\r\n\r\n", 1)
        return head.decode("latin-1"), rest

    def _serve(self, conn):
        buf = b""
        try:
            while True:
                head, buf = self._read_head(conn, buf)
                if head is None:
                    return
                lines = head.split("\r\n")
                path = lines[0].split(" ")[1]
                self.heads[path] = head
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                if path.startswith("/upload"):
                    self._upload(conn, headers, buf)
                    return
                length = int(headers.get("content-length", "0"))
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                buf = buf[length:]
                if not self._respond(conn, path):
                    return
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _respond(self, conn, path):
        if path.startswith("/sse"):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n" + chunk(b"data: first\n\n"))
            if not self.client_saw_first.wait(TIMEOUT):
                return False
            conn.sendall(chunk(b"data: second\n\n") + b"0\r\n\r\n")
            return True
        if path.startswith("/die"):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                         + chunk(b"partial body "))
            self.client_saw_first.wait(TIMEOUT)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()
            return False
        if path.startswith("/connection-listed"):
            body = b"ok"
            conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: X-Hop-Secret\r\nX-Hop-Secret: leaked\r\n"
                         b"X-End-To-End: kept\r\nContent-Length: 2\r\n\r\n" + body)
            return True
        body = path.encode("latin-1")
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        return True

    def _upload(self, conn, headers, buf):
        """Reads the body as framed; records whether it ended complete or was cut off."""
        received = len(buf)
        outcome = "complete"
        self.upload_started.set()
        try:
            if "content-length" in headers:
                expected = int(headers["content-length"])
                while received < expected:
                    data = conn.recv(65536)
                    if not data:
                        outcome = "aborted (EOF at %d of %d bytes)" % (received, expected)
                        break
                    received += len(data)
            else:
                data = buf
                while not data.endswith(b"0\r\n\r\n"):
                    more = conn.recv(65536)
                    if not more:
                        outcome = "aborted (EOF after %d chunked bytes, no last-chunk)" % received
                        break
                    received += len(more)
                    data = (data + more)[-16:]
        except ConnectionResetError:
            outcome = "aborted (reset after %d bytes)" % received
        except socket.timeout:
            outcome = "stalled (no end after %d bytes within %ds)" % (received, TIMEOUT)
        self.upload_outcome["outcome"] = outcome
        self.upload_done.set()
        if outcome == "complete":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")


def chunk(data):
    return b"%x\r\n" % len(data) + data + b"\r\n"


class Gateway:
    def __init__(self, url, route):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.prefix = u.path.rstrip("/") + "/" + route

    def connect(self):
        s = socket.create_connection((self.host, self.port), timeout=TIMEOUT)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def request(self, path, extra=""):
        return ("GET %s%s HTTP/1.1\r\nHost: %s:%d\r\n%s\r\n" % (self.prefix, path, self.host, self.port, extra)).encode("latin-1")


def read_until(s, marker, buf=b""):
    while marker not in buf:
        data = s.recv(65536)
        if not data:
            return buf, False
        buf += data
    return buf, True


def read_to_end(s, buf=b""):
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return buf, "eof"
            buf += data
    except ConnectionResetError:
        return buf, "reset"
    except socket.timeout:
        return buf, "timeout"


CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


@check
def sse_streams_event_by_event(gw, up):
    """The first event reaches the client while the upstream still holds back the second."""
    up.client_saw_first.clear()
    with gw.connect() as s:
        s.sendall(gw.request("/sse", "Accept: text/event-stream\r\n"))
        buf, ok = read_until(s, b"data: first")
        if not ok:
            return False, "connection ended before the first event: %r" % buf[:200]
        up.client_saw_first.set()
        buf, ok = read_until(s, b"data: second", buf)
        return ok, "first event arrived alone, then the second" if ok else "second event missing: %r" % buf[-200:]


@check
def connection_listed_response_headers_removed(gw, up):
    """Response fields the upstream names in Connection do not reach the client."""
    with gw.connect() as s:
        s.sendall(gw.request("/connection-listed", "Connection: close\r\n"))
        buf, _ = read_to_end(s)
    head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    ok = "x-hop-secret" not in head and "x-end-to-end: kept" in head
    return ok, "head: %r" % head[:300]


@check
def upstream_death_mid_body_leaves_incomplete_message(gw, up):
    """Upstream resets after part of a chunked body: the client must not get a terminated message."""
    up.client_saw_first.clear()
    with gw.connect() as s:
        s.sendall(gw.request("/die"))
        buf, ok = read_until(s, b"partial body")
        if not ok:
            return False, "partial body never arrived (buffered?): %r" % buf[:300]
        up.client_saw_first.set()
        buf, how = read_to_end(s, buf)
    terminated = b"\r\n0\r\n\r\n" in buf
    return not terminated, "client saw %s, %d bytes, last-chunk %s" % (how, len(buf), "PRESENT" if terminated else "absent")


def chunked_body_end(body):
    """Where a chunked message body ends (after its last-chunk and trailer section); -1 when it does not."""
    pos = 0
    while True:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            return -1
        try:
            size = int(body[pos:eol].split(b";")[0].strip(), 16)
        except ValueError:
            return -1
        pos = eol + 2
        if size == 0:
            end = body.find(b"\r\n\r\n", pos - 2)
            return -1 if end < 0 else end + 4
        pos += size + 2
        if pos > len(body):
            return -1


def truncation_visible(buf, how):
    """(visible, description) for a response whose upstream died mid-body: can the client tell?

    Visible means chunked without the last-chunk, fewer bytes than a Content-Length, or a reset;
    never a close-delimited body (no length, not chunked) ended by a clean close.
    """
    head, _, body = buf.partition(b"\r\n\r\n")
    fields = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip().lower()
    status = head[9:12].decode("latin-1", "replace")
    if "chunked" in fields.get("transfer-encoding", ""):
        end = chunked_body_end(body)
        return end < 0, "%s, chunked, last-chunk %s, then %s" % (status, "PRESENT" if end >= 0 else "absent", how)
    if "content-length" in fields:
        length = int(fields["content-length"])
        return len(body) < length, "%s, Content-Length %d, %d body bytes, then %s" % (status, length, len(body), how)
    if how == "reset":
        return True, "%s, close-delimited, ended by a reset" % status
    return False, "%s, close-delimited (no Content-Length, not chunked), %d body bytes, then a clean %s: looks complete" % (
        status, len(body), how)


@check
def upstream_death_mid_body_with_connection_close_looks_truncated(gw, up):
    """As above, the client sent Connection: close (HTTP/1.1): the body must still look short.

    Chunked without the last-chunk, short of a Content-Length, or a reset; never a close-delimited
    body ended by a clean close (issue 13, item 2).
    """
    up.client_saw_first.clear()
    with gw.connect() as s:
        s.sendall(gw.request("/die-close", "Connection: close\r\n"))
        buf, ok = read_until(s, b"partial body")
        if not ok:
            return False, "partial body never arrived (buffered?): %r" % buf[:300]
        up.client_saw_first.set()
        buf, how = read_to_end(s, buf)
    visible, description = truncation_visible(buf, how)
    return visible, description


def upload_abort(gw, up, framing):
    up.upload_started.clear()
    up.upload_done.clear()
    up.upload_outcome.clear()
    s = gw.connect()
    if framing == "length":
        head = "POST %s/upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % (
            gw.prefix, 4 * 1024 * 1024)
        s.sendall(head.encode() + b"x" * (256 * 1024))
    else:
        head = "POST %s/upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n" % gw.prefix
        s.sendall(head.encode() + chunk(b"x" * (256 * 1024)))
    # Abort only once the upstream is receiving, so the gateway must cut a live exchange.
    if not up.upload_started.wait(TIMEOUT):
        s.close()
        return False, "the upload never reached the upstream"
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    if not up.upload_done.wait(TIMEOUT + 5):
        return False, "upstream saw neither the end nor an abort"
    outcome = up.upload_outcome.get("outcome", "")
    return outcome.startswith("aborted"), "upstream: " + outcome


@check
def client_upload_abort_content_length(gw, up):
    """Client resets mid-upload (Content-Length): the upstream sees an aborted request."""
    return upload_abort(gw, up, "length")


@check
def client_upload_abort_chunked(gw, up):
    """Client resets mid-upload (chunked): the upstream never sees a last-chunk."""
    return upload_abort(gw, up, "chunked")


@check
def obs_fold_rejected(gw, up):
    """A header continued on the next line (obs-fold) is rejected with 400.

    With --obs-fold=unfold (Tomcat, whose parser unfolds obs-fold before any webapp or valve sees the
    request, with no setting to refuse it) the RFC 9112 5.2 alternative is accepted instead, and said
    so: the upstream must receive the field on one line, the continuation replaced by SP.
    """
    with gw.connect() as s:
        s.sendall(("GET %s/fold HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\nConnection: close\r\n\r\n" % gw.prefix).encode())
        buf, _ = read_to_end(s)
    status = buf[9:12].decode("latin-1", "replace")
    if status == "400":
        return True, "status 400"
    head = up.heads.get("/fold", "")
    one_line = "X-Folded: a b" in head and not any(line[:1] in (" ", "\t") for line in head.split("\r\n"))
    if gw.obs_fold == "unfold" and status == "200" and one_line:
        return True, "NOT 400: unfolded to one line as RFC 9112 5.2 allows (this container cannot refuse obs-fold)"
    return False, "status %s, upstream head %r" % (status, head[:200])


@check
def pipelined_requests_answered_in_order(gw, up):
    """Three requests written at once come back as three responses, in order."""
    with gw.connect() as s:
        s.sendall(gw.request("/p1") + gw.request("/p2") + gw.request("/p3", "Connection: close\r\n"))
        buf, _ = read_to_end(s)
    order = [p for p in (b"/p1", b"/p2", b"/p3") if p in buf]
    positions = [buf.find(p) for p in (b"/p1", b"/p2", b"/p3")]
    ok = buf.count(b"HTTP/1.1 200") == 3 and positions == sorted(positions) and -1 not in positions
    return ok, "%d responses, bodies in order %s" % (buf.count(b"HTTP/1.1 "), [o.decode() for o in order])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gateway", required=True, help="gateway base URL including any context path")
    ap.add_argument("--route", default="serviceC", help="route prefix pointing at 127.0.0.1:%d" % UPSTREAM_PORT)
    ap.add_argument("--obs-fold", choices=("reject", "unfold"), default="reject",
                    help="reject: only 400 passes; unfold: a container that unfolds per RFC 9112 5.2 passes, flagged")
    a = ap.parse_args()
    up = Upstream()
    gw = Gateway(a.gateway, a.route)
    gw.obs_fold = a.obs_fold
    passed = failed = 0
    try:
        for fn in CHECKS:
            try:
                ok, evidence = fn(gw, up)
            except Exception as ex:  # a broken check is a failed check, with its reason
                ok, evidence = False, "%s: %s" % (type(ex).__name__, ex)
            print("%s  %-52s %s" % ("PASS" if ok else "FAIL", fn.__name__, evidence), flush=True)
            passed += ok
            failed += not ok
    finally:
        up.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
