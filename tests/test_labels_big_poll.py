"""A feed's label ("Latest news") in a big poll (a busy feed's first fetch: 20 to 100 items,
or more, read in slices of ``STAGES_SLICE``): an item early in the poll carries it, and more
than the feed's kept titles come after it; or more than those come between its items over
several polls. Its items must still not be joined into one story (and one event) on their
title, through the real pipeline (a local feed, a webhook receiver)."""

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
from monitor.newitems import STAGES_SLICE
from monitor.oneshot import poll_all

LABEL = "Latest news"
CRIMEA = (
    "Lawmakers in Crimea voted to hold a referendum on joining Russia on March 16, moving the "
    "date forward by two weeks."
)
RECALL = "General Motors is recalling 1.6 million cars worldwide over a faulty ignition switch."
PISTORIUS = "Oscar Pistorius's neighbour told the court she heard a woman scream before the shots."
RESERVE = "The Federal Reserve kept interest rates on hold and said it would keep buying bonds."
QUERY = "Crimea OR recall OR Pistorius OR Reserve"

# Other news of the feed, none of the rule's words: each its own title.
PLACES = ["Leeds", "Osaka", "Lima", "Perth", "Oslo", "Accra", "Quito", "Dhaka", "Turin"]
DOINGS = [
    "council approves new budget for schools", "opens its first tram line",
    "hosts a jazz festival this weekend", "museum reopens after renovation",
    "airport adds nightly flights", "library extends its opening hours",
    "zoo welcomes twin panda cubs", "marathon draws record entries",
    "port handles more containers than ever",
]  # fmt: skip
OTHER = [f"{place} {doing}" for doing in DOINGS for place in PLACES][:76]


def big_poll(ledes: list[str]) -> list[tuple[str, str]]:
    """``ledes`` under the label, in the middle of the feed's other news: more than a
    feed's kept titles after them, in whichever order the items are read."""
    half = len(OTHER) // 2
    return (
        [(t, "") for t in OTHER[:half]]
        + [(LABEL, s) for s in ledes]
        + [(t, "") for t in OTHER[half:]]
    )


def sliced_poll(ledes: list[str], late: str) -> list[tuple[str, str]]:
    """A poll of more than ``STAGES_SLICE`` items (its slices read one after the other):
    ``ledes`` under the label at the poll's end, ``late`` under it near its start, more
    than a feed's kept titles of other news between them."""
    other = [*OTHER, *(f"{t}, officials say" for t in OTHER)]
    size = STAGES_SLICE + 50
    items = [(t, "") for t in other[: size - len(ledes) - 1]]
    items.insert(20, (LABEL, late))
    return items + [(LABEL, s) for s in ledes]


def rss(polls: list[list[tuple[str, str]]]) -> bytes:
    """The items of ``polls`` so far, the newest first, each with its own GUID and link."""
    now = datetime.now(UTC)
    items = [(p, i, t, s) for p, poll in enumerate(polls) for i, (t, s) in enumerate(poll)]
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>http://lab.example/{p}/{i}</link>"
        f"<guid>{p}-{i}</guid><description>{escape(s)}</description><pubDate>"
        f"{format_datetime(now - timedelta(hours=len(polls) - p, seconds=i))}</pubDate></item>"
        for p, i, t, s in reversed(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>lab'
        f"</title><link>http://lab.example/</link>{entries}</channel></rss>"
    ).encode()


# (case, the feed's new items at each poll, the "new" alerts of the rule: one per lede)
CASES = [
    ("a label three items of a big first poll carry", [big_poll([CRIMEA, RECALL, PISTORIUS])],
     3),
    ("a label known from the last poll, on an early item of a big poll",
     [[(LABEL, CRIMEA), (LABEL, PISTORIUS), (LABEL, RESERVE)], big_poll([RECALL])], 4),
    ("a label a poll of more than a hundred items carries in two of its slices",
     [sliced_poll([CRIMEA, RECALL, PISTORIUS], RESERVE)], 4),
    ("a label known, then more than the feed's kept titles over two polls, then one more",
     [[(LABEL, CRIMEA), (LABEL, PISTORIUS), (LABEL, RESERVE)],
      [(t, "") for t in OTHER[:20]], [(t, "") for t in OTHER[20:40]], [(LABEL, RECALL)]], 4),
]  # fmt: skip


@pytest.mark.parametrize(("polls", "alerts"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_a_label_early_in_a_big_poll_joins_nothing(
    feed_server: FeedServer, tmp_path: Path, polls: list[list[tuple[str, str]]], alerts: int
) -> None:
    async with webhook_receiver() as hook:
        extra = f"""
[[rules]]
name = "watch"
query = "{QUERY}"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook.url}"
update_delay = "0s"
"""
        engine = await Engine.open(make_config(tmp_path, [feed_server.url("/a")], extra=extra))
        try:
            for n in range(len(polls)):
                feed_server.feed("/a", rss(polls[: n + 1]))
                await poll_all(engine.rt, progress=False)
                assert await engine.drain(20)
            rows = await engine.store.db.raw.execute_fetchall(
                "SELECT COUNT(*), COUNT(DISTINCT story_id) FROM items WHERE title = ?", (LABEL,)
            )
            labelled = sum(t == LABEL for poll in polls for t, _ in poll)
            assert tuple(next(iter(rows))) == (labelled, labelled)  # a story each
            new = [p["alert"] for p in hook.payloads() if p["alert"]["kind"] == "new"]
            assert len(new) == alerts, [n["title"] for n in new]
        finally:
            await engine.close()
