"""The ``matches`` table: why a rule fired on an item of a story."""

from __future__ import annotations

import json
from collections.abc import Sequence

from monitor.models import Match, fields_of
from monitor.store.batch import Rows
from monitor.store.db import Db

# One encoder for every row: ``json.dumps`` with options builds a new one at each call.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode

_MATCHES = Rows(
    "matches",
    "story_id bigint, item_id bigint, rule text, terms text, hits text, snippet text",
    shared="created_at float8",
    tail="ON CONFLICT DO NOTHING RETURNING item_id, rule",
)


async def record(db: Db, story_id: int, item_id: int, match: Match, now: float) -> bool:
    """Store why a rule fired; False when this item already matched this rule."""
    return bool(await record_many(db, [(story_id, item_id, match)], now))


async def record_many(
    db: Db, matched: Sequence[tuple[int, int, Match]], now: float
) -> set[tuple[int, str]]:
    """Store why rules fired, ``(story_id, item_id, match)`` for a whole poll in one
    statement; the ``(item_id, rule)`` pairs stored (not those the item already had)."""
    rows = [
        (
            story_id,
            item_id,
            match.rule,
            _ENCODE(match.terms),
            _ENCODE([fields_of(h) for h in match.hits]),
            match.snippet,
        )
        for story_id, item_id, match in matched
    ]
    return {(int(item_id), str(rule)) for item_id, rule in await _MATCHES.insert(db, rows, (now,))}
