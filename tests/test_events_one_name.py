"""A story that shares only a person's name with an event is another happening of that person,
with a "new" alert of its own, through the real pipeline (local feeds, a webhook receiver).

Outlets' ledes name the event's people with their titles ("Ukraine's president", "the
Russian president"): a story of the same person elsewhere, its lede naming him so too, shares
the name and those words with the event and none of its headlines' other words; it folded
into the event as a "new angle" and got no alert of its own (explore13: Zelensky's visit to
the front and Putin's gas deal with Xi in Putin's invitation of Zelensky to Moscow). The
happening's reactions, which name a second word of its headlines, still join it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver

from monitor.engine import Engine
from monitor.oneshot import poll_all

Item = tuple[str, str]  # headline, summary

# The happening, as three outlets cover it in the first poll
INVITATION: list[list[Item]] = [
    [
        ("Kremlin says Zelensky was invited to Moscow for negotiations",
         "The Kremlin spokesman said Ukraine's president was asked to Moscow to negotiate, "
         "not to give up."),
        ("Zelensky's Moscow invitation is for talks, Peskov insists",
         "Dmitry Peskov said the offer made to Ukraine's president by Russian President "
         "Vladimir Putin was genuine."),
    ],
    [
        ("Putin repeats offer to host Zelensky in Moscow",
         "Russian President Vladimir Putin told a forum in Vladivostok that Ukraine's "
         "president could come to Moscow for a meeting."),
        ("Kyiv turns down Putin's call to meet Zelensky in Moscow",
         "Ukraine's foreign minister called the Russian president's proposal unacceptable "
         "and said Zelensky would meet Putin elsewhere."),
    ],
    [
        ("European diplomats warn Moscow summit offer to Zelensky is a trap",
         "Diplomats in Brussels said the invitation from the Russian president was meant to "
         "embarrass Ukraine's president."),
        ("Analysis: why Putin keeps inviting Zelensky to Moscow",
         "The Russian president's repeated invitation to Ukraine's president is aimed at "
         "audiences at home, analysts said."),
    ],
]  # fmt: skip
# Another outlet, at the second poll: two other happenings of the same two people, and a
# reaction to the invitation
VISIT = (
    "Zelensky visits soldiers near Pokrovsk as fighting grows",
    "Ukraine's president gave medals to a brigade in the Donetsk region and looked at new "
    "drone units.",
)
PIPELINE = (
    "Putin and Xi sign gas pipeline memorandum",
    "Russian President Vladimir Putin and Chinese President Xi Jinping signed an agreement "
    "on a new pipeline to China.",
)
REACTION = (
    "EU foreign ministers back Kyiv in rejecting Moscow venue",
    "Ministers meeting in Brussels said Putin's invitation to Zelensky was not a serious "
    "offer of peace talks.",
)


def rss(name: str, items: list[Item]) -> bytes:
    now = datetime.now(UTC)
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>http://{name}.example/{n}</link>"
        f"<description>{escape(s)}</description>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=n))}</pubDate></item>"
        for n, (t, s) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}'
        f"</title><link>http://{name}.example/</link>{entries}</channel></rss>"
    ).encode()


async def run(
    feed_server: FeedServer, tmp_path: Path, first: list[list[Item]], later: list[Item], query: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A first poll of outlets' stories, then a later feed: the first poll's "new" alerts and
    all the alerts."""
    for n, items in enumerate(first):
        feed_server.feed(f"/{n}", rss(f"outlet{n}", items))
    feed_server.feed("/later", rss("later", []))
    async with webhook_receiver() as hook:
        extra = f"""
[[rules]]
name = "watch"
query = "{query}"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook.url}"
update_delay = "0s"
"""
        urls = [feed_server.url(f"/{n}") for n in range(len(first))]
        config = make_config(tmp_path, [*urls, feed_server.url("/later")], extra=extra)
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            firsts = [p["alert"] for p in hook.payloads() if p["alert"]["kind"] == "new"]
            feed_server.feed("/later", rss("later", later))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            alerts = [p["alert"] for p in hook.payloads()]
        finally:
            await engine.close()
    return firsts, alerts


async def test_a_story_sharing_only_a_name_with_an_event_gets_its_own_alert(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # the newest first, as feeds list them
    later = [REACTION, PIPELINE, VISIT]
    first, alerts = await run(feed_server, tmp_path, INVITATION, later, "Zelensky OR Putin")
    assert len(first) == 1, first  # the invitation: one event, one alert
    new = sorted(a["title"] for a in alerts if a["kind"] == "new")
    # the visit and the gas deal are news of their own; the reaction is the invitation's
    assert new == sorted([first[0]["title"], VISIT[0], PIPELINE[0]]), new
    grown = [a for a in alerts if a["kind"] != "new" and a["event_id"] == first[0]["event_id"]]
    assert grown and REACTION[0] in str(grown[-1]), grown
