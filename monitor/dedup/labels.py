"""Titles a feed gives to many of its items ("Latest news", "Update"): labels, not headlines.

One outlet does not publish the same news under new GUIDs again and again: a title that a
feed's new items keep carrying names a section, and joining its items on it would make one
story (and one event) of unrelated news. ``FeedTitles`` counts, per feed, the new items
that carried each of its recent titles.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from monitor.textfold import compatible

# New items of one feed under one title, with as many summaries, from which it is a label:
# an outlet may send a story again (corrected, updated) under its headline, not twice more
# with other news under it. A copy sent again with its summary (a new GUID and URL) is the
# same story, and counts once.
LABEL_ITEMS = 3
KEPT_TITLES = 32  # per feed, the latest
# Per feed, the labels it gave last, apart from its latest titles: a label stays one however
# many other titles come between its items (a busy feed's first poll brings a hundred, read
# in slices of ``newitems.STAGES_SLICE``; a feed names a story every few minutes), and a
# feed's many labels (its sections, coming round in turn) take no room from its headlines.
KEPT_LABELS = KEPT_TITLES
# The most items a read keeps, with their titles' keys, for the read of the same poll that
# follows (a poll's new items); a larger read (a chunk of the window read at start) keeps
# neither.
KEYED_TITLES = 256
HASH = 8  # bytes of a hash (``packed``)
_PACK = struct.Struct("<q").pack
# What a feed keeps of a title besides its hash: how many summaries came under it (one
# byte), and their hashes but the last one's: once ``LABEL_ITEMS`` came, none is compared.
_SAID = 1 + (LABEL_ITEMS - 1) * HASH
_NEW = b"\x01"


def packed(text: str) -> bytes:
    """The hash of ``text`` as 8 bytes. A feed's memory is a few hundred bytes of these
    end to end, where dicts of Python ints and tuples of them took several KB: a thousand
    times over at a thousand feeds."""
    return _PACK(hash(text))


def title_key(title: str) -> bytes:
    """``packed`` of a title as labels compare it: letter case and spacing folded."""
    return packed(_spaced(compatible(title).casefold()))


def _spaced(text: str) -> str:
    """``" ".join(text.split())``: ``text`` itself where that would change nothing, as in
    most (``normalize.clean_text`` spaced an item's text so), told by scans in C: no
    whitespace but the space, none twice, none at either end. In ASCII text (most), each
    whitespace character that ``split`` cuts at is looked for alone (memchr), cheaper over a
    summary than ``isprintable``'s look-up of every character; other text takes that (no
    whitespace but the space is printable)."""
    if text.isascii():
        plain = (
            "\t" not in text and "\n" not in text and "\r" not in text and "\x0b" not in text
            and "\x0c" not in text and "\x1c" not in text and "\x1d" not in text
            and "\x1e" not in text and "\x1f" not in text
        )  # fmt: skip
    else:
        plain = text.isprintable()
    if plain and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def find(hashes: bytearray, key: bytes) -> int:
    """Which of ``hashes`` (``packed`` ones, end to end) ``key`` is, or -1."""
    at = hashes.find(key)
    while at > 0 and at % HASH:  # bytes across two hashes, equal by chance
        at = hashes.find(key, at + 1)
    return at // HASH if at >= 0 else -1


class FeedTitles:
    """Per feed: the summaries (by hash, up to ``LABEL_ITEMS``) that new items carried
    under each of its latest titles."""

    def __init__(self) -> None:
        # feed -> the hashes of its latest titles, the oldest first, and beside them what
        # it keeps of each (``_SAID`` bytes a title)
        self._feeds: dict[int, tuple[bytearray, bytearray]] = {}
        # feed -> the hashes of its ``KEPT_LABELS`` last seen labels, the least recent
        # first (only feeds that gave one)
        self._labels: dict[int, bytearray] = {}
        # The items last read, until they are read again: story and event assignment both
        # read a poll's items (``assign``), and it counts once. The second read is skipped
        # whatever the poll's size, up to ``KEYED_TITLES`` items: read again, the first
        # titles of a poll of more than ``KEPT_TITLES`` would come back counted afresh.
        self._read: list[tuple[int, str, str]] = []
        # title -> ``title_key`` of the titles last read: labels, events' ``FeedWords`` and
        # ``is_label`` (story and event assignment) all key the same few titles of a poll.
        self._keys: dict[str, bytes] = {}

    def read_ahead(self, items: Sequence[tuple[int, str, str]]) -> None:
        """Count a poll's new items (feed, title, summary) before any is assigned: a label
        is known from its first item. An item read again counts once."""
        if items and items == self._read:
            self._read = []  # read twice, as assigned: another read is another poll
            return
        self._read = list(items) if len(items) <= KEYED_TITLES else []
        feeds, labels = self._feeds, self._labels
        known, keys = self._keys, {}
        for feed_id, title, summary in items:
            kept = feeds.get(feed_id)
            if kept is None:
                kept = feeds[feed_id] = (bytearray(), bytearray())
            titles, said = kept
            key = known.get(title)
            if key is None:
                key = title_key(title)
            keys[title] = key
            this = packed(_spaced(compatible(summary)))
            at = find(titles, key)
            label = False
            if at < 0:
                said += _NEW + this * (LABEL_ITEMS - 1)
            else:
                start = at * _SAID
                record = said[start : start + _SAID]
                del titles[at * HASH : at * HASH + HASH], said[start : start + _SAID]
                count = record[0]
                if count < LABEL_ITEMS and this not in _summaries(record, count):
                    record[0] = count + 1
                    if count < LABEL_ITEMS - 1:
                        record[1 + count * HASH : 1 + (count + 1) * HASH] = this
                said += record
                label = record[0] >= LABEL_ITEMS
            titles += key
            if len(titles) > KEPT_TITLES * HASH:
                del titles[:HASH], said[:_SAID]
            if label or feed_id in labels:
                _seen(labels, feed_id, key, label)
        self._keys = keys if len(items) <= KEYED_TITLES else {}

    def key(self, title: str) -> bytes:
        """``title_key(title)``, kept from the last read for its titles."""
        key = self._keys.get(title)
        return title_key(title) if key is None else key

    def is_label(self, feed_id: int | None, title: str) -> bool:
        """Whether feed ``feed_id`` gives ``title`` to many of its items."""
        if feed_id is None:
            return False
        kept = self._feeds.get(feed_id)
        if kept is None:
            return False
        key = self.key(title)
        at = find(kept[0], key)
        if at >= 0 and kept[1][at * _SAID] >= LABEL_ITEMS:
            return True
        given = self._labels.get(feed_id)
        return given is not None and find(given, key) >= 0


def _seen(labels: dict[int, bytearray], feed_id: int, key: bytes, label: bool) -> None:
    """A title feed ``feed_id``'s new item carried (``key``): the feed's latest label when
    it is one (``label``) or was one (a label seen again after it left the latest titles);
    the least recent of more than ``KEPT_LABELS`` is forgotten."""
    given = labels.get(feed_id)
    if given is None:
        given = labels[feed_id] = bytearray()
    at = find(given, key)
    if at >= 0:
        del given[at * HASH : at * HASH + HASH]
    elif not label:
        return
    given += key
    if len(given) > KEPT_LABELS * HASH:
        del given[:HASH]


def _summaries(record: bytearray, count: int) -> list[bytearray]:
    """The hashes of the ``count`` summaries that a title's record holds."""
    return [record[1 + i * HASH : 1 + (i + 1) * HASH] for i in range(count)]
