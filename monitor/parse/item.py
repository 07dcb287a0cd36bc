"""parse.item: an entry's cleaned fields to a normalized Item, and its dates."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from monitor.models import Item, outlet_name
from monitor.normalize import MAX_URL, canonical_url, direct_link, item_key
from monitor.sites import site_of_feed, site_of_source

# Dates more than a day ahead are a feed's mistake; the item counts as seen now instead.
FUTURE_SLACK = timedelta(days=1)
UNSET = datetime(1970, 1, 2, tzinfo=UTC)  # a date before this is a zero timestamp: none


def make_item(
    *,
    title: str,
    summary: str,
    link: str | None,
    guid: str | None,
    published: datetime | None,
    base: str,
    now: datetime,
    source: str = "",
    source_url: str | None = None,
    site_from_link: bool = False,
) -> Item | None:
    """A normalized item from an entry's cleaned fields; None for an entry with nothing in it.
    ``site_from_link``: the source was named beside the link, not in a ``<source>`` (Bing
    News' ``<News:Source>``), so its site is that of the article a click-through link leads to."""
    if not (title or summary or link or guid):
        return None
    if link and len(link) > MAX_URL:
        link = None  # not an address (see MAX_URL); the item stays, by its GUID or text
    canonical = canonical_url(link, base)
    # Most feeds give one address as link, GUID and canonical form: one string, not three
    # copies, for every item a poll holds until the store takes it.
    if canonical == link:
        canonical = link
    if guid is not None and guid in (link, canonical):
        guid = link if guid == link else canonical
    return Item(
        key=item_key(guid, canonical, title, summary),
        title=title,
        summary=summary,
        url=link,
        canonical_url=canonical,
        guid=guid,
        published=published,
        first_seen=now,
        # Capped as a feed's name is (``outlet_name``): both parsers make their items here.
        source=outlet_name(source),
        # The outlet's site, its identity: only with its name (a <source> with an address and
        # no name names nobody an alert could show). RSS 2.0's <source url> is the source's
        # feed (https://www.rssboard.org/rss-specification#ltsourcegtSubelementOfLtitemgt):
        # a platform's account feed (mas.to/@x.rss) names no site, as the account's own
        # feed's link does not.
        site=(
            ((_clicked_site(link) if site_from_link else site_of_source(source_url)) or "")
            if source
            else ""
        ),
    )


def _clicked_site(link: str | None) -> str | None:
    """The site of the article an aggregator's click-through ``link`` leads to (Bing News'
    apiclick.aspx?url=...), by its home page as a ``<source url>``'s: its path is the
    article's, no section. Only a click-through: another aggregator's own link (Google
    News' news.google.com/rss/articles/...) is the aggregator's, never the outlet's."""
    if not link:
        return None
    article = direct_link(link)
    if article == link:
        return None
    parts = urlsplit(article)
    return site_of_feed(urlunsplit((parts.scheme, parts.netloc, "/", "", "")))


def struct_to_dt(value: time.struct_time | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    try:
        # What feedparser parsed is UTC already: the datetime straight from its fields.
        dt = datetime(*value[:6], tzinfo=UTC)
    except (ValueError, TypeError):  # a leap second, or out of range: the long way
        try:
            dt = datetime.fromtimestamp(calendar.timegm(value), UTC)
        except (OverflowError, ValueError, TypeError, OSError):
            return None
    return plausible(dt, now)


def plausible(dt: datetime, now: datetime) -> datetime | None:
    """``dt`` (in UTC), or None for a date before 2 Jan 1970 (a zero timestamp, in any time
    zone, is a feed's "no date", not news of 1970) or more than a day ahead."""
    return dt if UNSET < dt <= now + FUTURE_SLACK else None


def ttl_seconds(value: Any) -> float | None:
    """RSS ``<ttl>`` is in minutes (RSS 2.0 spec, https://www.rssboard.org/rss-specification#ltttlgtSubelementOfLtchannelgt)."""
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        return None
    return minutes * 60.0 if 0 < minutes < 60 * 24 * 7 else None
