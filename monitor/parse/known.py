"""parse.known: the items of a feed's last body, remembered by their bytes, so that a changed
body costs what its new items cost.

A feed that changed brings back most of its items as they were: a poll would parse and
normalize every one of them, then learn from the store that all but one or two are old.
``Recall`` reads a body with the feed's memory (``KnownItems``): an item whose bytes are
those of one of the last body's, under the same namespaces and in the place the parse reads
items from, whose key the store has, is not read again (its fields would come out the same,
and the store would drop it as known). Every other element, a new one or a known one whose
content changed, is read and goes to the store as before.

The memory is only an optimisation: without it (a restart, a new feed) every item is read,
as it always was. It trusts an item only while the store must still have its key: its
first-seen time is remembered, and one that retention may have pruned is read again (it may
be new again, as it would be without the memory).
"""

from __future__ import annotations

import math
import secrets
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from monitor.models import Item, ParsedFeed
from monitor.parse import slices
from monitor.parse.fields import Unsure

# A body of more items is read whole and not remembered: hashing each item and asking the
# store when it first saw each key would cost such a poll more than the memory could save.
MAX_ITEMS = 10_000
_UNKNOWN = math.nan  # a first-seen time the store has not told yet: not trusted
_NEVER = -math.inf  # an item to read again every time (see Recall.read)
_EMPTY = math.inf  # an element with nothing in it: no item, now or later
# What stands in the bytes parsed for each item cut out, so that the parse says where it was:
# an empty item of the same name, marked with what no feed can know beforehand.
_MARK = "known"
_NONCE = secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class KnownItems:
    """A feed's last body, item by item: a hash of each item (of its bytes and the namespaces
    they were read under, or else of its element serialized), its publication time (NaN:
    none) and when the store first saw its key."""

    base: str  # the address the body was read against (relative links resolve from it)
    parsed_at: float  # the ``now`` it was read at (dates later than now + 1 day are dropped)
    hashes: array[int]
    published: array[float]
    first_seen: array[float]

    def trusted(self, base: str, now: float, cutoff: float) -> dict[int, int]:
        """The positions of the items that need not be read again, by hash: none for another
        base address or a clock that went back, and none first seen before ``cutoff``."""
        if base != self.base or now < self.parsed_at:
            return {}
        seen = self.first_seen
        return {h: i for i, h in enumerate(self.hashes) if seen[i] >= cutoff}


class Recall:
    """One body read with its feed's memory: what was skipped, and what to remember of it
    once the store has its items."""

    def __init__(self, known: KnownItems | None, base: str, now: float, cutoff: float) -> None:
        self._known = known
        self._trusted = known.trusted(base, now, cutoff) if known is not None else {}
        self.base, self.now = base, now
        # Each item known by the hash of its own bytes and of the namespaces outside the items
        # (parse.slices), when they were found; else (None, or when the parse did not read
        # them where they were: ``_found``) by the hash of its element serialized.
        self._digests: list[int] | None = None
        self._cut: list[bool] = []  # the items left out of the bytes parsed (``cut``)
        self._scope: dict[str | None, str] = {}  # the namespaces ``_digests`` were made under
        self._start()
        self.taken = False  # the fast path read the body, cut or not (else: nothing to remember)
        self.too_many = False  # over MAX_ITEMS: read without the memory, nothing to remember

    def _start(self) -> None:
        self.hashes: list[int] = []  # one per item element of the body, in its order
        self.published: list[float] = []
        self.first_seen: list[float] = []
        self.positions: list[int] = []  # the element of each item read, in the entries' order
        self.skipped = 0  # items not read again (elements with nothing in them not counted)

    def cut(self, body: bytes) -> bytes:
        """The bytes to parse: ``body`` without the items the memory trusts, found by their
        own bytes (parse.slices), so that a changed body is parsed only for what is new."""
        spans = slices.item_spans(body)
        if spans is None or len(spans) > MAX_ITEMS:
            return body
        scope = slices.scope(body, spans)
        if scope is None:
            return body
        self._scope = scope
        seed = hash(frozenset(scope.items()))
        # A slice of a view hashes as the same bytes would (hash(m) == hash(m.tobytes())),
        # without a copy of each item.
        view = memoryview(body)
        self._digests = digests = [hash((seed, view[start:end])) for start, end in spans]
        trusted = self._trusted
        self._cut = cut = [d in trusted for d in digests]
        if not any(cut):
            return body
        name = b"entry" if body.startswith(b"<entry", spans[0][0]) else b"item"
        return slices.without(
            body, spans, cut, b'<%s %s="%s"/>' % (name, _MARK.encode(), _NONCE.encode())
        )

    def parse(
        self, body: bytes, parser: etree.XMLParser, read: Callable[[etree._Element], ParsedFeed]
    ) -> ParsedFeed | None:
        """``parsed`` of ``body`` without the items the memory trusts; of the whole body when
        that gives None (bytes that do not parse, or items cut from where they were not read)."""
        known_out = self.cut(body)
        feed = parsed(known_out, parser, read)
        if feed is None and known_out is not body:
            self._cut = [False] * len(self._cut)
            feed = parsed(body, parser, read)
        self.taken = feed is not None
        return feed

    def declines(self, count: int) -> bool:
        """Whether a body of ``count`` items is read without the memory (too many to keep);
        then nothing of it is remembered."""
        self.too_many = count > MAX_ITEMS
        return self.too_many

    def _found(self, container: etree._Element, elements: list[etree._Element]) -> bool:
        """Whether the items the bytes gave are the elements read, one for one, each in its
        place (an item cut is one read there), all under the namespaces hashed with them."""
        cut = self._cut
        if len(elements) != len(cut) or container.nsmap != self._scope:
            return False
        if not any(cut):
            # No element can carry the mark of a cut (the nonce is this process's secret):
            # one lxml call an item saved on every body whose items are all read.
            return all(e.prefix is None for e in elements)
        return all(
            e.prefix is None and (e.get(_MARK) == _NONCE) == c
            for e, c in zip(elements, cut, strict=True)
        )

    def read(
        self,
        container: etree._Element,
        elements: list[etree._Element],
        read_one: Callable[[etree._Element], Item | None],
        date_tags: frozenset[str],
    ) -> list[Item | None]:
        """``read_one`` of each element of ``container`` the memory does not know (the
        elements cut out stand in ``elements`` as empty ones); the items read."""
        self._start()
        known = self._known
        trusted = self._trusted  # empty without a memory
        digests, cut = self._digests, self._cut
        if digests is None or not self._found(container, elements):
            if any(cut):  # the items cut out are not those found: read the whole body
                raise Unsure("the items found in the bytes are not the elements read")
            digests = [hash(etree.tostring(e, with_tail=False)) for e in elements]
            cut = [False] * len(elements)
        hashes, published, first_seen = self.hashes, self.published, self.first_seen
        rows: list[Item | None] = []
        for digest, dropped, element in zip(digests, cut, elements, strict=True):
            hashes.append(digest)
            at = trusted.get(digest)
            if at is not None:
                assert known is not None
                published.append(known.published[at])
                first_seen.append(known.first_seen[at])
                self.skipped += known.first_seen[at] != _EMPTY
                continue
            assert not dropped  # only trusted items are cut
            item = read_one(element)
            if item is None:
                published.append(math.nan)
                first_seen.append(_EMPTY)
                continue
            self.positions.append(len(published))
            rows.append(item)
            if item.published is not None:
                published.append(item.published.timestamp())
                first_seen.append(_UNKNOWN)
            else:
                published.append(math.nan)
                # A date the parse dropped (more than a day ahead of now) may be taken at a
                # later poll: such an item is read every time, as it would be without memory.
                dated = any(child.tag in date_tags for child in element)
                first_seen.append(_NEVER if dated else _UNKNOWN)
        return rows

    def dates(self) -> list[float]:
        """The publication times of every item of the body, read or not."""
        return [t for t in self.published if not math.isnan(t)]

    def remember(self, entries: Sequence[Item], first_seen: Mapping[str, float]) -> KnownItems:
        """The memory of this body, once the store has every item of ``entries`` (the items
        read, in their order): ``first_seen`` holds when it first saw each of their keys (one
        it does not name is not trusted)."""
        seen = list(self.first_seen)
        for position, item in zip(self.positions, entries, strict=True):
            if seen[position] != _NEVER:
                seen[position] = first_seen.get(item.key, _UNKNOWN)
        return KnownItems(
            self.base, self.now, array("q", self.hashes), array("d", self.published),
            array("d", seen),
        )  # fmt: skip


def parsed(
    body: bytes, parser: etree.XMLParser, read: Callable[[etree._Element], ParsedFeed]
) -> ParsedFeed | None:
    """``read`` of the document ``body`` holds; None when it is not XML or ``read`` is unsure."""
    try:
        return read(etree.fromstring(body, parser))
    except (etree.XMLSyntaxError, Unsure, ValueError):
        return None
