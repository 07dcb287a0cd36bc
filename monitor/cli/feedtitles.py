"""The configured feeds' own titles as the store last saw them, for the commands that check
rules (``check-config``, ``test-rules --feed``): a rule may name a feed that has no name in
the config by its title, as the daemon names it (``runtime.feed_name``: the name, else the
title, else the URL).

Read only when the config alone cannot answer, and briefly: these commands work offline, and
a database that accepts but never answers (a PostgreSQL behind a firewall) must not hold them
for the driver's connect timeout.
"""

from __future__ import annotations

import asyncio

from monitor.config import Config
from monitor.store import Store
from monitor.store.feeds import FeedState, all_feeds

READ_LIMIT = 2.0  # seconds: a local store answers in milliseconds


def stored_titles(config: Config) -> dict[str, str] | None:
    """``{url: title}`` of the configured feeds without a name whose title the store has;
    None when the store cannot say (no database yet, unreadable, or no answer in time)."""
    unnamed = {f.url for f in config.feeds if not f.name}
    if not unnamed:
        return {}  # every feed goes by its configured name: no title counts
    try:
        stored = asyncio.run(_read(config))
    except Exception:  # whatever failed, the config alone answers
        return None
    return {s.url: s.title for s in stored if s.url in unnamed and s.title}


async def _read(config: Config) -> list[FeedState]:
    async with asyncio.timeout(READ_LIMIT):
        store = await Store.open_readonly(config.database_location)
        try:
            return await all_feeds(store.db)
        finally:
            await store.close()
