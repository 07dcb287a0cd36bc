"""Retention keeps what a feed still lists, and only that (review18f on fixlisted13): a
feed whose last whole body's time (``feeds.listed_since``) stopped moving kept every item
it ever listed, for ever: a WebSub feed (its polls see the pushed bytes again, "unchanged")
and a feed whose every body is malformed; and a feed a reload removed while its poll was in
flight had that poll write its listed_since back, so its items stayed until the next restart
or reload. Real feed server, engine and store, both backends; only the clock is mocked."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from feedserver import FeedServer
from helpers import make_config
from test_old_news import Clock
from test_old_news_gaps import DAY, T0

from monitor.engine import Engine
from monitor.pipeline import ingest_pushed, refresh_feed
from monitor.retention import prune


def body(day: int, *, broken: bool = False) -> bytes:
    """The feed on ``day``: its three newest items (undated, as many are), one a day."""
    items = "".join(
        f"<item><title>Senate vote number {d}</title><link>https://wire.example/{d}</link>"
        f"<guid>wire-{d}</guid></item>"
        for d in range(day, max(day - 3, -1), -1)
    )
    text = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire'
        f"</title><link>https://wire.example/</link>{items}"
    )
    return (text if broken else text + "</channel></rss>").encode()


async def _run(feed_server: FeedServer, tmp_path: Path, database: str, how: str) -> int:
    feed_server.feed("/f", body(0))
    clock = Clock(T0)
    config = make_config(
        tmp_path, [feed_server.url("/f")], retention="30d", max_age="3d", database=database
    )
    engine = await Engine.open(config, clock=clock)
    try:
        feed = config.feeds[0]
        assert (await refresh_feed(engine.rt, feed)).result == "new"  # a good poll on day 0
        for day in range(1, 61):
            clock.now = T0 + day * DAY
            if how == "push":  # the hub pushes the feed, the next poll gets the same bytes
                feed_server.feed("/f", body(day))
                pushed = await ingest_pushed(
                    engine.rt, feed, body(day), {"content-type": "application/rss+xml"}
                )
                assert pushed.new_items == 1
                clock.now += 3600
                assert (await refresh_feed(engine.rt, feed)).result == "unchanged"
            else:  # every body is cut short: malformed, its items read
                feed_server.feed("/f", body(day, broken=True))
                poll = await refresh_feed(engine.rt, feed)
                assert poll.result == "new" and poll.new_items == 1, poll
        if engine.rt.state_writes is not None:
            await engine.rt.state_writes.flush()
        return (await prune(engine.store, clock.now - config.monitor.retention)).items
    finally:
        await engine.close()


# Day 60, retention 30d: items 0..26 left the feed more than 30 days ago (item d is listed
# until day d + 2): 27 to prune (the commit before last_listed pruned them, by first_seen).
async def test_a_websub_feed_has_its_old_items_pruned(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    assert await _run(feed_server, tmp_path, database, "push") >= 27  # none before


async def test_a_feed_whose_bodies_are_all_malformed_has_its_old_items_pruned(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    assert await _run(feed_server, tmp_path, database, "broken") >= 27  # none before


async def test_a_feed_removed_mid_poll_is_pruned_past_retention(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(0.5)
        return web.Response(body=body(0), content_type="application/rss+xml")

    feed_server.handler("/gone", slow)
    feed_server.feed("/kept", body(5))
    urls = [feed_server.url("/gone"), feed_server.url("/kept")]
    settings = {"retention": "30d", "max_age": "3d", "database": database}
    clock = Clock(T0)
    config = make_config(tmp_path, urls, **settings)
    engine = await Engine.open(config, clock=clock)
    try:
        poll = asyncio.create_task(refresh_feed(engine.rt, config.feeds[0]))
        await asyncio.sleep(0.1)  # fetching
        await engine.reload(make_config(tmp_path, urls[1:], **settings))
        assert (await poll).new_items == 1
        clock.now += 31 * DAY
        # the daemon runs on: no restart, no other reload; its hourly pass (daemon._prune)
        pruned = await prune(engine.store, clock.now - 30 * DAY, configured=urls[1:])
        assert pruned.items == 1  # none before
    finally:
        await engine.close()
