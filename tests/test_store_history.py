"""A poll costs the database the same with months of delivered alerts behind it.

The alerts table keeps every alert until retention prunes it (30 days by default): tens of
thousands on a busy desk, while the planner's statistics may date from a restart when
there were few (``PRAGMA optimize`` runs at close). A poll that grows an event reads that event's alerts (to refresh
the pending ones and update the sent ones), which must come through the indexes, not a scan
of every alert ever kept. Measured as SQLite's own work (virtual machine steps, counted by
its progress handler), not as time: the same on a loaded machine.
"""

from __future__ import annotations

from pathlib import Path

from conftest import shared
from feedserver import FeedServer
from helpers import make_config

from monitor.engine import Engine
from monitor.pipeline import refresh_feed
from monitor.store import alerts as alert_rows

RULES = """
[[rules]]
name = "news"
query = "news OR that OR from"
channels = ["screen"]

[channels.screen]
type = "console"
"""
STEP = 100  # VM instructions per progress-handler call


async def _second_outlets_poll(feed_server: FeedServer, tmp_path: Path, history: int) -> int:
    """SQLite's work (in STEPs) for the poll of a second outlet carrying the first one's
    items, which grows every story and event the first created, with ``history`` delivered
    alerts of older news in the store."""
    body = shared("real-feeds", "guardian.rss").read_bytes()
    feeds = ""
    for n in range(2):
        feed_server.feed(f"/{tmp_path.name}/outlet{n}", body)
        url = feed_server.url(f"/{tmp_path.name}/outlet{n}")
        feeds += f'[[feeds]]\nurl = "{url}"\nname = "Outlet {n}"\n'
    engine = await Engine.open(make_config(tmp_path, [], feeds + RULES))
    rt = engine.rt
    try:
        assert (await refresh_feed(rt, rt.config.feeds[0])).result == "new"
        # The statistics a restart's PRAGMA optimize leaves while the store is young: the
        # planner keeps them for weeks.
        await rt.store.db.execute("ANALYZE")
        async with rt.store.transaction() as db:
            await db.execute_many(
                "INSERT INTO alerts (channel, kind, rule, dedup_key, payload, next_attempt,"
                " created_at, status) VALUES ('screen', 'new', 'news', ?, '{}', 0, 0, 'sent')",
                [(f"event:old-{n}",) for n in range(history)],
            )
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        await rt.store.db.raw.set_progress_handler(count, STEP)
        outcome = await refresh_feed(rt, rt.config.feeds[1])
        await rt.store.db.raw.set_progress_handler(None, STEP)  # type: ignore[arg-type]
        assert outcome.result == "new", outcome.error
        pending = await rt.store.db.fetch_all("SELECT id FROM alerts WHERE status = 'pending'")
        shown = await alert_rows.payloads(rt.store.db)
        grown = [i for (i,) in pending if "Outlet 1" in shown[i]]
        assert grown  # the poll did refresh the event alerts the first one queued
    finally:
        await engine.close()
    return steps[0]


async def test_a_poll_that_grows_events_does_not_read_every_alert_ever_kept(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    (fresh := tmp_path / "fresh").mkdir()
    (kept := tmp_path / "kept").mkdir()
    without = await _second_outlets_poll(feed_server, fresh, 0)
    with_history = await _second_outlets_poll(feed_server, kept, 20_000)
    # The same poll, a month of alerts later: the same work within noise (the indexes are
    # a level deeper), not a pass over 20,000 rows.
    assert with_history < without * 1.5, (without, with_history)
