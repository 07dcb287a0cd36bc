"""A restarted daemon, or one whose windows are rebuilt in place (a rolled-back poll, a
cluster node elected assigner), decides as the live daemon did.

A feed's first poll lists two Titanfall items published two hours ago (found now), 600
items of other news of the last 80 minutes, and "Titanfall beta opens ..." of half an hour
ago; the window is an hour. The live daemon forgets the two-hour-old events at its next
eviction (which reads the items' dates: ``Stages._evict``); the store hands a rebuild the
items *first seen* in the last hour, those two included. Were they kept until the next
eviction, after the next poll's decisions, "Titanfall" would count as a topic word
(``SEGMENT_DF``: the items of the window's events that hold it) and "Titanfall - Respawn
ships the patch" would join the beta's event after a restart, while the live daemon starts
an event of its own (another "new" alert). review22a's case, through the real store."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from feedserver import FeedServer, rss
from helpers import make_config

from monitor.engine import Engine
from monitor.pipeline import refresh_feed
from monitor.store.events import list_events

NOW = datetime.now(UTC).replace(microsecond=0)


def _w(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(4))


def _rss(items: list[tuple[str, datetime]]) -> bytes:
    # No summaries: their words would count for the topic rule the test turns on.
    links = [(t, f"http://example.org/{n}") for n, (t, _) in enumerate(items)]
    return rss("Wire", links, dates=[d for _, d in items], summaries=False)


def _first_poll() -> list[tuple[str, datetime]]:
    rng = random.Random(5)
    items = [
        ("Titanfall studio hires Grolbak veterans", NOW - timedelta(hours=2)),
        ("Titanfall servers strain Fendrix launch", NOW - timedelta(hours=2, minutes=-1)),
    ]
    # other news of the last hour and more: the index has learned (LEARNED) live and rebuilt
    items += [
        (f"{_w(rng).title()} {_w(rng)} {_w(rng)}", NOW - timedelta(minutes=80, seconds=-5 * n))
        for n in range(600)
    ]
    items.append(("Titanfall beta opens to everyone on Xbox", NOW - timedelta(minutes=30)))
    return items


OTHER = ("Quarnel ferry resumes Rivtosk crossings", NOW + timedelta(minutes=5))
LATER = ("Titanfall - Respawn ships the patch", NOW + timedelta(minutes=12))


@pytest.mark.parametrize("how", ["restart", "rebuild"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_restart_through_the_store_decides_as_the_live_daemon(
    feed_server: FeedServer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    backend: str,
    how: str,
) -> None:
    """``how``: the daemon restarted, or its windows rebuilt in place (a rolled-back poll, a
    cluster node elected assigner: ``Stages.invalidate``)."""
    first = _first_poll()
    joined = {}
    for restart in (False, True):
        folder = tmp_path / str(restart)
        folder.mkdir()
        database = str(folder / "monitor.db")
        if backend == "postgresql":
            database = request.getfixturevalue("pg_cluster").create_database()
        config = make_config(
            folder, [feed_server.url("/feed")], extra='[dedup]\nwindow = "1h"\n', database=database
        )
        clock = [NOW.timestamp()]  # the clock only is mocked: polls 7 minutes apart
        engine = await Engine.open(config)
        engine.rt.clock = lambda clock=clock: clock[0]
        try:
            feed_server.feed("/feed", _rss(first))
            await refresh_feed(engine.rt, config.feeds[0])
            clock[0] += 420  # the daemon evicts every 5 minutes: after this poll
            feed_server.feed("/feed", _rss([*first, OTHER]))
            await refresh_feed(engine.rt, config.feeds[0])
            clock[0] += 420
            if restart and how == "restart":
                await engine.close()
                engine = await Engine.open(config)
                engine.rt.clock = lambda clock=clock: clock[0]
            elif restart:
                engine.rt.stages.invalidate(failed=False)
            feed_server.feed("/feed", _rss([*first, OTHER, LATER]))
            outcome = await refresh_feed(engine.rt, config.feeds[0])
            assert outcome.new_items == 1
            events = await list_events(engine.store.db, None)
        finally:
            await engine.close()
        of = {s["title"]: e["id"] for e in events for s in e["stories"]}
        joined["restarted" if restart else "live"] = of[LATER[0]] == of[first[-1][0]]
    assert joined["restarted"] == joined["live"], joined
