"""parse.slices: where each item element of a body starts and ends, found in its bytes
without parsing them, so that the feed's memory (parse.known) knows an item by its own bytes
and a changed body is parsed without the items it knows.

In well-formed XML every "<" outside a comment, a CDATA section or a processing instruction
opens a tag ("<" is escaped in text and not allowed in an attribute value), so a scan that
steps over those three finds every item's start and end tag. Anything it cannot pair (an item
inside an item, a self-closed one, items and entries together) gives None: the body is then
read as a whole, as it was before this module.

Two things it does not see, which its callers must check (tests/test_known_bytes.py has a case
for each): a "<" inside a DOCTYPE is not a tag (``SYSTEM "<!--"`` makes the scan step over
real items), so it is safe only on a body without one (shapes.plain_utf8 refuses those before
any cut; parse.known's check below would catch the items it hides); and a prefixed item or
entry (``<a:entry>``, ``<rss:item>``) is not seen at all, so the spans are those of the items
only when the parse finds each of them, unprefixed, in the same order (parse.known checks it).
"""

from __future__ import annotations

import re

# What is not an item's start or end tag: text, any other tag, and a comment, a CDATA section
# or a processing instruction read whole (what they hold is not markup). Possessive: the
# scan never goes back, so it costs time in proportion to the body. Each other tag is taken
# with the text after it, in one turn of the loop; a start tag whose name cannot begin an
# item, an entry or a comment, CDATA section or instruction ("<title"), and an end tag that
# closes no item or entry ("</title"), without the full lookahead: most tags are those.
_OTHER = (
    rb"(?:[^<]++|<[^/!?ie<][^<]*+|</(?!(?:item|entry)[\s/>])[^<]*+"
    rb"|<(?!/?(?:item|entry)[\s/>]|!--|!\[CDATA\[|\?)[^<]*+"
    rb"|<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>)*+"
)
# The next item: what comes before it, then the item, from its start tag to its end tag.
_NEXT = re.compile(_OTHER + rb"(<(item|entry)[\s>]" + _OTHER + rb"</\2\s*>)", re.S)
_REST = re.compile(_OTHER, re.S)
# A namespace declaration (prefix, then the address in either quotes): an item's bytes mean
# the same only under the same prefixes.
_XMLNS = re.compile(rb"""\sxmlns(?::([^\s=]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def item_spans(body: bytes) -> list[tuple[int, int]] | None:
    """The (start, end) byte offsets of every item (or entry) element of ``body``, in order;
    None when the scan cannot be sure of them."""
    spans: list[tuple[int, int]] = []
    name: bytes | None = None
    at = 0
    while (m := _NEXT.match(body, at)) is not None:
        if name is None:
            name = m.group(2)
        elif m.group(2) != name:
            return None  # items and entries together
        spans.append(m.span(1))
        at = m.end()
    # After the last item, none that the scan could not pair (an item inside an item, or
    # one self-closed).
    return spans if _REST.fullmatch(body, at) is not None else None


def scope(body: bytes, spans: list[tuple[int, int]]) -> dict[str | None, str] | None:
    """Every namespace declared outside the items, by prefix (None: the default one), as lxml
    names an element's ``nsmap``; None when a prefix is declared for two addresses (then
    where each declaration sits decides what an item means, which bytes alone do not say)."""
    outside = without(body, spans, [True] * len(spans))
    bound: dict[str | None, str] = {}
    for m in _XMLNS.finditer(outside):
        prefix = m.group(1).decode("utf-8", "replace") if m.group(1) is not None else None
        uri = (m.group(2) if m.group(2) is not None else m.group(3)).decode("utf-8", "replace")
        if bound.setdefault(prefix, uri) != uri:
            return None
    return bound


def without(
    body: bytes, spans: list[tuple[int, int]], cut: list[bool], instead: bytes = b""
) -> bytes:
    """``body`` with ``instead`` in the place of each item whose ``cut`` is True."""
    parts = []
    at = 0
    for (start, end), drop in zip(spans, cut, strict=True):
        if drop:
            parts.append(body[at:start])
            parts.append(instead)
            at = end
    parts.append(body[at:])
    return b"".join(parts)
