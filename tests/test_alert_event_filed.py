"""Which alerts a channel holds of an event (``outbox.per_event``: a second rule's match is
folded into the alert that waits, or dropped where one as urgent went out) is found under the
event its story is in now: after the story moves to another event, and in a database made before
alerts were filed under their events (m016: filled by the upgrade). On both backends."""

from __future__ import annotations

import json

import pytest
from test_store_event_outlets import RAIL, RAIL_AGAIN, RAIL_LATE, _assign, _item, _poll

from monitor.assign import EventChange, EventPlan, StoryChange
from monitor.config import loads
from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex
from monitor.events import EventConfig, EventIndex
from monitor.models import Alert
from monitor.outbox.per_event import one_per_event
from monitor.stages import Stages
from monitor.store import Store, migrate
from monitor.store import alerts as alert_rows
from monitor.store import events as event_store
from monitor.store import grown as grown_store
from monitor.store.migrations import MIGRATIONS
from monitor.store.payload import dump_payload


def _new(channel: str, rule: str, event: int, story: int, severity: str = "normal") -> Alert:
    return Alert(0, channel, "new", RAIL, rule=rule, severity=severity, story_id=story,
                 event_id=event)  # fmt: skip


def _key(alert: Alert) -> tuple[Alert, str]:
    return alert, f"event:{alert.event_id}:{alert.rule}"


async def _rules_named(store: Store, alert_id: int) -> str:
    payload = await store.db.fetch_val("SELECT payload FROM alerts WHERE id = ?", (alert_id,))
    return str(json.loads(str(payload))["extra"].get("rules", ""))


async def test_a_storys_alert_follows_it_to_the_event_it_joins(database: str) -> None:
    store = await Store.open(database)
    stories, events = StoryIndex(DedupConfig()), EventIndex(EventConfig(), 3 * 86400.0)
    try:
        wire = await _poll(store, "Wire", [_item("w1", RAIL, 0, 0)])
        (old,) = (await _assign(store, stories, events, wire)).changes
        story = old.story.story.id
        async with store.transaction() as db:
            (waiting,) = await alert_rows.insert_many(
                db, [_key(_new("desk", "a", old.event_id, story))], now=0.0
            )
        assert waiting is not None
        herald = await _poll(store, "Herald", [_item("h1", RAIL_LATE, 5, 40)])
        (other,) = (
            await _assign(store, StoryIndex(DedupConfig()), EventIndex(EventConfig(), 1.0), herald)
        ).changes
        # Wire's story (its event closed, say) joins Herald's event with an item from Post.
        (post,) = await _poll(store, "Post", [_item("p1", RAIL_AGAIN, 20, 20)])
        change = StoryChange(post, old.story.story, is_new_story=False, gained_outlet=True)
        plan = EventPlan(
            changes=[EventChange(change, other.event_id, is_new_event=False)],
            story_links=[(other.event_id, story)],
            updates=[(RAIL_AGAIN, post.seen_at.timestamp(), 1, other.event_id)],
        )
        async with store.transaction() as db:
            await db.execute("UPDATE items SET story_id = ? WHERE id = ?", (story, post.id))
            await event_store.record(db, plan)
        async with store.transaction() as db:
            # A second rule's match in the event the story joined: folded into its alert,
            # no message of its own; one in the event it left is a message of that event.
            joined = await one_per_event(db, [_key(_new("desk", "b", other.event_id, story))],
                                         now=1.0)  # fmt: skip
            left = await one_per_event(db, [_key(_new("desk", "c", old.event_id, story))],
                                       now=1.0)  # fmt: skip
        assert joined == []
        assert [a.rule for a, _ in left] == ["c"]
        assert await _rules_named(store, waiting) == "a, b"
    finally:
        await store.close()


async def test_an_upgraded_database_finds_each_events_alerts(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = [m for m in MIGRATIONS if m.__name__ < "m017"]
    assert older[-1].__name__ == "m016_feed_malformed"
    monkeypatch.setattr(migrate, "MIGRATIONS", older)  # a database as the version before left it
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            await db.execute("INSERT INTO events (id, title, first_seen, last_seen) VALUES"
                             " (1, 'e1', 0, 9), (2, 'e2', 0, 9), (9, 'e9', 0, 9)")  # fmt: skip
            # Story 2 was first in event 9 (its alert's key says so), then joined event 2.
            await db.execute("INSERT INTO stories (id, title, first_seen, last_seen, event_id)"
                             " VALUES (1, 's1', 0, 9, 1), (2, 's2', 0, 9, 2)")  # fmt: skip
            # (id, channel, story, key, status, severity)
            for row in [
                (1, "desk", 1, "event:1:a", "pending", "normal"),
                (2, "mail", 2, "event:9:b", "sent", "high"),
                (3, "mail", None, "event:1:c", "sent", "high"),  # its story deleted: no event's
                (4, "desk", 2, "new:2:d", "pending", "normal"),  # a rule that alerts per story
            ]:
                alert = Alert(row[0], row[1], "new", "t", rule=row[3][-1], severity=row[5],
                              story_id=row[2])  # fmt: skip
                await db.execute(
                    "INSERT INTO alerts (id, channel, kind, story_id, rule, dedup_key, payload,"
                    " status, next_attempt, created_at) VALUES (?, ?, 'new', ?, ?, ?, ?, ?, 0, 0)",
                    (row[0], row[1], row[2], alert.rule, row[3], dump_payload(alert), row[4]),
                )
    finally:
        await store.close()
    monkeypatch.setattr(migrate, "MIGRATIONS", MIGRATIONS)
    store = await Store.open(database)  # upgraded
    try:
        async with store.transaction() as db:
            kept = await one_per_event(
                db,
                [
                    _key(_new("desk", "x", 1, 1)),  # folded into alert 1, which waits
                    _key(_new("mail", "y", 2, 2)),  # as urgent as alert 2, which went out
                    _key(_new("mail", "z", 1, 1)),  # event 1 has none on mail now
                    _key(_new("desk", "w", 2, 2)),  # alert 4 is per story: not event 2's
                ],
                now=1.0,
            )
        assert [(a.channel, a.rule) for a, _ in kept] == [("mail", "z"), ("desk", "w")]
        assert await _rules_named(store, 1) == "a, x"
    finally:
        await store.close()


# The INSERT of ``store.alerts.insert`` as the version before m017 wrote it: no event_id.
_OLDER_NODE_INSERT = (
    "INSERT INTO alerts (channel, kind, story_id, rule, dedup_key, payload,"
    " next_attempt, external_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING RETURNING id"
)


async def test_an_alert_an_older_node_wrote_is_filed_when_this_one_decides(
    database: str,
) -> None:
    # A rolling upgrade (README: "loses and doubles nothing"): after m017, an assigner of the
    # version before queues an alert of event 1 without event_id. Unfiled, this version saw
    # no alert of the event: a second rule's match became a second message and the event's
    # growth missed it (review14d). A node that starts, or is elected assigner and rebuilds
    # its windows, files it first.
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            await db.execute(
                "INSERT INTO events (id, title, first_seen, last_seen) VALUES (1, 'e1', 0, 9)"
            )
            await db.execute(
                "INSERT INTO stories (id, title, first_seen, last_seen, event_id)"
                " VALUES (1, 's1', 0, 9, 1)"
            )
            alert = Alert(0, "desk", "new", "Rail strike", rule="a", story_id=1, event_id=1)
            waiting = await db.fetch_val(
                _OLDER_NODE_INSERT,
                ("desk", "new", 1, "a", "event:1:a", dump_payload(alert), 0.0, None, 0.0),
            )
        async with store.transaction() as db:
            assert (await grown_store.events_alerts(db, [1])).get(1, []) == []  # unfiled
        # This version is elected assigner: its windows are out of date and rebuilt first.
        stages = await Stages.build(loads(""), store, lazy=True)
        async with store.transaction() as db:
            await stages.process(db, [], now=10.0)
            held = await grown_store.events_alerts(db, [1])
            second = Alert(0, "desk", "new", "Rail strike", rule="b", story_id=1, event_id=1)
            kept = await one_per_event(db, [(second, "event:1:b")], now=11.0)
        assert [h.id for h in held.get(1, [])] == [waiting], "the event's growth misses it"
        assert kept == [], "a second message for one event and channel"
        payload = await store.db.fetch_val("SELECT payload FROM alerts WHERE id = ?", (waiting,))
        assert json.loads(str(payload))["extra"].get("rules") == "a, b"
    finally:
        await store.close()
