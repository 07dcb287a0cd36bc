"""parse: feed bytes to entries. Pure: no I/O.

Well-formed UTF-8 RSS 2.0, RSS 1.0 and Atom 1.0 are read with lxml (parse.fast), which gives
what feedparser gives for them; everything else (other encodings, malformed XML, DTDs,
xml:base, markup as child elements, other formats, anything odd) goes to feedparser, which reads
RSS 0.9x/1.0/2.0, Atom and RDF from the bytes and the response headers (never from a URL or a
path, so a feed cannot make us open a local file). JSON Feed, which feedparser 6 does not
read, is read here. Entity declarations are checked before feedparser sees the bytes, so an
entity-expansion bomb is refused instead of expanded; lxml resolves no entity at all.
"""

from monitor.parse.entities import MAX_ENTITY_EXPANSION, check_entities
from monitor.parse.feed import FEEDPARSER_OPTIONS, parse_feed, parse_with_feedparser
from monitor.parse.item import make_item

__all__ = [
    "FEEDPARSER_OPTIONS",
    "MAX_ENTITY_EXPANSION",
    "check_entities",
    "make_item",
    "parse_feed",
    "parse_with_feedparser",
]
