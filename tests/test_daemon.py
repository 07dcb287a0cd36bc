"""The daemon as a process: SIGTERM during a poll of 200 feeds, SIGHUP reloads."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
import time
from pathlib import Path

from aiohttp import web
from feedserver import FeedServer, rss


def _config(tmp_path: Path, urls: list[str], grace: str = "2s") -> Path:
    lines = [
        "[monitor]",
        f'database = "{tmp_path / "monitor.db"}"',
        f'grace_period = "{grace}"',
        "jitter = 0.0",
        "[fetch]",
        'timeout = "20s"',
        'read_timeout = "20s"',
        "concurrency = 200",
        "per_host = 200",
    ]
    for url in urls:
        lines += ["[[feeds]]", f'url = "{url}"', 'interval = "1m"']
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def _start(path: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "run", "-c", str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_sigterm_during_a_poll_of_200_feeds_exits_within_grace(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    started = asyncio.Event()

    def slow(i: int):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.Response:
            started.set()
            await asyncio.sleep(0.5 + (i % 10))  # some finish in the grace period, some not
            return web.Response(
                body=rss(f"F{i}", [(f"Item {i}", f"http://example.org/{i}")]),
                content_type="application/rss+xml",
            )

        return handler

    urls = []
    for i in range(200):
        feed_server.handler(f"/f{i}", slow(i))
        urls.append(feed_server.url(f"/f{i}"))
    proc = await _start(_config(tmp_path, urls))
    try:
        await asyncio.wait_for(started.wait(), 20)
        await asyncio.sleep(1.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 15)
        took = time.monotonic() - sent
    finally:
        if proc.returncode is None:
            proc.kill()
    log = err.decode()
    assert proc.returncode == 0, log
    assert took < 2 + 3, f"took {took:.1f}s to stop"  # grace period plus closing
    assert "stopping" in log and "stopped" in log
    with sqlite3.connect(tmp_path / "monitor.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    assert 0 < stored < 200  # the quick ones landed, the slow ones were cut off cleanly


async def test_sighup_adds_a_feed_and_keeps_running_on_a_broken_config(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/a", rss("A", [("First", "http://example.org/1")]))
    feed_server.feed("/b", rss("B", [("Second", "http://example.org/2")]))
    path = _config(tmp_path, [feed_server.url("/a")])
    proc = await _start(path)
    try:
        for _ in range(100):
            if feed_server.hits("/a"):
                break
            await asyncio.sleep(0.1)
        assert feed_server.hits("/a")
        path.write_text(path.read_text() + f'[[feeds]]\nurl = "{feed_server.url("/b")}"\n')
        proc.send_signal(signal.SIGHUP)
        for _ in range(100):
            if feed_server.hits("/b"):
                break
            await asyncio.sleep(0.1)
        assert feed_server.hits("/b"), "the added feed was not polled after SIGHUP"
        good = path.read_text()
        path.write_text(good + "[monitor]\nbogus = 1\n")
        proc.send_signal(signal.SIGHUP)
        await asyncio.sleep(1.0)
        assert proc.returncode is None, "a broken config on SIGHUP stopped the daemon"
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 15)
    finally:
        if proc.returncode is None:
            proc.kill()
    log = err.decode()
    assert "reloaded the config: 2 feeds (1 added, 0 removed)" in log
    assert "reload refused, keeping the running config" in log
    assert proc.returncode == 0
