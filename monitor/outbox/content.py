"""What an alert shows of the item that raised it: its headline without wire tags, its
link and outlet, its lede, its time, and the words that fired as the item wrote them; and,
for an alert per event, of the event: its outlets, angles and newest headline."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from monitor.dedup.outlet import shown_headline
from monitor.models import Event, Match, StoredItem, Story

# The lede shown: the summary's first sentences up to about this many characters.
LEDE_CHARS = 300


def lede(summary: str, title: str, names: tuple[str, ...] = ()) -> str:
    """The start of the item's summary, whole sentences where they fit; "" when the summary
    only repeats the headline (many feeds send it twice) or there is none. The headline
    again is known with the title's outlet tail off ("... summit - Ukrainska Pravda"), an
    outlet's name (one of ``names``) after it, or cut with an ellipsis (explore20: each
    read as a lede, the headline twice)."""
    text = " ".join(summary.split())
    if not text or _repeats(text, title, names):
        return ""
    title = " ".join(title.split())
    folded_title = title.casefold()
    # Cut the title's own length: a casefold may be longer ("ß" -> "ss", "ﬁ" -> "fi").
    if text[: len(title)].casefold() == folded_title:
        text = text[len(title) :].lstrip(" .:-–—")
    if len(text) <= LEDE_CHARS:
        return text
    cut = text[:LEDE_CHARS]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end >= LEDE_CHARS // 3 else cut.rsplit(" ", 1)[0] + " …"


def _repeats(text: str, title: str, names: tuple[str, ...]) -> bool:
    """Whether ``text`` is ``title`` again, or the start of it, with an outlet's name after
    it or an ellipsis at its cut."""
    heads = {" ".join(t.split()).casefold() for t in (title, shown_headline(title, names)) if t}
    body = text.casefold()
    for name in (" ".join(n.split()).casefold() for n in names if n and n.strip()):
        if body.endswith(name) and len(body) > len(name):
            body = body[: -len(name)]
            break
    body = body.rstrip(" -–—|:").removesuffix("…").removesuffix("...").rstrip()
    return any(body and (body in head or head.startswith(body)) for head in heads)


def plain_terms(match: Match) -> tuple[str, ...]:
    """The words that fired as the item wrote them ("Zelensky", not '@"Volodymyr Zelensky"'):
    one per term of the rule, its first hit."""
    first: dict[str, str] = {}
    for hit in match.hits:
        first.setdefault(hit.term, hit.text)
    return tuple(dict.fromkeys(first.values())) or tuple(match.terms)


class Shown(NamedTuple):
    """What the "new" alerts of one match show: the same on every channel of its rule."""

    title: str
    url: str | None
    outlets: tuple[str, ...]
    snippet: str
    published: datetime | None
    terms: tuple[str, ...]
    undated: bool = False  # published is when the item was first seen: it has no date


def shown(
    story: Story,
    outlets: tuple[str, ...],
    item: StoredItem | None,
    match: Match,
    *,
    item_first: bool = False,
) -> Shown:
    """What an alert of ``story`` (carried by ``outlets``) shows of ``item``: its headline
    (without wire tags), link, outlet first (``StoredItem.outlet``; ``item_first``: the
    first of ``outlets`` is its, ``credited``), lede and publication time (undated: when it
    was first seen), and the words that fired in plain language. Without ``item``: the
    story's, and the match's snippet; its time is when monitor first saw the story, and
    says so."""
    terms = plain_terms(match)
    if item is None:
        return Shown(story.title, story.url, outlets, match.snippet, story.first_seen, terms, True)
    # Credited to its outlet by name (``StoredItem.outlet``): an aggregator's copy (Google
    # News) to the outlet it names (``<source>``), as its story's and event's outlets are
    # counted (review19f: counted one way here and another there, two read "3 outlets").
    outlet = outlets[0] if item_first and outlets else item.outlet
    rest = tuple(o for o in (outlets[1:] if item_first else outlets) if o != outlet)
    title = item.item.title
    # The outlets' names a tail or head of the headline may be.
    names = (item.feed_name, item.item.source, _site(item.feed_url))
    return Shown(
        shown_headline(title, names) or title,
        item.item.url or story.url,
        (outlet, *rest),
        lede(item.item.summary, title, tuple(n for n in names if n)),
        item.seen_at,
        terms,
        item.item.published is None,
    )


def _site(url: str) -> str:
    """The name in a feed's address ("aljazeera" of https://www.aljazeera.com/xml/rss)."""
    host = (urlsplit(url).hostname or "") if url else ""
    parts = [p for p in host.split(".") if p not in ("www", "feeds", "rss", "news")]
    return parts[-2] if len(parts) >= 2 else ""


def event_extra(event: Event) -> dict[str, str]:
    """What an alert per event shows of the event: its angles, newest headline (without an
    outlet's name after it) and title."""
    latest = shown_headline(event.latest) or event.latest
    return {"angles": str(event.stories), "latest": latest, "event_title": event.title}


def event_outlets(event: Event, story: Story) -> tuple[str, ...]:
    """The event's outlets, the story's first first (the alert shows its headline and link)."""
    first = story.outlets[:1]
    return first + tuple(o for o in event.outlets if o not in first)


def credited(
    names: tuple[str, ...], keys: tuple[str, ...], item: StoredItem | None
) -> tuple[str, ...] | None:
    """``names`` (a story's or an event's outlets, ``keys`` their identities) with ``item``'s
    outlet first, under the name it has there (its first item's): a feed renamed since its
    first item there, or in another story of the event, is one outlet, not "Wire Service —
    also covering this event: Wire" (review20d D2), and an update's outlets, kept by name
    (``store.payload.first_kept``), agree with it. None where ``names`` has no row of it
    (or no identities were read)."""
    if item is None or len(keys) != len(names):
        return None
    key = item.outlet_key
    for name, k in zip(names, keys, strict=True):
        if k == key:
            return (name, *(o for o, k2 in zip(names, keys, strict=True) if k2 != key))
    return None
