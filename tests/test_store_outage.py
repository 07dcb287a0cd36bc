"""The disk fills under a running daemon: one ERROR line for the episode rather than one per
poll, polls held back rather than each failing (and rebuilding the story and event windows),
/healthz and /metrics say why, and once the store takes writes again the items that came
meanwhile are stored and alerted once each. SQLite's ``max_page_count`` stands in for the
full disk (``test_store_faults``): writes that need a new page fail with SQLITE_FULL."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from feedserver import FeedServer, rss
from helpers import ANY_AGE_TOML
from standins import free_port

from monitor import config as config_module
from monitor import storeoutage
from monitor.daemon import Daemon

FEEDS = 3


def _title(feed: int, n: int) -> str:
    # Words of their own: every item is a story of its own. One in ten is about a strike,
    # which the rule alerts on (few enough that no alert storm folds them into a summary).
    return ("Strike " if n % 10 == 0 else "Calm ") + " ".join(f"w{feed}x{n}y{k}" for k in range(6))


def _serve(items: dict[int, int]) -> Callable[[web.Request], web.Response]:
    def handler(request: web.Request) -> web.Response:
        feed = int(request.match_info.get("feed", request.path.rsplit("/", 1)[1]))
        entries = [(_title(feed, n), f"http://example.org/{feed}/{n}") for n in range(items[feed])]
        body = rss(f"Feed {feed}", entries, extra="")
        return web.Response(body=body, content_type="application/rss+xml")

    return handler


async def _status(config: Path) -> list[str]:
    """``monitor status`` in a shell whose http_proxy leads nowhere: it asks the daemon on
    this machine directly."""
    proxy = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "http_proxy": proxy, "HTTP_PROXY": proxy, "no_proxy": "", "NO_PROXY": ""}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "status", "-c", str(config), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode().splitlines()


async def _until(check: Callable[[], bool], limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


def _config(tmp_path: Path, feed_server: FeedServer, metrics: str, extra: str = "") -> Path:
    """FEEDS feeds polled every second, news of any age; ``extra``: rules and channels."""
    feeds = "".join(f'[[feeds]]\nurl = "{feed_server.url(f"/f/{f}")}"\n' for f in range(FEEDS))
    path = tmp_path / "config.toml"
    path.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "monitor.db"}"\nmetrics = "{metrics}"\n'
        'interval = "1s"\nmin_interval = "1s"\njitter = 0.0\n' + ANY_AGE_TOML + feeds + extra
    )
    return path


async def _fill_disk(daemon: Daemon) -> None:
    """The database may grow no more: writes that need a new page fail with SQLITE_FULL."""
    assert daemon._rt is not None
    raw = daemon._rt.store.db.raw
    async with raw.execute("PRAGMA page_count") as cur:
        pages = (await cur.fetchone())[0]
    await raw.execute(f"PRAGMA max_page_count = {pages}")


async def _room_again(daemon: Daemon) -> None:
    assert daemon._rt is not None
    await daemon._rt.store.db.raw.execute("PRAGMA max_page_count = 1073741823")


@contextmanager
def _log_lines() -> Iterator[list[logging.LogRecord]]:
    """monitor's log records at INFO and above, while inside."""
    lines: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = lines.append  # type: ignore[method-assign]
    logger = logging.getLogger("monitor")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_a_full_disk_is_told_once_and_its_items_come_once_it_has_room(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storeoutage, "FIRST_RETRY", 2.0)
    monkeypatch.setattr(storeoutage, "MAX_RETRY", 2.0)
    items = dict.fromkeys(range(FEEDS), 10)
    for feed in range(FEEDS):
        feed_server.handler(f"/f/{feed}", _serve(items))
    alerts: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        alerts.append(json.dumps(await request.json()))
        return web.Response(text="ok")

    feed_server.handler("/hook", hook)
    path = _config(
        tmp_path,
        feed_server,
        f"127.0.0.1:{free_port()}",
        '[[rules]]\nname = "strike"\nquery = "strike"\nchannels = ["hook"]\n'
        f'[channels.hook]\ntype = "webhook"\nurl = "{feed_server.url("/hook")}"\n',
    )
    with _log_lines() as lines:
        daemon = Daemon(config_module.load(path), path)
        task = asyncio.create_task(daemon.run())

        def alerted(feed: int, n: int) -> int:
            return sum(f'"http://example.org/{feed}/{n}"' in a for a in alerts)

        def every_item_alerted() -> bool:
            return all(alerted(f, n) for f in range(FEEDS) for n in range(0, items[f], 10))

        try:
            await _until(lambda: daemon.metrics_port is not None, 10, "the daemon did not start")
            base = f"http://127.0.0.1:{daemon.metrics_port}"
            await _until(every_item_alerted, 20, "the first items were not alerted")
            await _fill_disk(daemon)
            start = len(lines)
            for feed in items:
                items[feed] += 40  # enough that they need pages the disk has no room for
            await asyncio.sleep(4)  # several polls of each feed at 1s (one ERROR a poll before)
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{base}/healthz") as resp:
                    assert resp.status == 503
                    reason = (await resp.json())["reason"]
                async with session.get(f"{base}/metrics") as resp:
                    metrics = await resp.text()
            assert "full" in reason and "monitor.db" in reason and "polls wait" in reason, reason
            assert "monitor_store_writes_failing 1.0" in metrics
            # The daemon cannot write its trouble into the store: `monitor status` asks it.
            status = await _status(path)
            assert status[1].startswith("Daemon reports: store:") and "polls wait" in status[1], (
                status
            )
            errors = [r.getMessage() for r in lines[start:] if r.levelno >= logging.ERROR]
            assert len(errors) == 1, errors
            assert "full" in errors[0] and "monitor.db" in errors[0], errors
            rebuilt = [r for r in lines[start:] if "rebuilt the story window" in r.getMessage()]
            # A probe every 2s may rebuild them before it fails: not every poll of every feed.
            assert len(rebuilt) <= 4, [r.getMessage() for r in rebuilt]

            await _room_again(daemon)
            await _until(every_item_alerted, 30, "the items of the outage were not alerted")
            await asyncio.sleep(1.5)  # a doubled alert would come by now
            async with aiohttp.ClientSession() as session, session.get(f"{base}/healthz") as resp:
                assert resp.status == 200, await resp.text()
        finally:
            daemon.stop()
            await asyncio.wait_for(task, 30)
        after = [r.getMessage() for r in lines[start:]]
        assert sum("writes work again" in line for line in after) == 1, after
        assert not [r.getMessage() for r in lines[start:] if r.levelno >= logging.ERROR][1:]
        doubled = [(f, n) for f in range(FEEDS) for n in range(items[f]) if alerted(f, n) > 1]
        assert not doubled, doubled
        with sqlite3.connect(tmp_path / "monitor.db") as db:
            stored = db.execute("SELECT count(*), count(DISTINCT url) FROM items").fetchone()
        assert stored == (sum(items.values()),) * 2


async def test_unchanged_feeds_do_not_end_the_outage_while_the_disk_is_still_full(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Feed 0 brings new items (they need pages); feeds 1 and 2 serve the same body (their
    state is an update in place, batched by StateWrites, which fits). The disk stays full
    for 8 s of probes every second: one ERROR, no 'writes work again' while it is full
    (review17c: a probe that brought nothing new ended the outage, which began again)."""
    monkeypatch.setattr(storeoutage, "FIRST_RETRY", 1.0)
    monkeypatch.setattr(storeoutage, "MAX_RETRY", 1.0)
    items = dict.fromkeys(range(FEEDS), 10)
    for feed in range(FEEDS):
        feed_server.handler(f"/f/{feed}", _serve(items))
    path = _config(tmp_path, feed_server, "127.0.0.1:0")

    def stored() -> int:
        with closing(sqlite3.connect(tmp_path / "monitor.db")) as db:
            count: int = db.execute("SELECT count(*) FROM items").fetchone()[0]
        return count

    with _log_lines() as lines:
        daemon = Daemon(config_module.load(path), path)
        task = asyncio.create_task(daemon.run())
        try:
            await _until(lambda: daemon.metrics_port is not None, 10, "the daemon did not start")
            await _until(lambda: stored() == FEEDS * 10, 10, "the first items were not stored")
            await _fill_disk(daemon)
            start = len(lines)
            items[0] += 40  # only feed 0 has news; 1 and 2 are unchanged
            await asyncio.sleep(8)
            msgs = [(r.levelname, r.getMessage()) for r in lines[start:]]
            errors = [m for lv, m in msgs if lv == "ERROR"]
            again = [m for lv, m in msgs if "writes work again" in m]
            assert not again, again  # the disk is still full
            assert len(errors) == 1, errors
        finally:
            daemon.stop()
            await asyncio.wait_for(task, 30)
