"""A public id is no key (review19c's D1): YouTube's ``?channel_id=UC...`` and
``playlist_id=PL...``, SharePoint's ``?List=<GUID>`` tell one feed from another, so they stay
readable in every log line, and the /metrics ``feed`` label never merges two feeds: where a
key is masked in it, a short hash of the real URL follows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from feedserver import FeedServer, rss
from helpers import config_file

from monitor import config as config_module
from monitor.daemon import Daemon
from monitor.log import PlainFormatter
from monitor.redact import redact

A = "UCBJycsmduvYEL83R_U4JriQ"  # real public channel ids
B = "UCsXVk37bltHxD1rDPwtNM8Q"
C = "UCXuqSBlHAE6Xw1yeJA0Tunw"
PATH = "/feeds/videos.xml?channel_id="
LIST = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(PlainFormatter().format(record))


def test_public_ids_in_configured_urls_stay_readable(tmp_path: Path) -> None:
    urls = [
        f"https://www.youtube.com{PATH}{A}",
        f"https://www.youtube.com{PATH}{B}",
        "https://www.youtube.com/feeds/videos.xml?playlist_id=PLBJycsmduvYEL83R_U4JriQ7",
        f"https://sp.example/_layouts/15/listfeed.aspx?List={LIST}",
    ]
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[monitor]\ndatabase = "{tmp_path}/m.db"\n'
        + "".join(f'[[feeds]]\nurl = "{url}"\n' for url in urls)
    )
    config = config_module.load(cfg, {})
    assert [redact(str(f.url)) for f in config.feeds] == urls


async def _metrics_of(
    feed_server: FeedServer, tmp_path: Path, urls: list[str], lines: Lines
) -> str:
    logger = logging.getLogger("monitor")
    logger.addHandler(lines)
    path = config_file(tmp_path, urls, metrics="127.0.0.1:0")
    daemon = Daemon(config_module.load(path), path)
    task = asyncio.create_task(daemon.run())
    try:
        for _ in range(100):
            rt = daemon._rt
            if rt is not None and daemon.metrics_port is not None:
                states = rt.states.values()
                fine = sum(bool(s.last_success) for s in states)
                # each poll done, and the fine ones' series set (after the state, a moment later)
                shown = daemon.metrics.render().decode() if daemon.metrics else ""
                if sum(bool(s.error_streak or s.last_success) for s in states) == len(urls) and (
                    shown.count("monitor_feed_last_success_timestamp_seconds{") >= fine
                ):
                    break
            await asyncio.sleep(0.05)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{daemon.metrics_port}/metrics") as resp,
        ):
            return await resp.text()
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 10)
        logger.removeHandler(lines)


def _serve(
    feed_server: FeedServer, path: str, failing: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    body = rss("Channel", [("Video one", "http://e.org/v1")])

    async def serve(request: web.Request) -> web.Response:
        if failing in request.query_string:
            return web.Response(status=404)  # a deleted channel
        return web.Response(body=body, content_type="application/rss+xml")

    feed_server.handler(path, serve)
    return serve


def _series(metrics: str) -> list[str]:
    return [m for m in metrics.splitlines() if m.startswith("monitor_feed_last_success")]


async def test_metrics_keep_one_series_per_youtube_feed_and_a_failing_one_is_named(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    _serve(feed_server, "/feeds/videos.xml", B)
    lines = Lines()
    urls = [feed_server.url(PATH + x) for x in (A, B, C)]
    metrics = await _metrics_of(feed_server, tmp_path, urls, lines)
    assert len(_series(metrics)) == 2, _series(metrics)  # A and C polled fine: two series
    failing = [line for line in lines.lines if "404" in line]
    assert failing and all(B in line for line in failing), lines.lines
    assert 'channel_id=***"}' not in metrics, metrics


async def test_two_feeds_told_apart_only_by_a_key_keep_a_series_each(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    _serve(feed_server, "/private.rss", "none")
    keys = ("Ak3yAAAA1111", "Bk3yBBBB2222")
    urls = [feed_server.url(f"/private.rss?accesstoken={key}") for key in keys]
    metrics = await _metrics_of(feed_server, tmp_path, urls, Lines())
    series = _series(metrics)
    assert len(series) == 2, series
    assert all("accesstoken=***" in s for s in series), series
    assert not any(key in metrics for key in keys), metrics
