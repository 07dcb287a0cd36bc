"""PostgreSQL: what the assigner's poll locks before it writes (``store.grown.hold``) is found
through the alerts' story index, whatever the plan: it reads the alerts of the stories and
events it grew, not every alert the store keeps, at each poll that grew something."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from monitor.store import Store, grown
from monitor.store.pgdb import translate

STORIES = 1000  # five to an event, four alerts each: a store some weeks old, in small


async def _fill(conn: Any) -> None:
    await conn.execute(
        "INSERT INTO events (id, title, first_seen, last_seen)"
        f" SELECT g, 'e', 0, 0 FROM generate_series(1, {STORIES // 5 + 1}) g"
    )
    await conn.execute(
        "INSERT INTO stories (id, title, first_seen, last_seen, outlets, event_id)"
        f" SELECT g, 's', 0, 0, 1, 1 + g / 5 FROM generate_series(1, {STORIES}) g"
    )
    # Per story: a pending alert per event and one per story, a sent one, a pending update.
    await conn.execute(
        "INSERT INTO alerts (channel, kind, story_id, rule, dedup_key, payload, next_attempt,"
        " created_at, status)"
        " SELECT 'c0', k.kind, s.id, 'r', k.key || s.id, '{}', 0, 0, k.status"
        f" FROM generate_series(1, {STORIES}) s(id), (VALUES"
        " ('new', 'event:', 'pending'), ('new', 'new:', 'pending'),"
        " ('new', 'event:x', 'sent'), ('update', 'update:', 'pending')) k(kind, key, status)"
    )
    await conn.execute("ANALYZE")


def _removed(plan: Any) -> int:
    """Rows a plan's nodes read and threw away, all nodes together."""
    own = int(plan.get("Rows Removed by Filter", 0)) + int(
        plan.get("Rows Removed by Index Recheck", 0)
    )
    return own + sum(_removed(p) for p in plan.get("Plans", ()))


async def test_the_poll_locks_through_the_story_index(pg_url: str) -> None:
    """Stories 12 and 450 grew, and event 3 (stories 10 to 14): of 4,000 alerts, the pending
    "new" ones of those stories are locked (per event only for the event's), read through
    the index even with the generic plan a prepared statement gets."""
    store = await Store.open(pg_url)
    await store.close()
    conn = await asyncpg.connect(pg_url, server_settings={"plan_cache_mode": "force_generic_plan"})
    try:
        await _fill(conn)
        sql = translate(grown._SHARE)
        keys = [r[0] for r in await conn.fetch(
            f"SELECT dedup_key FROM alerts WHERE id IN ({sql.replace(' FOR SHARE', '')})"
            " ORDER BY dedup_key", [12, 450], [3]
        )]  # fmt: skip
        wanted = ["event:10", "event:11", "event:12", "event:13", "event:14", "event:450"]
        assert keys == sorted([*wanted, "new:12", "new:450"]), keys
        explain = await conn.prepare("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        (plan,) = json.loads(await explain.fetchval([12, 450], [3]))
        assert _removed(plan["Plan"]) < 100, json.dumps(plan, indent=1)
    finally:
        await conn.close()
