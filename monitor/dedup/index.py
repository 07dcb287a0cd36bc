"""Which story a new headline belongs to, without scanning the window (window.py keeps it).

Same GUID or canonical URL joins at once; so does a headline made of the same words as one
of the window, in any order (it scores 100). Otherwise candidates come from an inverted index
of the headline's words. The rarest words (in at most ``max_postings`` headlines of the
window) draw candidates; a commoner word draws none alone (thousands of headlines hold it),
but the common words of a headline are intersected with each other and with the entries the
rare ones drew (``postings.shared_by``): two headlines sharing only common words can still
score as one story. A pair of common words found together in more than ``max_postings``
headlines (a template: "Feed 3 update 17") draws none either (candidates.py). Entries
sharing at least ``min_shared`` words are ranked by the weight of what they share (a rare
word weighs more than a common one), a story is judged on its ``PER_STORY`` best, and the first
``_PREFILTER_LIMIT`` get a bound on their score in C; those whose bound reaches the
threshold are scored, best bound first, until no bound left can beat the best score (at
most ``max_candidates``). A candidate's story is joined when the headline scores
``threshold`` against that candidate and ``first_threshold`` against the story's first
headline in the window: single link alone lets a story drift one edit at a time
("Titanfall launches" -> "Titanfall launch hit by Xbox Live outage" -> "Xbox Live outage").
Neither joins when one of the two reports a reply the other does not (``reply.apart``:
"Zelensky rejects Putin's invitation" is not a copy of "Putin invites Zelensky"), asked only
of a pair whose score joins it.

A story with no new item for ``quiet`` is closed: a similar headline starts a new story,
the same GUID or URL still joins it. Its last-seen time is kept at its first entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

from monitor.dedup import bulkload, eviction
from monitor.dedup.bound import SLACK, Floor, by_bound
from monitor.dedup.candidates import PER_STORY, candidates
from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import Headline, from_key, parse, parse_in
from monitor.dedup.keytable import MIN_SHARED_GUID, shared_guid
from monitor.dedup.labels import FeedTitles
from monitor.dedup.languages import headline_language
from monitor.dedup.reply import apart, may_reply
from monitor.dedup.score import less_penalties, score_headlines
from monitor.dedup.titles import RecentTitles
from monitor.dedup.window import Window, seconds, sorted_words

__all__ = ["MIN_SHARED_GUID", "PER_STORY", "StoryIndex", "StoryMatch", "shared_guid"]

# title, headline, sorted words, entry, key, language (``StoryIndex._parsed``)
_Parsed = tuple[str, Headline, str, int, str, str | None]


class StoryMatch(NamedTuple):
    """What ``StoryIndex.find`` decided: the story to join (None: a new story), and why."""

    story_id: int | None
    score: float
    reason: str  # "same guid" | "same url" | "similar headline" | "new story"


class StoryIndex:
    """Finds the story of a new item in the story window (``Window``: its headlines, GUIDs and
    URLs, and the postings of their words)."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self.window = Window(config)
        self.last_candidates = 0  # candidates scored by the last find
        # The last headline found, parsed, its sorted words, the entry and key it was rebuilt
        # from (-1, "": parsed), and its language: the add that follows a find stores the
        # same headline.
        self._parsed: _Parsed = ("", parse(""), "", -1, "", None)
        self._told: tuple[str, str, str | None] = ("", "", None)  # the last find's language
        self._titles = RecentTitles()
        self.labels = FeedTitles()  # read and asked by ``assign.stories``
        self._compactions = 0  # the window's, when ``_parsed`` was set

    def find(
        self,
        title: str,
        summary: str,
        seen_at: datetime | float,
        canonical_url: str | None = None,
        guid: str | None = None,
    ) -> StoryMatch:
        """The story an item seen at ``seen_at`` belongs to (``story_id`` None: a new one).

        ``summary`` is not scored: summaries differ between outlets far more than headlines
        do, and the STS tuning is on headlines alone. It tells, with the headline, the
        item's language, whose function words the headline's words leave out
        (``languages.language``).
        """
        seen = seconds(seen_at)
        window = self.window
        self.last_candidates = 0
        guid = shared_guid(guid)
        keys = [(guid, "same guid")]
        if canonical_url != guid:  # most feeds' GUIDs are their links: one lookup, not two
            keys.append((canonical_url, "same url"))
        for key, reason in keys:
            entry = window.by_key(key, seen) if key else None
            if entry is not None:
                story = window.story_of(entry)
                window.remember(story, window.first_of(entry))
                return StoryMatch(story, 100.0, reason)
        lang = headline_language(title, summary)
        self._told = (title, summary, lang)
        headline, like, key = self._parse(title, lang)
        config = self.config
        text = sorted_words(headline.words)
        self._parsed = (title, headline, text, like, key, lang)
        self._compactions = window.compactions
        same = self._same_words(headline, text, seen, like)
        if same is not None:
            return same
        best = StoryMatch(None, 0.0, "new story")
        first_scores: dict[int, float] = {}
        found_first, agreed = -1, ""
        # Best bound first: once the bound is no better than the best score found, no
        # candidate left can beat it (the score is the bound less penalties); by_bound
        # knows that score too (``floor``), and computes no bound past it.
        floor = Floor()
        for entry, bound in self._bounded(
            text, candidates(self.window, self.config, headline, seen), floor
        ):
            if bound <= best.score + SLACK or self.last_candidates == config.max_candidates:
                break
            first = window.first_of(entry)
            if first_scores.get(first, 100.0) < config.first_threshold:
                continue  # its story's first headline ruled it out already
            self.last_candidates += 1
            # The bound is the score's blend, computed alike: only the penalties are left.
            candidate = window.headlines.headline(entry)
            score = less_penalties(headline, candidate, bound, config)
            if score < config.threshold or score <= best.score or apart(headline, candidate):
                continue  # (a reply, asked last: of the few pairs that score as one story)
            if first != entry and window.alive(first):
                if first not in first_scores:
                    first_scores[first] = self._first_score(headline, text, first)
                if first_scores[first] < config.first_threshold:
                    continue
                agrees = True
            else:  # scored against the first headline itself, or none alive to ask
                agrees = first == entry and score >= config.first_threshold
            best = StoryMatch(window.story_of(entry), score, "similar headline")
            floor.bound = best.score + SLACK
            found_first, agreed = first, text if agrees and not config.name_penalty else ""
        if best.story_id is not None:
            window.remember(best.story_id, found_first, agreed)
        return best

    def _parse(self, title: str, lang: str | None) -> tuple[Headline, int, str]:
        """``parse(title, lang)``; a title added before (in that language) is rebuilt from
        its entry's key instead (``from_key`` gives back what ``parse`` gave, and costs
        less). With the entry and its key (-1 and "" when parsed)."""
        window = self.window
        entry = self._titles.get(
            title if lang is None else f"{lang}\x00{title}", window.compactions
        )
        if entry is None:
            return parse_in(title, lang), -1, ""
        key = window.headlines.key(entry)
        return from_key(key), entry, key

    def _same_words(
        self, headline: Headline, text: str, seen: float, like: int = -1
    ) -> StoryMatch | None:
        """The story of the newest joinable headline of the window made of the same words
        as this one (``text``: sorted), in any order (the commonest duplicate: wire copy, an
        outlet's reordering), decided without drawing candidates: it scores 100, which no
        candidate can beat. None when there is none, or when the candidates must decide: a
        headline of common words alone (the index draws none for it: a template), a story
        whose first headline rules it out, names that differ where they weigh. ``like``:
        an entry with this headline (``_parse``)."""
        window = self.window
        entry = window.same_words(text, seen, headline.words, like) if text else None
        if entry is None:
            return None
        config = self.config
        if window.headlines.all_common(headline.words, config.max_postings):
            return None
        # The same words give the same numbers and no opposites: only names (marked by
        # their place and case, not their words) can take the score below 100; and a reply
        # (``reply.apart``: it reads their order, for set phrases, and skips names).
        if config.name_penalty or may_reply(headline.words):
            theirs = window.headlines.headline(entry)
            if config.name_penalty and score_headlines(headline, theirs, config) < 100.0:
                return None
            if apart(headline, theirs):
                return None  # the candidates decide (this one is apart from it)
        first = window.first_of(entry)
        if first == entry or not window.alive(first):
            agreed = ""  # not asked
        elif (not config.name_penalty and window.agrees(entry)) or self._first_agrees(
            headline, text, first
        ):
            agreed = "" if config.name_penalty else text
        else:
            return None
        self.last_candidates = 1
        story = window.story_of(entry)
        window.remember(story, first, agreed)
        return StoryMatch(story, 100.0, "similar headline")

    def _first_agrees(self, headline: Headline, text: str, first: int) -> bool:
        """Whether ``headline`` (its words sorted: ``text``) scores ``first_threshold``
        against the story's first headline, entry ``first``."""
        return self._first_score(headline, text, first) >= self.config.first_threshold

    def _first_score(self, headline: Headline, text: str, first: int) -> float:
        """The score of ``headline`` (its words sorted: ``text``) against the story's first
        headline, entry ``first``.

        Without a name penalty the score is a function of the two headlines' sorted words
        alone: a story's copy with its first's words scores 100 unread, and one with the words
        of an entry found to agree is answered by ``Window.agrees`` before this. (Scores kept
        by the two headlines' words, 4,096 of them, were asked again 5 times in 3,333 on the
        ingest bench's first cycle at 1,000 feeds, never in 50,000 of the real stream, and
        held about half a MB.) Whether a reply keeps them apart is asked after, of the two
        headlines themselves (``reply.kinds`` reads the words' order and names), where one
        of them has a reply verb."""
        config = self.config
        if config.name_penalty:
            return self._first_of(headline, first)
        first_text = self.window.headlines.sorted_text(first)
        if first_text == text and text:  # a story's copies often have its first's words
            score = 100.0  # the same words: nothing differs for the score to take off
            replies = may_reply(headline.words)
        else:
            score = score_headlines(headline, self.window.headlines.headline(first), config)
            replies = score >= config.first_threshold and (
                may_reply(headline.words) or may_reply(first_text.split())
            )
        if replies and apart(headline, self.window.headlines.headline(first)):
            return 0.0
        return score

    def _first_of(self, headline: Headline, first: int) -> float:
        """``headline``'s score against entry ``first``; 0 when the score would let it join
        but one of them reports a reply that the other does not (``reply.apart``)."""
        config = self.config
        theirs = self.window.headlines.headline(first)
        score = score_headlines(headline, theirs, config)
        if score >= config.first_threshold and apart(headline, theirs):
            return 0.0
        return score

    def _bounded(
        self, text: str, candidates: list[int], floor: Floor
    ) -> Iterator[tuple[int, float]]:
        """The candidates whose score can reach the threshold, with that bound, best first
        (``bound.by_bound``: each bound is computed as the loop of ``find`` gets to it, and
        none once no candidate left can be above ``floor``); ``text``: the new headline's
        words, sorted."""
        if not candidates:
            return
        for at, bound in by_bound(
            text,
            self.window.headlines.sorted_texts(candidates),
            self.config.set_weight,
            self.config.threshold,
            floor,
        ):
            yield candidates[at], bound

    def add(
        self,
        story_id: int,
        item_id: int,
        title: str,
        summary: str,
        seen_at: datetime | float,
        canonical_url: str | None = None,
        guid: str | None = None,
    ) -> str:
        """Index one item of story ``story_id``: its headline, canonical URL and GUID.

        Add a story's items one after the other, or right after the ``find`` that named the
        story: that is how the index knows the story's first headline (where its last-seen
        time is kept). Returns the parsed headline's key (``Headline.key``), which the store
        keeps so that a restart can ``load`` the window without parsing every headline again.
        """
        parsed_title, headline, text, like, key, parsed_lang = self._parsed
        window = self.window
        told_title, told_summary, lang = self._told
        if told_title is not title or told_summary is not summary:  # not the item found
            lang = headline_language(title, summary)
        if parsed_title != title or parsed_lang != lang:
            headline, like, key = self._parse(title, lang)
            text = sorted_words(headline.words)
        elif self._compactions != window.compactions:  # entries renumbered since
            like, key = -1, ""
        key = window.append(story_id, headline, text, seen_at, canonical_url, guid, like, key)
        titled = title if lang is None else f"{lang}\x00{title}"  # another language's: apart
        self._titles.put(titled, window.entries - 1, window.compactions)
        self._parsed = (title, headline, text, window.entries - 1, key, lang)
        self._compactions = window.compactions
        return key

    @property
    def last_headline(self) -> Headline:
        """The headline of the last ``add`` (as ``parse`` gives it): event assignment reads
        it rather than parse the title again, which a title rebuilt from the window's key
        (``RecentTitles``) left out of parse's cache."""
        return self._parsed[1]

    def __len__(self) -> int:
        return len(self.window)

    def reserve(self, items: int) -> None:
        """Make room for ``items`` more items before a ``load``."""
        self.window.reserve(items)

    def load(
        self,
        stories: Sequence[int],
        keys: Sequence[str],
        seen_at: Sequence[float],
        urls: Sequence[str | None],
        guids: Sequence[str | None],
    ) -> int:
        """``add`` for many stored items at once (see ``bulkload.load``); the number added."""
        return bulkload.load(self.window, stories, keys, seen_at, urls, guids)

    def evict(self, before: datetime | float) -> int:
        """Forget what was seen before ``before``; the number of headlines forgotten."""
        return eviction.evict(self.window, before)

    def memory_bytes(self) -> int:
        """The size of the window in bytes, estimated."""
        return self.window.memory_bytes() + self._titles.memory_bytes()
