"""A cold start spreads the feeds' first polls over a few seconds rather than hitting every
server at one instant (the rest of the suite turns the spread off: tests/conftest.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss

from monitor import config as config_module
from monitor.daemon import SPREAD_ENV, START_SPREAD, Daemon

FEEDS = 12


async def test_a_cold_start_spreads_the_first_polls(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SPREAD_ENV)  # as a user runs it
    first: dict[str, float] = {}

    async def handler(request: web.Request) -> web.Response:
        first.setdefault(request.path, time.monotonic())
        return web.Response(body=rss("F", [("Item", "http://example.org/1")]))

    lines = ["[monitor]", f'database = "{tmp_path / "monitor.db"}"', "jitter = 0.0"]
    for i in range(FEEDS):
        feed_server.handler(f"/f{i}", handler)
        lines += ["[[feeds]]", f'url = "{feed_server.url(f"/f{i}")}"']
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    daemon = Daemon(config_module.load(path), path)
    task = asyncio.create_task(daemon.run())
    try:
        for _ in range(200):
            if len(first) == FEEDS:
                break
            await asyncio.sleep(0.05)
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 30)
    assert len(first) == FEEDS, sorted(first)
    # Twelve times uniform over 3 s: all within one second of each other 1 time in 10,000.
    span = max(first.values()) - min(first.values())
    assert 1.0 < span < START_SPREAD + 1.0, f"the first polls came {span:.2f}s apart"
