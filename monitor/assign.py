"""assign: which story and which event each new item joins. Pure: data in, decisions out.

The indexes (``dedup.index.StoryIndex``, ``events.EventIndex``) hold the window; this module
asks them and records each answer in them, in item order, so a later item of the same poll
can join a story an earlier one started. New stories and events take their ids from ids the
store reserved beforehand (``store.stories.reserve_ids``): deciding needs no database, and the
store then writes the decisions (``store.stories.record``, ``store.events.record``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from monitor.dedup.headline import KEY_VERSION, Headline
from monitor.dedup.index import StoryIndex, StoryMatch
from monitor.events import EventIndex
from monitor.models import StoredItem, Story

# items.headline_key is the headline's key after this prefix; another prefix (an older parse)
# or NULL (a row from before the column) means the title is parsed again.
KEY_PREFIX = f"{KEY_VERSION}|"

# The decisions below are not declared frozen, though nothing changes them: one of each is
# built per new item, and a frozen dataclass's __init__ is several times a plain one's.


@dataclass(slots=True)
class StoryDecision:
    """One item's story: an existing one, or a new one it starts."""

    item: StoredItem
    story_id: int
    is_new_story: bool
    headline_key: str  # as stored in items.headline_key (with KEY_PREFIX)
    headline: Headline | None = None  # as story matching parsed it, for event assignment


@dataclass(slots=True)
class StoryChange:
    """What assigning one item did: its story, and whether it is new or gained an outlet."""

    item: StoredItem
    story: Story
    is_new_story: bool
    gained_outlet: bool
    headline: Headline | None = None  # the item's, as story matching parsed it (None: unknown)


@dataclass(slots=True)
class EventChange:
    """What assigning one item did to events: its event, and whether that is new."""

    story: StoryChange
    event_id: int
    is_new_event: bool


@dataclass(slots=True)
class EventPlan:
    """The events of one poll's stories, as the store is to write them."""

    changes: list[EventChange] = field(default_factory=list)
    created: dict[int, tuple[str, float]] = field(default_factory=dict)  # id -> (title, seen)
    story_links: list[tuple[int, int]] = field(default_factory=list)  # (event, story)
    # (title, latest seen, stories added, event id) of every event the poll touched
    updates: list[tuple[str, float, int, int]] = field(default_factory=list)


def stories(
    index: StoryIndex, items: Sequence[StoredItem], new_ids: Iterator[int]
) -> list[StoryDecision]:
    """Each item's story: same GUID or URL, a similar headline, or a new story (numbered
    from ``new_ids``)."""
    out = []
    labels = index.labels
    labels.read_ahead([(s.feed_id, s.item.title, s.item.summary) for s in items])
    for stored in items:
        item = stored.item
        seen = stored.seen_at.timestamp()
        found = index.find(item.title, item.summary, seen, item.canonical_url, item.guid)
        if found.reason == "similar headline" and labels.is_label(stored.feed_id, item.title):
            found = StoryMatch(None, 0.0, "new story")  # a feed's label is not a headline
        story_id = next(new_ids) if found.story_id is None else found.story_id
        key = index.add(
            story_id, stored.id, item.title, item.summary, seen, item.canonical_url, item.guid
        )
        out.append(
            StoryDecision(
                stored, story_id, found.story_id is None, KEY_PREFIX + key, index.last_headline
            )
        )
    return out


def events(index: EventIndex, changes: Sequence[StoryChange], new_ids: Iterator[int]) -> EventPlan:
    """Each story of ``changes`` its event: the one it has, a similar one, or a new one
    (numbered from ``new_ids``); event titles chosen again for the events touched."""
    # With the semantic extra, the poll's new stories are embedded in one batch.
    index.embed_ahead([(c.story.id, c.item.item.title) for c in changes if c.is_new_story])
    index.read_ahead([(c.item.feed_id, c.item.item.title, c.item.item.summary) for c in changes])
    plan = EventPlan()
    created: dict[int, float] = {}
    joined: dict[int, tuple[float, int]] = {}  # event -> (latest seen, stories added)
    for change in changes:
        on_time = not change.item.untimed  # decided for its poll (``events.when``)
        item = change.item.item
        seen = change.item.seen_at.timestamp()
        story_id = change.story.id
        feed = change.item.feed_id
        found = index.find(
            story_id, item.title, item.summary, seen, headline=change.headline, feed=feed,
            timed=on_time,
        )  # fmt: skip
        if found.event_id is None:
            event_id = next(new_ids)
            created[event_id] = seen
        else:
            event_id = found.event_id
        # A story new to the event: a new story, or one whose event closed (it joined
        # another or starts one): its lede counts and its headline may be the title.
        index.add(event_id, story_id, item.title, item.summary, seen, headline=change.headline,
                  new_story=change.is_new_story or found.reason != "same story",
                  feed=feed, timed=on_time)  # fmt: skip
        if found.reason != "same story":
            plan.story_links.append((event_id, story_id))
        if event_id not in created:
            latest, added = joined.get(event_id, (seen, 0))
            joined[event_id] = (max(latest, seen), added + (found.reason != "same story"))
        plan.changes.append(EventChange(change, event_id, event_id in created))
    plan.created = {e: (index.title(e), seen) for e, seen in created.items()}
    counts: dict[int, int] = {}
    for event_id, _story in plan.story_links:
        counts[event_id] = counts.get(event_id, 0) + 1
    plan.updates = [
        (index.title(e), joined.get(e, (created.get(e, 0.0), 0))[0], counts.get(e, 0), e)
        for e in sorted(set(created) | set(joined))
        if index.has(e)
    ]
    return plan
