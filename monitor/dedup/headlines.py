"""The parsed headlines of the story window: each entry's ``Headline.key`` as ids of its
tokens in a shared vocabulary ("^" marks a name: "^nato" is a token of its own), 2 bytes a
word while the vocabulary's ids fit them, else 4, and the postings of their words (word ->
the entries that hold it, ascending), which draw a new headline's candidates. The texts and
parsed headlines of the entries last drawn are kept beside them, a bounded few: a story in
the news is drawn again by each of its new copies. ``Window`` (window.py) owns one and
numbers the entries.
"""

from __future__ import annotations

import sys
from array import array
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from monitor.dedup import vocabulary
from monitor.dedup.headline import Headline, from_key
from monitor.dedup.vocabulary import Vocabulary

_T = TypeVar("_T")
# Texts and parsed headlines kept for the entries drawn last, under a MB: a story's copies
# come close together, so keeping more saves no CPU and only holds memory at the peak. On
# the ingest bench's first cycle (300 feeds), 1,024 texts answer 180,711 of 192,799 reads
# (4,096: 182,093) and 256 headlines 6,155 of 10,376 (1,024: 6,355).
_TEXTS_KEPT = 1_024
_HEADLINES_KEPT = 256
# Loaded entries whose words are posted at once: the per-word work of posting (a slice and
# an append a word) is done once for this many rows, not for each of the store's batches.
_POST_EVERY = 131_072
# Added entries left waiting, at most: a window built by adds alone (no find between) is
# posted in batches this small, so that numpy's arrays for a batch stay small too (the heap
# it leaves at a million headlines is the size of the window's own, not more).
_ADDED_WAITING = 1024
# Entries waiting that are posted one by one in Python: numpy's fixed costs are most of the
# work of posting a few.
_POST_ONE_BY_ONE = 16
# Token ids take 2 bytes each while the vocabulary has ids that fit (a window of 50,000 real
# headlines has about 20,000 tokens; one of several hundred thousand outgrows them), 4 once
# it outgrows them.
_NARROW = 1 << 16


def _np(values: array[int], dtype: type[np.generic]) -> npt.NDArray[Any]:
    """A view of ``values`` (no copy; it must not outlive a change of their length)."""
    return np.frombuffer(values, dtype=dtype)


def _id_array(tokens: int) -> array[int]:
    """An empty array for the token ids of a vocabulary of ``tokens`` tokens."""
    return array("H" if tokens <= _NARROW else "I")


def _id_dtype(ids: array[int]) -> type[np.unsignedinteger[Any]]:
    return np.uint16 if ids.typecode == "H" else np.uint32


class _Recent(Generic[_T]):
    """The last ``size`` values kept, by entry."""

    def __init__(self, size: int) -> None:
        self._kept: OrderedDict[int, _T] = OrderedDict()
        self.size = size

    def get(self, entry: int) -> _T | None:
        return self._kept.get(entry)

    def clear(self) -> None:
        self._kept.clear()

    def keep(self, entry: int, value: _T) -> _T:
        kept = self._kept
        if len(kept) >= self.size:
            kept.popitem(last=False)
        kept[entry] = value
        return value


class Headlines:
    """The window's parsed headlines, entry 0 on, and the postings of their words."""

    def __init__(self) -> None:
        self._vocab = Vocabulary()
        self._ids = _id_array(0)
        # Where each entry's ids start in _ids, and after the last the end of _ids: an
        # entry's ids end where the next one's start, and its length is the difference.
        self._start = array("I", [0])
        self._postings: defaultdict[str, array[int]] = defaultdict(lambda: array("I"))
        self._posted = 0  # entries whose words are in the postings (``load`` defers them)
        self._texts: _Recent[str] = _Recent(_TEXTS_KEPT)
        self._headlines: _Recent[Headline] = _Recent(_HEADLINES_KEPT)

    def __len__(self) -> int:
        return len(self._start) - 1

    @property
    def postings(self) -> defaultdict[str, array[int]]:
        """Word -> the entries that hold it, ascending."""
        if self._posted < len(self):
            self._post()
        return self._postings

    def add(self, headline: Headline, like: int = -1, key: str = "") -> str:
        """Store the next entry's headline; its key. ``like``: an entry whose headline has
        the same key (``key``, when known), whose token ids are copied rather than looked
        up (a wire copy of a headline the window holds)."""
        if like >= 0:
            ids: Sequence[int] = self._token_ids(like)
            key = key or self.key(like)
        else:
            # Its words as the tokens (a name's as "^" and its word): the vocabulary keeps the
            # strings ``parse`` shares, not copies split from the key.
            words, names = headline.words, headline.names
            if names:
                tokens: Sequence[str] = ["^" + w if w in names else w for w in words]
                key = " ".join(tokens)
            else:
                tokens, key = words, headline.text
            ids = list(map(self._vocab.__getitem__, tokens))
            if len(self._vocab.tokens) > _NARROW:
                self._widen()
        self._ids.extend(ids)
        self._start.append(len(self._ids))
        # Its words are posted when the postings are next read: a wire copy joins its story
        # by its words alone (``Window.same_words``), and a run of them is posted at once.
        if len(self) - self._posted >= _ADDED_WAITING:
            self._post()
        return key

    def all_common(self, words: Iterable[str], cap: int) -> bool:
        """Whether each of ``words`` that the window holds is in more than ``cap`` of its
        headlines. Asked of the postings as they are when that settles it (an entry not yet
        posted can only add to a word's count), else after posting the rest."""
        postings, waiting = self._postings, len(self) - self._posted
        for word in set(words):
            posting = postings.get(word)
            held = 0 if posting is None else len(posting)
            if held > cap:
                continue
            if waiting and (held + waiting > cap or not held):
                return self._all_common_posted(words, cap)  # entries waiting may change it
            if held:
                return False
        return True

    def _all_common_posted(self, words: Iterable[str], cap: int) -> bool:
        postings = self.postings
        return all(len(postings[w]) > cap for w in set(words) if w in postings)

    def load(self, keys: Sequence[str]) -> npt.NDArray[np.uint64]:
        """``add`` for the keys of many entries at once (``vocabulary.index_keys``); the sum
        of each one's word hashes (``Indexed.word_sums``). Their words are posted once
        ``_POST_EVERY`` entries wait, or when the postings are next read."""
        indexed = vocabulary.index_keys(keys, self._vocab)
        if len(self._vocab.tokens) > _NARROW:
            self._widen()
        ends = np.cumsum(indexed.per_key) + len(self._ids)
        self._start.frombytes(ends.astype(np.uint32).tobytes())
        self._ids.frombytes(indexed.ids.astype(_id_dtype(self._ids)).tobytes())
        if len(self) - self._posted >= _POST_EVERY:
            self._post()
        return indexed.word_sums

    def _widen(self) -> None:
        """Token ids of 4 bytes from now on: the vocabulary has outgrown 2."""
        if self._ids.typecode == "H":
            self._ids = array("I", self._ids)

    def _post(self) -> None:
        """Post the words of the entries added or loaded since the last time."""
        begin, end = self._posted, len(self)
        if end - begin <= _POST_ONE_BY_ONE:
            postings, words, start, all_ids = (
                self._postings,
                self._vocab.words,
                self._start,
                self._ids,
            )
            for entry in range(begin, end):
                # The words as the vocabulary's strings: a new word's posting is keyed by
                # the one the vocabulary keeps, not by a copy of its own.
                tokens = all_ids[start[entry] : start[entry + 1]]
                for word in set(map(words.__getitem__, tokens)):
                    postings[word].append(entry)
            self._posted = end
            return
        starts = _np(self._start, np.uint32)[begin : end + 1].astype(np.int64)
        ids = _np(self._ids, _id_dtype(self._ids))[int(starts[0]) :]
        per_key = np.diff(starts)
        vocabulary.post(self._postings, ids, per_key, begin, self._vocab.words)
        del ids  # the view: _ids grows again with the next add
        self._posted = end

    def _token_ids(self, entry: int) -> array[int]:
        return self._ids[self._start[entry] : self._start[entry + 1]]

    def key(self, entry: int) -> str:
        """The entry's ``Headline.key``."""
        return " ".join(map(self._vocab.tokens.__getitem__, self._token_ids(entry)))

    def words(self, entry: int) -> list[str]:
        """The entry's words, in order."""
        return list(map(self._vocab.words.__getitem__, self._token_ids(entry)))

    def sorted_text(self, entry: int) -> str:
        """The entry's words in sorted order, joined by spaces: what the token ratios
        compare (they sort the words themselves; sorted once here, they need not)."""
        return self._texts.get(entry) or self._texts.keep(
            entry, " ".join(sorted(map(self._vocab.words.__getitem__, self._token_ids(entry))))
        )

    def sorted_texts(self, entries: list[int]) -> list[str]:
        """``sorted_text`` of each entry, in one loop: about half a find's candidates are not
        kept, and a call each to make those was a fifth of the cost."""
        texts = self._texts
        kept, keep = texts.get, texts.keep
        words, ids, start = self._vocab.words, self._ids, self._start
        out = []
        for e in entries:
            text = kept(e)
            if not text:
                tokens = ids[start[e] : start[e + 1]]
                text = keep(e, " ".join(sorted(map(words.__getitem__, tokens))))
            out.append(text)
        return out

    def headline(self, entry: int) -> Headline:
        return self._headlines.get(entry) or self._headlines.keep(entry, from_key(self.key(entry)))

    @property
    def starts(self) -> array[int]:
        """Where each entry's token ids start, and after the last entry's the end: an
        entry's length is the next one's start less its own (read, not changed)."""
        return self._start

    def length(self, entry: int) -> int:
        """How many words the entry's headline has."""
        return self._start[entry + 1] - self._start[entry]

    def lengths_of(self, entries: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
        """How many words each entry's headline has."""
        starts = _np(self._start, np.uint32)
        lengths: npt.NDArray[np.int64] = starts[entries + 1].astype(np.int64) - starts[entries]
        return lengths

    def compact(self, alive: npt.NDArray[np.bool_], remap: npt.NDArray[np.int64]) -> None:
        """Keep the ``alive`` entries only, entry ``e`` renumbered ``remap[e]``."""
        postings = self.postings  # every entry posted, before the vocabulary changes
        starts = _np(self._start, np.uint32).astype(np.int64)
        lengths = starts[1:] - starts[:-1]
        ids = _np(self._ids, _id_dtype(self._ids))[np.repeat(alive, lengths)]
        live_lengths = lengths[alive]
        # The vocabulary keeps only the tokens of live entries, renumbered.
        used = np.unique(ids)
        renumber = np.zeros(len(self._vocab.tokens), dtype=np.uint32)
        renumber[used] = np.arange(len(used), dtype=np.uint32)
        self._vocab = Vocabulary(map(self._vocab.tokens.__getitem__, used.tolist()))
        self._start = array("I", [0])
        self._start.frombytes(np.cumsum(live_lengths).astype(np.uint32).tobytes())
        self._ids = _id_array(len(used))
        self._ids.frombytes(renumber[ids].astype(_id_dtype(self._ids)).tobytes())
        for word in list(postings):
            kept = remap[_np(postings[word], np.uint32)]
            kept = kept[kept >= 0]
            if len(kept):
                postings[word] = array("I", kept.astype(np.uint32).tobytes())
            else:
                del postings[word]
        self._posted = len(self)
        self._texts.clear()  # entries were renumbered
        self._headlines.clear()

    def memory_bytes(self) -> int:
        size = sum(a.itemsize * len(a) for a in (self._start, self._ids))
        vocab = self._vocab
        size += sum(map(sys.getsizeof, (vocab, vocab.tokens, vocab.words)))
        size += sum(sys.getsizeof(t) + 28 for t in vocab.tokens)  # its str and id
        names = zip(vocab.words, vocab.tokens, strict=True)
        size += sum(sys.getsizeof(w) for w, t in names if w is not t)  # a name's word
        postings = self.postings
        return (
            size
            + sys.getsizeof(postings)
            + sum(sys.getsizeof(w) + sys.getsizeof(p) for w, p in postings.items())
        )
