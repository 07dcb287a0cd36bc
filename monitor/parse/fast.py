"""parse.fast: well-formed UTF-8 RSS 2.0, RSS 1.0 and Atom 1.0 read with lxml, giving what
feedparser gives for them; None for anything it cannot be sure of, which feedparser then reads.

It takes only what it knows feedparser reads the same way: every element of an item must be
one it reads or one feedparser ignores for titles, links, ids, dates and summaries; a field
that appears twice or holds markup as child elements, an xml:base, a DTD (declared entities),
another encoding, C1 control characters (feedparser maps them to Windows-1252) or XML that
lxml refuses: feedparser's. Escaped markup in a title is text to feedparser's strict parser as
to lxml, and normalization cleans both alike. tests/test_parse_differential.py checks it field
by field against feedparser over the whole shared corpus.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial

from lxml import etree

from monitor.models import Item, ParsedFeed
from monitor.normalize import clean_text, summary_text
from monitor.parse import dates, fields
from monitor.parse.fields import Unsure
from monitor.parse.item import make_item, ttl_seconds
from monitor.parse.known import Recall, parsed
from monitor.parse.shapes import (
    ATOM,
    ATOM_FIELDS,
    FEED_FIELDS,
    RDF,
    RSS1,
    RSS1_FIELDS,
    RSS_FIELDS,
    atom_ignored,
    bing_element,
    check_structure,
    foreign_ignored,
    local_name,
    placed_kind,
    plain_attributes,
    plain_type,
    plain_utf8,
    rss1_ignored,
    rss_ignored,
)

_local = threading.local()
_RDF_ABOUT = RDF + "about"
_ATOM_LINK = ATOM + "link"


def _parser() -> etree.XMLParser:
    # lxml parsers are not to be shared between threads; one each. No entities resolved, no
    # DTD or network fetched, no tree beyond libxml2's safety limits.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
            remove_comments=True, remove_pis=True,
        )  # fmt: skip
        _local.parser = parser
    return parser


def parse_fast(
    body: bytes, headers: Mapping[str, str], url: str, now: datetime, recall: Recall | None = None
) -> ParsedFeed | None:
    """The feed read with lxml, or None when feedparser must read it (see the module's doc).
    With ``recall``, the items its memory knows are left out of the entries (parse.known)."""
    if not plain_utf8(body, headers.get("content-type", "")):
        return None
    if url and not fields.plain_absolute(url):
        return None
    if headers.get("content-location", url) != url:
        return None  # feedparser resolves against the server's Content-Location instead
    read = partial(_read, url=url, now=now, recall=recall)
    return parsed(body, _parser(), read) if recall is None else recall.parse(body, _parser(), read)


def _read(root: etree._Element, url: str, now: datetime, recall: Recall | None) -> ParsedFeed:
    tag = root.tag
    if tag == "rss":
        channels = [c for c in root if c.tag == "channel"]
        if len(channels) != 1 or len(root) != 1:
            raise Unsure("not one channel")
        channel = channels[0]
        items = [c for c in channel if c.tag == "item"]
        check_structure(root, channel, "item", 2, {"channel", "item", "image", "textInput"})
        rows = _entries(channel, items, RSS_FIELDS, rss_ignored, url, now, recall)
        return _feed(channel, rows, url, "", "link", "ttl")
    if tag == ATOM + "feed":
        items = [c for c in root if c.tag == ATOM + "entry"]
        check_structure(root, root, ATOM + "entry", 1, {ATOM + "feed", ATOM + "entry"})
        rows = _entries(root, items, ATOM_FIELDS, atom_ignored, url, now, recall)
        return _feed(root, rows, url, ATOM, None, None)
    if tag == RDF + "RDF":
        channels = [c for c in root if c.tag == RSS1 + "channel"]
        items = [c for c in root if c.tag == RSS1 + "item"]
        if len(channels) != 1:
            raise Unsure("not one channel")
        parents = {RSS1 + n for n in ("channel", "item", "image", "textinput")}
        check_structure(root, root, RSS1 + "item", 2, parents)
        rows = _entries(root, items, RSS1_FIELDS, rss1_ignored, url, now, recall)
        return _feed(channels[0], rows, url, RSS1, RSS1 + "link", None)
    raise Unsure("not RSS 2.0, RSS 1.0 or Atom 1.0")


def _entries(
    container: etree._Element,
    items: list[etree._Element],
    known: Mapping[str, str],
    is_ignored: Callable[[str], bool],
    base: str,
    now: datetime,
    recall: Recall | None,
) -> list[Item | None]:
    if recall is None or recall.declines(len(items)):
        return [_entry(i, known, is_ignored, base, now) for i in items]
    dated = frozenset(t for t, name in known.items() if name in ("published", "updated"))
    return recall.read(container, items, lambda i: _entry(i, known, is_ignored, base, now), dated)


def _entry(
    element: etree._Element,
    known: Mapping[str, str],
    is_ignored: Callable[[str], bool],
    base: str,
    now: datetime,
) -> Item | None:
    if known is not RSS1_FIELDS and element.get(_RDF_ABOUT) is not None:
        raise Unsure("an rdf:about id outside RSS 1.0")
    found: dict[str, etree._Element] = {}
    links: list[etree._Element] = []
    source: etree._Element | None = None
    credit: etree._Element | None = None  # Bing's <News:Source>: its outlet, with no address
    id_attributes: list[tuple[str, str]] = []
    for child in element:
        tag = child.tag
        name = known.get(tag)
        if name is not None:
            if name == "id":
                # Read once, for both questions: its type here, isPermaLink in _id_and_link.
                id_attributes = child.items()
                plain = plain_attributes(id_attributes)
            else:
                plain = plain_type(child)
            if name in found or len(child) or not plain:
                raise Unsure(f"{name} twice, with child elements, or of another type")
            found[name] = child
            continue
        if not isinstance(tag, str):
            raise Unsure("an entity reference")
        if tag == _ATOM_LINK and known is ATOM_FIELDS:
            links.append(child)
        elif tag == "source" and known is RSS_FIELDS:  # an aggregator's credit: entry.source
            if source is not None:
                raise Unsure("a source twice")
            source = child
        elif known is RSS_FIELDS and bing_element(child):
            if local_name(tag).lower() == "source":
                if credit is not None or len(child) or len(child.attrib):
                    raise Unsure("Bing's source twice, with child elements or attributes")
                credit = child
        elif not is_ignored(tag) and not foreign_ignored(child):
            raise Unsure(f"an element the fast path does not know: {tag}")
        # check_structure's question, for what it does not walk: a title or a link is in its
        # place here (an item is a title's parent), an item or a channel is not.
        if placed_kind(tag) in ("item", "container"):
            raise Unsure("an item or channel inside an item")
        if len(child):
            for inner in child.iterdescendants():
                tag = inner.tag
                # Below an item's element, nothing is a title's parent (no ignored element is):
                # any item, channel, title or link there is one feedparser would read.
                if (
                    not isinstance(tag, str)
                    or not (is_ignored(tag) or foreign_ignored(inner))
                    or placed_kind(tag)
                ):
                    raise Unsure("an element inside an element")
    if "content" in found and "summary" in found:
        order = list(found)  # in document order
        if order.index("content") < order.index("summary"):
            raise Unsure("content before summary")
    title = _title(found)
    summary = found.get("summary")
    raw_summary = fields.text(summary.text) if summary is not None else ""
    if not raw_summary and "content" in found:
        raw_summary = fields.text(found["content"].text)
    guid, link = _id_and_link(element, found, id_attributes, links, known, base)
    published = None
    for name in ("published", "updated"):
        if published is None and name in found:
            published = dates.date(fields.text(found[name].text), now)
    named = source if source is not None else credit
    return make_item(
        title=clean_text(title),
        summary=summary_text(raw_summary),
        link=link or None,
        guid=guid or None,
        published=published,
        base=base,
        now=now,
        source=clean_text(fields.text(named.text)) if named is not None else "",
        source_url=source.get("url") if source is not None else None,
        site_from_link=source is None and credit is not None,
    )


def _title(found: Mapping[str, etree._Element]) -> str:
    """The title feedparser keeps: of a title and a dc:title, the first (in document order)
    that is not empty, since it keeps a title only while the item has none that is not."""
    if "dc title" not in found:
        title = found.get("title")
        return fields.text(title.text) if title is not None else ""
    texts = [fields.text(e.text) for name, e in found.items() if name in ("title", "dc title")]
    return next((t for t in texts if t), "")


def _id_and_link(
    element: etree._Element,
    found: Mapping[str, etree._Element],
    attrib: list[tuple[str, str]],
    links: list[etree._Element],
    known: Mapping[str, str],
    base: str,
) -> tuple[str, str]:
    """The item's id and link; ``attrib``: its id element's attributes (``items()``)."""
    if known is RSS1_FIELDS:
        guid = element.get(_RDF_ABOUT) or ""
        link = fields.entry_link(fields.text(found["link"].text), base) if "link" in found else ""
        return guid, link
    guid = ""
    permalink = True
    id_element = found.get("id")
    if id_element is not None:
        if len(attrib) == 1 and attrib[0][0] == "isPermaLink":  # as nearly every feed has it
            permalink = attrib[0][1] == "true"
        elif attrib:
            attributes = {k.lower(): v for k, v in attrib}
            permalink = attributes.get("ispermalink", "true") == "true"
        guid = fields.text(id_element.text)
        if guid and permalink:
            guid = fields.resolve(guid, base)
    if known is ATOM_FIELDS:
        link = _atom_link(links, base)
    elif "link" in found:
        link_element = found["link"]
        attributes = link_element.attrib
        if len(attributes) and any(k in attributes for k in ("href", "url", "uri")):
            raise Unsure("an RSS link with an address attribute")
        return guid, fields.entry_link(fields.text(link_element.text), base)
    else:
        link = ""
    if not link and id_element is not None and permalink:
        link = guid  # feedparser takes a permalink GUID (an Atom id) for the link
    return guid, link


def _atom_link(links: list[etree._Element], base: str) -> str:
    """The last alternate HTML link's address, as feedparser keeps it."""
    return _atom_alternate(links, base)[0]


def _atom_alternate(links: list[etree._Element], base: str) -> tuple[str, bool]:
    """The last alternate HTML link's address, and whether it was written absolute."""
    link, written = "", False
    for candidate in links:
        href = candidate.get("href")
        if href is None or candidate.get("url") is not None or candidate.get("uri") is not None:
            raise Unsure("a link without href, or with url= or uri=")
        rel = (candidate.get("rel") or "alternate").lower()
        kind = (candidate.get("type") or "text/html").lower()
        if rel == "alternate" and kind in ("text/html", "application/xhtml+xml", "html"):
            link, written = fields.resolve(href.strip(), base), fields.written_absolute(href)
    return link, written


def _feed(
    channel: etree._Element,
    items: list[Item | None],
    base: str,
    namespace: str,
    link_tag: str | None,
    ttl_tag: str | None,
) -> ParsedFeed:
    title_elements = [c for c in channel if c.tag == namespace + "title"]
    if len(title_elements) > 1 or any(len(t) or not plain_type(t) for t in title_elements):
        raise Unsure("the feed's title twice or with markup")
    title = fields.text(title_elements[0].text) if title_elements else ""
    expected = {namespace + "title", namespace + "entry" if namespace else "item", ATOM + "link"}
    expected.update(t for t in (link_tag, ttl_tag) if t is not None)
    if namespace == ATOM:
        expected.add(ATOM + "id")
    link = ""
    link_written = id_written = False
    ttl = None
    atom_links: list[etree._Element] = []
    feed_id = ""
    for child in channel:
        tag = child.tag
        if not isinstance(tag, str):
            raise Unsure("an entity reference")
        if tag not in expected and local_name(tag).lower() in FEED_FIELDS:
            raise Unsure(f"another title, link or id for the feed: {tag}")
        if link_tag is not None and tag == link_tag:
            written = fields.text(child.text)
            link, link_written = fields.feed_link(written, base), fields.written_absolute(written)
        elif tag == ATOM + "link":
            atom_links.append(child)
        elif tag == ATOM + "id" and link_tag is None:
            written = fields.text(child.text)
            feed_id, id_written = fields.resolve(written, base), fields.written_absolute(written)
        elif ttl_tag is not None and tag == ttl_tag:
            ttl = fields.text(child.text)
    alternate, alternate_written = _atom_alternate(atom_links, base)
    if alternate and link_tag is not None:
        raise Unsure("an Atom link for an RSS channel")
    if not link:
        link, link_written = (alternate, alternate_written) if alternate else (feed_id, id_written)
    return ParsedFeed(
        title=clean_text(title),
        # Only a link written absolute names the feed's site: one resolved against the
        # feed's own address would make its feed host (or where it moved) the outlet.
        link=(link or None) if link_written else None,
        ttl_seconds=ttl_seconds(ttl),
        entries=[i for i in items if i is not None],
        **fields.websub_links(atom_links, base),
    )
