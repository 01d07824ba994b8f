#!/usr/bin/env python3
"""WebSocket through a gatewar route on a real container, judged by an independent implementation:
Python's `websockets` library (Debian's python3-websockets) is both the client and the upstream
(which this script runs on --upstream-port; the route under test points at it).

Checks: echo of text, binary, fragmented and 64 KiB messages and ping/pong, compressed with
permessage-deflate negotiated end to end; the subprotocol the
upstream picked; an upstream refusal (403 and its body); a dead upstream (503 JSON); close codes
both ways; the upstream's death (1011 to the client); the client's death (1001 to the upstream).
"""
import argparse
import asyncio
import http.client
import json
import os
from http import HTTPStatus
import sys
from urllib.parse import urlparse

import websockets

from check_report import report

REFUSAL = b'{"message":"not you"}'


class Upstream:
    """The WebSocket upstream: echoes, and obeys close:CODE:REASON, die and fragments."""

    def __init__(self):
        self.closes = {}
        self.paths = []

    async def refuse(self, path, headers):
        if path.startswith("/refuse"):
            return HTTPStatus.FORBIDDEN, [("Content-Type", "application/json"), ("Content-Length", str(len(REFUSAL)))], REFUSAL
        return None

    def close_of(self, path):
        """The close the upstream saw on the connection to PATH (each check uses its own)."""
        return self.closes.setdefault(path, asyncio.get_running_loop().create_future())

    async def handler(self, ws, path):
        self.paths.append(path)
        try:
            async for message in ws:
                if isinstance(message, str) and message.startswith("close:"):
                    _, code, reason = message.split(":", 2)
                    await ws.close(int(code), reason)
                elif message == "die":
                    ws.transport.abort()
                elif message == "fragments":
                    await ws.send(["frag", "ments"])
                else:
                    await ws.send(message)
        except websockets.ConnectionClosed:
            pass
        seen = self.close_of(path)
        if not seen.done():
            seen.set_result((ws.close_code, ws.close_reason))

    async def next_close(self, path):
        return await asyncio.wait_for(self.close_of(path), 20)


def ws_url(gateway, route, path):
    return gateway.replace("http://", "ws://", 1).rstrip("/") + "/" + route + path


def raw_handshake(gateway, route, path):
    """The opening handshake over plain http.client: the status and body the client gets."""
    url = urlparse(gateway)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    conn.request("GET", url.path.rstrip("/") + "/" + route + path, headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


async def close_after(url, command):
    """Sends COMMAND to the upstream; the close code and reason the client then gets."""
    async with websockets.connect(url) as ws:
        await ws.send(command)
        try:
            await asyncio.wait_for(ws.recv(), 20)
        except websockets.ConnectionClosed:
            pass
        return ws.close_code, ws.close_reason


async def checks(args, upstream):
    results = []

    def url_for(check):
        return ws_url(args.gateway, args.route, "/ws?check=" + check)

    url = url_for("echo")

    async with websockets.connect(url, max_size=None) as ws:
        await ws.send("hello")
        text = await asyncio.wait_for(ws.recv(), 20)
        payload = os.urandom(64 * 1024)
        await ws.send(payload)
        binary = await asyncio.wait_for(ws.recv(), 20)
        await ws.send(["frag", "mented"])
        fragmented = await asyncio.wait_for(ws.recv(), 20)
        await ws.send("fragments")
        from_fragments = await asyncio.wait_for(ws.recv(), 20)
        pong = await ws.ping(b"p")
        await asyncio.wait_for(pong, 20)
        results.append(("echo_text", text == "hello", "sent 'hello', got %r" % text[:40]))
        results.append(("echo_binary_64k", binary == payload, "sent %d bytes, got %d, equal: %s"
                        % (len(payload), len(binary), binary == payload)))
        results.append(("echo_fragmented_both_ways", fragmented == "fragmented" and from_fragments == "fragments",
                        "client fragments -> %r; upstream fragments -> %r" % (fragmented, from_fragments)))
        results.append(("ping_pong", True, "pong received"))
        negotiated = [extension.name for extension in ws.extensions]
        results.append(("permessage_deflate_end_to_end", negotiated == ["permessage-deflate"],
                        "negotiated with the upstream through the gateway: %r (the messages above were compressed)" % negotiated))
        results.append(("path_and_query_forwarded", upstream.paths[-1:] == ["/ws?check=echo"],
                        "upstream saw %r" % upstream.paths[-1:]))
        await ws.close(4000, "bye")
        seen = await upstream.next_close("/ws?check=echo")
        results.append(("client_close_reaches_upstream", seen == (4000, "bye") and ws.close_code == 4000,
                        "upstream saw %r; client's close answered with %r" % (seen, ws.close_code)))

    async with websockets.connect(url_for("subprotocol-offered"), subprotocols=["chat.v1", "chat.v2"]) as ws:
        picked = ws.subprotocol
    async with websockets.connect(url_for("subprotocol-none")) as ws:
        none_picked = ws.subprotocol
    results.append(("subprotocol_picked_by_upstream", picked == "chat.v2" and none_picked is None,
                    "offered chat.v1, chat.v2: %r; offered none: %r" % (picked, none_picked)))

    # In a thread: the upstream answering it runs on this event loop.
    status, body = await asyncio.to_thread(raw_handshake, args.gateway, args.route, "/refuse")
    results.append(("upstream_refusal_relayed", status == 403 and body == REFUSAL, "%d %r" % (status, body[:60])))

    status, body = await asyncio.to_thread(raw_handshake, args.gateway, args.down_route, "/ws")
    try:
        message = json.loads(body).get("message", "")
    except ValueError:
        message = None
    results.append(("dead_upstream_503_json", status == 503 and bool(message) and "9202" not in body.decode("utf-8", "replace"),
                    "%d %r" % (status, body[:100])))

    closed = await close_after(url_for("upstream-close"), "close:4001:done here")
    results.append(("upstream_close_reaches_client", closed == (4001, "done here"), "client got %r" % (closed,)))
    closed = await close_after(url_for("upstream-death"), "die")
    results.append(("upstream_death_is_1011", closed[0] == 1011, "client got %r" % (closed,)))

    ws = await websockets.connect(url_for("client-death"))
    await ws.send("hello")
    await asyncio.wait_for(ws.recv(), 20)
    ws.transport.abort()  # no close frame: the connection just ends
    seen = await upstream.next_close("/ws?check=client-death")
    results.append(("client_death_is_1001_upstream", seen[0] == 1001, "upstream saw %r" % (seen,)))
    return results


async def main_async(args):
    upstream = Upstream()
    server = await websockets.serve(upstream.handler, "127.0.0.1", args.upstream_port, subprotocols=["chat.v2"],
                                    process_request=upstream.refuse, max_size=None)
    try:
        return await checks(args, upstream)
    finally:
        server.close()
        await server.wait_closed()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True, help="the gateway's base URL, context path included")
    parser.add_argument("--route", required=True, help="the route whose upstream is this script's (--upstream-port)")
    parser.add_argument("--down-route", required=True, help="a route whose upstream does not listen")
    parser.add_argument("--upstream-port", type=int, required=True)
    args = parser.parse_args()
    try:
        results = asyncio.run(main_async(args))
    except Exception as e:  # a check that could not run counts as failed, with what stopped it
        results = [("websocket_checks_ran", False, "%s: %s" % (type(e).__name__, e))]
    sys.exit(report(results))


if __name__ == "__main__":
    main()
