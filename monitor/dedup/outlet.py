"""Wire tags, outlet names and credits taken off a headline, by general rules, not a list
of outlets: a trailing " - X" / " | X" segment of at most four words, a leading "X - " of at
most three, a leading ALL-CAPS tag before a dash or colon ("UPDATE 2-", "EXCLUSIVE:",
"GLOBAL MARKETS-"), a parenthesised one- or two-word credit ("(AP)"). Each is removed only
when enough of the headline remains. Pure: no I/O.
"""

from __future__ import annotations

import re

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
    # Cheap tests before each pattern: most headlines have none of these, and the patterns
    # backtrack (a window of a million headlines is rebuilt at start).
    text = title[:MAX_TITLE].strip()
    if text[:1].isdigit():
        text = _LEAD_TIME.sub("", text)
    for _ in range(2):
        match = _LEAD_TAG.match(text) if text[:2].isupper() else None
        # A tag only when what follows is not in capitals too ("NATO - ..." in a shouted title).
        if match and len(text[match.end() :].split()) >= 3 and not text[match.end() :].isupper():
            text = text[match.end() :]
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
