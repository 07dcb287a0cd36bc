"""An item's vector as the event index scores it: its words (``monitor.events.words``) and
those of its headline's outlet-like segment that other headlines use as words of their own
(a topic, "Titanfall - ..."; an outlet's name is not one), which only the index's postings
can tell."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from monitor.dedup.headline import Headline, parse
from monitor.dedup.labels import FeedTitles
from monitor.dedup.languages import language
from monitor.events.config import EventConfig
from monitor.events.feedwords import FeedWords
from monitor.events.postings import EventWords
from monitor.events.spellings import Spellings
from monitor.events.words import Shared, Vector, Words, item_vector, segment_words, summary_words

# Items that must hold a word of a headline's outlet-like segment before it counts for the
# event: a topic ("Titanfall - ...") is a word of other headlines, an outlet's name is not.
# Read as the items of the window's events that hold it (``EventWords.items_with``): two
# events, or one of two items or more.
SEGMENT_DF = 2
# Words of its own (beyond its headline's) that make an item's summary a lede: such an item
# needs more words in common with an event to join it on the ``recent`` bar (cluster.py).
LEDE_WORDS = 4
# Words a summary that a feed repeats may have and be its boilerplate: a line ("Read more at
# Hong Kong Post"), not a lede.
BOILERPLATE_WORDS = 12
_NO_HEADLINE = parse("")


class Feeds:
    """What each feed says under every item: the summaries it repeats (``FeedWords``), and
    the titles it gives many items (``FeedTitles``: labels); and the names the headlines
    write in two words (``Spellings``: "Mt. Gox" and "MtGox")."""

    def __init__(self) -> None:
        self.words = FeedWords()
        self.titles = FeedTitles()
        self.spellings = Spellings()

    def read_ahead(self, items: Sequence[tuple[int, str, str]]) -> None:
        """A poll's new items (feed, title, summary), noted before any is assigned."""
        self.titles.read_ahead(items)
        self.words.read_ahead(items, self.titles.key)


def of_feed_item(
    words: EventWords,
    config: EventConfig,
    feeds: Feeds,
    feed: int | None,
    headline: Headline,
    title: str,
    summary: str,
    entities: Iterable[str],
) -> tuple[Vector, bool]:
    """The item's words (``of_item``) without its feed's boilerplate, and whether its
    summary is a lede (``LEDE_WORDS``). A title the feed gives many items (a label, "Latest
    news") says nothing of the news: the summary alone does."""
    spellings = feeds.spellings
    spellings.learn(headline.words, words.items_with)  # its two-word names, first
    folded = _folded(spellings, headline)
    read: Headline | Words = folded
    if feed is not None and feeds.titles.is_label(feed, title):
        read = _NO_HEADLINE
    # as story matching told it (its cache: asked of the same item), for the summary's words
    lang = language(title, summary) if summary else None
    part = of_summary(feeds.words, feed, headline, summary, config, lang)
    vector = of_item(words, config, read, title, part, entities)
    if not vector:
        # Nothing left once the feed's label and boilerplate are set aside: read as it
        # comes, rather than start an event of its own with nothing to join it on.
        part = summary_words(summary, config, lang)
        return of_item(words, config, folded, title, part, entities), False
    return vector, part is not None and len(vector) - len(read.words) >= LEDE_WORDS


def _folded(spellings: Spellings, part: Headline | Words) -> Headline | Words:
    """``part``'s words with a name's spellings as one (``Spellings.fold``)."""
    folded = spellings.fold(part.words, part.names)
    return part if folded is None else Words(*folded)


def of_item(
    words: EventWords,
    config: EventConfig,
    headline: Headline | Words,
    title: str,
    summary: Headline | Words | None,
    entities: Iterable[str],
) -> Vector:
    """The item's words, with its topic segment's weighted as a headline word; ``summary``:
    its summary's words (``of_summary``)."""
    vector = item_vector(headline, summary, config, entities)
    _add_segment(words, vector, headline, title)
    return vector


def of_summary(
    feeds: FeedWords,
    feed: int | None,
    headline: Headline | Words,
    summary: str,
    config: EventConfig,
    lang: str | None = None,
) -> Headline | Words | None:
    """A summary's words (of a text in ``lang``: ``summary_words``); none for boilerplate:
    a short one its feed gives items of other titles too, with no word of the item's
    headline ("Continue reading"). A lede an outlet keeps under its story's new headlines is
    longer, or names what they do."""
    part = summary_words(summary, config, lang)
    if part is None or feed is None or len(part.words) > BOILERPLATE_WORDS:
        return part
    if feeds.repeated(feed, summary) and set(headline.words).isdisjoint(part.words):
        return None
    return part


def of_title(
    words: EventWords,
    config: EventConfig,
    vector: Vector,
    title: str,
    summary: str,
    entities: Iterable[str],
    headline_of: Callable[[], Headline],
) -> Vector:
    """What a headline is scored on as the event's title: its own words (with its topic
    segment and entities), not its summary's: the title is the headline that itself says
    what the event is about. ``vector``: the item's, when it has no summary;
    ``headline_of``: the headline, asked only when it has one."""
    if not summary.strip():
        return vector
    headline = headline_of()
    out = item_vector(headline, None, config, entities)
    _add_segment(words, out, headline, title)
    return out


def _add_segment(words: EventWords, vector: Vector, headline: Headline | Words, title: str) -> None:
    if " " in title:
        extra = [
            w
            for w in segment_words(title)
            if words.items_with(w, SEGMENT_DF) >= SEGMENT_DF and w not in vector
        ]
        if extra:
            weight: Shared = 1.0 / max(1, len(headline.words))
            for word in extra:
                vector[word] = weight
