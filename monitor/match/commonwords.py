"""One-word aliases that are also a month, a weekday or a common English word ("May" of
"Theresa May", "Cook" of "Tim Cook"), for ``check-config`` to warn about.

Written with a capital, such an alias still fires wherever the word is capitalised: a month
or a weekday anywhere ("due in May"), any word at the start of a sentence and throughout a
Title Case headline ("Flappy Bird May Return to App Stores"), and inside another name
("Cook Islands"). On the UCI headlines all 37 matches of the alias "May" were such. Only
the words themselves can tell: the words near a name say too little (a capitalised word
beside it is as often a title, "Governor Carney", or Title Case, "Snowden Says", as another
name), so matching is left as it is and the user is told.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.match.config import EntityConfig
from monitor.match.text import term_words

MONTHS = frozenset(
    (
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december",
    )
)  # fmt: skip
WEEKDAYS = frozenset(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
)  # fmt: skip
# Words of headlines that are also names of people in the news: verbs and function words
# that start sentences and fill Title Case headlines, and nouns that name places and things
# too ("Cook Islands", "Gates Foundation", "Park Avenue").
WORDS = frozenset(
    (
        "may", "will", "can", "might", "must", "shall", "well", "still", "even", "just", "long",
        "little", "young", "best", "rich", "sharp", "swift", "strong", "short", "close", "fair",
        "cook", "bush", "gates", "park", "musk", "brown", "white", "black", "green", "gray",
        "grey", "king", "hill", "wood", "woods", "price", "bell", "rose", "hunt", "fox",
        "banks", "cash", "ford", "page", "stone", "chase", "bird", "hope", "grace", "rice",
        "lord", "hall", "lane", "field", "cross", "love", "light", "day", "mark", "bill",
        "frank", "rush", "rock", "west", "north", "church", "ward", "wall", "power", "major",
        "miller", "baker", "cooper", "fisher", "hunter", "turner", "mason", "walker", "sterling",
    )
)  # fmt: skip

_KINDS = (("a month", MONTHS), ("a weekday", WEEKDAYS), ("an English word", WORDS))


def common_word_aliases(entities: Sequence[EntityConfig]) -> list[str]:
    """A warning for each one-word alias that is also a month, weekday or common word,
    naming the word and what to write instead. An acronym written in capitals ("WHO") is
    not one: it fires only so written."""
    found = []
    for i, entity in enumerate(entities):
        for j, alias in enumerate(entity.aliases):
            words = term_words(alias)
            if len(words) != 1 or (alias.isupper() and len(alias) > 1):
                continue
            word = words[0]
            kinds = [kind for kind, listed in _KINDS if word in listed]
            if not kinds:
                continue
            shown = word.title()
            dated = f'on "due in {shown}" and ' if word in MONTHS else ""
            dated = f'on "talks resume on {shown}" and ' if word in WEEKDAYS else dated
            name_words = term_words(entity.name)
            fires = f"; {entity.name!r} fires already" if word in name_words else ""
            found.append(
                f"entities[{i}].aliases[{j}]: {alias!r} (of {entity.name!r}) is also"
                f" {' and '.join(kinds)}: it fires {dated}wherever {shown!r} is capitalised"
                " (a sentence's first word, a Title Case headline, another name); drop it, or"
                f' write the forms the news uses with it instead (e.g. "Mr {shown}", "Ms'
                f' {shown}"){fires}'
            )
    return found
