"""Stories close in time fold into one event on weaker evidence, through the real pipeline
(local feeds, a webhook receiver): "close" is when the news happened, as far as the items
tell. On a feed's first poll every undated item is first seen at once, whenever it was
published: two pieces of news that share two names ("Putin", "Moscow") each get their own
alert, as items dated days apart do; a real event's coverage still folds into one alert,
dated on a first poll, undated on a poll that follows another, and an old story's
follow-up an hour later joins it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver

from monitor.engine import Engine
from monitor.oneshot import poll_all

NOW = datetime.now(UTC)
# headline, its date (None: undated)
Item = tuple[str, datetime | None]

# The user trial's two pieces of news (the shared words: putin, moscow)
BOLSONARO = "Bolsonaro meets Putin in Moscow despite US warnings"
INVITE = "Putin invites Zelensky to Moscow for talks, Kremlin says"
RAIN = "Heavy rain floods roads across the north of England"
# One happening, as several outlets told it (the seed story, 5 Sep 2025): each joins the
# first on the bar for coverage within the hour (two to three words in common)
SEED = [
    "Putin's Moscow invitation to Zelensky for talks and not surrender - Kremlin",
    "Putin invites Zelensky to Moscow for peace talks",
    "Ukraine's president turns down invitation, proposes Kyiv as venue for meeting with Putin",
    "Kremlin spokesman Peskov says Moscow offer to Zelensky stands",
]
DAYS = NOW - timedelta(days=3)

# (case, each feed's items at its first poll, the feeds' items at a second poll (None: no
# second poll), the headlines of the "new" alerts of rule "Putin OR Zelensky")
CASES = [
    ("the trial: one feed undated, one dated a year ahead", [[(BOLSONARO, None)],
     [(INVITE, NOW + timedelta(days=365))]], None, [BOLSONARO, INVITE]),
    ("one feed, both undated", [[(INVITE, None), (BOLSONARO, None)]], None,
     [BOLSONARO, INVITE]),
    ("a feed that stamps every item with one date",
     [[(INVITE, NOW), (RAIN, NOW), (BOLSONARO, NOW)]], None, [BOLSONARO, INVITE]),
    ("published days apart, newest first",
     [[(INVITE, NOW - timedelta(hours=1)), (BOLSONARO, DAYS)]], None, [BOLSONARO, INVITE]),
    ("an old story's follow-up published 40 minutes after it",
     [[(SEED[3], DAYS + timedelta(minutes=40)), (SEED[1], DAYS)]], None, [SEED[3]]),
    ("one happening told by four outlets, dated",
     [[(t, NOW - timedelta(minutes=5 * i))] for i, t in enumerate(SEED)], None, [SEED[0]]),
    ("one happening told by four outlets, undated, on a poll after their first",
     [[(RAIN, None)] for _ in SEED], [[(t, None), (RAIN, None)] for t in SEED], [SEED[0]]),
]  # fmt: skip


def rss(name: str, items: list[Item]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>http://{name}.example/{abs(hash(title))}"
        "</link>" + (f"<pubDate>{format_datetime(when)}</pubDate>" if when else "") + "</item>"
        for title, when in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}'
        f"</title><link>http://{name}.example/</link>{entries}</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("first", "second", "told"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_only_news_close_in_time_folds_on_weak_evidence(
    feed_server: FeedServer,
    tmp_path: Path,
    first: list[list[Item]],
    second: list[list[Item]] | None,
    told: list[str],
) -> None:
    for n, items in enumerate(first):
        feed_server.feed(f"/f{n}", rss(f"outlet{n}", items))
    async with webhook_receiver() as hook:
        extra = f"""
[[rules]]
name = "watch"
query = "Putin OR Zelensky"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook.url}"
update_delay = "0s"
"""
        urls = [feed_server.url(f"/f{n}") for n in range(len(first))]
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            for n, items in enumerate(second or []):
                feed_server.feed(f"/f{n}", rss(f"outlet{n}", items))
            if second:
                await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            new = [p["alert"] for p in hook.payloads() if p["alert"]["kind"] == "new"]
            # each piece of news in a message of its own, under its own headline
            said = sorted(alert["title"] for alert in new)
            assert len(said) == len(told), said
            assert all(h.startswith(t) for t, h in zip(said, sorted(told), strict=True)), said
        finally:
            await engine.close()
