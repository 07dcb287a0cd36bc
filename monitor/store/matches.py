"""The ``matches`` table: why a rule fired on an item of a story."""

from __future__ import annotations

from collections.abc import Sequence
from json.encoder import encode_basestring as _quote  # a JSON string, non-ASCII kept as is

from monitor.models import Match, TermHit
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
    rows = [
        (
            story_id,
            item_id,
            match.rule,
            _terms_json(match),
            _hits_json(match.hits),
            match.snippet,
        )
        for story_id, item_id, match in matched
    ]
    return {(int(item_id), str(rule)) for item_id, rule in await _MATCHES.insert(db, rows, (now,))}


# The two JSON columns of a poll's every match, written out: the text of ``json.dumps(...,
# ensure_ascii=False)`` of the terms and of each hit's fields, without the dict per hit and
# the generic walk over the values that ``json.dumps`` would need.


def _terms_json(match: Match) -> str:
    return "[" + ", ".join(_quote(term) for term in dict.fromkeys(h.term for h in match.hits)) + "]"


def _hits_json(hits: Sequence[TermHit]) -> str:
    return (
        "["
        + ", ".join(
            f'{{"term": {_quote(h.term)}, "text": {_quote(h.text)}, "field": {_quote(h.field)},'
            f' "start": {h.start:d}, "end": {h.end:d}}}'
            for h in hits
        )
        + "]"
    )
