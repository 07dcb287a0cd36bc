"""parse.slices: where each item element of a body starts and ends, found in its bytes
without parsing them, so that the feed's memory (parse.known) knows an item by its own bytes
and a changed body is parsed without the items it knows.

In well-formed XML every "<" outside a comment, a CDATA section or a processing instruction
opens a tag ("<" is escaped in text and not allowed in an attribute value), so a scan that
steps over those three finds every item's start and end tag. Anything it cannot pair (an item
inside an item, a self-closed or prefixed one, items and entries together) gives None: the
body is then read as a whole, as it was before this module.
"""

from __future__ import annotations

import re

# A comment, a CDATA section or a processing instruction, read whole (what they hold is not
# markup), or an item's or an entry's start or end tag.
_TOKENS = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<(/?)(item|entry)(?=[\s/>])", re.S)
# The namespace declarations before the first item: an item's bytes mean the same only
# under the same prefixes.
_XMLNS = re.compile(rb"""\sxmlns(?::[^\s=]+)?\s*=\s*(?:"[^"]*"|'[^']*')""")


def item_spans(body: bytes) -> list[tuple[int, int]] | None:
    """The (start, end) byte offsets of every item (or entry) element of ``body``, in order;
    None when the scan cannot be sure of them."""
    spans: list[tuple[int, int]] = []
    name: bytes | None = None
    opened = -1
    for m in _TOKENS.finditer(body):
        tag = m.group(2)
        if tag is None:
            continue  # a comment, CDATA or processing instruction
        if name is None:
            name = tag
        elif tag != name:
            return None
        if not m.group(1):
            if opened >= 0:
                return None  # an item inside an item (or one self-closed)
            opened = m.start()
            continue
        end = body.find(b">", m.end())
        if opened < 0 or end < 0 or body[m.end() : end].strip():
            return None
        spans.append((opened, end + 1))
        opened = -1
    return spans if opened < 0 else None


def context(body: bytes, spans: list[tuple[int, int]]) -> int:
    """What the items' bytes are read under, as a number that goes into each item's hash:
    the namespace declarations before the first item."""
    head = body[: spans[0][0]] if spans else b""
    return hash(tuple(m.group() for m in _XMLNS.finditer(head)))


def without(body: bytes, spans: list[tuple[int, int]], cut: list[bool]) -> bytes:
    """``body`` without the items whose ``cut`` is True."""
    parts = []
    at = 0
    for (start, end), drop in zip(spans, cut, strict=True):
        if drop:
            parts.append(body[at:start])
            at = end
    parts.append(body[at:])
    return b"".join(parts)
