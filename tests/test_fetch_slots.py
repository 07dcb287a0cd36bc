"""Concurrency limits: a slow host waits for its own slots, never holding the global ones
that other hosts' feeds need."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.fetch import Fetcher, FetchLimits

SLOW = 1.5


@pytest.fixture
async def servers() -> AsyncIterator[tuple[TestServer, TestServer]]:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(SLOW)
        return web.Response(body=b"<rss/>", content_type="application/rss+xml")

    async def fast(request: web.Request) -> web.Response:
        return web.Response(body=b"<rss/>", content_type="application/rss+xml")

    apps = []
    for handler in (slow, fast):
        app = web.Application()
        app.router.add_get("/{tail:.*}", handler)
        apps.append(app)
    # Two hosts, both loopback: 127.0.0.1 serves slowly, 127.0.0.2 at once.
    slow_server = TestServer(apps[0], host="127.0.0.1", port=0)
    fast_server = TestServer(apps[1], host="127.0.0.2", port=0)
    await slow_server.start_server()
    await fast_server.start_server()
    try:
        yield slow_server, fast_server
    finally:
        await slow_server.close()
        await fast_server.close()


async def test_a_slow_host_does_not_hold_the_global_slots(
    servers: tuple[TestServer, TestServer],
) -> None:
    slow_server, fast_server = servers
    fetcher = Fetcher(FetchLimits(concurrency=2, per_host=1, timeout=10), "test")
    slow_polls: list[asyncio.Task[object]] = []
    try:
        started = time.monotonic()
        slow_polls = [
            asyncio.create_task(fetcher.fetch(str(slow_server.make_url(f"/{i}"))))
            for i in range(4)
        ]
        await asyncio.sleep(0.2)  # the slow host's feeds are all waiting by now
        await fetcher.fetch(str(fast_server.make_url("/feed")))
        # One global slot is the slow host's (its one per-host slot); the other is free for
        # the fast host, whose feed does not wait behind three queued slow ones.
        assert time.monotonic() - started < SLOW
    finally:
        for task in slow_polls:
            task.cancel()
        await asyncio.gather(*slow_polls, return_exceptions=True)
        await fetcher.close()
