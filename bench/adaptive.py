"""Adaptive polling vs fixed 5-minute polling, without a hub: how soon is a new item seen,
and at what cost in requests?

100 local feeds publish at random times (Poisson): ``--busy`` of them an item a minute on
average, the others a few a day (each its own rate, 2 to 6 a day). Item titles are real
headlines (UCI News Aggregator, March 2014), each feed serving its last 20 items as RSS 2.0
with an ETag (a 304 when nothing changed), as real outlets do. Every feed starts with a
week of history, so its body shows its rate from the first poll.

The same feeds, the same publishing times, run twice through the real pipeline
(``Engine`` and ``refresh_feed``: HTTP fetch from a local server, parse, normalize, store,
stories, rules, outbox), once per ``[monitor] schedule``, with the project's defaults
(jitter, min_interval, max_interval: twice the interval) and ``interval = "5m"``;
``--max-interval 24h`` sets a longer ceiling for quiet feeds. Each feed is polled again at
the ``next_check`` the pipeline computes, as the daemon's scheduler does; with 100 feeds
its dispatcher never has to hold a due poll back, so polls run one at a time in due order.

Only the clock is mocked: a simulated clock jumps from one due poll to the next, so
``--hours`` of simulated time take a minute or two. Latency is publish -> the poll that
stores the item (``first_seen``, the simulated time): the item's alerts are queued in that
poll's transaction, and their delivery costs the same milliseconds in both modes. Items
published in the first ``--warmup`` hours are not counted; each feed is polled past the end
until it has shown every item published before it, but only requests before the end count.

    flock /tmp/bench.lock python bench/adaptive.py [--hours 12] [--busy 5] [--max-interval 1h]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import heapq
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from standins import serve_app

from monitor import config as config_module
from monitor.engine import Engine
from monitor.pipeline import refresh_feed

UCI = ROOT.parent / "shared" / "data" / "uci-news-2014-03"
FEEDS = 100
SHOWN = 20  # items in a feed's body
WEEK, HOUR, DAY = 7 * 86400.0, 3600.0, 86400.0


def headlines() -> list[str]:
    with next(UCI.glob("*.csv")).open(encoding="utf-8", newline="") as f:
        return [" ".join(row["TITLE"].split()) for row in csv.DictReader(f)]


@dataclass(slots=True)
class Outlet:
    name: str
    busy: bool
    times: list[float]  # publication times, ascending
    titles: list[str]
    hits: list[float] = field(default_factory=list)  # simulated times of its requests

    def shown(self, now: float) -> int:
        """How many of its items are published by ``now``."""
        return bisect_right(self.times, now)

    def body(self, upto: int) -> bytes:
        items = "".join(
            f"<item><title>{escape(self.titles[i])}</title>"
            f"<link>http://{self.name}.example/{i}</link><guid>{self.name}-{i}</guid>"
            f"<pubDate>{format_datetime(datetime.fromtimestamp(self.times[i], UTC), usegmt=True)}"
            "</pubDate></item>"
            for i in range(upto - 1, max(upto - SHOWN, 0) - 1, -1)
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{self.name}</title><link>http://{self.name}.example/</link>"
            f"{items}</channel></rss>"
        ).encode()


def outlets(start: float, end: float, busy: int, seed: int) -> list[Outlet]:
    rng = random.Random(seed)
    titles = headlines()
    rng.shuffle(titles)
    made: list[Outlet] = []
    for n in range(FEEDS):
        rate = 1 / 60.0 if n < busy else rng.uniform(2, 6) / DAY  # items a second
        times: list[float] = []
        t = start - (DAY if n < busy else WEEK)  # a week of history (a day is plenty when busy)
        while (t := t + rng.expovariate(rate)) < end:
            times.append(round(t, 3))
        picked = [titles[(n * 7919 + i) % len(titles)] for i in range(len(times))]
        made.append(Outlet(f"{'busy' if n < busy else 'quiet'}{n:03d}", n < busy, times, picked))
    return made


class World:
    """The outlets' server; it shows each feed as it is at the simulated ``now``."""

    def __init__(self, feeds: list[Outlet]) -> None:
        self.feeds = {f.name: f for f in feeds}
        self.now = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        outlet = self.feeds[request.match_info["name"]]
        outlet.hits.append(self.now)
        upto = outlet.shown(self.now)
        etag = f'"{hashlib.sha1(f"{outlet.name}{upto}".encode()).hexdigest()[:16]}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=outlet.body(upto), content_type="application/rss+xml", headers={"ETag": etag}
        )


def config_text(db: Path, base: str, names: list[str], schedule: str, most: str) -> str:
    feeds = "".join(f'[[feeds]]\nurl = "{base}/{n}.xml"\nname = "{n}"\n' for n in names)
    return (
        f'[monitor]\ndatabase = "{db}"\ninterval = "5m"\nschedule = "{schedule}"\n'
        + (f'max_interval = "{most}"\n' if most else "")
        + '[[rules]]\nname = "all"\nquery = "the OR to OR of OR in OR for OR on"\n'
        'channels = ["screen"]\nalert_on = "story"\n'
        '[channels.screen]\ntype = "console"\n' + feeds
    )


@dataclass(slots=True)
class Run:
    latency: dict[bool, list[float]]  # busy? -> seconds, publish to stored
    requests: int
    busy_requests: int
    seconds: float


async def run(
    schedule: str,
    world: World,
    base: str,
    span: tuple[float, float, float],  # start, end, warm-up
    most: str,
    tmp: Path,
) -> Run:
    start, end, warmup = span
    for outlet in world.feeds.values():
        outlet.hits.clear()
    db = tmp / f"{schedule}.db"
    path = tmp / f"{schedule}.toml"
    path.write_text(config_text(db, base, list(world.feeds), schedule, most))
    config = config_module.load(path)
    clock = start
    engine = await Engine.open(config, clock=lambda: clock)
    began = time.monotonic()
    rng = random.Random(1)
    try:
        by_url = {f.url: f for f in config.feeds}
        # The daemon spreads a cold start over a few seconds.
        due = [(start + rng.uniform(0, 3), f.url) for f in config.feeds]
        heapq.heapify(due)
        last = {f.url: world.feeds[f.name or ""].shown(end) for f in config.feeds}
        while due:
            at, url = heapq.heappop(due)
            clock = world.now = at
            outcome = await refresh_feed(engine.rt, by_url[url])
            outlet = world.feeds[by_url[url].name or ""]
            if at < end or outlet.shown(at) < last[url] or outcome.result == "error":
                heapq.heappush(due, (max(outcome.next_check, at + 1), url))
    finally:
        seconds = time.monotonic() - began
        await engine.close()
    latency: dict[bool, list[float]] = {True: [], False: []}
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT feeds.url, items.published, items.first_seen FROM items"
            " JOIN feeds ON feeds.id = items.feed_id WHERE items.published BETWEEN ? AND ?",
            (start + warmup, end),
        ).fetchall()
    names = {f.url: f.name or "" for f in config.feeds}
    for url, published, seen in rows:
        latency[world.feeds[names[url]].busy].append(seen - published)
    hits = [h for o in world.feeds.values() for h in o.hits if h < end]
    busy_hits = [h for o in world.feeds.values() if o.busy for h in o.hits if h < end]
    return Run(latency, len(hits), len(busy_hits), seconds)


def quantiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0], values[0]) if values else (float("nan"), float("nan"))
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[94]


def minutes(seconds: float) -> str:
    return f"{seconds / 60:7.1f} min"


async def main(args: argparse.Namespace) -> None:
    start = float(int(time.time() - args.hours * HOUR - DAY))  # all in the past: no date is
    end = start + args.hours * HOUR  # ever "in the future" for the store's own clock
    feeds = outlets(start, end, args.busy, args.seed)
    world = World(feeds)
    app = web.Application()
    app.router.add_get("/{name}.xml", world.handle)
    published = sum(1 for f in feeds for t in f.times if start + args.warmup * HOUR <= t < end)
    print(
        f"{FEEDS} feeds ({args.busy} busy: an item a minute; {FEEDS - args.busy} quiet: 2-6 a"
        f" day), {args.hours:g} h simulated, {published} items published after a"
        f" {args.warmup:g} h warm-up",
        flush=True,
    )
    results: dict[str, Run] = {}
    async with serve_app(app) as base:
        with tempfile.TemporaryDirectory() as tmp:
            for schedule in ("fixed", "adaptive"):
                results[schedule] = await run(
                    schedule, world, base, (start, end, args.warmup * HOUR),
                    args.max_interval, Path(tmp),
                )  # fmt: skip
    print(f"{'':<10}{'busy p50':>12}{'busy p95':>12}{'quiet p50':>12}{'quiet p95':>12}"
          f"{'all p50':>12}{'requests':>10}{'(busy)':>8}{'items':>7}{'wall':>7}")  # fmt: skip
    for name, r in results.items():
        b50, b95 = quantiles(r.latency[True])
        q50, q95 = quantiles(r.latency[False])
        every = r.latency[True] + r.latency[False]
        print(
            f"{name:<10}{minutes(b50):>12}{minutes(b95):>12}{minutes(q50):>12}{minutes(q95):>12}"
            f"{minutes(quantiles(every)[0]):>12}{r.requests:>10}{r.busy_requests:>8}"
            f"{len(every):>7}{r.seconds:>6.0f}s"
        )
    fixed, adaptive = results["fixed"], results["adaptive"]
    ratio = quantiles(adaptive.latency[True])[0] / quantiles(fixed.latency[True])[0]
    quiet = quantiles(adaptive.latency[False])[0] / quantiles(fixed.latency[False])[0]
    cost = adaptive.requests / fixed.requests
    print(
        f"adaptive / fixed: busy p50 {ratio:.2f}x (goal <= 0.3x), quiet p50 {quiet:.2f}x,"
        f" requests {cost:.2f}x (goal <= 1.0x)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=12.0, help="simulated time")
    parser.add_argument("--warmup", type=float, default=1.0, help="hours not counted")
    parser.add_argument("--busy", type=int, default=5, help="feeds with an item a minute")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument(
        "--max-interval", default="", help='[monitor] max_interval, e.g. "1h" (default: its own)'
    )
    asyncio.run(main(parser.parse_args()))
