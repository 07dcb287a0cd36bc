"""parse: feed bytes to entries. Pure: no I/O.

feedparser reads RSS 0.9x/1.0/2.0, Atom and RDF from the bytes and the response headers
(never from a URL or a path, so a feed cannot make us open a local file). JSON Feed, which
feedparser 6 does not read, is read here. Entity declarations are checked before feedparser
sees the bytes, so an entity-expansion bomb is refused instead of expanded.
"""

from __future__ import annotations

import calendar
import functools
import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import feedparser
import feedparser.mixin
import feedparser.namespaces._base
import feedparser.urls

from monitor.errors import ParseError
from monitor.models import Item, ParsedFeed
from monitor.normalize import MAX_URL, canonical_url, clean_text, item_key

# feedparser asks for the libxml2 SAX driver (drv_libxml2) before expat on every parse. We
# do not install it, and each failed import searches sys.path under the import lock, which
# the parsing threads then queue on (14% of the first poll of 1,000 feeds). Expat always:
# the same parser on every machine, the one the entity-expansion checks are written for.
feedparser.api.PREFERRED_XML_PARSERS[:] = []

# feedparser's own work on the HTML inside entries, for readers that display that HTML: its
# sanitizer makes the markup safe to show, and it rewrites relative URIs inside it. We keep
# plain text only (``normalize.clean_text`` drops tags, scripts, styles and comments; every
# channel escapes what it sends), so both were a quarter of feedparser's time for nothing.
# Entry links and GUIDs are still resolved against the feed's base (xml:base, else the
# Content-Location we pass): feedparser does that for them whatever these options say.
FEEDPARSER_OPTIONS: Mapping[str, bool] = MappingProxyType(
    {"sanitize_html": False, "resolve_relative_uris": False}
)

# feedparser works out the base URI again at every start tag, make_safe_absolute_uri(base,
# the tag's xml:base or that same base): a urljoin and a urlparse per element, a quarter of
# its time on a feed without any xml:base. The answer depends on the two strings alone (and
# on feedparser's list of acceptable schemes, which nothing changes), so a small cache gives
# it; a feed's elements ask the same question over and over. (The bench times feedparser's
# default options without it.)
#
# A hostile feed's megabyte of xml:base or link would stay in memory long after that feed:
# in this cache, 256 answers, and in urllib's own, 128 (63 MB after 40 feeds of a megabyte).
# Nothing longer than MAX_URL is joined: such an xml:base is ignored (feedparser keeps the
# base it had) and such a link is left as it is, for canonical_url to refuse.
UNCACHED_MAKE_SAFE_ABSOLUTE_URI = feedparser.urls.make_safe_absolute_uri
_cached_make_safe_absolute_uri = functools.lru_cache(maxsize=256)(UNCACHED_MAKE_SAFE_ABSOLUTE_URI)
_UNGUARDED_URLJOIN = feedparser.mixin._urljoin


def make_safe_absolute_uri(base: str | None, rel: str | None = None) -> str:
    """feedparser's ``make_safe_absolute_uri``, remembered; "" (keep the old base) when the
    two are longer than any real URL."""
    if len(base or "") + len(rel or "") > MAX_URL:
        return ""
    return str(_cached_make_safe_absolute_uri(base, rel))


def _urljoin(base: str, uri: str) -> str:
    """feedparser's ``_urljoin`` for URL-sized strings; longer ones are returned unjoined."""
    if len(base) + len(uri) > MAX_URL:
        return uri
    return str(_UNGUARDED_URLJOIN(base, uri))


feedparser.mixin.make_safe_absolute_uri = make_safe_absolute_uri
feedparser.namespaces._base.make_safe_absolute_uri = make_safe_absolute_uri  # <newLocation>
feedparser.mixin._urljoin = _urljoin

# Declared entities may expand to at most this many characters in all; real feeds declare
# a few short ones (a DTD for &nbsp; and the like), a bomb nests them to gigabytes.
MAX_ENTITY_EXPANSION = 100_000
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.S | re.I)
_ENTITY_DECL = re.compile(
    rb"<!ENTITY\s+(%\s*)?([^\s\"']+)\s+(SYSTEM|PUBLIC)?\s*([\"'])(.*?)\4", re.S
)
_ENTITY_REF = re.compile(rb"[&%]([^\s;&%]+);")
# Dates more than a day ahead are a feed's mistake; the item counts as seen now instead.
_FUTURE_SLACK = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def check_entities(body: bytes) -> None:
    """Refuse a document whose internal DTD subset could expand beyond ``MAX_ENTITY_EXPANSION``."""
    head = body[:65536]
    if b"<!ENTITY" not in head and b"<!entity" not in head:
        return
    m = _DOCTYPE.search(body)
    if not m:
        return
    decls: dict[bytes, bytes] = {}
    for decl in _ENTITY_DECL.finditer(m.group(1)):
        if decl.group(3):
            # An external entity: feedparser never fetches it, but it has no business in a feed.
            raise ParseError("the feed declares an external entity; refused")
        decls[decl.group(2)] = decl.group(5)
    sizes: dict[bytes, int] = {}

    def size(name: bytes, depth: int) -> int:
        if name in sizes:
            return sizes[name]
        if depth > 16:
            raise ParseError("the feed's entity declarations nest too deeply (an entity bomb?)")
        value = decls[name]
        total = len(value)
        for ref in _ENTITY_REF.findall(value):
            if ref in decls:
                total += size(ref, depth + 1)
            if total > MAX_ENTITY_EXPANSION:
                break
        sizes[name] = total
        return total

    for name in decls:
        if size(name, 0) > MAX_ENTITY_EXPANSION:
            raise ParseError(
                f"the feed's entity declarations expand beyond {MAX_ENTITY_EXPANSION:,} characters"
                " (an entity-expansion bomb); refused"
            )


def parse_feed(
    body: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    url: str = "",
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse a fetched body into a ``ParsedFeed`` of normalized items.

    Raises ``ParseError`` when the body is not a feed at all (an HTML page, random bytes,
    an empty body) or is hostile.
    """
    now = now or datetime.now(UTC)
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if not body.strip():
        raise ParseError("the body is empty")
    if _looks_like_json(body, headers.get("content-type", "")):
        return _parse_json_feed(body, url, now)
    check_entities(body)
    response_headers = dict(headers)
    # Without a Content-Type feedparser flags every feed as not well-formed; assume XML.
    response_headers.setdefault("content-type", "application/xml")
    if url:
        response_headers.setdefault("content-location", url)
    try:
        parsed = feedparser.parse(body, response_headers=response_headers, **FEEDPARSER_OPTIONS)
    except Exception as exc:
        # feedparser's encoding detection raises on some hostile bytes (found by fuzzing:
        # UnicodeDecodeError, "embedded null character"); that is this feed's problem only.
        raise ParseError(
            f"the feed cannot be decoded ({exc.__class__.__name__}: {_describe_bozo(exc)})"
        ) from None
    feed = parsed.get("feed", {})
    entries = parsed.get("entries", [])
    if not parsed.get("version") and not entries:
        raise ParseError(_not_a_feed(body, parsed))
    items = [_entry_to_item(e, url, now) for e in entries]
    warning = None
    if parsed.get("bozo"):
        warning = f"the feed is not well-formed ({_describe_bozo(parsed.get('bozo_exception'))})"
    return ParsedFeed(
        title=clean_text(feed.get("title")),
        link=feed.get("link"),
        ttl_seconds=_ttl(feed.get("ttl")),
        entries=[i for i in items if i is not None],
        warning=warning,
    )


def _entry_to_item(entry: dict[str, Any], base: str, now: datetime) -> Item | None:
    # dict.get, not FeedParserDict.get: these are the keys feedparser stores under, and its
    # own get maps aliases and warns about deprecated ones first, a tenth of this function.
    get = dict.get
    published = _struct_to_dt(get(entry, "published_parsed") or get(entry, "updated_parsed"), now)
    return make_item(
        title=clean_text(get(entry, "title")),
        summary=clean_text(get(entry, "summary") or _first_content(entry)),
        link=get(entry, "link") or None,
        guid=get(entry, "id") or None,
        published=published,
        base=base,
        now=now,
    )


def make_item(
    *,
    title: str,
    summary: str,
    link: str | None,
    guid: str | None,
    published: datetime | None,
    base: str,
    now: datetime,
) -> Item | None:
    """A normalized item from an entry's cleaned fields; None for an entry with nothing in it."""
    if not (title or summary or link or guid):
        return None
    if link and len(link) > MAX_URL:
        link = None  # not an address (see MAX_URL); the item stays, by its GUID or text
    canonical = canonical_url(link, base)
    return Item(
        key=item_key(guid, canonical, title, summary),
        title=title,
        summary=summary,
        url=link,
        canonical_url=canonical,
        guid=guid,
        published=published,
        first_seen=now,
    )


def _first_content(entry: Mapping[str, Any]) -> str:
    content = entry.get("content") or []
    return str(content[0].get("value", "")) if content else ""


def _struct_to_dt(value: time.struct_time | None, now: datetime) -> datetime | None:
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
    if dt > now + _FUTURE_SLACK or dt < _EPOCH:
        return None
    return dt


def _ttl(value: Any) -> float | None:
    """RSS ``<ttl>`` is in minutes (RSS 2.0 spec, https://www.rssboard.org/rss-specification#ltttlgtSubelementOfLtchannelgt)."""
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        return None
    return minutes * 60.0 if 0 < minutes < 60 * 24 * 7 else None


def _looks_like_json(body: bytes, content_type: str) -> bool:
    if "json" in content_type.lower():
        return True
    return body.lstrip()[:1] == b"{"


def _parse_json_feed(body: bytes, url: str, now: datetime) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://www.jsonfeed.org/version/1.1/)."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"the body is not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        raise ParseError("the body is JSON but not a JSON Feed (no jsonfeed.org version)")
    raw_items = doc.get("items")
    if not isinstance(raw_items, list):
        raise ParseError("the JSON Feed has no items list")
    items: list[Item] = []
    for raw in raw_items:
        if not isinstance(raw, dict):
            continue
        title = clean_text(_str(raw.get("title")))
        summary = clean_text(
            _str(raw.get("summary"))
            or _str(raw.get("content_text"))
            or _str(raw.get("content_html"))
        )
        link = _str(raw.get("url")) or _str(raw.get("external_url")) or None
        published = _iso_to_dt(
            _str(raw.get("date_published")) or _str(raw.get("date_modified")), now
        )
        item = make_item(
            title=title,
            summary=summary,
            link=link,
            guid=_str(raw.get("id")) or None,
            published=published,
            base=url,
            now=now,
        )
        if item is not None:
            items.append(item)
    return ParsedFeed(
        title=clean_text(_str(doc.get("title"))),
        link=_str(doc.get("home_page_url")) or None,
        ttl_seconds=None,
        entries=items,
    )


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _iso_to_dt(value: str, now: datetime) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    return None if dt > now + _FUTURE_SLACK else dt


def _not_a_feed(body: bytes, parsed: Mapping[str, Any]) -> str:
    head = body[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "the body is an HTML page, not a feed"
    if parsed.get("bozo"):
        return f"the body is not a feed ({_describe_bozo(parsed.get('bozo_exception'))})"
    return "the body is not a feed (no RSS, Atom, RDF or JSON Feed document found)"


def _describe_bozo(exc: Any) -> str:
    if exc is None:
        return "unknown problem"
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0][:160]
