"""What the outbox costs a poll: a match in an event that has its alert already queues
nothing, and the alert is not built again only to be dropped by the store (most matches of a
busy feed list are of events alerted already); what the user sees of it is unchanged: one
alert per event and channel, its outlets grown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from feedserver import FeedServer
from helpers import make_config

from monitor.engine import Engine
from monitor.oneshot import poll_all
from monitor.store import alerts as alert_rows

# Angles of one happening (test_events_alerts.py: one event, four stories).
ANGLES = [
    "Putin invites Zelensky to Moscow for peace talks",
    "Ukraine's president turns down invitation, proposes Kyiv as venue for meeting with Putin",
    "Kremlin spokesman Peskov says Moscow offer to Zelensky stands",
    "Zelensky to address parliament on Putin's Moscow offer",
]
RULES = """
[[rules]]
name = "leaders"
query = 'Putin OR Zelensky'
channels = ["screen", "hook"]

[[rules]]
name = "talks"
query = '(Putin OR Kremlin) AND (talks OR offer OR invitation)'
channels = ["screen"]

[channels.screen]
type = "console"

[channels.hook]
type = "console"
"""


def rss(outlet: int, titles: list[str]) -> bytes:
    when = format_datetime(datetime.now(UTC))
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>http://o{outlet}.example/{n}</link>"
        f"<description>{escape(t)}.</description><pubDate>{when}</pubDate></item>"
        for n, t in enumerate(titles)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Outlet'
        f" {outlet}</title><link>http://o{outlet}.example/</link>{entries}</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("outlets", "titles"),
    [
        (3, ANGLES[1:]),  # other angles: new stories of the event
        (2, [ANGLES[0] + " - wire copy" + "." * c for c in range(4)]),  # its story, again
    ],
)
async def test_matches_of_an_alerted_event_queue_and_build_nothing(
    feed_server: FeedServer, tmp_path: Path, outlets: int, titles: list[str]
) -> None:
    feed_server.feed("/o0", rss(0, ANGLES[:1]))
    urls = [feed_server.url(f"/o{i}") for i in range(outlets + 1)]
    for i in range(1, outlets + 1):
        feed_server.feed(f"/o{i}", rss(i, []))  # nothing yet
    engine = await Engine.open(make_config(tmp_path, urls, extra=RULES))
    try:
        await poll_all(engine.rt, progress=False)
        db = engine.store.db
        first = await db.fetch_all("SELECT id, channel, dedup_key FROM alerts ORDER BY id")
        # leaders on two channels; talks matched the event too: named in leaders' alert
        assert len(first) == 2

        for i in range(1, outlets + 1):
            feed_server.feed(f"/o{i}", rss(i, titles))
        statements: list[str] = []
        await engine.store.raw.set_trace_callback(statements.append)
        await poll_all(engine.rt, progress=False)
        await engine.store.raw.set_trace_callback(None)

        rows = await db.fetch_all("SELECT id, channel, dedup_key, payload FROM alerts ORDER BY id")
        assert [tuple(r[:3]) for r in rows] == [tuple(r) for r in first]
        matched = await db.fetch_val("SELECT COUNT(*) FROM matches")
        assert matched >= 1 + outlets * len(titles)  # every item matched a rule or two...
        inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO ALERTS")]
        assert inserts == []  # ...and none of them offered the outbox an alert
        shown = json.loads((await alert_rows.payloads(db))[rows[0][0]])
        assert len(shown["outlets"]) == outlets + 1  # the pending alert grew with its event
    finally:
        await engine.close()


BURST_RULES = """
[[rules]]
name = "leaders"
query = 'Putin OR Zelensky'
channels = ["screen"]
burst = { outlets = 2, within = "1h" }

[channels.screen]
type = "console"
"""


async def test_matches_of_an_event_that_burst_queue_and_ask_nothing(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    urls = [feed_server.url(f"/o{i}") for i in range(4)]
    for i in range(4):
        feed_server.feed(f"/o{i}", rss(i, ANGLES[:1] if i < 2 else []))
    engine = await Engine.open(make_config(tmp_path, urls, extra=BURST_RULES))
    try:
        await poll_all(engine.rt, progress=False)
        db = engine.store.db
        first = await db.fetch_all("SELECT id, kind, dedup_key FROM alerts ORDER BY id")
        assert [kind for _, kind, _ in first] == ["new", "burst"]  # two outlets in the hour

        for i in range(2, 4):
            feed_server.feed(f"/o{i}", rss(i, [ANGLES[0] + " - wire copy", *ANGLES[1:]]))
        statements: list[str] = []
        await engine.store.raw.set_trace_callback(statements.append)
        await poll_all(engine.rt, progress=False)
        await engine.store.raw.set_trace_callback(None)

        rows = await db.fetch_all("SELECT id, kind, dedup_key, payload FROM alerts ORDER BY id")
        assert [tuple(r[:3]) for r in rows] == [tuple(r) for r in first]
        asked = [s for s in statements if "FROM alerts WHERE channel =" in s]
        inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO ALERTS")]
        assert (asked, inserts) == ([], [])  # neither alert looked for nor offered again
        shown = json.loads((await alert_rows.payloads(db))[rows[0][0]])
        assert len(shown["outlets"]) == 4  # the pending alert grew
    finally:
        await engine.close()


async def test_matches_of_a_rule_the_waiting_alert_names_ask_nothing(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # "talks" matched the event with "leaders": the alert that waits names both. Its later
    # matches in the event find that without reading (and decoding) the event's alerts.
    urls = [feed_server.url(f"/o{i}") for i in range(3)]
    for i in range(3):
        feed_server.feed(f"/o{i}", rss(i, ANGLES[:1] if i == 0 else []))
    engine = await Engine.open(make_config(tmp_path, urls, extra=RULES))
    try:
        await poll_all(engine.rt, progress=False)
        db = engine.store.db
        first = await db.fetch_all("SELECT id, channel, dedup_key, payload FROM alerts ORDER BY id")
        assert json.loads(first[0][3])["extra"]["rules"] == "leaders, talks"

        for i in range(1, 3):
            feed_server.feed(f"/o{i}", rss(i, ANGLES[1:]))  # both rules match each
        statements: list[str] = []
        await engine.store.raw.set_trace_callback(statements.append)
        await poll_all(engine.rt, progress=False)
        await engine.store.raw.set_trace_callback(None)

        rows = await db.fetch_all("SELECT id, channel, dedup_key FROM alerts ORDER BY id")
        assert [tuple(r) for r in rows] == [tuple(r[:3]) for r in first]
        asked = [s for s in statements if "JOIN alerts a ON a.story_id = s.id" in s]
        inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO ALERTS")]
        assert (asked, inserts) == ([], [])  # the event's alerts neither read again nor offered
        shown = json.loads((await alert_rows.payloads(db))[rows[0][0]])
        assert shown["extra"]["rules"] == "leaders, talks"
    finally:
        await engine.close()
