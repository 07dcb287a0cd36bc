"""A local feed server for tests: serves feed files and misbehaves on purpose.

Routes are registered per test: ``server.feed(path, body, ...)`` serves a feed that honours
ETag/Last-Modified (or ignores them), ``server.misbehave(path, kind)`` serves one of the
hostile answers of the table in ``test_fetch_hostile.py``. Every request is recorded.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Request:
    path: str
    headers: dict[str, str]


@dataclass
class FeedServer:
    server: TestServer
    routes: dict[str, Callable[[web.Request], object]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def feed(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/rss+xml",
        validators: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Serve ``body``; with ``validators`` answer 304 to a matching conditional GET."""
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        last_modified = "Wed, 05 Nov 2025 10:00:00 GMT"

        async def handler(request: web.Request) -> web.StreamResponse:
            # RFC 9110 13.2.2: If-None-Match, when sent, decides alone.
            inm = request.headers.get("If-None-Match")
            fresh = (
                inm == etag if inm else request.headers.get("If-Modified-Since") == last_modified
            )
            if validators and fresh:
                return web.Response(status=304, headers={"ETag": etag})
            extra = {"ETag": etag, "Last-Modified": last_modified} if validators else {}
            return web.Response(
                body=body, headers={"Content-Type": content_type, **extra, **(headers or {})}
            )

        self.routes[path] = handler

    def handler(self, path: str, fn: Callable[[web.Request], object]) -> None:
        self.routes[path] = fn


async def _dispatch(fs: FeedServer, request: web.Request) -> web.StreamResponse:
    fs.requests.append(Request(request.path, dict(request.headers)))
    handler = fs.routes.get(request.path)
    if handler is None:
        return web.Response(status=404, text="no such feed")
    result = handler(request)
    if asyncio.iscoroutine(result):
        result = await result
    assert isinstance(result, web.StreamResponse)
    return result


async def start_feed_server() -> FeedServer:
    app = web.Application()
    fs = FeedServer(server=TestServer(app, host="127.0.0.1", port=0))

    async def dispatch(request: web.Request) -> web.StreamResponse:
        return await _dispatch(fs, request)

    app.router.add_route("*", "/{tail:.*}", dispatch)
    await fs.server.start_server()
    return fs


def rss(
    title: str,
    items: list[tuple[str, str]],
    *,
    extra: str = "",
    dates: Sequence[datetime] | None = None,
    summaries: bool = True,
) -> bytes:
    """A small RSS 2.0 document: ``items`` are (title, link) pairs, published at ``dates``
    (by default a minute apart), each with a summary of its title's words unless
    ``summaries`` is False (a rule that reads summaries would read them too)."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        + (f"<description>About {t}</description>" if summaries else "")
        + "<pubDate>"
        + (
            f"Wed, 05 Nov 2025 09:{i % 60:02d}:00 GMT"
            if dates is None
            else format_datetime(dates[i], usegmt=True)
        )
        + "</pubDate></item>"
        for i, (t, link) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://example.org/</link>{extra}{entries}</channel></rss>"
    ).encode()


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes gzip-compressed: about a thousandth of the size on the wire."""
    return gzip.compress(b"\0" * size, compresslevel=9)


def random_bytes(n: int) -> bytes:
    return os.urandom(n)
