"""The local server a replay polls: each recorded feed shows the items published up to the
replay's clock, newest first, as RSS 2.0."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from xml.sax.saxutils import escape

from aiohttp import web

from monitor.replay.sources import Record

# A real feed shows its latest entries, not its whole history.
WINDOW = 100


@dataclass
class _Feed:
    name: str
    records: list[Record] = field(default_factory=list)
    times: list[float] = field(default_factory=list)


class ReplayServer:
    def __init__(self, records: Sequence[Record] = ()) -> None:
        grouped: dict[str, _Feed] = {}
        by_name: defaultdict[str, list[Record]] = defaultdict(list)
        for record in records:
            by_name[record.feed].append(record)
        for name, recs in by_name.items():
            recs.sort(key=lambda r: r.published)
            grouped[name] = _Feed(name, recs, [r.published for r in recs])
        self.feeds = list(grouped.values())
        self.now = float("-inf")
        self._runner: web.AppRunner | None = None
        self.port = 0

    def visible(self, i: int) -> int:
        """How many items feed ``i`` shows at the replay's clock."""
        return bisect.bisect_right(self.feeds[i].times, self.now)

    def path(self, i: int) -> str:
        return f"/feed/{i}"

    async def start(self, port: int = 0) -> int:
        app = web.Application()
        app.router.add_get("/feed/{i:\\d+}", self._feed)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        return self.port

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _feed(self, request: web.Request) -> web.Response:
        i = int(request.match_info["i"])
        if i >= len(self.feeds):
            raise web.HTTPNotFound()
        count = self.visible(i)
        etag = f'"{i}-{count}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        feed = self.feeds[i]
        shown = feed.records[max(0, count - WINDOW) : count][::-1]
        return web.Response(
            body=render_rss(feed.name, shown),
            headers={"Content-Type": "application/rss+xml; charset=utf-8", "ETag": etag},
        )


def render_rss(title: str, records: list[Record]) -> bytes:
    items = "".join(
        "<item>"
        f"<title>{escape(r.title)}</title><link>{escape(r.url)}</link>"
        f'<guid isPermaLink="false">{escape(r.guid)}</guid>'
        + (f"<description>{escape(r.summary)}</description>" if r.summary else "")
        + f"<pubDate>{formatdate(r.published, usegmt=True)}</pubDate></item>"
        for r in records
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://127.0.0.1/</link>"
        f"<description>replay of {escape(title)}</description>{items}</channel></rss>"
    ).encode()
