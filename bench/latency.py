"""Latency benchmark: an outlet publishes, how soon is the alert delivered?

The daemon runs as it does in production (``python -m monitor run``, its own process) with a
rule and a webhook channel. This process plays the outside world: a local WebSub hub, a feed
server with two outlets, and the webhook receiver that notes when each alert lands. Real
headlines (STS pairs' first headlines, those the rule fires on) are
published at random times (a Poisson process: exponential gaps of mean ``--mean-gap``),
each on one of two outlets in turn:

- the pushed outlet advertises the hub: publish -> hub -> the daemon's callback -> pipeline
  -> outbox -> webhook;
- the polled outlet (the baseline, in the same run, same daemon) advertises nothing and is
  polled every ``--poll`` seconds, as a feed without a hub is.

Latency is from just before the publish (the hub's POST, or the feed's new body served) to
the webhook receiving the alert; p50, p95 and max are printed for each, with the load
average. Polling latency grows with the interval (about half of it at p50): a 10-minute
interval is 60 times the 10 s default used here.

The goal's run is 20 minutes of real time (``--minutes 20``, the default): about 1,200
publishes at the default mean gap of 1 s.

    flock /tmp/bench.lock python bench/latency.py [--minutes 20] [--mean-gap 1.0] [--poll 10]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from feedserver import start_feed_server
from standins import serve_app
from websub_hub import Hub, Outlet, wait_until, websub_hub

from monitor.match import compile_rules
from monitor.match.config import RuleConfig

STS = ROOT.parent / "shared" / "data" / "sts-headlines"
QUERY = "the OR to OR of OR in OR for OR on OR with OR as OR at OR by OR from OR after"


def headlines(count: int, seed: int) -> list[str]:
    """Real headlines of different stories that the rule fires on, in a seeded random order:
    the first of each STS pair (European Media Monitor, 2013-16), which are mostly about
    different news."""
    matcher = compile_rules([RuleConfig(name="all", query=QUERY, channels=["hook"])], [])
    out: dict[str, None] = {}
    for part in ("train", "dev", "test"):
        with (STS / f"{part}.tsv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                title = " ".join(row["headline1"].split())  # as the alert will show it
                if title and matcher.match(title, ""):
                    out[title] = None
    titles = list(out)
    random.Random(seed).shuffle(titles)
    if len(titles) < count:
        raise SystemExit(f"only {len(titles)} usable headlines, asked for {count}")
    return titles[:count]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config_text(db: Path, pushed: str, polled: str, hook: str, port: int, poll: float) -> str:
    return f"""
[monitor]
database = "{db}"
jitter = 0
interval = "{poll}s"
min_interval = "1s"
[[feeds]]
url = "{pushed}"
[[feeds]]
url = "{polled}"
[[rules]]
name = "all"
query = "{QUERY}"
channels = ["hook"]
alert_on = "story"
[channels.hook]
type = "webhook"
url = "{hook}"
storm_limit = 0
[websub]
listen = "127.0.0.1:{port}"
callback_url = "http://127.0.0.1:{port}/websub"
poll_interval = "1h"
"""


def summary(name: str, values: list[float], expected: int) -> str:
    if not values:
        return f"{name}: no alert delivered"
    q = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return (
        f"{name:<26} p50 {q[49]:7.3f} s   p95 {q[94]:7.3f} s   max {max(values):7.3f} s"
        f"   ({len(values)}/{expected} alerts)"
    )


async def main(args: argparse.Namespace) -> None:
    titles = headlines(round(args.minutes * 60 / args.mean_gap), args.seed)
    received: dict[str, float] = {}

    async def hook(request: web.Request) -> web.Response:
        payload = await request.json()
        # By link: the alert shows the headline without wire tags ("- USGS"), the link as is.
        received.setdefault(payload["alert"]["url"], time.monotonic())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    feeds = await start_feed_server()
    async with websub_hub() as hub, serve_app(app) as hook_base:
        pushed = Outlet(feeds, hub, path="/pushed.atom", title="Pushed")
        polled = Outlet(feeds, Hub(), path="/polled.atom", title="Polled")
        polled.advertise_header = polled.advertise_in_feed = False
        pushed.serve()
        polled.serve()
        port = free_port()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "config.toml"
            path.write_text(
                config_text(
                    Path(tmp) / "monitor.db", pushed.url, polled.url, f"{hook_base}/hook",
                    port, args.poll,
                )
            )  # fmt: skip
            daemon = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "monitor", "run", "-c", str(path),
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            try:
                await wait_until(lambda: hub.live(pushed.topic), 60, "the subscription")
                await wait_until(lambda: feeds.hits(polled.path), 60, "the first poll")
                published: dict[str, tuple[str, float]] = {}
                rng = random.Random(args.seed)
                print(
                    f"publishing {len(titles)} headlines, Poisson arrivals of mean gap"
                    f" {args.mean_gap:g} s; the polled outlet every {args.poll:g} s",
                    flush=True,
                )
                for i, title in enumerate(titles):
                    await asyncio.sleep(rng.expovariate(1 / args.mean_gap))
                    link = f"http://outlet.example/{i}"
                    if i % 2 == 0:
                        published[link] = ("push", time.monotonic())
                        await pushed.publish(title, link)
                    else:
                        published[link] = ("poll", time.monotonic())
                        polled.add(title, link)
                await wait_until(
                    lambda: all(t in received for t in published),
                    args.poll * 2 + 30,
                    "the last alerts",
                )
            except AssertionError as exc:
                print(f"warning: {exc}", flush=True)
            finally:
                daemon.terminate()
                await daemon.wait()
        await feeds.server.close()
    latency: dict[str, list[float]] = {"push": [], "poll": []}
    for link, (how, at) in published.items():
        if link in received:
            latency[how].append(received[link] - at)
    expected = {how: sum(1 for h, _ in published.values() if h == how) for how in latency}
    print(summary("WebSub push", latency["push"], expected["push"]))
    print(summary(f"polling every {args.poll:g} s", latency["poll"], expected["poll"]))
    missing = [titles[int(link.rpartition("/")[2])] for link in published if link not in received]
    if missing:
        # alert_on = "story": a headline that joins an earlier one's story is no new alert.
        print(f"{len(missing)} not alerted (folded into another story, or late): {missing[:3]}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="how long the outlet publishes")
    parser.add_argument("--mean-gap", type=float, default=1.0, help="seconds between publishes")
    parser.add_argument("--poll", type=float, default=10.0, help="the polled outlet's interval")
    parser.add_argument("--seed", type=int, default=18)
    asyncio.run(main(parser.parse_args()))
