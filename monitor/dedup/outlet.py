"""Wire tags, outlet names and credits taken off a headline, by general rules, not a list
of outlets: a trailing " - X" / " | X" segment of at most four words, a leading "X - " of at
most three, a leading ALL-CAPS tag before a dash or colon ("UPDATE 2-", "EXCLUSIVE:",
"GLOBAL MARKETS-"), a parenthesised one- or two-word credit ("(AP)"). Each is removed only
when enough of the headline remains. Pure: no I/O.

Story matching reads ``strip_outlet``: copies of one story carry their outlets' names
("Kremlin says ... - Reuters", "BBC News - Kremlin says ..."), which must not keep them
apart; a segment of news cut there as well costs matching little. An alert shows
``shown_headline``: it cuts a segment only when it is an outlet's name (the feed's, the
item's ``<source>``, or a name by its shape), so that "Zelensky says summit possible - but
not in Moscow" is shown whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from monitor.normalize import cut_at_word

# A leading tag in capitals before a dash or colon, with an optional count:
# "UPDATE 2-", "EXCLUSIVE:", "GLOBAL MARKETS-", "WRAPUP 1-", "RPT-".
_LEAD_TAG = re.compile(r"^\s*(?:[A-Z][A-Z&'.]+ ){0,2}[A-Z][A-Z&'.]+(?: \d+)?\s*[-:–—|]\s*")
_LEAD_TIME = re.compile(r"^\s*\d{1,2}[:.]\d{2}\s+")  # "13:23 PSNI failed ..." (live pages)
# An outlet segment: " - Reuters", " | RT", " – BBC News" at the end (at most 4 words) ...
# Possessive quantifiers (++, *+): a long word must never be split many ways when a pattern
# fails; with plain + an 800-character hostile title backtracked for minutes on the loop.
_TAIL = re.compile(r"\s+[-|–—]\s+(?:[\w.&'’]++\s*+){1,4}$")
# ... or at the start ("BBC News - "), at most 3 words.
_HEAD = re.compile(r"^(?:[\w.&'’]++\s++){1,3}[-|–—]\s+")
_PAREN = re.compile(r"\s*\((?:[\w.&'’]++\s*+){1,2}\)\s*")  # "(AP)", "(Reuters)" at either end
MAX_TITLE = 500  # characters of a headline that dedup reads; real headlines are far shorter


def strip_outlet(title: str) -> str:
    """The headline without wire tags, outlet names and credits around it."""
    text = _untagged(title[:MAX_TITLE].strip())
    has_separator = _has_separator(text)
    for pattern, present in ((_TAIL, has_separator), (_PAREN, "(" in text)):
        if present:
            stripped = pattern.sub(" ", text).strip()
            if len(stripped.split()) >= 3:
                text = stripped
    head = _HEAD.match(text) if has_separator else None
    if head and len(text[head.end() :].split()) >= 4:
        text = text[head.end() :]
    return text


def _untagged(text: str) -> str:
    """``text`` without a leading time and up to two leading wire tags ("UPDATE 2-")."""
    # Cheap tests before each pattern: most headlines have none of these, and the patterns
    # backtrack (a window of a million headlines is rebuilt at start).
    if text[:1].isdigit():
        text = _LEAD_TIME.sub("", text)
    for _ in range(2):
        match = _LEAD_TAG.match(text) if text[:2].isupper() else None
        # A tag only when what follows is not in capitals too ("NATO - ..." in a shouted title).
        if match and len(text[match.end() :].split()) >= 3 and not text[match.end() :].isupper():
            text = text[match.end() :]
    return text


def _has_separator(text: str) -> bool:
    # The separators of an outlet segment, each tested in turn: a loop over a tuple of them
    # costs twice as much, and every headline is asked.
    return (
        " - " in text or " | " in text or " – " in text or " — " in text
        or " -\t" in text or " |\t" in text
    )  # fmt: skip


def keeps_whole(title: str) -> bool:
    """Whether ``strip_outlet`` gives ``title`` back whole (but for the whitespace around it):
    none of its patterns can match (no leading time or tag, no separator, no parenthesis),
    which is most headlines; asking costs a fraction of stripping. False may also mean that
    it does keep it whole."""
    if len(title) > MAX_TITLE:
        return False
    text = title.strip()
    return not (text[:1].isdigit() or text[:2].isupper() or "(" in text or _has_separator(text))


# Lower-case words a name may hold ("Voice of America", "The Times of India", "Le Monde et
# Moi"): function words that join a name's parts, never a verb ("says", "react").
_NAME_JOINERS = frozenset(
    ("of", "the", "and", "for", "de", "la", "le", "du", "des", "der", "die", "von", "y", "e",
     "di", "da", "do", "del", "et", "&")
)  # fmt: skip
_NAME_WORD = re.compile(r"[\w.&'’]+")
# Outlets whose name a headline carries whoever serves it (an aggregator, a portal): known
# without the item naming them, so that a name of one word ("- Reuters") is cut while one
# word of news ("– Kremlin", "- Trump") is not (review19f).
KNOWN_OUTLETS = (
    "Reuters", "AP", "Associated Press", "AFP", "Agence France-Presse", "Bloomberg", "Xinhua",
    "TASS", "Interfax", "RIA Novosti", "Ukrinform", "Yonhap", "Kyodo", "ANSA", "EFE", "dpa",
    "PTI", "ANI", "IANS", "BBC", "CNN", "CNBC", "NPR", "PBS", "ABC News", "CBS News",
    "NBC News", "Fox News", "Sky News", "Al Jazeera", "RT", "DW", "France 24", "euronews",
    "The New York Times", "The Washington Post", "The Wall Street Journal", "WSJ", "The Guardian",
    "The Times", "The Telegraph", "The Independent", "Financial Times", "FT", "The Economist",
    "Politico", "Axios", "Forbes", "Fortune", "Newsweek", "Time", "USA Today", "Los Angeles Times",
    "Yahoo News", "MSN", "Business Insider", "Insider", "The Hill", "Variety", "Deadline",
    "TechCrunch", "The Verge", "Engadget", "Wired", "Ars Technica", "Mashable", "Gizmodo",
    "Kyiv Independent", "Kyiv Post", "Ukrainska Pravda", "Meduza", "The Moscow Times",
    "Le Monde", "Le Figaro", "Der Spiegel", "Spiegel", "Die Zeit", "El País", "Corriere della Sera",
)  # fmt: skip


def shown_headline(title: str, names: Iterable[str | None] = ()) -> str:
    """The headline an alert shows: wire tags and credits off as ``strip_outlet`` takes
    them, but a " - X" tail only when X is an outlet's name (one of ``names``: the feed's,
    the item's ``<source>``; or a short name by its shape, ``looks_like_name``) and an
    "X - " head only when X is one of ``names``: "Putin - Zelensky summit ..." keeps
    "Putin". "" when nothing is left (the caller shows the title). A headline longer than
    ``MAX_TITLE`` is cut where a word ends and says so ("…"; explore14: mid-word before)."""
    if len(title) > MAX_TITLE:
        text = _shown_headline(cut_at_word(title, MAX_TITLE - 1).strip(), names)
        return text + "…" if text else ""
    return _shown_headline(title.strip(), names)


def _shown_headline(text: str, names: Iterable[str | None]) -> str:
    if keeps_whole(text):
        return text
    text = _untagged(text)
    if not _has_separator(text):
        return _PAREN.sub(" ", text).strip() if "(" in text else text
    known = [_name_words(n) for n in names if n and n.strip()] + _KNOWN
    tail = _TAIL.search(text)
    if tail:
        rest = text[: tail.start()].strip()
        segment = tail.group().strip().lstrip("-|–—").strip()
        if len(rest.split()) >= 3 and (_is_known(segment, known) or looks_like_name(segment, rest)):
            text = rest
    if "(" in text:
        stripped = _PAREN.sub(" ", text).strip()
        if len(stripped.split()) >= 3:
            text = stripped
    head = _HEAD.match(text) if _has_separator(text) else None
    if head and len(text[head.end() :].split()) >= 4:
        segment = text[: head.end()].strip().rstrip("-|–—").strip()
        if _is_known(segment, known):
            text = text[head.end() :]
    return text


def looks_like_name(segment: str, rest: str = "") -> bool:
    """Whether a headline's segment reads as a name: two to four words, each capitalised
    (or a digit, or a joining word such as "of"): "BBC News", "The Kyiv Independent"; or one
    word that no news is (a site's address, "news.com.au"; a brand in lower case,
    "euronews"; a script without capitals, "新华网"). Not news ("but not in Moscow", "Peskov
    says door open"), nor one capitalised word ("– Kremlin", "- Trump": who said it; an
    outlet's name of one word is known by the item or ``KNOWN_OUTLETS``). Not in a headline
    written in title case itself (``rest``): there the shape tells nothing."""
    words = _NAME_WORD.findall(segment)
    if len(words) == 1:
        word = words[0]
        caseless = word.lower() == word.upper() and not word.isdigit()
        return "." in word.strip(".") or word.islower() or caseless
    if not _shaped(words):
        return False
    others = [w for w in _NAME_WORD.findall(rest) if w[:1].isalpha()]
    return len(others) < 4 or any(w[:1].islower() and w not in _NAME_JOINERS for w in others)


def _shaped(words: list[str]) -> bool:
    """Whether ``words`` are two to four, each capitalised, a digit or a joining word, the
    first not a joining word."""
    if not 2 <= len(words) <= 4:
        return False
    if not all(w[:1].isupper() or w[:1].isdigit() or w in _NAME_JOINERS for w in words):
        return False
    return bool(words[0][:1].isupper() or words[0][:1].isdigit())


def _name_words(name: str) -> tuple[frozenset[str], str]:
    """A name's words (folded), and its letters run together ("aljazeera")."""
    words = [w.casefold() for w in _NAME_WORD.findall(name)]
    return frozenset(words), "".join(words)


def _is_known(segment: str, known: list[tuple[frozenset[str], str]]) -> bool:
    """Whether ``segment`` names one of the outlets ``known``: the same words, or the one's
    words all among the other's ("BBC" and "BBC News - World": the segment then shaped as a
    name, so that a feed named "Ukraine" does not cut "Ukraine says no"), or the same letters
    ("Al Jazeera" and a site's "aljazeera")."""
    words, joined = _name_words(segment)
    if not words:
        return False
    shaped = _shaped(_NAME_WORD.findall(segment))
    return any(
        name and (words <= name or (shaped and name <= words) or joined == letters)
        for name, letters in known
    )


_KNOWN = [_name_words(name) for name in KNOWN_OUTLETS]
