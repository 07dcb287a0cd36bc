"""/metrics counts what the store holds: a new event once, however many items of the poll
join it (review16d: monitor_events_total counted one per item of a new event, 3 for 1)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from feedserver import FeedServer, rss
from helpers import make_config

from monitor.daemon import Daemon


async def test_stories_and_events_are_counted_once(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.feed(
        "/a",
        rss(
            "A",
            [
                ("Council approves the 2027 city budget after long debate", "http://e.org/1"),
                ("Council approves 2027 city budget after a long debate", "http://e.org/2"),
                ("Council approves 2027 city budget after long debate tonight", "http://e.org/3"),
            ],
        ),
    )
    config = make_config(tmp_path, [feed_server.url("/a")], metrics="127.0.0.1:0")
    path = tmp_path / "config.toml"
    path.write_text(f'[monitor]\nmax_age = "36500d"\nretention = "36500d"\ndatabase = "{config.database_path}"\nmetrics = "127.0.0.1:0"\n')
    daemon = Daemon(config, path)
    task = asyncio.create_task(daemon.run())
    try:
        for _ in range(200):
            m = daemon.metrics
            if m is not None and m.new_items._value.get() >= 3:
                break
            await asyncio.sleep(0.05)
        m = daemon.metrics
        assert m is not None and m.new_items._value.get() == 3
        db = sqlite3.connect(config.database_path)
        try:
            events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            stories = db.execute("SELECT COUNT(*) FROM stories").fetchone()[0]
        finally:
            db.close()
        assert (m.stories._value.get(), m.events._value.get()) == (stories, events) == (1, 1)
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 10)
