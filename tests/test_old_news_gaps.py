"""Old news at the edges of max_age: a feed polled less often than max_age (an item published
after its last poll is news however long the interval), and items retention pruned that the
feed still lists (an item dated ahead of its first sight is kept until its date is past too).
Found by review17a. Real feed server, engine, store, webhook; only the clock is mocked."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver
from test_old_news import Clock, hook_rules

from monitor.cli.status import collect
from monitor.engine import Engine
from monitor.pipeline import refresh_feed
from monitor.retention import prune

DAY = 86400.0
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC).timestamp()


def rss(pub: str | None, tail: str = "") -> bytes:
    date = f"<pubDate>{pub}</pubDate>" if pub else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire'
        f"{tail}</title><link>https://wire.example/</link>"
        "<item><title>Trump signs tariff order on steel imports</title>"
        "<link>https://wire.example/tariff</link><guid>wire-tariff-1</guid>"
        f"{date}</item></channel></rss>"
    ).encode()


def atom(updated: float, tail: str = "") -> bytes:
    at = datetime.fromtimestamp(updated, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Live{tail}</title><id>urn:live</id><updated>{at}</updated>"
        "<entry><title>Trump tariff talks: live updates</title><id>urn:live:tariffs</id>"
        '<link href="https://live.example/tariffs"/>'
        f"<updated>{at}</updated></entry></feed>"
    ).encode()


async def _relist(
    feed_server: FeedServer,
    tmp_path: Path,
    first: bytes,
    later: bytes,
    retention: str,
    wait: float,
    **monitor: str,
) -> list[int]:
    feed_server.feed("/f", first)
    clock = Clock(T0)
    counts = []
    async with webhook_receiver() as hook:
        config = make_config(
            tmp_path,
            [feed_server.url("/f")],
            hook_rules(hook.url),
            retention=retention,
            **monitor,
        )
        engine = await Engine.open(config, clock=clock)
        try:
            assert (await refresh_feed(engine.rt, config.feeds[0])).result == "new"
            assert await engine.drain(20)
            counts.append(len(hook.payloads()))
            clock.now += wait  # past retention: the daemon's hourly pass prunes the item
            pruned = await prune(engine.store, clock.now - config.monitor.retention)
            assert pruned.items <= 1  # a future-dated one is kept
            engine.rt.stages.invalidate()
            feed_server.feed("/f", later)  # the feed still lists it; its body changed
            poll = await refresh_feed(engine.rt, config.feeds[0])
            assert poll.result == "new", poll.error
            assert await engine.drain(20)
            counts.append(len(hook.payloads()))
        finally:
            await engine.close()
        report = await collect(config)  # status: m018's columns, both backends
        counts.append(report["feeds"][0]["last_old"])
    return counts


async def test_an_item_dated_hours_ahead_is_not_alerted_again_after_retention(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # Local time written as GMT by a publisher east of UTC: 9 h ahead (parse allows 1 day).
    ahead = format_datetime(datetime.fromtimestamp(T0 + 9 * 3600, UTC), usegmt=True)
    # retention 3d: the least the default dedup window allows; max_age its default, 3d
    counts = await _relist(
        feed_server, tmp_path, rss(ahead), rss(ahead, " "), "3d", 3 * DAY + 3600, database=database
    )
    assert counts[:2] == [1, 1], counts  # before: [1, 2], alerted again


async def test_an_updated_entry_is_not_alerted_again_after_retention(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # Default retention 30d: a live page (Atom <updated> only) first seen on day 0, edited on
    # day 29, still listed when retention prunes it on day 30.
    counts = await _relist(
        feed_server,
        tmp_path,
        atom(T0),
        atom(T0 + 29 * DAY, " "),
        "30d",
        30 * DAY + 3600,
        max_age="3d",
        database=database,
    )
    assert counts[:2] == [1, 1], counts  # before: [1, 2], alerted again


async def test_an_undated_item_is_not_alerted_again_after_retention(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    counts = await _relist(
        feed_server, tmp_path, rss(None), rss(None, " "), "30d", 30 * DAY + 3600,
        max_age="3d", database=database,
    )  # fmt: skip
    assert counts[:2] == [1, 1], counts  # before: [1, 2], alerted again


TITLES = {
    "tariffs": "Trump tariff talks resume in Geneva",
    "steel": "Pennsylvania mill workers cheer Trump visit",
}


def pages(*guids: str, tail: str = "") -> bytes:
    """Undated evergreen pages, as a site's feed lists them for months."""
    body = "".join(
        f"<item><title>{TITLES[g]}</title><link>https://pages.example/{g}</link>"
        f"<guid>{g}</guid></item>"
        for g in guids
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Pages'
        f"{tail}</title><link>https://pages.example/</link>{body}</channel></rss>"
    ).encode()


async def test_items_a_feed_unchanged_for_longer_than_retention_lists_are_kept(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # Day 0 lists tariffs and steel; day 8 the feed drops steel, then answers 304 for 40
    # days (polled every 10 days). Retention 30d prunes what it no longer lists (steel), not
    # what it still does (tariffs), which its next changed body lists again.
    feed_server.feed("/pages", pages("tariffs", "steel"))
    clock = Clock(T0)
    async with webhook_receiver() as hook:
        config = make_config(
            tmp_path,
            [feed_server.url("/pages")],
            hook_rules(hook.url),
            retention="30d",
            max_age="3d",
            database=database,
        )
        engine = await Engine.open(config, clock=clock)
        try:
            assert (await refresh_feed(engine.rt, config.feeds[0])).result == "new"
            assert await engine.drain(20)
            assert len(hook.payloads()) == 2
            feed_server.feed("/pages", pages("tariffs"))
            clock.now += 8 * DAY
            assert (await refresh_feed(engine.rt, config.feeds[0])).result == "new"
            polls = []
            for _ in range(4):
                clock.now += 10 * DAY
                polls.append((await refresh_feed(engine.rt, config.feeds[0])).result)
            assert polls == ["not_modified"] * 4
            assert engine.rt.state_writes is not None
            await engine.rt.state_writes.flush()
            pruned = await prune(engine.store, clock.now - config.monitor.retention)
            assert pruned.items == 1  # steel; before: 2, tariffs too
            engine.rt.stages.invalidate()
            feed_server.feed("/pages", pages("tariffs", tail=" "))  # still listed, body changed
            poll = await refresh_feed(engine.rt, config.feeds[0])
            assert poll.result == "new" and poll.new_items == 0, poll  # before: 1
            assert await engine.drain(20)
            assert len(hook.payloads()) == 2  # before: 3, tariffs alerted again
        finally:
            await engine.close()


async def test_control_an_item_dated_at_first_sight_is_not_alerted_again(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    now = format_datetime(datetime.fromtimestamp(T0 - 600, UTC), usegmt=True)
    counts = await _relist(
        feed_server, tmp_path, rss(now), rss(now, " "), "3d", 3 * DAY + 3600, database=database
    )
    # still listed, it was kept: not re-stored as old news either (status counts none)
    assert counts == [1, 1, 0], counts


def blog(*items: tuple[str, str, float]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>https://blog.example/{g}</link><guid>{g}</guid>"
        f"<pubDate>{format_datetime(datetime.fromtimestamp(p, UTC), usegmt=True)}</pubDate></item>"
        for t, g, p in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Blog</title>'
        f"<link>https://blog.example/</link>{body}</channel></rss>"
    ).encode()


async def test_an_item_published_after_the_last_poll_is_news_at_the_next(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    first = ("Trump pardons turkey", "a", T0 - 3600)
    feed_server.feed("/blog", blog(first))
    clock = Clock(T0)
    async with webhook_receiver() as hook:
        config = make_config(
            tmp_path,
            [feed_server.url("/blog")],
            hook_rules(hook.url),
            interval="4d",
            retention="30d",
            database=database,
        )
        engine = await Engine.open(config, clock=clock)
        try:
            assert (await refresh_feed(engine.rt, config.feeds[0])).result == "new"
            assert await engine.drain(20)
            assert len(hook.payloads()) == 1
            # published two hours after that poll; the feed's next poll is 4 days on
            feed_server.feed("/blog", blog(("Trump vetoes budget bill", "b", T0 + 7200), first))
            clock.now = engine.rt.states[config.feeds[0].url].next_check
            assert clock.now >= T0 + 4 * 86400 - 1
            poll = await refresh_feed(engine.rt, config.feeds[0])
            assert poll.result == "new" and poll.new_items == 1, poll
            assert await engine.drain(20)
            titles = [p["alert"]["title"] for p in hook.payloads()]
        finally:
            await engine.close()
    assert len(titles) == 2, titles  # before: 1, the veto never alerted


async def test_a_feed_removed_from_the_config_keeps_nothing_past_retention(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # Its last body listed the page; once the feed leaves the config (a restart with the
    # new one), retention prunes it as it would any item: the removed feed no longer lists.
    feed_server.feed("/pages", pages("tariffs"))
    feed_server.feed("/other", pages(tail=" other"))
    urls = [feed_server.url("/pages"), feed_server.url("/other")]
    clock = Clock(T0)
    settings = {"retention": "30d", "max_age": "3d", "database": database}
    config = make_config(tmp_path, urls, **settings)
    engine = await Engine.open(config, clock=clock)
    try:
        assert (await refresh_feed(engine.rt, config.feeds[0])).new_items == 1
    finally:
        await engine.close()
    clock.now += 31 * DAY
    for feeds, pruned in ((urls, 0), (urls[1:], 1)):
        engine = await Engine.open(make_config(tmp_path, feeds, **settings), clock=clock)
        try:
            assert (await prune(engine.store, clock.now - 30 * DAY)).items == pruned
        finally:
            await engine.close()
