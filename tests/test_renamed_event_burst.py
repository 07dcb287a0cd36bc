"""review20d: an event burst rule (2 outlets within 1h) fires on one feed renamed between
two of the event's stories: items.feed_name holds each story's name for the feed ("Wire" in
one, "Wire Service" in the other) and items.event_outlets_since counts distinct names
across the event's stories. The only other outlet's item is hours old (outside the window)."""

from __future__ import annotations

from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin
from test_outlet_renamed_feed import RULES as STORY_RULES
from test_renamed_event import A, B, feed

from monitor.engine import Engine
from monitor.oneshot import poll_all

C = ("Kremlin spokesman Peskov says Moscow offer to Zelensky stands", "https://other.example/c")

# The renamed-feed tests' desk and burst rule, on the event and either name
RULES = STORY_RULES.replace("'Putin AND Zelensky'", "'Putin OR Zelensky'").replace(
    '"{alert_on}"', '"event"'
)


@pytest.mark.parametrize("second", ["Wire Service", "Wire"], ids=["renamed", "control"])
async def test_one_renamed_feed_is_no_event_burst(
    feed_server: FeedServer, tmp_path: Path, database: str, second: str
) -> None:
    wire, other = feed_server.url("/wire"), feed_server.url("/other")
    feed_server.feed("/other", feed("Other", [C]))
    feed_server.feed("/wire", feed("Wire", []))
    async with telegram_standin() as tg:
        extra = RULES.format(token=BOT_TOKEN, chat=CHAT_ID, tg=tg.url)
        cfg = make_config(tmp_path, [other, wire], extra=extra, database=database)
        engine = await Engine.open(cfg)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            db = engine.rt.store.db
            # Other's item came two hours ago: outside the burst's hour.
            await db.execute("UPDATE items SET first_seen = first_seen - 7200")
            feed_server.feed("/wire", feed("Wire", [A]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/wire", feed(second, [A, B]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            stories = await db.fetch_all("SELECT id, event_id FROM stories ORDER BY id")
            bursts = await db.fetch_all("SELECT * FROM alerts WHERE kind = 'burst'")
        finally:
            await engine.close()
    assert len(stories) == 3 and len({s[1] for s in stories}) == 1, [tuple(s) for s in stories]
    # Within the hour only one outlet (the feed "Wire", renamed) carried the event.
    assert bursts == [], [tuple(b) for b in bursts]
