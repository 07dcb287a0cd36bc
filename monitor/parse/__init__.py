"""parse: feed bytes to entries. Pure: no I/O.

feedparser reads RSS 0.9x/1.0/2.0, Atom and RDF from the bytes and the response headers
(never from a URL or a path, so a feed cannot make us open a local file). JSON Feed, which
feedparser 6 does not read, is read here. Entity declarations are checked before feedparser
sees the bytes, so an entity-expansion bomb is refused instead of expanded.
"""

from monitor.parse.entities import MAX_ENTITY_EXPANSION, check_entities
from monitor.parse.feed import parse_feed
from monitor.parse.item import make_item
from monitor.parse.tuning import FEEDPARSER_OPTIONS, use_our_url_functions

__all__ = [
    "FEEDPARSER_OPTIONS",
    "MAX_ENTITY_EXPANSION",
    "check_entities",
    "make_item",
    "parse_feed",
    "use_our_url_functions",
]
