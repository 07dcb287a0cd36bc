"""Small helpers shared by the pipeline tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor import assign
from monitor import config as config_module
from monitor.assign import StoryChange
from monitor.config import Config
from monitor.dedup.index import StoryIndex
from monitor.models import Event, StoredItem, Story
from monitor.outbox.grow import on_grown
from monitor.store import grown
from monitor.store import stories as story_store
from monitor.store.migrations import MIGRATIONS, Migration

# The tests' feeds are real text with the dates it had (2014, 2018, 2025): news at any age
# unless a test sets max_age or retention (test_old_news: the defaults judge by max_age).
ANY_AGE = {"max_age": "36500d", "retention": "36500d"}
ANY_AGE_TOML = 'max_age = "36500d"\nretention = "36500d"\n'


def make_config(tmp_path: Path, feeds: list[str], extra: str = "", **monitor: str) -> Config:
    """A config with these feed URLs, its database in tmp_path, short timeouts."""
    return config_module.loads(_config_text(tmp_path, feeds, extra, **monitor), base_dir=tmp_path)


def config_file(tmp_path: Path, feeds: list[str], extra: str = "", **monitor: str) -> Path:
    """``make_config``'s config as a file, for the command line (``monitor -c``)."""
    path = tmp_path / "config.toml"
    path.write_text(_config_text(tmp_path, feeds, extra, **monitor), encoding="utf-8")
    return path


def _config_text(tmp_path: Path, feeds: list[str], extra: str, **monitor: str) -> str:
    judged = "max_age" in monitor or "retention" in monitor  # else: news at any age
    settings = {"database": str(tmp_path / "monitor.db"), "jitter": "0"}
    settings |= {**monitor} if judged else {**ANY_AGE, **monitor}
    lines = ["[monitor]"]
    for key, value in settings.items():
        lines.append(f"{key} = {value if key == 'jitter' else repr(value)}")
    lines += ["[fetch]", 'timeout = "5s"', 'connect_timeout = "2s"', 'read_timeout = "2s"']
    for url in feeds:
        lines += ["[[feeds]]", f"url = {url!r}"]
    return "\n".join(lines).replace("'", '"') + "\n" + extra


async def assign_stories(
    db: Any, index: StoryIndex, items: Sequence[StoredItem]
) -> list[StoryChange]:
    """Stories for ``items`` as a poll gives them: the index decides, the store writes; each
    story with its outlets, as an alert of it shows them (``fill_outlets``)."""
    new_ids = await story_store.reserve_ids(db, len(items))
    changes = await story_store.record(db, assign.stories(index, items, new_ids))
    await db.give_back("stories", new_ids)
    await story_store.fill_outlets(db, [c.story for c in changes])
    return changes


async def until_waiting(watch: Any, task: asyncio.Task[Any]) -> None:
    """Wait (up to 5 s) until ``task`` is done or a connection of this test's database waits
    for a lock (``watch``: an asyncpg connection of its own)."""
    for _ in range(100):
        waiting = await watch.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        if task.done() or waiting:
            return
        await asyncio.sleep(0.05)


async def poll_grows_event(db: Any, event: Event) -> None:
    """What the assigner's poll does with its alerts when ``event`` grew, in ``Stages``'
    order: its pending alerts locked, then read, the update rows of the sent ones locked,
    then the growth written (``outbox.grow.on_grown``)."""
    await grown.hold(db, [], [event.id])
    _, of_events = await grown.grown_alerts(db, [], [event.id])
    await grown.hold_updates(db, of_events)
    await on_grown(db, stories=(), events=[(event, of_events[event.id])], now=time.time())


async def poll_grows_story(db: Any, story: Story) -> None:
    """What the assigner's poll does with the alerts per story of ``story`` when it gained
    outlets, in ``Stages``' order (as ``poll_grows_event``)."""
    await grown.hold(db, [story.id], [])
    of_stories = await grown.stories_alerts(db, [story.id])
    await grown.hold_updates(db, of_stories)
    alerts = [a for a in of_stories.get(story.id, ()) if a.event_id is None]
    await on_grown(db, stories=[(story, alerts)], events=(), now=time.time())


async def schema_before(db: Any, migration: Migration) -> None:
    """The schema the version before ``migration`` left: every migration before it applied
    and recorded (a store to upgrade in place)."""
    older = MIGRATIONS[: MIGRATIONS.index(migration)]
    for applied in older:
        await applied(db)
    await db.script("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL);")
    for applied in older:
        await db.execute("INSERT INTO migrations VALUES (?, 0)", (applied.__name__,))
