"""An update whose newest angle an urgent message told (outbox.told takes its headline
out) led (review18e) with that angle's outlet, lede and link under the next angle's
headline; it leads with the angle it tells. Poll 1: the event's message (normal rule). Poll 2: THIRD (normal) and LATER
(urgent, its own message) in one poll. The edit of the first message must show one story:
its headline's outlet and link, not LATER's."""

from __future__ import annotations

import re
from pathlib import Path

from feedserver import FeedServer
from standins import telegram_standin
from test_alert_urgent_told import LATER, THIRD, _config, _feeds, _first_edits
from test_events_alerts import rss

from monitor.engine import Engine
from monitor.oneshot import poll_all


async def test_the_edit_leads_with_one_story_when_the_newest_was_told(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    urls = _feeds(feed_server)
    async with telegram_standin() as tg:
        engine = await Engine.open(_config(tmp_path, urls, tg.url, database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            # THIRD first (Outlet B), LATER after it (Outlet C): LATER is the newest story.
            feed_server.feed("/b", rss("Outlet B", [(THIRD, "http://b.example/third")]))
            feed_server.feed("/c", rss("Outlet C", [(LATER, "http://c.example/later")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
            stories = await engine.store.db.fetch_all("SELECT id, title FROM stories ORDER BY id")
        finally:
            await engine.close()
    assert len(tg.sent) == 2 and LATER in tg.sent[1]["text"], tg.sent
    edits = _first_edits(tg)
    assert edits, (tg.edits, stories)
    last = edits[-1]
    assert LATER not in last.split("\n")[0], last  # the urgent message told it
    head = re.match(r"<b>[^<]*</b> <b>([^<]*)</b>", last).group(1)
    # The headline is THIRD: its outlet and link go with it, not the told LATER's.
    assert head == THIRD, (last, stories)
    assert "From Outlet B" in last and "http://b.example/third" in last, (last, stories)
    assert "From Outlet C" not in last and "c.example/later" not in last, (last, stories)
