"""parse.entities: an entity-expansion bomb refused before feedparser (and expat) see it."""

from __future__ import annotations

import re

from monitor.errors import ParseError

# Declared entities may expand to at most this many characters in all; real feeds declare
# a few short ones (a DTD for &nbsp; and the like), a bomb nests them to gigabytes.
MAX_ENTITY_EXPANSION = 100_000
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.S | re.I)
_ENTITY_DECL = re.compile(
    rb"<!ENTITY\s+(%\s*)?([^\s\"']+)\s+(SYSTEM|PUBLIC)?\s*([\"'])(.*?)\4", re.S
)
_ENTITY_REF = re.compile(rb"[&%]([^\s;&%]+);")


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
