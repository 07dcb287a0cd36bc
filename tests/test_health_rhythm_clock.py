"""A feed's rhythm includes its last poll's items on a clock with fractions of a second, as
time.time() gives: an item's first_seen is that clock through a datetime (rounded to the
microsecond, up for about a third of real times), and the read of the rhythm ended at the
poll's clock, leaving that poll's items out (review16a: a daily feed that stopped was never
told; a false alarm's spell was not counted and the feed was told again, with an untrue
"never quiet for more than"). Both tests fail before the fix on such a clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from feedserver import FeedServer, rss
from helpers import make_config

from monitor.engine import Engine
from monitor.feedhealth import check_feeds
from monitor.oneshot import poll_all

HOUR, DAY = 3600.0, 86400.0
T0 = 1_762_336_800.0


def up(t: float) -> float:
    """A time near t, as time.time() gives, whose microsecond datetime rounds up."""
    frac = 0.123456
    while True:
        v = t + frac
        if datetime.fromtimestamp(v, UTC).timestamp() > v:
            return v
        frac += 0.0000001


async def _run(feed_server: FeedServer, tmp_path: Path, database: str) -> list[str]:
    feed_server.feed("/f", rss("Desk", []))
    url = feed_server.url("/f")
    extra = {} if database == "sqlite" else {"database": database}
    engine = await Engine.open(make_config(tmp_path, [url], health_after="6h", **extra))
    clock = [T0]
    engine.rt.clock = lambda: clock[0]
    items: list[tuple[str, str]] = []
    said: list[str] = []
    try:
        # One item a day at 10:00 for six days (six polls with new items, over five days),
        # then the feed stops while its server still answers.
        for day in range(6):
            items.append((f"Council report {day} on the road plan", f"http://desk.test/{day}"))
            feed_server.feed("/f", rss("Desk", items[::-1]))
            clock[0] = up(T0 + day * DAY)
            await poll_all(engine.rt, progress=False)
        last = clock[0]
        state = engine.rt.states[url]
        assert state.last_new_item == last
        for after in (2 * DAY + HOUR, 5 * DAY, 20 * DAY):
            events = await check_feeds(
                engine.store, [state], {url: "Desk"}, channels=["ops"], now=last + after,
                health_after=6 * HOUR,
            )  # fmt: skip
            said += [e.kind for e in events]
    finally:
        await engine.close()
    return said


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_a_daily_feed_that_stops_is_told(
    backend: str, feed_server: FeedServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    database = "sqlite" if backend == "sqlite" else request.getfixturevalue("pg_url")
    # Never quiet more than a day: told once two days pass (max(6h, 2 x 1d)), not again.
    assert await _run(feed_server, tmp_path, database) == ["stale"]


async def test_a_false_alarms_spell_counts_from_then_on(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # README: "a false alarm's spell counts from then on, so the same rhythm is not told
    # twice". An item an hour for 26 hours, then 20 quiet hours (told at 6h: a false alarm),
    # then one poll with an item (working again), then 20 quiet hours again. The 20h spell
    # must count: silent only after 40h, not again at 6h.
    feed_server.feed("/f", rss("Desk", []))
    url = feed_server.url("/f")
    engine = await Engine.open(make_config(tmp_path, [url], health_after="6h"))
    clock = [T0]
    engine.rt.clock = lambda: clock[0]
    items: list[tuple[str, str]] = []
    said: list[tuple[str, str]] = []

    async def publish(at: float) -> None:
        n = len(items)
        items.append((f"Council report {n} on the road plan", f"http://desk.test/{n}"))
        feed_server.feed("/f", rss("Desk", items[::-1][:100]))
        clock[0] = up(T0 + at)
        await poll_all(engine.rt, progress=False)

    async def check(at: float) -> None:
        state = engine.rt.states[url]
        events = await check_feeds(
            engine.store, [state], {url: "Desk"}, channels=["ops"], now=T0 + at,
            health_after=6 * HOUR,
        )  # fmt: skip
        said.extend((e.kind, e.message) for e in events)

    try:
        for hour in range(27):
            await publish(hour * HOUR)
        await check(26 * HOUR + 7 * HOUR)  # the false alarm
        await publish(46 * HOUR)
        await check(46 * HOUR + 60)  # working again
        for h in (7, 20):
            await check(46 * HOUR + h * HOUR)
    finally:
        await engine.close()
    assert [k for k, _ in said] == ["stale", "recovered"], said
