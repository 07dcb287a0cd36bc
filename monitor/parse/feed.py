"""parse.feed: RSS, Atom and RDF through feedparser (JSON Feed through parse.jsonfeed) to a
ParsedFeed of normalized items."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from html import escape
from types import MappingProxyType
from typing import Any
from xml.sax import SAXParseException

from monitor.errors import ParseError
from monitor.models import Item, ParsedFeed
from monitor.normalize import MAX_URL, clean_text, summary_text
from monitor.parse.amp import escape_stray_amps
from monitor.parse.entities import check_entities
from monitor.parse.fast import parse_fast
from monitor.parse.fields import written_absolute
from monitor.parse.item import make_item, struct_to_dt, ttl_seconds
from monitor.parse.jsonfeed import looks_like_json, parse_json_feed
from monitor.parse.known import Recall

# feedparser's own work on the HTML inside entries, for readers that display that HTML: its
# sanitizer makes the markup safe to show, and it rewrites relative URIs inside it. We keep
# plain text only (``normalize.clean_text`` drops tags, scripts, styles and comments; every
# channel escapes what it sends), so both are work for nothing. Entry links and GUIDs are
# still resolved against the feed's base (xml:base, else the Content-Location we pass).
FEEDPARSER_OPTIONS: Mapping[str, bool] = MappingProxyType(
    {"sanitize_html": False, "resolve_relative_uris": False}
)

# An xml:base longer than any URL is ignored (the element keeps its parent's base): a hostile
# feed's megabyte base would otherwise be joined to every link under it, and urllib keeps its
# last 128 answers whatever their size.
_LONG_BASE = re.compile(
    rb"""\sxml:base\s*=\s*(?:"[^"]{%d,}"|'[^']{%d,}')""" % (MAX_URL + 1, MAX_URL + 1)
)


def parse_feed(
    body: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    url: str = "",
    now: datetime | None = None,
    recall: Recall | None = None,
) -> ParsedFeed:
    """Parse a fetched body into a ``ParsedFeed`` of normalized items. With ``recall`` (the
    feed's memory of its last body), the items it knows are left out when the fast path reads
    the body (``recall.taken``; see parse.known).

    Raises ``ParseError`` when the body is not a feed at all (an HTML page, random bytes,
    an empty body) or is hostile.
    """
    now = now or datetime.now(UTC)
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if not body.strip():
        raise ParseError("the body is empty")
    if looks_like_json(body, headers.get("content-type", "")):
        return parse_json_feed(body, url, now)
    # The fast path refuses any xml:base (parse.shapes.plain_utf8): a body is searched for one
    # there, and here again only when the fast path refused it.
    fast = parse_fast(body, headers, url, now, recall)
    if fast is not None:
        return fast
    if b"xml:base" in body:
        body = _LONG_BASE.sub(b"", body)
        if b"xml:base" not in body:  # only bases longer than any URL, now gone
            fast = parse_fast(body, headers, url, now, recall)
            if fast is not None:
                return fast
    return parse_with_feedparser(body, headers, url=url, now=now)


def parse_with_feedparser(
    body: bytes, headers: Mapping[str, str], *, url: str, now: datetime
) -> ParsedFeed:
    """The body read by feedparser alone: every feed the fast path does not take.
    ``headers`` have lower-case names."""
    check_entities(body)
    response_headers = dict(headers)
    # Without a Content-Type feedparser flags every feed as not well-formed; assume XML.
    response_headers.setdefault("content-type", "application/xml")
    if url:
        response_headers.setdefault("content-location", url)
    # Imported here, on the first feed the fast path leaves to it: feedparser loads whole
    # (its parsers, sanitizer, HTTP and date modules), which a process whose feeds all take
    # the fast path never needs.
    import feedparser

    # A stray "&" is read as an entity by feedparser's loose parser ("AT&T boss" shown as
    # "AT&T; boss"): escaped first. _lost_items below still judges the body as served.
    read = escape_stray_amps(body)
    try:
        parsed = feedparser.parse(read, response_headers=response_headers, **FEEDPARSER_OPTIONS)
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
    credits = _foreign_sources(parsed.get("namespaces"), feedparser)
    items = [_entry_to_item(e, url, now, credits) for e in entries]
    warning = malformed = None
    if read is not body and not parsed.get("bozo"):
        warning = "the feed is not well-formed (an unescaped '&' in its text)"
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        warning = f"the feed is not well-formed ({_describe_bozo(problem)})"
        # Only XML broken so that items may be lost is the feed's problem (see _lost_items):
        # the other complaints (a text/html Content-Type, an &nbsp; without its DTD, a stray
        # "&", a blank line before <?xml ...?>) are of feeds whose every item is read.
        if isinstance(problem, SAXParseException) and _lost_items(body, len(entries)):
            where, what = problem.getLineNumber(), problem.getMessage()[:160]
            malformed = f"malformed XML at line {where}: {what}"
    return ParsedFeed(
        title=clean_text(feed.get("title")),
        link=_written_link(feed.get("link"), body),
        ttl_seconds=ttl_seconds(feed.get("ttl")),
        entries=[i for i in items if i is not None],
        warning=warning,
        malformed=malformed,
        **_websub_links(feed.get("links")),
    )


# Start and end tags of items and entries (any prefix: rss:item, atom:entry), and the end of
# the document element near the body's end (its ">" may be missing, junk may follow it:
# nothing of the feed is lost).
_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")
_ITEM_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")
_ITEM_EMPTY = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)(?:\s[^<>]*)?/>")
_DOCUMENT_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:rss|feed|RDF)\s*(?:>|$)")


def _lost_items(body: bytes, read: int) -> bool:
    """Whether a body that is not well-formed XML may have lost items: an item feedparser did
    not read, one that is not closed (cut short, or a broken tag swallowed its end), or a body
    that ends before its document does (truncated: what followed the cut is gone). Measured
    on the shared corpus: this flags the truncated bodies and none whose items all read."""
    starts = len(_ITEM_START.findall(body))
    ends = [found.end() for found in _ITEM_END.finditer(body)]
    if read < starts or len(ends) + len(_ITEM_EMPTY.findall(body)) < starts:
        return True
    # The document's end after the last item's: a page cache's footer or padding may follow.
    return _DOCUMENT_END.search(body, ends[-1] if ends else 0) is None


def _written_link(link: Any, body: bytes) -> str | None:
    """The feed's link where the body writes it whole, as the fast path keeps it
    (``fields.written_absolute``): feedparser resolves a relative one against the feed's
    own address, and keeps no sign of it. A link the body does not spell out (xml:base, an
    encoding other than ASCII's) is left out: no site rather than the feed host's."""
    if not link or not isinstance(link, str) or not written_absolute(link):
        return None
    for spelling in dict.fromkeys((link, escape(link, quote=False), escape(link))):
        scheme, sep, rest = spelling.encode("utf-8", "replace").partition(b"://")
        # urljoin, as feedparser resolves the link against an https feed's address, lowers
        # the scheme and drops an empty query or fragment: "Https://x/world/?#" is written
        # for "https://x/world/", as the fast path reads it.
        written = (
            rb"(?i:" + re.escape(scheme) + rb")" + re.escape(sep + rest) + rb"\??#?"
            if sep
            else re.escape(scheme)
        )
        if re.search(rb"""[>"'\[\s]\s*""" + written + rb"""\s*[<"'\]\s]""", body):
            return link
    return None


def _websub_links(links: Any) -> dict[str, Any]:
    """The hubs and self URL a feed advertises (W3C WebSub 4, https://www.w3.org/TR/websub/#discovery)."""
    found = [(link.get("rel"), link.get("href")) for link in links or () if link.get("href")]
    return {
        "hubs": tuple(dict.fromkeys(href for rel, href in found if rel == "hub")),
        "self_url": next((href for rel, href in found if rel == "self"), None),
    }


def _foreign_sources(namespaces: Any, feedparser: Any) -> tuple[str, ...]:
    """The entry keys under which feedparser keeps a ``Source`` element of a namespace it
    does not know (Bing News' ``<News:Source>`` is ``news_source``; its namespace is the
    query's URL): ``<prefix>_source``, by the prefix the feed declares. A namespace feedparser
    knows is not there: its ``source`` is another thing (``dc:source`` is a related
    resource's address, https://www.dublincore.org/specifications/dublin-core/dcmi-terms/)."""
    if not isinstance(namespaces, dict) or not namespaces:
        return ()
    known = {uri.lower() for uri in feedparser.api._FeedParserMixin.namespaces}
    return tuple(
        f"{prefix.lower()}_source"
        for prefix, uri in namespaces.items()
        if prefix and isinstance(uri, str) and uri.lower() not in known
    )


def _entry_to_item(
    entry: dict[str, Any], base: str, now: datetime, credits: tuple[str, ...] = ()
) -> Item | None:
    # dict.get, not FeedParserDict.get: these are the keys feedparser stores under, and its
    # own get maps aliases and warns about deprecated ones first, a tenth of this function.
    get = dict.get
    published = struct_to_dt(get(entry, "published_parsed") or get(entry, "updated_parsed"), now)
    source = get(entry, "source")
    named, address = "", None
    if isinstance(source, dict):
        named, address = clean_text(dict.get(source, "title")), dict.get(source, "href")
    credit = (
        ""
        if isinstance(source, dict)
        else next((n for k in credits if isinstance(n := get(entry, k), str)), "")
    )
    return make_item(
        title=clean_text(get(entry, "title")),
        summary=summary_text(get(entry, "summary") or _first_content(entry)),
        link=get(entry, "link") or None,
        guid=get(entry, "id") or None,
        published=published,
        base=base,
        now=now,
        source=named or clean_text(credit),
        source_url=address,
        site_from_link=bool(credit),
    )


def _first_content(entry: Mapping[str, Any]) -> str:
    content = entry.get("content") or []
    return str(content[0].get("value", "")) if content else ""


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
