"""Replies kept apart from what they answer: "Zelensky rejects Putin's Moscow invitation" shares
its words with "Putin invites Zelensky to Moscow for talks" and scores near 90 against it, but
it is news of its own (the rejection), not another outlet's copy of the invitation.

A headline that reports a response (a verb of stance or reply: rejects, denies, condemns,
welcomes, responds ...) is not one story with a headline that reports no such
response, nor with one reporting a response of another kind ("accepts" / "rejects"). Verbs of
one kind count as one: outlets word one reply differently ("rejects" / "rebuffs" / "spurns"),
and every form of a verb is the same word once folded and stemmed ("rejects", "rejected",
"rejection"). That the two may be one happening is for the events layer (``monitor.events``).

The rule is asked only of a pair that scores as one story (``StoryIndex.find``,
``score.verdict``): most pairs never reach it, and those that do are decided by two set
lookups unless a reply verb is in one of them. Pure, no state.

It reads the stems of the content words (``Headline.words``, all the story window keeps of
a headline), so it cannot tell a verb from a noun or adjective of the same stem: "respondents"
is "responds" to it, "dismissive" is "dismisses". A name's word is skipped ("Denys", "Denis"
stem as "denies" do) where the headline marks names (``Headline.names``: sentence case) and
the other headline lacks it.
Two-word replies ("hits back", "fires back") are not in it: after stop words and punctuation
are gone, "Israel hits back at Hamas" cannot be told from "Storm hits, back to school
delayed" or "Inflation hits back-to-school spending".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from monitor.dedup.headline import Headline, content_words

# The English reply and stance verbs, by kind, each in its usual forms (stemmed below, so a
# form whose stem another form has already is listed for the reader, not the code). Left out
# on purpose, for they mostly mean something else in a headline: "blast" (an explosion),
# "response" ("recall response"), "criticizes" (its stem is "critic", a noun), "backs",
# "defends" ("defending champion"). "turns down", "rules out", "hits out" and "hits back" are
# not here: "down" and "out" are stop words, "turns" / "rules" / "hits" alone say nothing, and
# "back" after one of them may be a word of the next clause (see above). Measured
# on the STS pairs and the UCI stream (``bench/dedup_quality.py``): some wire copies part too,
# where one outlet's verb has another sense ("typhoon slams Philippines", "parliament
# dismisses PM", "regulators dismissed complaints") or another outlet words the reply without
# a verb ("Allen responds to" / "defends self against" Farrow's claims).
_KINDS: dict[str, tuple[str, ...]] = {
    "refusal": (
        "reject", "rejects", "rejected", "rejecting", "rejection",
        "deny", "denies", "denied", "denying", "denial",
        "dismiss", "dismisses", "dismissed", "dismissing",
        "refuse", "refuses", "refused", "refusing", "refusal",
        "rebuff", "rebuffs", "rebuffed", "rebuffing",
        "snub", "snubs", "snubbed", "snubbing",
        "spurn", "spurns", "spurned", "spurning",
        "refute", "refutes", "refuted", "refuting",
        "scoff", "scoffs", "scoffed", "scoffing",
    ),
    "condemnation": (
        "condemn", "condemns", "condemned", "condemning", "condemnation",
        "slam", "slams", "slammed", "slamming",
        "denounce", "denounces", "denounced", "denouncing",
        "rebuke", "rebukes", "rebuked", "rebuking",
    ),
    "approval": (
        "welcome", "welcomes", "welcomed", "welcoming",
        "accept", "accepts", "accepted", "accepting", "acceptance",
        "hail", "hails", "hailed", "hailing",
        "praise", "praises", "praised", "praising",
    ),
    "reply": (
        "respond", "responds", "responded", "responding",
        "reply", "replies", "replied", "replying",
        "retort", "retorts", "retorted",
    ),
}  # fmt: skip
# Set phrases where a reply verb is no reply: a tennis "grand slam", a "slam dunk".
_IDIOMS = (("grand", "slam"), ("slam", "dunk"))
_TOKEN = re.compile(r"\w+")


def _stems(forms: Iterable[str]) -> frozenset[str]:
    """The stems of ``forms`` as headlines are compared (``Headline.words``)."""
    return frozenset(stem for form in forms for stem in content_words(form))


_KIND_OF: dict[str, str] = {s: kind for kind, forms in _KINDS.items() for s in _stems(forms)}
_IDIOM_STEMS: frozenset[tuple[str, ...]] = frozenset(
    tuple(w for word in idiom for w in content_words(word)) for idiom in _IDIOMS
)
# Every word that can make a headline a reply: the first test of most pairs.
_ANY: frozenset[str] = frozenset(_KIND_OF)


def may_reply(words: Iterable[str]) -> bool:
    """Whether a headline of these words (stems) can report a reply: false for most, and
    then ``apart`` is false against any headline that cannot either, whatever the order of
    either's words (``kinds`` reads the order, for set phrases)."""
    return not _ANY.isdisjoint(words)


def kinds(headline: Headline, other: Collection[str] = ()) -> dict[str, str]:
    """The kinds of reply ``headline`` reports, each with the first of its words (a stem) that
    says it; empty for most headlines. A name's word says none ("Denys Shmyhal" is no
    "denies"), unless ``other`` (the words of the headline it is compared with) has it too:
    then it is the same word in both, whatever each marks as names (a headline in Title Case
    with one word in lower case reads as sentence case: "Pakistan Dismisses Case against FBI
    Agent (blog)" marks "Dismisses" a name)."""
    words = headline.words
    if _ANY.isdisjoint(words):
        return {}
    found: dict[str, str] = {}
    names = headline.names
    for at, word in enumerate(words):
        kind = _KIND_OF.get(word)
        if kind is None or kind in found or (word in names and word not in other):
            continue
        if words[at - 1 : at + 1] in _IDIOM_STEMS or words[at : at + 2] in _IDIOM_STEMS:
            continue
        found[kind] = word
    return found


@dataclass(frozen=True, slots=True)
class Apart:
    """Why two headlines are two stories though they score as one: the reply words (stems)
    that one of them has and the other lacks, each side's (empty: none). False: not apart."""

    first: tuple[str, ...]
    second: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.first or self.second)


NOT_APART = Apart((), ())  # most pairs


def apart(a: Headline, b: Headline) -> Apart:
    """What keeps ``a`` and ``b`` apart: a kind of reply one reports and the other does not
    (false when there is none: the common case, two set lookups)."""
    if _ANY.isdisjoint(a.words) and _ANY.isdisjoint(b.words):
        return NOT_APART
    ka, kb = kinds(a, b.words), kinds(b, a.words)
    if ka.keys() == kb.keys():
        return NOT_APART
    return Apart(
        tuple(w for k, w in ka.items() if k not in kb),
        tuple(w for k, w in kb.items() if k not in ka),
    )


def words_in(title: str, stems: tuple[str, ...]) -> tuple[str, ...]:
    """The words of ``title`` as written that ``stems`` (an ``Apart`` side) came from, to
    show the user ("rejects")."""
    raw = _TOKEN.findall(title)
    stemmed = [content_words(word) for word in raw]
    out = []
    for stem in stems:
        for at, words in enumerate(stemmed):
            if stem in words:
                out.append(raw[at])
                break
    return tuple(out)
