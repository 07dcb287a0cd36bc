"""parse.fields: one field's text as feedparser would give it, for the fast path (parse.fast).

Each function answers as feedparser does for the cases it takes, and says "not sure" (None or
``Unsure``) for the rest, so that the whole feed goes to feedparser instead.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

from feedparser.datetimes import _parse_date  # feedparser's own date reader: its answers exactly

from monitor.normalize import MAX_URL
from monitor.parse.item import struct_to_dt


class Unsure(Exception):
    """The fast path cannot be sure to answer as feedparser would: feedparser reads the feed."""


# An absolute http(s) URL that urljoin gives back unchanged whatever the base: ASCII, no space
# or control character, no ";" parameters, no IPv6 brackets, no empty query or fragment, a
# host right after "//" (feedparser's URI fixer eats extra slashes).
_PLAIN_ABSOLUTE = re.compile(r"https?://[^/?#;\[\]\x00-\x20\x7f]+(?:[/?#][^;\[\]\x00-\x20\x7f]*)?")
# feedparser's urls._urifixer: "http:///x" is read as "http://x".
_URI_FIXER = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
# feedparser's fix for links whose "&" a publisher escaped twice ("?a=1&amp;b=2").
_ENTITY_LIKE = re.compile(r"&([A-Za-z0-9_]+);")
_C1 = re.compile("[\x80-\x9f]")


def plain_absolute(url: str) -> bool:
    return (
        url.isascii()
        and _PLAIN_ABSOLUTE.fullmatch(url) is not None
        and url[-1] not in "?#"
        and "?#" not in url
    )


def resolve(value: str, base: str) -> str:
    """A link or permalink GUID against the feed's base, as feedparser's ``resolve_uri``."""
    if plain_absolute(value):
        return value
    if len(value) + len(base) > MAX_URL:
        # feedparser would join it; we do not keep megabyte strings in urllib's cache.
        raise Unsure("a link longer than any URL")
    try:
        return urljoin(base, _URI_FIXER.sub(r"\1\3", value))
    except ValueError:
        return ""


def entry_link(value: str, base: str) -> str:
    """An RSS ``<link>``'s text as feedparser stores it for an entry."""
    value = resolve(value, base)
    if "&" in value:
        value = _ENTITY_LIKE.sub(r"&\g<1>", value.replace("&amp;", "&"))
    return value


def feed_link(value: str, base: str) -> str:
    """A channel ``<link>``'s text as feedparser stores it for the feed."""
    value = resolve(value, base)
    return _ENTITY_LIKE.sub(r"&\g<1>", value) if "&" in value else value


def text(value: str | None) -> str:
    """An element's text as feedparser's ``pop`` leaves it (before our normalization)."""
    if not value:
        return ""
    value = value.strip()
    if not value.isascii():
        # feedparser undoes UTF-8 read as ISO-8859-1 in a UTF-8 feed ("Ã©" becomes "é").
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            value = value.encode("iso-8859-1").decode("utf-8")
        if _C1.search(value):
            raise Unsure("C1 control characters (feedparser reads them as Windows-1252)")
    return value


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )
}
# The two forms nearly every feed writes: RFC 822 as RSS 2.0 asks, RFC 3339 as Atom asks.
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d\d?)"
    r" (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4})"
    r" (\d\d):(\d\d):(\d\d) (?:(GMT|UT|UTC|Z)|([+-])(\d\d)(\d\d))"
)
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:(Z)|([+-])(\d\d):(\d\d))"
)


def date(value: str, now: datetime) -> datetime | None:
    """A date as feedparser reads it, in UTC; None for no date (and for one out of range)."""
    if not value:
        return None
    dt = _quick_date(value)
    if dt is None:
        return struct_to_dt(_parse_date(value), now)
    return struct_to_dt(dt.timetuple(), now)


def _quick_date(value: str) -> datetime | None:
    m = _RFC822.fullmatch(value)
    if m:
        day, month, year, hour, minute, second, _, sign, oh, om = m.groups()
        fields = (int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second))
    else:
        m = _RFC3339.fullmatch(value)
        if not m:
            return None
        year, month, day, hour, minute, second, _, sign, oh, om = m.groups()
        fields = (int(year), int(month), int(day), int(hour), int(minute), int(second))
    if not 1900 < fields[0] < 2100 or fields[3] > 23 or fields[5] > 59:
        return None  # feedparser's own rules for odd values
    try:
        dt = datetime(*fields, tzinfo=UTC)
    except ValueError:
        return None
    if sign:
        offset = timedelta(hours=int(oh), minutes=int(om))
        dt = dt - offset if sign == "+" else dt + offset
    return dt
