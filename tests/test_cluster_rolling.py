"""A rolling restart of every node (SIGTERM, start again, the next) while the outlets keep
publishing: every item stored once and assigned, every story alerted once per channel, the
roles handed from node to node as they leave."""

from __future__ import annotations

import asyncio
import csv
import signal
import time
from pathlib import Path

import asyncpg
from clirun import SPREAD, start_node, stop_nodes, with_password
from conftest import shared
from feedserver import FeedServer, rss
from standins import webhook_receiver

FEEDS = 30
NODES = 3


def _headlines(count: int) -> list[str]:
    """Real headlines of different stories (STS pairs graded unrelated, first of each)."""
    with shared("sts-headlines", "dev.tsv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if float(r["score"]) <= 1.0]
    seen: set[str] = set()
    out = []
    for r in rows:
        words = {w for w in r["headline1"].lower().split() if len(w) > 3}
        if words & seen:  # no word in common with another: no story or event joins them
            continue
        seen |= words
        out.append(r["headline1"])
    assert len(out) >= count
    return out[:count]


def _config(database: str, urls: list[str], hook_url: str) -> str:
    lines = ["[monitor]", 'max_age = "3650d"', f'database = "{database}"', "jitter = 0", 'retention = "3650d"',
             'interval = "1s"', 'min_interval = "1s"', 'grace_period = "3s"']  # fmt: skip
    for url in urls:
        lines += ["[[feeds]]", f'url = "{url}"']
    return (
        "\n".join(lines)
        + f"""
[cluster]
lease = "3s"
heartbeat = "0.5s"
election = "0.3s"

[dedup]
window = "3650d"

[[rules]]
name = "everything"
query = 'breaking'
alert_on = "story"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook_url}"
storm_limit = 1000
"""
    )


async def _start(config: Path, db: asyncpg.Connection) -> asyncio.subprocess.Process:
    """A node, once it has joined (a signal before that finds no handler yet)."""
    return await _joined(await start_node(config, env=SPREAD), db)


async def _joined(
    proc: asyncio.subprocess.Process, db: asyncpg.Connection
) -> asyncio.subprocess.Process:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if await db.fetchval(
            "SELECT to_regclass('cluster_nodes') IS NOT NULL"
        ) and await db.fetchval("SELECT count(*) FROM cluster_nodes WHERE pid = $1", proc.pid):
            await asyncio.sleep(0.5)  # its signal handlers are set just after it joins
            return proc
        await asyncio.sleep(0.1)
    raise AssertionError("the node did not join")


async def test_a_rolling_restart_loses_and_doubles_nothing(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    headlines = _headlines(24)
    items: dict[int, list[tuple[str, str]]] = {i: [] for i in range(FEEDS)}

    def publish(n: int) -> None:
        feed = n % FEEDS
        items[feed].insert(0, (f"Breaking: {headlines[n]}", f"http://f{feed}.example/{n}"))
        feed_server.feed(f"/f{feed}", rss(f"Outlet {feed}", items[feed]))

    for i in range(FEEDS):
        feed_server.feed(f"/f{i}", rss(f"Outlet {i}", []))
    urls = [feed_server.url(f"/f{i}") for i in range(FEEDS)]
    published = 0
    db = await asyncpg.connect(pg_url)
    async with webhook_receiver() as hook:
        config = tmp_path / "config.toml"
        config.write_text(_config(with_password(pg_url), urls, hook.url), "utf-8")
        procs = [await start_node(config, env=SPREAD) for _ in range(NODES)]  # at once: the starts overlap
        procs = [await _joined(p, db) for p in procs]
        errors: list[str] = []
        try:
            for n in range(NODES):  # restart each in turn, publishing all along
                await asyncio.sleep(1.0)  # the interval: every feed polled meanwhile
                for _ in range(4):
                    publish(published)
                    published += 1
                old = procs[n]
                old.send_signal(signal.SIGTERM)
                _, err = await asyncio.wait_for(old.communicate(), 60)
                errors.append(err.decode())
                assert old.returncode == 0, err.decode()
                procs[n] = await _start(config, db)
            for _ in range(published, len(headlines)):
                publish(published)
                published += 1
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                if len(hook.payloads()) >= published:
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(2.0)  # room for a duplicate to show
        finally:
            errors += await stop_nodes(procs)
        assert all(p.returncode == 0 for p in procs), errors
        assert all("Traceback" not in e for e in errors), errors

        titles = sorted(p["alert"]["title"] for p in hook.payloads() if p["alert"]["kind"] == "new")
        assert titles == sorted(f"Breaking: {h}" for h in headlines[:published])

    try:
        stored = await db.fetchval("SELECT count(*) FROM items")
        unassigned = await db.fetchval("SELECT count(*) FROM items WHERE story_id IS NULL")
        queued = await db.fetchval("SELECT count(*) FROM assign_queue")
    finally:
        await db.close()
    assert (stored, unassigned, queued) == (published, 0, 0)
