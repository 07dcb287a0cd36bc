"""Ingest benchmark: 1,000 local feeds of 50 items through the whole polling pipeline.

Prints: first cycle items/s end to end, and the ratio to feedparser parsing the same bytes
alone (measured in the same run); second cycle (every feed answers 304) wall time and CPU
per feed; peak RSS. The feed server runs in a separate process so its CPU is not ours.

    python bench/ingest.py [--feeds 1000] [--items 50]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import os
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor import config as config_module
from monitor.daemon import poll_all
from monitor.engine import Engine

WORDS = [
    "minister",
    "summit",
    "talks",
    "border",
    "election",
    "court",
    "ruling",
    "strike",
    "market",
    "rally",
    "storm",
    "flood",
    "energy",
    "deal",
    "sanctions",
    "trade",
    "union",
    "police",
    "protest",
    "hospital",
    "vaccine",
    "climate",
    "report",
    "bank",
    "rates",
    "inflation",
    "budget",
    "parliament",
    "vote",
    "coalition",
    "ceasefire",
    "army",
    "port",
    "airline",
    "outage",
]


def feed_body(i: int, items: int) -> bytes:
    entries = []
    for j in range(items):
        w = [WORDS[(i * 7 + j * k) % len(WORDS)] for k in range(1, 9)]
        title = " ".join(w).capitalize()
        entries.append(
            f"<item><title>{title} {i}-{j}</title><link>https://news{i % 97}.example/{i}/{j}?utm_source=rss</link>"
            f"<guid>https://news{i % 97}.example/{i}/{j}</guid><description>&lt;p&gt;{title}. "
            f"{' '.join(w * 3)}&lt;/p&gt;</description>"
            f"<pubDate>Wed, 05 Nov 2025 {j % 24:02d}:{i % 60:02d}:00 GMT</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {i}</title>'
        f"<link>https://news{i}.example/</link>{''.join(entries)}</channel></rss>"
    ).encode()


def serve(port_pipe: multiprocessing.connection.Connection, feeds: int, items: int) -> None:
    from aiohttp import web

    bodies = [feed_body(i, items) for i in range(feeds)]
    etags = ['"' + hashlib.md5(b).hexdigest() + '"' for b in bodies]

    async def handler(request: web.Request) -> web.Response:
        i = int(request.match_info["i"])
        if request.headers.get("If-None-Match") == etags[i]:
            return web.Response(status=304, headers={"ETag": etags[i]})
        return web.Response(
            body=bodies[i], content_type="application/rss+xml", headers={"ETag": etags[i]}
        )

    app = web.Application()
    app.router.add_get("/f/{i}", handler)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port_pipe.send(sock.getsockname()[1])
    web.run_app(app, sock=sock, print=None, handle_signals=True)


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def main(feeds: int, items: int) -> None:
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(child, feeds, items), daemon=True)
    server.start()
    port = parent.recv()
    time.sleep(0.5)
    bodies = [feed_body(i, items) for i in range(feeds)]

    t = time.perf_counter()
    # The same call the pipeline makes: same bytes, same response headers.
    headers = {
        "content-type": "application/rss+xml",
        "content-location": f"http://127.0.0.1:{port}/f/0",
    }
    parsed_items = sum(len(feedparser.parse(b, response_headers=headers).entries) for b in bodies)
    parse_alone = time.perf_counter() - t
    del bodies

    with tempfile.TemporaryDirectory() as tmp:
        lines = [
            "[monitor]",
            f'database = "{tmp}/bench.db"',
            "[fetch]",
            "concurrency = 50",
            "per_host = 50",  # every bench feed is on 127.0.0.1; real feeds spread over hosts
        ]
        for i in range(feeds):
            lines += ["[[feeds]]", f'url = "http://127.0.0.1:{port}/f/{i}"']
        config = config_module.loads("\n".join(lines), base_dir=Path(tmp))
        engine = await Engine.open(config)
        rt = engine.rt
        try:
            t, c = time.perf_counter(), cpu()
            first = await poll_all(rt, progress=False)
            first_wall, first_cpu = time.perf_counter() - t, cpu() - c
            stored = sum(o.new_items for o in first)
            errors = [o.error for o in first if o.error]
            t, c = time.perf_counter(), cpu()
            second = await poll_all(rt, progress=False)
            second_wall, second_cpu = time.perf_counter() - t, cpu() - c
        finally:
            await engine.close()
    server.terminate()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    not_modified = sum(o.result == "not_modified" for o in second)
    print(f"feeds: {feeds}, items per feed: {items}, errors: {len(errors)} {errors[:2]}")
    print(
        f"feedparser alone: {parsed_items:,} items in {parse_alone:.2f}s "
        f"= {parsed_items / parse_alone:,.0f} items/s"
    )
    print(
        f"first cycle: {stored:,} items stored in {first_wall:.2f}s wall, {first_cpu:.2f}s CPU "
        f"= {stored / first_wall:,.0f} items/s end to end"
    )
    print(
        f"  ratio end-to-end / feedparser alone: {first_wall / parse_alone:.2f}x wall, "
        f"{first_cpu / parse_alone:.2f}x CPU (goal: <= 1.5x, the rest costs at most half of parsing)"
    )
    print(
        f"second cycle: {not_modified}/{feeds} not modified in {second_wall:.2f}s wall (goal <= 2s), "
        f"{second_cpu / feeds * 1000:.3f} ms CPU per feed (goal <= 0.2 ms)"
    )
    print(f"peak RSS: {peak_mb:.0f} MB (goal <= 200 MB)")
    # Other jobs on the machine move every figure above: say how busy it was.
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=50)
    a = ap.parse_args()
    asyncio.run(main(a.feeds, a.items))
