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
    """A warning for each one-word name or alias that is also a month, weekday or common
    word, naming the word and where it fires. A month or a weekday is advised against (it
    fires on every date); a common word only to check (most such names are tracked well: on
    the UCI headlines "Musk", "Gates" and "Bush" fired only on their people). An acronym
    written in capitals ("WHO") is not one: it fires only so written."""
    found = []
    for i, entity in enumerate(entities):
        spellings = [(f"entities[{i}].name", entity.name, "")]
        spellings += [
            (f"entities[{i}].aliases[{j}]", alias, f" (of {entity.name!r})")
            for j, alias in enumerate(entity.aliases)
        ]
        for where, spelling, of in spellings:
            words = term_words(spelling)
            if len(words) != 1 or (spelling.isupper() and len(spelling) > 1):
                continue
            word = words[0]
            kinds = [kind for kind, listed in _KINDS if word in listed]
            if kinds:
                found.append(f"{where}: {spelling!r}{of} is also {' and '.join(kinds)}: "
                             + _advice(entity, spelling, word))  # fmt: skip
    return found


def _advice(entity: EntityConfig, spelling: str, word: str) -> str:
    """Where a one-word spelling that is a common word fires, and what to do about it."""
    shown = word.title()
    if spelling == spelling.lower():
        fires = f"written in lower case, it fires on every {word!r} in any case"
    else:
        dated = f'on "due in {shown}" and ' if word in MONTHS else ""
        dated = f'on "talks resume on {shown}" and ' if word in WEEKDAYS else dated
        fires = (
            f"it fires {dated}wherever {shown!r} is capitalised (a sentence's first word,"
            " a Title Case headline, another name)"
        )
    name_words = term_words(entity.name)
    forms = (
        f' (e.g. "Mr {shown}", "Ms {shown}")'
        if len(name_words) > 1 and name_words[-1] == word
        else ""
    )
    if word in MONTHS or word in WEEKDAYS:
        advice = f"drop it, or write the forms the news uses with it instead{forms}"
    else:
        advice = (
            "check what it fires on with `monitor test-rules --since 7d`, and if it fires"
            f" on the word, write the forms the news uses with it instead{forms}"
        )
    already = (
        f"; {entity.name!r} fires already" if word in name_words and len(name_words) > 1 else ""
    )
    return f"{fires}; {advice}{already}"
