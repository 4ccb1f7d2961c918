#!/usr/bin/env python3
"""Cross-node TAK load for scripts/bench-cluster (standard library only).

N sender clients connect over TCP, round-robin to the given nodes' TAK ports, announce themselves and
send CoT XML positions at R Hz for the window; one listener connects to the LAST node. Every position's
`time` is its send time (ms), unique per sender, so a receiver knows which event it got and when it was
sent. The listener's latency is send -> receive; "delivered %" is the share of the window's events the
listener got within the drain; fan-out % is what the senders received of each other's events (expected
sent x (N - 1)), split into events that crossed nodes and events that did not.

  cluster_tak.py --tak HOST:PORT[,HOST:PORT...] -n 100 --rate 1 --duration 30 --json out.json
"""

import argparse
import asyncio
import json
import re
import time

EVENT_END = b"</event>"
UID = re.compile(rb'uid="(bench-[^"]+)"')
TIME = re.compile(rb'time="([^"]+)"')


def cot_time(t):
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    return f"{s}.{int((t % 1) * 1000):03d}Z"


def parse_time(b):
    s = b.decode()
    whole, frac = s.rstrip("Z").split(".")
    return time.mktime(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) - time.timezone + int(frac) / 1000


def event(uid, t, lat, stale=120):
    return (
        f'<event version="2.0" uid="{uid}" type="a-f-G-U-C" how="m-g" time="{cot_time(t)}" start="{cot_time(t)}" '
        f'stale="{cot_time(t + stale)}"><point lat="{lat:.5f}" lon="35.60000" hae="50" ce="5" le="5"/>'
        f'<detail><contact callsign="{uid}"/><__group name="Cyan" role="Team Member"/></detail></event>'
    ).encode()


class Reader:
    """Reads a CoT stream and records (uid, send time) -> receive time for the run's events."""

    def __init__(self, reader, run):
        self.reader, self.run, self.got = reader, run, {}

    async def loop(self):
        buf = b""
        while True:
            chunk = await self.reader.read(65536)
            if not chunk:
                return
            buf += chunk
            while True:
                i = buf.find(EVENT_END)
                if i < 0:
                    break
                ev, buf = buf[: i + len(EVENT_END)], buf[i + len(EVENT_END):]
                m, t = UID.search(ev), TIME.search(ev)
                if m and t and m.group(1).startswith(self.run.encode()):
                    key = (m.group(1).decode(), t.group(1))
                    self.got.setdefault(key, time.time())


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tak", required=True, help="HOST:PORT of each node's TAK TCP listener, comma-separated")
    p.add_argument("-n", type=int, default=100)
    p.add_argument("--rate", type=float, default=1.0)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--warmup", type=float, default=5.0)
    p.add_argument("--drain", type=float, default=5.0)
    p.add_argument("--label", default="")
    p.add_argument("--json")
    a = p.parse_args()
    nodes = [h.rsplit(":", 1) for h in a.tak.split(",")]
    run = f"bench-{int(time.time()) % 100000}-"

    async def connect(i):
        host, port = nodes[i % len(nodes)]
        r, w = await asyncio.open_connection(host, int(port))
        return r, w, i % len(nodes)

    senders = []
    for i in range(a.n):
        senders.append(await connect(i))
        await asyncio.sleep(0.01)
    lr, lw, lnode = await connect(len(nodes) - 1)
    listener = Reader(lr, run)
    readers = [Reader(r, run) for r, _, _ in senders]
    tasks = [asyncio.ensure_future(x.loop()) for x in readers + [listener]]
    sent = {}  # (uid, time bytes) -> (sender index, send time)
    t0 = time.time()
    for i, (_, w, _) in enumerate(senders):
        w.write(event(f"{run}{i}", t0, 47.0 + i * 0.001))
    lw.write(event(f"{run}listener", t0, 46.9))
    await asyncio.sleep(a.warmup)
    start = time.time()
    period = 1.0 / a.rate
    tick = 0
    while True:
        now = time.time()
        if now - start >= a.duration:
            break
        for i, (_, w, _) in enumerate(senders):
            # Distinct milliseconds per sender and tick.
            t = start + tick * period + i * 0.0001
            t = max(t, now)
            uid = f"{run}{i}"
            key = (uid, cot_time(t).encode())
            if key in sent:
                continue
            sent[key] = (i, t)
            w.write(event(uid, t, 47.0 + i * 0.001 + tick * 0.00001))
        tick += 1
        nxt = start + tick * period
        await asyncio.sleep(max(0.0, nxt - time.time()))
    await asyncio.sleep(a.drain)
    for t in tasks:
        t.cancel()
    lat = sorted((listener.got[k] - s) * 1000 for k, (_, s) in sent.items() if k in listener.got)
    cross = sorted(
        (listener.got[k] - s) * 1000 for k, (i, s) in sent.items() if k in listener.got and senders[i][2] != lnode
    )
    local = sorted(
        (listener.got[k] - s) * 1000 for k, (i, s) in sent.items() if k in listener.got and senders[i][2] == lnode
    )
    cross_expected = cross_got = local_expected = local_got = 0
    for k, (i, _) in sent.items():
        for j, rd in enumerate(readers):
            if j == i:
                continue
            same = senders[j][2] == senders[i][2]
            hit = k in rd.got
            if same:
                local_expected += 1
                local_got += hit
            else:
                cross_expected += 1
                cross_got += hit

    def pct(xs, q):
        return round(xs[min(len(xs) - 1, int(q * len(xs)))], 1) if xs else None

    out = {
        "label": a.label,
        "nodes": len(nodes),
        "clients": a.n,
        "rate_hz": a.rate,
        "offered_rate": round(len(sent) / a.duration, 1),
        "listener_delivered_pct": round(100 * len(lat) / max(1, len(sent)), 2),
        "cross_node_ms_p50": pct(cross, 0.5),
        "cross_node_ms_p99": pct(cross, 0.99),
        "same_node_ms_p50": pct(local, 0.5),
        "same_node_ms_p99": pct(local, 0.99),
        "latency_ms_max": round(lat[-1], 1) if lat else None,
        "fanout_rate": round((cross_got + local_got) / a.duration, 1),
        "fanout_delivered_pct": round(100 * (cross_got + local_got) / max(1, cross_expected + local_expected), 2),
        "cross_node_delivered_pct": round(100 * cross_got / cross_expected, 2) if cross_expected else None,
        "same_node_delivered_pct": round(100 * local_got / local_expected, 2) if local_expected else None,
    }
    print(json.dumps(out))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    asyncio.run(main())
