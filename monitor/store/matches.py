"""The ``matches`` table: why a rule fired on an item of a story."""

from __future__ import annotations

import json

from monitor.models import Match, fields_of
from monitor.store.db import Db


async def record(db: Db, story_id: int, item_id: int, match: Match, now: float) -> bool:
    """Store why a rule fired; False when this item already matched this rule."""
    inserted = await db.execute(
        "INSERT INTO matches (story_id, item_id, rule, terms, hits, snippet, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
    return inserted > 0
