"""A failed poll says which limit fired and what went wrong, in the user's words: the read
timeout is not reported as the whole request's, a name that does not resolve is "cannot
resolve host", and none of aiohttp's internals ("ssl:default", class names) show."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from feedserver import FeedServer, rss

from monitor.errors import FetchError
from monitor.fetch.client import Fetcher, FetchLimits


class LoopbackResolver(AbstractResolver):
    """A DNS stand-in: names under .test are 127.0.0.1, every other name is unknown, as the
    system resolver says it (so no lookup leaves the machine)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host.endswith(".test"):
            return [
                ResolveResult(
                    hostname=host,
                    host="127.0.0.1",
                    port=port,
                    family=socket.AF_INET,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            ]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        pass


async def _silent(request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(30)  # no headers at all
    return web.Response(text="late")


async def _stall_mid_body(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await resp.prepare(request)
    await resp.write(b"<rss>")
    await asyncio.sleep(30)
    return resp


async def _drip(request: web.Request) -> web.StreamResponse:
    # A byte well within read_timeout each time, never done within timeout.
    resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await resp.prepare(request)
    for byte in rss("Drip", [("x", "http://x/1")]) * 10:
        await resp.write(bytes([byte]))
        await asyncio.sleep(0.2)
    return resp


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# (case, handler or None, limits, how the URL is built, words the error has, words it has not)
LIMITS = FetchLimits(timeout=2.5, read_timeout=1.0)
TABLE: list[tuple[str, Callable[[web.Request], object] | None, str, list[str], list[str]]] = [
    ("silent before headers", _silent, "server", ["nothing for 1s", "read_timeout"], ["2.5s"]),
    ("stalls mid-body", _stall_mid_body, "server", ["nothing for 1s", "read_timeout"], ["2.5s"]),
    ("drips past the total", _drip, "server", ["within 2.5s", "(timeout"], ["read_timeout"]),
    (
        "name does not resolve",
        None,
        "http://feeds.example.invalid/rss",
        ["cannot resolve host feeds.example.invalid", "name or service not known"],
        ["ssl:", "Cannot connect to host"],
    ),
    (
        "port refuses",
        None,
        "http://feeds.example.test:{closed}/rss",
        ["cannot connect to feeds.example.test:", "connection refused"],
        ["ssl:", "ClientConnectorError", "Connect call failed"],
    ),
]


@pytest.mark.parametrize(
    ("case", "handler", "where", "has", "has_not"), TABLE, ids=[row[0] for row in TABLE]
)
async def test_a_failed_fetch_names_what_went_wrong(
    feed_server: FeedServer,
    case: str,
    handler: Callable[[web.Request], object] | None,
    where: str,
    has: list[str],
    has_not: list[str],
) -> None:
    if handler is not None:
        feed_server.handler("/feed", handler)
        url = feed_server.url("/feed")
    else:
        url = where.format(closed=_closed_port())
    fetcher = Fetcher(LIMITS, "monitor-test", resolver=LoopbackResolver())
    try:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    finally:
        await fetcher.close()
    message = str(caught.value)
    for words in has:
        assert words in message, (case, message)
    for words in has_not:
        assert words not in message, (case, message)
    assert "\n" not in message


async def _needs_login(request: web.Request) -> web.StreamResponse:
    if request.headers.get("Authorization") == "Basic cmVhZGVyOnJpZ2h0":  # reader:right
        return web.Response(body=rss("Private", [("x", "http://x/1")]))
    return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="feeds"'})


@pytest.mark.parametrize(
    ("login", "says"),
    [
        ("", "the feed needs credentials (HTTP 401)"),
        ("reader:wrong@", "refused the user name and password in its URL (HTTP 401)"),
    ],
)
async def test_a_401_says_whether_the_urls_credentials_were_refused(
    feed_server: FeedServer, login: str, says: str
) -> None:
    """explore14: a private feed whose password was wrong said "the feed needs credentials",
    as if the URL carried none."""
    feed_server.handler("/private", _needs_login)
    url = feed_server.url("/private").replace("http://", f"http://{login}")
    fetcher = Fetcher(LIMITS, "monitor-test")
    try:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
        if login:  # the right password in the same URL is let in: it was sent
            assert (await fetcher.fetch(url.replace("wrong", "right"))).status == 200
    finally:
        await fetcher.close()
    assert says in str(caught.value) and "wrong" not in str(caught.value)
