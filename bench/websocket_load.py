#!/usr/bin/env python3
"""bench/websocket's load: a WebSocket upstream and the clients, both Python's `websockets`
(Debian's python3-websockets), independent of the gateway under test.

  websocket_load.py upstream --port P        echo upstream; "flood N SIZE" makes it send N bytes in
                                             SIZE-byte binary messages as fast as the connection takes
                                             them; on /sink it reads every message slowly (PACE bytes/s)
  websocket_load.py connections URL --count C --seconds S --pid PID
                                             C connections, each echoing 64-byte messages for S s;
                                             the gateway's RSS and threads before, with C open, after
  websocket_load.py slow-reader URL --bytes B --pace BPS --pid PID
                                             the upstream floods B bytes, the client reads BPS bytes/s
  websocket_load.py slow-upstream URL --bytes B --pid PID
                                             the client sends B bytes as fast as it can to /sink
Each client mode prints one JSON object on stdout.
"""
import argparse
import asyncio
import json
import os
import sys
import time

import websockets


def proc_status(pid):
    """The gateway JVM's resident set (MiB), thread count and CPU time so far (ms), from /proc."""
    values = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "Threads"):
                values[key] = int(rest.split()[0])
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu_ms = (int(fields[11]) + int(fields[12])) * 1000 // os.sysconf("SC_CLK_TCK")  # utime + stime
    return {"rss_mib": round(values["VmRSS"] / 1024, 1), "threads": values["Threads"], "cpu_ms": cpu_ms}


class Sampler:
    """Samples the gateway every 0.2 s while a transfer runs: the largest RSS seen."""

    def __init__(self, pid):
        self.pid, self.peak, self.samples = pid, None, []

    async def run(self):
        while True:
            sample = proc_status(self.pid)
            self.samples.append(sample["rss_mib"])
            self.peak = max(self.peak or 0, sample["rss_mib"])
            await asyncio.sleep(0.2)


async def upstream(port, pace):
    async def handler(ws, path):
        try:
            if path.startswith("/sink"):
                async for message in ws:  # slowly: the gateway must stop reading the client meanwhile
                    await asyncio.sleep(len(message) / pace)
                return
            async for message in ws:
                if isinstance(message, str) and message.startswith("flood "):
                    _, total, size = message.split()
                    chunk = b"\x5a" * int(size)
                    left = int(total)
                    while left > 0:
                        await ws.send(chunk[:min(left, len(chunk))])
                        left -= len(chunk)
                    await ws.send("done")
                else:
                    await ws.send(message)
        except websockets.ConnectionClosed:
            pass

    async with websockets.serve(handler, "127.0.0.1", port, max_size=None, max_queue=4):
        print("upstream listening on %d" % port, flush=True)
        await asyncio.Future()


async def connections(url, count, seconds, pid):
    before = proc_status(pid)
    sockets = []
    for i in range(count):
        sockets.append(await websockets.connect(url, max_size=None))
    await asyncio.sleep(2)  # let the gateway settle after the opening burst before counting
    opened = proc_status(pid)
    messages = 0
    deadline = time.monotonic() + seconds

    async def echo(ws):
        nonlocal messages
        payload = "m" * 64
        while time.monotonic() < deadline:
            await ws.send(payload)
            if await ws.recv() != payload:
                raise RuntimeError("an echo came back different")
            messages += 1

    started = time.monotonic()
    await asyncio.gather(*(echo(ws) for ws in sockets))
    elapsed = time.monotonic() - started
    loaded = proc_status(pid)
    cpu_per_1k = (loaded["cpu_ms"] - opened["cpu_ms"]) * 1000 / max(messages, 1)
    await asyncio.gather(*(ws.close() for ws in sockets))
    return {"connections": count, "seconds": round(elapsed, 1), "messages": messages,
            "messages_per_s": round(messages / elapsed), "gateway_cpu_ms_per_1k_echoes": round(cpu_per_1k, 1),
            "before": before, "open_idle": opened, "under_load": loaded,
            "rss_kib_per_connection": round((opened["rss_mib"] - before["rss_mib"]) * 1024 / count, 1),
            "threads_per_connection": round((opened["threads"] - before["threads"]) / count, 3)}


async def slow_reader(url, total, pace, pid):
    sampler = Sampler(pid)
    before = proc_status(pid)
    task = asyncio.create_task(sampler.run())
    received = 0
    started = time.monotonic()
    async with websockets.connect(url, max_size=None, max_queue=1) as ws:
        await ws.send("flood %d %d" % (total, 65536))
        while True:
            message = await ws.recv()
            if message == "done":
                break
            received += len(message)
            await asyncio.sleep(len(message) / pace)
    task.cancel()
    elapsed = time.monotonic() - started
    return {"bytes": received, "complete": received == total, "seconds": round(elapsed, 1),
            "mib_per_s": round(received / 1048576 / elapsed, 1), "rss_before_mib": before["rss_mib"],
            "rss_peak_mib": sampler.peak, "rss_growth_mib": round(sampler.peak - before["rss_mib"], 1)}


async def slow_upstream(url, total, pid):
    sampler = Sampler(pid)
    before = proc_status(pid)
    task = asyncio.create_task(sampler.run())
    chunk = b"\xa5" * 65536
    sent = 0
    started = time.monotonic()
    async with websockets.connect(url.rsplit("/", 1)[0] + "/sink", max_size=None) as ws:
        while sent < total:
            await ws.send(chunk)
            sent += len(chunk)
    task.cancel()
    elapsed = time.monotonic() - started
    return {"bytes": sent, "seconds": round(elapsed, 1), "mib_per_s": round(sent / 1048576 / elapsed, 1),
            "rss_before_mib": before["rss_mib"], "rss_peak_mib": sampler.peak,
            "rss_growth_mib": round(sampler.peak - before["rss_mib"], 1)}


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    up = sub.add_parser("upstream")
    up.add_argument("--port", type=int, required=True)
    up.add_argument("--pace", type=float, default=50 * 1048576)
    for mode in ("connections", "slow-reader", "slow-upstream"):
        p = sub.add_parser(mode)
        p.add_argument("url")
        p.add_argument("--pid", type=int, required=True)
        p.add_argument("--count", type=int, default=1000)
        p.add_argument("--seconds", type=float, default=20)
        p.add_argument("--bytes", type=int, default=1 << 30)
        p.add_argument("--pace", type=float, default=50 * 1048576)
    args = parser.parse_args()
    if args.mode == "upstream":
        asyncio.run(upstream(args.port, args.pace))
        return
    if args.mode == "connections":
        result = asyncio.run(connections(args.url, args.count, args.seconds, args.pid))
    elif args.mode == "slow-reader":
        result = asyncio.run(slow_reader(args.url, args.bytes, args.pace, args.pid))
    else:
        result = asyncio.run(slow_upstream(args.url, args.bytes, args.pid))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
