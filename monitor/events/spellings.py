"""A name written two ways, as one in events' words: "Mt. Gox" and "MtGox", "e-Bay" and "eBay".

Headlines parse "Mt. Gox" into two words ("mt", "gox") and "MtGox" into one ("mtgox"): two
reports of one happening, one spelling each, then share no word of its name, and in a busy
poll each starts an event of its own (two urgent "new" alerts). ``Spellings`` learns,
from the headlines events read, the names written as a short word and the next one (a prefix
of at most ``SHORT`` letters: "Mt.", "St.", "e-"); an item's words are then read with such a
joined word as its two parts, and the two parts with the joined word when an event of the
window holds it (it came before the parts were seen): either order of the spellings makes
one event. A joined word that no headline writes in two parts ("iphone", "mcdonald") is
left as it is: a camelCase name is not split by rule ("McDonald's" is not "Donald").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

SHORT = 2  # letters of the first part: an abbreviation or a prefix ("mt", "st", "e");
# the second is longer ("gox", "bay"): "Plan B" and "US" are not "bus"
KEPT = 20_000  # joined spellings kept, the oldest forgotten first


class Spellings:
    """The names the window's headlines write as two words, by their joined spelling."""

    def __init__(self) -> None:
        # "mtgox" -> 2: where its parts ("mt", "gox") meet (an int: no tuple of strings kept)
        self._pairs: dict[str, int] = {}
        # The joined spellings an event held when their pair was learnt ("mtgox" came
        # first), and their first parts: once a pair is known, its joined spelling is read
        # as the parts, so no event comes to hold one later.
        self._held: set[str] = set()
        self._firsts: set[str] = set()

    def __len__(self) -> int:
        return len(self._pairs)

    def learn(self, words: Sequence[str], held: Callable[[str], int]) -> None:
        """Note the short-word pairs of a headline's words ("mt", "gox"); ``held``: the
        items of the window's events that hold a word."""
        if len(words) < 2 or min(map(len, words)) > SHORT:
            return  # most headlines: no word short enough
        pairs = self._pairs
        for at in range(len(words) - 1):
            first = words[at]
            if len(first) <= SHORT and first.isalpha():
                second = words[at + 1]
                if second.isalpha() and len(second) > SHORT:
                    joined = first + second
                    if joined not in pairs:
                        pairs[joined] = len(first)
                        if held(joined):
                            self._held.add(joined)
                            self._firsts.add(first)
                        if len(pairs) > KEPT:
                            del pairs[next(iter(pairs))]

    def fold(
        self, words: tuple[str, ...], names: Iterable[str]
    ) -> tuple[tuple[str, ...], frozenset[str]] | None:
        """``words`` (and their ``names``) with each learnt joined spelling as its two parts,
        and each learnt pair whose joined spelling an event held followed by it; None when
        nothing changes (most items)."""
        pairs = self._pairs
        firsts = self._firsts
        # most items: no joined spelling, no first part of a held one (sets' C loops)
        if pairs.keys().isdisjoint(words) and (not firsts or firsts.isdisjoint(words)):
            return None
        held = self._held
        out: list[str] = []
        named = set(names)
        last = len(words) - 1
        for at, word in enumerate(words):
            cut = pairs.get(word)
            if cut is not None:
                parts = (word[:cut], word[cut:])
                out.extend(parts)
                if word in named:
                    named.update(parts)
                continue
            out.append(word)
            if word in firsts and at < last:
                joined = word + words[at + 1]
                if joined in held:
                    out.append(joined)
                    if words[at + 1] in named:
                        named.add(joined)
        if len(out) == len(words):
            return None
        return tuple(out), frozenset(named)
