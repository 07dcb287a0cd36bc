"""bench/scale.py's whole-pipeline part: `monitor run` nodes over one PostgreSQL (and one node
on SQLite, the baseline of the same run), every poll bringing new items: real UCI headlines
(../shared/data/uci-news-2014-03) handed out in time order, ``PER_POLL`` new ones per poll of
each feed. Items stored and assigned per second, node CPU per item.
"""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import sys
import tempfile
import time
from html import escape
from pathlib import Path

import asyncpg
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
UCI = (
    ROOT.parent
    / "shared"
    / "data"
    / "uci-news-2014-03"
    / "uci-news-aggregator_2014-03-10_12_slice.csv"
)
PER_POLL = 5
TICK = os.sysconf("SC_CLK_TCK")


class Newsroom:
    """Feeds that publish the next real headlines at every request."""

    def __init__(self) -> None:
        with UCI.open(encoding="utf-8") as f:
            rows = sorted(csv.DictReader(f), key=lambda r: int(r["TIMESTAMP"]))
        self.rows = [(r["TITLE"], r["URL"], r["PUBLISHER"]) for r in rows]
        self.next = 0
        self.runner: web.AppRunner | None = None
        self.base = ""

    def _body(self, feed: str) -> bytes:
        items = []
        for _ in range(PER_POLL):
            title, url, publisher = self.rows[self.next % len(self.rows)]
            n = self.next
            self.next += 1
            items.append(
                f"<item><title>{escape(title)}</title><link>{escape(url)}#{n}</link>"
                f"<guid>{n}</guid><description>{escape(publisher)}: {escape(title)}"
                "</description></item>"
            )
        return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{feed}</title>'
                f"<link>http://example.org/</link>{''.join(items)}</channel></rss>").encode()  # fmt: skip

    async def start(self) -> None:
        async def feed(request: web.Request) -> web.Response:
            return web.Response(body=self._body(request.path), content_type="application/xml")

        app = web.Application()
        app.router.add_get("/n/{n}.xml", feed)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def _config(database: str, base: str, feeds: int) -> str:
    lines = ["[monitor]", f'database = "{database}"', "jitter = 0", 'interval = "1s"',
             'min_interval = "1s"', 'retention = "3650d"', 'grace_period = "2s"',
             "[dedup]", 'window = "3650d"',
             "[cluster]", 'lease = "6s"', 'heartbeat = "1s"', 'election = "1s"',
             "[[rules]]", 'name = "fed"', "query = 'Fed OR Obama'", 'channels = ["screen"]',
             "[channels.screen]", 'type = "console"']  # fmt: skip
    for i in range(feeds):
        lines += ["[[feeds]]", f'url = "{base}/n/{i}.xml"']
    return "\n".join(lines) + "\n"


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


async def _count(dsn: str | None, sqlite: Path | None) -> tuple[int, int]:
    """(items stored, items in a story)."""
    sql = "SELECT count(*), count(story_id) FROM items"
    if dsn is not None:
        conn = await asyncpg.connect(dsn)
        try:
            row = await conn.fetchrow(sql)
        finally:
            await conn.close()
        return int(row[0]), int(row[1])
    import sqlite3

    with sqlite3.connect(f"file:{sqlite}?mode=ro", uri=True) as db:
        stored, assigned = db.execute(sql).fetchone()
    return int(stored), int(assigned)


async def run(
    database: str, nodes: int, feeds: int, seconds: float, room: Newsroom
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        sqlite = None if database.startswith("postgresql") else Path(database)
        dsn = database if sqlite is None else None
        config = Path(tmp) / "config.toml"
        config.write_text(_config(database, room.base, feeds), "utf-8")
        procs = []
        for _ in range(nodes):
            procs.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "monitor", "-c", str(config), "run",
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            ))  # fmt: skip
        await asyncio.sleep(8.0)  # start-up: imports, migrations, the first polls
        s0, a0 = await _count(dsn, sqlite)
        c0 = sum(_cpu(p.pid) for p in procs)
        started = time.monotonic()
        await asyncio.sleep(seconds)
        s1, a1 = await _count(dsn, sqlite)
        c1 = sum(_cpu(p.pid) for p in procs)
        elapsed = time.monotonic() - started
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            await asyncio.wait_for(p.wait(), 60)
    stored, assigned = s1 - s0, a1 - a0
    return {
        "stored_s": stored / elapsed,
        "assigned_s": assigned / elapsed,
        "cpu_ms_item": 1000 * (c1 - c0) / max(1, stored),
        "cores": (c1 - c0) / elapsed,
    }
