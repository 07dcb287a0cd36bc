"""The semantic extra's joins survive a restart: an event rebuilt from the store is compared
by meaning as the running daemon's is (explore14: the English report, a restart, then its
German and Russian copies made three events and three "new" alerts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from test_events_alerts import rss
from test_events_semantic import _ENCODER, NOISE, SEED, SEED_EVENT, T0

from monitor.engine import Engine
from monitor.events import EventConfig, EventIndex
from monitor.events.semantic import available
from monitor.oneshot import poll_all

pytestmark = pytest.mark.skipif(not available(), reason="the semantic extra is not installed")

ENGLISH = "Putin's Moscow invitation to Zelensky for talks and not surrender - Kremlin"
GERMAN = "Kreml: Selenskyj zu Gesprächen nach Moskau eingeladen - nicht zur Kapitulation"
RUSSIAN = "Путин пригласил Зеленского в Москву"
EXTRA = """
[events]
semantic = true

[[entities]]
name = "Volodymyr Zelensky"
aliases = ["Zelensky", "Selenskyj", "Зеленский"]

[[entities]]
name = "Vladimir Putin"
aliases = ["Putin", "Путин"]

[[rules]]
name = "peace-talks"
query = '@Zelensky OR @Putin'
channels = ["screen"]

[channels.screen]
type = "console"
"""


async def test_copies_in_other_languages_after_a_restart_join_the_event(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.feed("/en", rss("RT", [(ENGLISH, "http://rt.example/1")]))
    feed_server.feed("/de", rss("Spiegel", []))
    feed_server.feed("/ru", rss("RIA", []))
    urls = [feed_server.url(p) for p in ("/en", "/de", "/ru")]
    config = make_config(tmp_path, urls, extra=EXTRA)
    engine = await Engine.open(config)  # a first `monitor once`
    try:
        await poll_all(engine.rt, progress=False)
    finally:
        await engine.close()
    feed_server.feed("/de", rss("Spiegel", [(GERMAN, "http://spiegel.example/1")]))
    feed_server.feed("/ru", rss("RIA", [(RUSSIAN, "http://ria.example/1")]))
    engine = await Engine.open(config)  # a second one: the event rebuilt from the store
    try:
        await poll_all(engine.rt, progress=False)
        db = engine.store.db
        events = await db.fetch_all("SELECT DISTINCT event_id FROM stories")
        alerts = await db.fetch_all("SELECT story_id FROM alerts WHERE kind = 'new'")
    finally:
        await engine.close()
    assert len(events) == 1, events  # was 3: each copy a new event ...
    assert len(alerts) == 1, alerts  # ... and a "new" alert of its own


@pytest.mark.parametrize("grown", [False, True])
def test_an_event_rebuilt_from_the_store_means_what_the_daemons_does(grown: bool) -> None:
    # ``grown``: a story joins the rebuilt event (by its words) before any comparison by
    # meaning; its headline adds to the meaning the rebuilt stories' headlines make.
    later = "Kremlin says Putin invited Zelensky to Moscow for talks"
    daemon = EventIndex(EventConfig(), 72 * 3600.0, _ENCODER)
    rebuilt = EventIndex(EventConfig(), 72 * 3600.0, _ENCODER)
    for i, title in enumerate([*NOISE, SEED]):  # as ``store.events.rebuild_index`` adds them
        daemon.add(i, i, title, "", T0 + 60 * i)
        rebuilt.add(i, i, title, "", T0 + 60 * i, embed=False)
    decisions = []
    for index in (daemon, rebuilt):
        if grown:
            index.add(SEED_EVENT, 50, later, "", T0 + 900)
        decisions.append(index.find(100, RUSSIAN, "", T0 + 1800))
    ran, restarted = decisions
    assert (restarted.event_id, restarted.reason) == (SEED_EVENT, "similar meaning")
    assert restarted.score == pytest.approx(ran.score, abs=1e-5)  # before: a new event
