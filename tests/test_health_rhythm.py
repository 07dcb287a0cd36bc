"""Silence alerts judged against the feed's own rhythm: a feed that publishes in bursts, or
sleeps every night, is never told it "has published nothing"; a feed that stops for good is
told once, in words that are true of it, and once that it works again.

A real feed server and the real polls, on a mocked clock: the feed publishes, is polled
when it does (quiet polls only answer 304 and change nothing the health check reads), and
health is checked when it may change (just after the polls, and last before the next)."""

from __future__ import annotations

from pathlib import Path

from feedserver import FeedServer, rss
from helpers import make_config

from monitor.engine import Engine
from monitor.feedhealth import check_feeds
from monitor.oneshot import poll_all

HOUR, MINUTE = 3600.0, 60.0
T0 = 1_762_336_800.0  # 2025-11-05 10:00 UTC, a morning (the feed's items are dated that day)


class Desk:
    """One feed on a local server, polled on a mocked clock, its health checked."""

    def __init__(self, server: FeedServer, engine: Engine, url: str, health_after: float):
        self.server, self.engine, self.url, self.health_after = server, engine, url, health_after
        self.clock = [T0]
        engine.rt.clock = lambda: self.clock[0]
        self.items: list[tuple[str, str]] = []
        self.said: list[tuple[float, str, str]] = []

    async def publish(self, at: float, count: int = 1) -> None:
        """``count`` new items, polled at ``at`` (seconds since T0)."""
        for _ in range(count):
            n = len(self.items)
            self.items.append((f"Council report {n} on the road plan", f"http://desk.test/{n}"))
        self.server.feed("/f", rss("Desk", self.items[::-1][:100]))
        self.clock[0] = T0 + at
        await poll_all(self.engine.rt, progress=False)

    async def check(self, at: float, *, silence: bool = True) -> list[str]:
        state = self.engine.rt.states[self.url]
        events = await check_feeds(
            self.engine.store, [state], {self.url: "Desk"}, channels=["ops"], now=T0 + at,
            health_after=self.health_after, silence=silence,
        )  # fmt: skip
        self.said += [(at, e.kind, e.message) for e in events]
        return [e.kind for e in events]


async def _desk(feed_server: FeedServer, tmp_path: Path, health_after: float) -> Desk:
    feed_server.feed("/f", rss("Desk", []))
    url = feed_server.url("/f")
    engine = await Engine.open(make_config(tmp_path, [url], health_after=f"{health_after:g}s"))
    return Desk(feed_server, engine, url, health_after)


async def test_a_feed_that_publishes_in_bursts_is_never_told_silent(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # A burst every 2 hours, seen over three polls a minute apart (two items each), for two
    # days; health_after = 10m. Before: told silent 10 minutes after every burst (six of its
    # 1-minute gaps), "working again" at the next.
    desk = await _desk(feed_server, tmp_path, health_after=10 * MINUTE)
    try:
        for burst in range(24):
            start = burst * 2 * HOUR
            for poll in range(3):
                await desk.publish(start + poll * MINUTE, count=2)
            await desk.check(start + 3 * MINUTE)
            await desk.check(start + 2 * HOUR - MINUTE)  # the longest it is quiet
        assert desk.said == []
    finally:
        await desk.engine.close()


async def test_a_feed_quiet_every_night_is_never_told_silent(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # An item an hour from 10:00 to 22:00, none from 22:00 to 10:00 the next day, for two
    # days and nights; health_after at its default, 6h. Before: told silent at 04:00 each
    # night (its usual gap is an hour), "working again" in the morning.
    desk = await _desk(feed_server, tmp_path, health_after=6 * HOUR)
    try:
        for day in range(3):
            for hour in range(13):
                await desk.publish(day * 24 * HOUR + hour * HOUR)
                await desk.check(day * 24 * HOUR + hour * HOUR + MINUTE)
            for hour in (6, 11.9):  # 04:00 and 09:54 the next morning
                await desk.check(day * 24 * HOUR + (12 + hour) * HOUR)
        assert desk.said == []
    finally:
        await desk.engine.close()


async def test_a_feed_that_stops_is_told_once_truly_then_working_again_once(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # Thirty items every two hours (one every four minutes, seen at two-hourly polls) for a day
    # and two hours, then nothing while its server still answers. Before: said it "usually
    # publishes every 2h", untrue of a feed that publishes 15 items an hour.
    desk = await _desk(feed_server, tmp_path, health_after=6 * HOUR)
    try:
        for poll in range(14):
            await desk.publish(poll * 2 * HOUR, count=30)
        stop = 26 * HOUR
        assert await desk.check(stop + 5.9 * HOUR) == []
        assert await desk.check(stop + 6 * HOUR, silence=False) == []  # health_silence = false
        assert await desk.check(stop + 6 * HOUR) == ["stale"]  # six hours: max(6h, 2 x 2h)
        assert [await desk.check(stop + h * HOUR) for h in (7, 12, 48)] == [[], [], []]
        assert desk.said[0][2] == (
            "Desk has published nothing for 6h; before that it had about 15 items an hour "
            "and was never quiet for more than 2h"
        )
        await desk.publish(stop + 50 * HOUR, count=30)
        assert await desk.check(stop + 50 * HOUR + MINUTE) == ["recovered"]
        assert desk.said[-1][2] == "Desk is working again"
        assert await desk.check(stop + 51 * HOUR) == []
        # Its 50 quiet hours are its rhythm now: as long again is not news, four days is.
        await desk.publish(stop + 52 * HOUR, count=30)
        back = stop + 52 * HOUR
        assert await desk.check(back + 60 * HOUR) == []
        assert await desk.check(back + 100 * HOUR) == ["stale"]
        assert len(desk.said) == 3
    finally:
        await desk.engine.close()
