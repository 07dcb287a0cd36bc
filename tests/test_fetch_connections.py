"""Connections a poll leaves open: none to a host that serves one feed, whose next poll
comes minutes later; a host of several feeds keeps one for them. A cold start polls every
feed at once: a connection left idle until aiohttp's keep-alive timeout holds its TLS buffers
meanwhile (tens of kB each: with a thousand hosts, a cold start's peak) and a socket at the
publisher's server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from test_outlet_site_rule import AnyNameIsLoopback

from monitor.fetch import Fetcher, FetchLimits


@pytest.fixture
async def server() -> AsyncIterator[tuple[TestServer, list[tuple[str, int]]]]:
    """A feed server that any host name reaches, and the client address of each request."""
    peers: list[tuple[str, int]] = []

    async def feed(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername"))
        return web.Response(body=b"<rss/>", content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/{tail:.*}", feed)
    srv = TestServer(app, host="127.0.0.1", port=0)
    await srv.start_server()
    try:
        yield srv, peers
    finally:
        await srv.close()


async def open_connections(srv: TestServer) -> int:
    """The server's open connections, once the client's closes have reached it (a second at
    most, waiting while more than one is open)."""
    assert srv.runner is not None and srv.runner.server is not None
    connections = srv.runner.server.connections
    for _ in range(100):  # up to a second
        if len(connections) <= 1:
            break
        await asyncio.sleep(0.01)
    return len(connections)


async def test_a_host_of_one_feed_keeps_no_connection_and_one_of_several_feeds_keeps_one(
    server: tuple[TestServer, list[tuple[str, int]]],
) -> None:
    srv, peers = server
    assert srv.port is not None
    fetcher = Fetcher(FetchLimits(per_host=1), "test", resolver=AnyNameIsLoopback())
    single = [f"http://feeds{h}.example:{srv.port}/rss" for h in range(6)]
    several = [f"http://news.example:{srv.port}/{section}" for section in range(4)]
    try:
        results = await asyncio.gather(*(fetcher.fetch(url) for url in single + several))
        assert [r.status for r in results] == [200] * 10
        connections = len({port for _, port in peers})
        assert connections < 10  # the feeds of news.example shared connections
        assert await open_connections(srv) == 1
        # Their next polls: the single feeds' hosts connect again, news.example's reuse.
        await asyncio.gather(*(fetcher.fetch(url) for url in single + several))
        assert len({port for _, port in peers}) == connections + 6
        assert await open_connections(srv) == 1
    finally:
        await fetcher.close()
