"""What an alert shows of the item that raised it: its headline without wire tags, its
link and outlet, its lede, its time, and the words that fired as the item wrote them."""

from __future__ import annotations

from dataclasses import replace

from monitor.dedup.headline import strip_outlet
from monitor.models import Alert, Match, StoredItem

# The lede shown: the summary's first sentences up to about this many characters.
LEDE_CHARS = 300


def lede(summary: str, title: str) -> str:
    """The start of the item's summary, whole sentences where they fit; "" when the summary
    only repeats the headline (many feeds send it twice) or there is none."""
    text = " ".join(summary.split())
    folded_title = " ".join(title.split()).casefold()
    if not text or text.casefold() in folded_title or folded_title.startswith(text.casefold()):
        return ""
    if text.casefold().startswith(folded_title):
        text = text[len(folded_title) :].lstrip(" .:-–—")
    if len(text) <= LEDE_CHARS:
        return text
    cut = text[:LEDE_CHARS]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end >= LEDE_CHARS // 3 else cut.rsplit(" ", 1)[0] + " …"


def plain_terms(match: Match) -> tuple[str, ...]:
    """The words that fired as the item wrote them ("Zelensky", not '@"Volodymyr Zelensky"'):
    one per term of the rule, its first hit."""
    first: dict[str, str] = {}
    for hit in match.hits:
        first.setdefault(hit.term, hit.text)
    return tuple(dict.fromkeys(first.values())) or tuple(match.terms)


def shown(alert: Alert, item: StoredItem | None, match: Match) -> Alert:
    """``alert`` showing ``item``: its headline (without wire tags), link, outlet first, lede
    and publication time, and the words that fired in plain language."""
    if item is None:
        return replace(alert, terms=plain_terms(match))
    rest = tuple(o for o in alert.outlets if o != item.feed_name)
    return replace(
        alert,
        title=strip_outlet(item.item.title) or item.item.title,
        url=item.item.url or alert.url,
        outlets=(item.feed_name, *rest),
        snippet=lede(item.item.summary, item.item.title),
        published=item.seen_at,
        terms=plain_terms(match),
    )
