"""The ``matches`` table: why a rule fired on an item of a story."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from json.encoder import encode_basestring as _quote  # a JSON string, non-ASCII kept as is

from monitor.models import Match
from monitor.store.batch import Rows
from monitor.store.db import Db

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
    done: dict[_HitKey, str] = {}
    rows = [
        (story_id, item_id, match.rule, *_json_columns(match, done), match.snippet)
        for story_id, item_id, match in matched
    ]
    if db.dialect == "postgresql":
        return {(int(i), str(rule)) for i, rule in await _MATCHES.insert(db, rows, (now,))}
    return await _record_sqlite(db, rows, now)


# SQLite: RETURNING keeps the rows in a temporary table first, 1.5 us a row (a third of the
# insert). A statement that stored as many rows as its part has pairs stored each of them
# (most do: a poll's items are new); otherwise the rows it stored are the table's last ones
# (ids only grow, one writer), read back.
_MATCHES_SQLITE = dataclasses.replace(_MATCHES, tail="ON CONFLICT DO NOTHING")


async def _record_sqlite(
    db: Db, rows: Sequence[tuple[int, int, str, str, str, str]], now: float
) -> set[tuple[int, str]]:
    recorded: set[tuple[int, str]] = set()
    for part, stored in await _MATCHES_SQLITE.insert_counted(db, rows, (now,)):
        pairs = {(row[1], row[2]) for row in part}
        if stored == len(pairs):
            recorded |= pairs
        elif stored:
            last = int(await db.fetch_val("SELECT last_insert_rowid()"))
            recorded |= {
                (int(item_id), str(rule))
                for item_id, rule in await db.fetch_all(
                    "SELECT item_id, rule FROM matches WHERE id > ? AND id <= ?",
                    (last - stored, last),
                )
            }
    return recorded


# The two JSON columns of a poll's every match, written out: the text of ``json.dumps(...,
# ensure_ascii=False)`` of the terms and of each hit's fields, without the dict per hit and
# the generic walk over the values that ``json.dumps`` would need. A poll's rules find the
# same words in the same item (a term in many rules): each hit's text is written once a poll
# (``done``), and both columns in one pass over the hits.


_HitKey = tuple[str, str, str, int, int]  # a hit's term, text, field, start and end


def _json_columns(match: Match, done: dict[_HitKey, str]) -> tuple[str, str]:
    """The terms (each once, in the order of their first hit) and the hits of ``match``."""
    terms: dict[str, None] = {}
    hits = []
    for h in match.hits:
        key = (h.term, h.text, h.field, h.start, h.end)
        text = done.get(key)
        if text is None:
            text = done[key] = (
                f'{{"term": {_quote(h.term)}, "text": {_quote(h.text)}, "field": {_quote(h.field)},'
                f' "start": {h.start:d}, "end": {h.end:d}}}'
            )
        hits.append(text)
        terms[h.term] = None
    return "[" + ", ".join(map(_quote, terms)) + "]", "[" + ", ".join(hits) + "]"
