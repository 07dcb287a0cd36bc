"""review14e D3: an angle an urgent message told is counted in the edit's "and N more" once a
later growth pushes it out of the NEW_ANGLES_SHOWN newest (outbox.grow counts ANGLES_TOLD
only among the headlines it shows), though told.ANGLES_TOLD says a told angle is "not more".
Poll 1: the urgent angle (LATER) and another (THIRD) in one poll: the urgent message tells
LATER, the edit lists THIRD. Poll 2: nine more angles. The edit lists the 8 newest and
"and 2 more" (THIRD and the 9th newest), not "and 3 more". Real pipeline, both backends."""

from __future__ import annotations

import re
from pathlib import Path

from feedserver import FeedServer
from standins import telegram_standin
from test_alert_urgent_told import LATER, THIRD, _config, _feeds, _first_edits
from test_events_alerts import rss

from monitor.engine import Engine
from monitor.oneshot import poll_all

MORE = [
    "Lawmakers answer Snowden call for surveillance hearings",
    "Senate panel schedules hearing on Snowden surveillance claims",
    "Civil liberties groups back Snowden push for surveillance oversight",
    "Snowden revelations spur debate over US surveillance laws",
    "Snowden says NSA surveillance programs must face public scrutiny",
    "White House responds to Snowden petition on surveillance",
    "Snowden documents show wider surveillance of US allies",
    "Congress weighs curbs on NSA surveillance after Snowden leaks",
    "Privacy advocates rally behind Snowden surveillance reform call",
]


async def test_a_told_angle_is_not_counted_in_and_n_more(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    urls = _feeds(feed_server)
    extra = [f"/m{i}" for i in range(len(MORE))]
    for p in extra:
        feed_server.feed(p, rss(f"Outlet {p}", []))
    urls += [feed_server.url(p) for p in extra]
    async with telegram_standin() as tg:
        engine = await Engine.open(_config(tmp_path, urls, tg.url, database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            feed_server.feed("/c", rss("Outlet C", [(THIRD, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
            assert len(tg.sent) == 2 and LATER in tg.sent[1]["text"], tg.sent
            for i, (p, title) in enumerate(zip(extra, MORE, strict=True)):
                feed_server.feed(p, rss(f"Outlet {p}", [(title, f"http://m{i}.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
            events = await engine.store.db.fetch_all(
                "SELECT event_id, title FROM stories ORDER BY id"
            )
        finally:
            await engine.close()
    assert len({e[0] for e in events}) == 1 and len(events) == 12, [
        tuple(e) for e in events
    ]  # one event, twelve stories
    last = _first_edits(tg)[-1]
    assert LATER not in last, last
    # Untold and unlisted: THIRD and the oldest of MORE.
    assert re.search(r"and (\d+) more", last).group(1) == "2", last
