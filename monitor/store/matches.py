"""The ``matches`` table: why a rule fired on an item of a story."""

from __future__ import annotations

import json

import aiosqlite

from monitor.models import Match, fields_of


async def record(
    db: aiosqlite.Connection, story_id: int, item_id: int, match: Match, now: float
) -> bool:
    """Store why a rule fired; False when this item already matched this rule."""
    cur = await db.execute(
        "INSERT OR IGNORE INTO matches (story_id, item_id, rule, terms, hits, snippet, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            story_id,
            item_id,
            match.rule,
            json.dumps(match.terms, ensure_ascii=False),
            json.dumps([fields_of(h) for h in match.hits], ensure_ascii=False),
            match.snippet,
            now,
        ),
    )
    inserted = cur.rowcount > 0
    await cur.close()
    return inserted
