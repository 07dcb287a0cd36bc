"""parse.shapes: what the fast path (parse.fast) takes: the bytes it reads (UTF-8 XML, no DTD,
no xml:base, no C1 characters), the elements it reads or may ignore in each format, and where
feedparser would find an item, a title or a link that it would not."""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from monitor.parse.fields import Unsure

ATOM = "{http://www.w3.org/2005/Atom}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
MEDIA = "{http://search.yahoo.com/mrss/}"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"

# Namespaces whose elements feedparser keeps under their own names, never as a title, link,
# id, date or summary (the exceptions are in _TAKEN).
_IGNORED_NAMESPACES = frozenset(
    (
        "http://purl.org/rss/1.0/modules/slash/",
        "http://wellformedweb.org/CommentAPI/",
        "http://rssnamespace.org/feedburner/ext/1.0",
        "http://purl.org/rss/1.0/modules/syndication/",
        "http://www.georss.org/georss",
        "http://www.w3.org/2003/01/geo/wgs84_pos#",
        MEDIA[1:-1],
        ITUNES[1:-1],
        "http://www.google.com/schemas/play-podcasts/1.0",
        "http://prismstandard.org/namespaces/1.2/basic/",
    )
)
# Namespaces feedparser does not know (Blogger's Google Data, Atom threading), whose elements
# it reads under the document's own prefix: with the usual one it has no handler for them and
# keeps them under their own names (gd_image, thr_total), none of ours.
_FOREIGN_PREFIXES = {
    "http://schemas.google.com/g/2005": "gd",
    "http://purl.org/syndication/thread/1.0": "thr",
    "http://purl.org/rss/1.0/modules/prism/": "prism",  # feedparser knows PRISM's other URI
}
# Elements of those namespaces that feedparser does read as one of our fields.
# (itunes:subtitle is read as the item's subtitle, none of ours.)
_TAKEN = frozenset((MEDIA + "title", MEDIA + "description", ITUNES + "summary"))
# Bing News' elements on an item (<News:Source>, <News:Image>...) are of a namespace whose URI
# is the query's URL (https://www.bing.com/news/search?q=...&format=rss), none feedparser
# knows: it keeps them under the prefix Bing writes (news_source, news_image), and has no
# handler of that prefix.
_BING_NAMESPACE = re.compile(r"\{https?://(?:www\.)?bing\.com/news/", re.IGNORECASE)
_BING_PREFIX = "news"
# Dublin Core elements feedparser reads as none of our fields: the first seven through their
# own handlers (author, tags, rights...), the rest kept under their own names (dc_source...).
_IGNORED_DC = frozenset(
    DC + n
    for n in ("creator", "author", "subject", "rights", "publisher", "contributor", "language",
              "source", "identifier", "format", "type", "coverage", "relation")
)  # fmt: skip
_RSS_IGNORED = frozenset(("category", "author", "comments", "enclosure", "source", "subtitle"))
_ATOM_IGNORED = frozenset(
    ATOM + n for n in ("author", "contributor", "category", "rights", "name", "email", "uri")
)
_RSS1_IGNORED = _IGNORED_DC
# What the fast path reads, per format: the element's tag to the field it fills.
RSS_FIELDS = {
    "title": "title",
    "link": "link",
    "guid": "id",
    "description": "summary",
    "pubDate": "published",
    DC + "date": "updated",
    # feedparser reads dc:title as a title; of two, the first that is not empty (see parse.fast).
    DC + "title": "dc title",
    CONTENT + "encoded": "content",
    # After a description, feedparser reads an itunes:summary as content; alone, as the
    # summary: either way the summary is the description's, else the itunes:summary's. (Before
    # a description it would be the summary: "content before summary", feedparser's.)
    ITUNES + "summary": "content",
    # feedparser reads Atom's elements in any feed as its own (the namespace maps to none).
    ATOM + "published": "published",
    ATOM + "updated": "updated",
}
RSS1_FIELDS = {
    RSS1 + "title": "title",
    RSS1 + "link": "link",
    RSS1 + "description": "summary",
    DC + "date": "updated",
    DC + "title": "dc title",
    CONTENT + "encoded": "content",
}
ATOM_FIELDS = {
    ATOM + "title": "title",
    ATOM + "id": "id",
    ATOM + "summary": "summary",
    ATOM + "content": "content",
    ATOM + "published": "published",
    ATOM + "updated": "updated",
}
# Elements under the channel that feedparser may read as the feed's title, link or TTL, or as
# entries, whatever their namespace or letter case.
_ENTRIES = frozenset(("item", "entry"))
_CONTAINERS = frozenset(("rss", "rdf", "channel", "feed"))
_PLACED = frozenset(("title", "link"))
FEED_FIELDS = frozenset(("title", "link", "ttl", "id", "guid", "item", "entry"))
_XML_TYPES = ("application/xml", "text/xml", "application/rss+xml", "application/atom+xml",
              "application/rdf+xml")  # fmt: skip
_DECLARATION = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']", re.I)
_C1 = re.compile(b"\xc2[\x80-\x9f]")
# One pass each: the regex engine's scan for a literal prefix is about twice as fast as
# ``bytes in`` on a body, and one pattern covers both spellings.
_DOCTYPE = re.compile(b"<!(?:DOCTYPE|doctype)")
_XML_BASE = re.compile(b"xml:base")


def plain_utf8(body: bytes, content_type: str) -> bool:
    media, _, params = content_type.partition(";")
    if media.strip().lower() not in _XML_TYPES and media.strip():
        return False
    charset = params.lower().partition("charset=")[2].strip().strip("\"'")
    if charset and charset not in ("utf-8", "utf8"):
        return False
    head = body[:512]
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x4c\x6f\xa7\x94")):
        return False  # UTF-16/32, EBCDIC
    m = _DECLARATION.search(head)
    if m and m.group(1).lower() not in (b"utf-8", b"utf8"):
        return False
    return (
        # No "!" (a byte search, memchr): no DOCTYPE, without the pattern's scan of every "<".
        (b"!" not in body or _DOCTYPE.search(body) is None)
        and _XML_BASE.search(body) is None
        # Every C1 character starts with 0xC2 in UTF-8: a byte search (memchr) before the regex.
        and (b"\xc2" not in body or _C1.search(body) is None)
    )


def check_structure(
    root: etree._Element,
    entries_parent: etree._Element,
    entry_tag: str,
    containers: int,
    title_parents: set[str],
) -> None:
    """feedparser reads element names in any case and namespace, wherever they are: an item,
    an entry, a channel or a title anywhere else than where the fast path reads them would
    be read by feedparser and not by us. The entries the fast path reads (``entry_tag``
    children of ``entries_parent``) are not walked here: parse.fast reads each of their
    elements and asks ``placed_kind`` of each."""
    seen_containers = 0
    stack = [root]
    while stack:
        element = stack.pop()
        if element is entries_parent:
            stack.extend(child for child in element if child.tag != entry_tag)
        else:
            stack.extend(element)
        kind = placed_kind(element.tag)
        if not kind:
            continue
        if kind == "item":
            raise Unsure("an item or entry where the fast path does not read it")
        if kind == "container":
            seen_containers += 1
        elif element.getparent().tag not in title_parents:
            raise Unsure(f"a {kind} where the fast path does not read it")
    if seen_containers != containers:
        raise Unsure("channels where the fast path does not read them")


@lru_cache(maxsize=1024)
def placed_kind(tag: object) -> str:
    """What feedparser would take an element for wherever it is: "item" (an item or entry),
    "container" (a channel or feed), "title" or "link"; "" for anything else."""
    # A comment or processing instruction (removed by the parser anyway) is no element.
    local = local_name(tag).lower() if isinstance(tag, str) else ""
    if local in _ENTRIES:
        return "item"
    if local in _CONTAINERS:
        return "container"
    return local if local in _PLACED else ""


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


def rss_ignored(tag: str) -> bool:
    return tag in _RSS_IGNORED or tag in _IGNORED_DC or _other_namespace(tag)


def atom_ignored(tag: str) -> bool:
    return tag in _ATOM_IGNORED or _other_namespace(tag)


def rss1_ignored(tag: str) -> bool:
    return tag in _RSS1_IGNORED or _other_namespace(tag)


def foreign_ignored(element: etree._Element) -> bool:
    """An element of a namespace feedparser does not know, under the prefix that makes it
    keep the element under its own name (see _FOREIGN_PREFIXES)."""
    tag = element.tag
    if not isinstance(tag, str) or tag[:1] != "{":
        return False
    prefix = _FOREIGN_PREFIXES.get(tag[1:].partition("}")[0])
    return prefix is not None and element.prefix == prefix


def bing_element(element: etree._Element) -> bool:
    """An element of Bing News' namespace under the prefix Bing writes ("News"): feedparser
    keeps it as ``news_<name>`` (``<News:Source>``, the outlet, as ``news_source``)."""
    tag, prefix = element.tag, element.prefix
    return (
        isinstance(tag, str)
        and prefix is not None
        and prefix.lower() == _BING_PREFIX
        and _BING_NAMESPACE.match(tag) is not None
    )


def _other_namespace(tag: str) -> bool:
    return tag[:1] == "{" and tag not in _TAKEN and tag[1:].partition("}")[0] in _IGNORED_NAMESPACES


def plain_type(element: etree._Element) -> bool:
    """Text or HTML: feedparser decodes other types as base64 and serializes XHTML."""
    # The names in one list: each question to lxml's ``attrib`` is a call into lxml, and
    # most elements have no attribute or another one (a guid's isPermaLink).
    names = element.keys()
    if not names:
        return True
    if "mode" in names or "src" in names:
        return False
    kind = element.get("type")
    return kind is None or kind.lower() in _PLAIN_TYPES


def plain_attributes(attributes: list[tuple[str, str]]) -> bool:
    """``plain_type`` of an element whose ``items()`` are ``attributes``: for an element
    whose attributes are read anyway (an RSS guid's isPermaLink), no other call into lxml."""
    kind = None
    for name, value in attributes:
        if name == "mode" or name == "src":
            return False
        if name == "type":
            kind = value
    return kind is None or kind.lower() in _PLAIN_TYPES


_PLAIN_TYPES = ("text", "html", "text/plain", "text/html")
