"""Plain data passed between the stages of the pipeline.

schedule -> fetch -> parse -> normalize -> store -> dedup -> match -> outbox -> channels
The pure stages (parse, normalize, dedup, match) take and return these; they do no I/O.

Nothing changes one of these once built, but a story's outlets: a poll reads its stories
without them, and ``store.story_rows.fill_outlets`` sets them in place on those an alert
shows. Those built for each item, match or alert in the
parse thread or on the event loop (an item, a stored item, a story, a hit, a match, an
alert) are not declared frozen all the same: a frozen dataclass's ``__init__`` sets each
field through ``object.__setattr__``, several times the cost of a plain one, and a poll
builds thousands of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

# The longest <source> name kept, in characters: an aggregator's <source> is a key of a
# story's and an event's outlets (``story_outlets``, ``event_outlets``: (owner, name) where
# feed_id and site are NULL), and PostgreSQL refuses a btree entry over 2,704 bytes: a
# 6,000-character <source> failed its feed's every poll (review20a D1). 200 characters are at
# most 800 bytes of UTF-8. A feed's own outlet is keyed by its feed id: its name is never cut
# (a rule scoped to a long feed name compares it whole, review20d D3).
MAX_OUTLET_NAME = 200


def outlet_name(name: str) -> str:
    """``name`` as an outlet's name is kept: its first ``MAX_OUTLET_NAME`` characters (a
    plain cut, as SQL's ``substr`` makes it, so that a name stored before and one made now
    agree)."""
    return name[:MAX_OUTLET_NAME]


def outlet_key(feed_id: int | None, source: str | None, site: str | None = None) -> str:
    """An outlet's identity (``StoredItem.outlet_key``): "d:<site>" where its web site is
    known (``monitor.sites``: reuters.com, whatever the outlet is called and whoever carries
    it), else "s:<source>" for an outlet an aggregator names, else "f:<feed id>" for a
    feed's own."""
    if site:
        return f"d:{site}"
    return f"s:{source}" if source else f"f:{feed_id}"


@dataclass(slots=True)
class Item:
    """One normalized feed entry, before it is stored.

    ``key`` is the stable id: from the GUID, else the canonical URL, else the content.
    ``published`` is UTC, or None when the feed gives no date (``first_seen`` then stands in).
    """

    key: str
    title: str
    summary: str
    url: str | None
    canonical_url: str | None
    guid: str | None
    published: datetime | None
    first_seen: datetime
    # The outlet an aggregator names as the item's own (RSS 2.0 ``<source>``: "Al Jazeera"),
    # "" for none: an alert credits it (``StoredItem.outlet``), its story's and event's outlets
    # count it by that name, and a headline's " - Al Jazeera" is cut as its name.
    source: str = ""
    # The outlet's web site as its identity (``monitor.sites.site_of_feed``: "aljazeera.com"), ""
    # where none is known: from the parser, its <source url=...>; the store's caller makes it
    # the feed's own site for an item without <source> (``pipeline._store_new``).
    site: str = ""


@dataclass(slots=True)
class StoredItem:
    """An item that the store has just inserted for the first time: the input of dedup and match."""

    id: int
    feed_id: int
    feed_name: str
    feed_tags: tuple[str, ...]
    item: Item
    feed_url: str = ""  # as configured: rules may be scoped to it
    # Its time says nothing of when its news happened: undated (or the feed's stamp) on its
    # feed's first good poll, a new feed or a cold start (``events.when.untimed``, decided
    # once for the poll). Stored with the item (``items.untimed``). False for a push.
    untimed: bool = False

    @property
    def seen_at(self) -> datetime:
        """When the news happened as far as we know: published, else first seen."""
        return self.item.published or self.item.first_seen

    @property
    def outlet(self) -> str:
        """The name of the outlet an alert credits with the item: the one an aggregator names
        (``<source>``: Reuters through Google News), else its feed's name."""
        return self.item.source or self.feed_name

    @property
    def outlet_key(self) -> str:
        """The outlet's identity, by which a story's and an event's outlets are counted and
        compared: its web site where known (Reuters' own feed, and Reuters through Google
        News and Bing, are one: reuters.com), else its ``<source>`` name (Reuters through two
        aggregators is one), else its feed (a renamed feed is one outlet; two feeds of one
        name are two). ``store.outlets.row_key`` makes the same of a stored row."""
        return outlet_key(self.feed_id, self.item.source or None, self.item.site or None)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What parse makes of a body: the feed's own title, its TTL hint and its entries."""

    title: str
    link: str | None
    ttl_seconds: float | None
    entries: list[Item]
    warning: str | None = None  # feedparser's "bozo" complaint about a feed it still read
    # The XML error feedparser read past, keeping what it recovered ("malformed XML at line 3:
    # mismatched tag"): the poll counts as a problem of the feed, as a failed one does.
    malformed: str | None = None
    hubs: tuple[str, ...] = ()  # WebSub hubs the feed advertises (<link rel="hub">)
    self_url: str | None = None  # the feed's own address as it states it (rel="self")


@dataclass(slots=True)
class TermHit:
    """One term of a rule found in an item: which term, the text it found, and where."""

    term: str
    text: str
    field: str  # "title" or "summary"
    start: int
    end: int


@dataclass(slots=True)
class Match:
    """A rule that fired on an item, and why."""

    rule: str
    severity: str
    channels: tuple[str, ...]
    hits: tuple[TermHit, ...]
    snippet: str

    @property
    def terms(self) -> list[str]:
        """The distinct terms that fired, in order of first appearance."""
        return list(dict.fromkeys(h.term for h in self.hits))


@dataclass(slots=True)
class Alert:
    """What a channel delivers: one story (or a health or test notice) for one channel.

    ``kind`` is "new" (first alert of a story), "update" (the story gained outlets),
    "burst" (escalation: K outlets within T), "health" (a feed broke or recovered) or "test".
    ``outlets`` lists the outlets that carry the story by name (``StoredItem.outlet``), the
    first one first.
    """

    id: int
    channel: str
    kind: str
    title: str
    rule: str | None = None
    severity: str = "normal"
    story_id: int | None = None
    url: str | None = None
    outlets: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    snippet: str = ""
    published: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)
    event_id: int | None = None
    # ``published`` is when monitor first saw the item: it has no date of its own (none, or
    # one the parser could not read). Channels say "First seen", not "Published".
    undated: bool = False

    @property
    def angles(self) -> int:
        """How many stories of its event the alert told (one, for an alert per story)."""
        return int(self.extra.get("angles", "1") or 1)


@dataclass(slots=True)
class Story:
    """The same news across feeds: what alerts and ``monitor stories`` show of it.

    ``outlets`` are the names of the distinct outlets carrying it (``StoredItem.outlet_key``:
    an aggregator's ``<source>``, else the feed; each by its first item's name), the first
    one first; a story from
    ``stories.record`` has () until ``store.story_rows.fill_outlets`` reads them.
    """

    id: int
    title: str
    url: str | None
    first_seen: datetime
    last_seen: datetime
    outlets: tuple[str, ...]
    # Their identities (``StoredItem.outlet_key``), in the same order, where they were read.
    outlet_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Event:
    """The coverage of one happening: stories of it (angles, reactions, follow-ups).

    ``outlets`` are the names of the distinct outlets (as a story's) carrying any of its
    stories, the first one first, and ``outlet_keys`` their identities
    (``StoredItem.outlet_key``), in the same order; ``latest`` the newest headline.
    """

    id: int
    title: str
    first_seen: datetime
    last_seen: datetime
    stories: int
    outlets: tuple[str, ...] = ()
    latest: str = ""
    outlet_keys: tuple[str, ...] = ()


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def fields_of(obj: Any) -> dict[str, Any]:
    """A dataclass's fields by name, as they are: ``dataclasses.asdict`` without its deep
    copy of every value (a datetime, each tuple), which cost more than the alert itself.
    The names are kept per class: ``dataclasses.fields`` builds them again at each call,
    and a poll calls this for every hit of every match it stores."""
    names = _FIELD_NAMES.get(type(obj))
    if names is None:
        names = _FIELD_NAMES[type(obj)] = tuple(f.name for f in fields(obj))
    return {name: getattr(obj, name) for name in names}
