"""Connections a poll leaves open: one is kept only for the next poll of its host waiting for
it. A cold start polls every feed at once, each host once or a few times; a connection left
idle until aiohttp's keep-alive timeout holds its TLS buffers meanwhile (tens of kB each:
with a thousand hosts, a cold start's peak) and a socket at the publisher's server."""

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
    """The server's open connections, once the client's closes have reached it."""
    assert srv.runner is not None and srv.runner.server is not None
    connections = srv.runner.server.connections
    for _ in range(100):  # up to a second
        if not connections:
            break
        await asyncio.sleep(0.01)
    return len(connections)


@pytest.mark.parametrize(
    ("hosts", "feeds_a_host"),
    [(6, 1), (1, 4), (3, 3)],
    ids=["six-hosts", "one-host-four-feeds", "three-hosts-three-feeds"],
)
async def test_polls_leave_no_connection_open_and_share_one_within_a_host(
    server: tuple[TestServer, list[tuple[str, int]]], hosts: int, feeds_a_host: int
) -> None:
    srv, peers = server
    assert srv.port is not None
    fetcher = Fetcher(FetchLimits(per_host=1), "test", resolver=AnyNameIsLoopback())
    urls = [
        f"http://feeds{h}.example:{srv.port}/{f}"
        for h in range(hosts)
        for f in range(feeds_a_host)
    ]  # fmt: skip
    try:
        results = await asyncio.gather(*(fetcher.fetch(url) for url in urls))
        assert [r.status for r in results] == [200] * len(urls)
        # A host's feeds, queued behind each other, went over one connection.
        assert len({port for _, port in peers}) == hosts
        assert await open_connections(srv) == 0
    finally:
        await fetcher.close()
