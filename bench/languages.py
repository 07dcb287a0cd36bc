"""How story and event matching tell an item's language (``monitor.dedup.languages``), counted
over real text: how many English items come out English, how many of a German or Portuguese
feed's come out in their language, for several ``TELLING`` (words of no English needed)
and ``EVIDENCE`` (function words needed); the English items told foreign, for the module's.

English: the UCI and STS headlines alone (as ``monitor dedup-check`` and the dedup benches
read them), with the ingest bench's summaries (bench/realfeeds.py: as the daemon reads them),
and the items of the English real feeds (title and summary), and a few everyday English
headlines whose words are German or Spanish function words too. Foreign: the items of the real
German and Portuguese feeds (heise, UOL, a Portuguese and three German podcasts), title
alone and with summary. An English item taken as foreign loses those words (a lost alert);
a foreign one left "English" keeps its articles (unrelated news joined on them).

    python bench/languages.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import realfeeds

from monitor.dedup import languages
from monitor.parse.feed import parse_feed

REAL = realfeeds.DATA / "real-feeds"
FOREIGN = {
    "heise.atom": "de", "item-itunes-episodeType.rss": "de", "itunes-href.rss": "de",
    "itunes-keywords-array.rss": "de", "itunes-keywords-astext.rss": "de",
    "uolNoticias.rss": "pt", "encoding.rss": "pt",
}  # fmt: skip
ENGLISH_FEEDS = [
    "guardian.rss", "heraldsun.rss", "narro.rss", "instant-article.rss", "giantbomb-podcast.rss",
    "itunes-category.rss", "itunes-keywords.rss", "pagination-links.rss", "feedburner.atom",
    "reddit.rss", "reddit-atom.rss", "reddit-home.rss",
]  # fmt: skip

EVERYDAY = [
    "Man dies in Ukraine war", "British man dies in Syria war", "Man who survived war dies at 101",
    "Dan Brown: man dies in war", "Sue Gray: war plan also dies",
    "El Chapo son arrested in Los Mochis",
]  # fmt: skip


def items(name: str) -> list[tuple[str, str]]:
    feed = parse_feed((REAL / name).read_bytes(), url=f"http://{name}/")
    return [(i.title, i.summary) for i in feed.entries]


def decided(texts: list[tuple[str, str]]) -> Counter[str]:
    languages._language.cache_clear()
    return Counter(languages.language(t, s) or "en" for t, s in texts)


def main() -> None:
    pool = realfeeds.real_headlines()
    english = {
        "UCI+STS headlines alone": [(h.title, "") for h in pool],
        "UCI+STS with summaries": [(h.title, h.summary) for h in pool],
        "English real feeds": [i for name in ENGLISH_FEEDS for i in items(name)],
        # English words that are German or Spanish function words too ("man", "war", "dies",
        # "son"): fb81304 told the first five German, the last Spanish (review20e)
        "English words of other lists": [(t, "") for t in EVERYDAY],
    }
    foreign: dict[str, list[tuple[str, str]]] = {}
    for name, lang in FOREIGN.items():
        got = items(name)
        foreign[f"{name} ({lang}) with summaries"] = got
        foreign[f"{name} ({lang}) titles alone"] = [(t, "") for t, _ in got]
    chosen = (languages.TELLING, languages.EVIDENCE)
    for telling, evidence in [(1, 2), (1, 3), (1, 4), (2, 2), (2, 3)]:
        languages.EVIDENCE, languages.TELLING = evidence, telling
        print(
            f"TELLING = {telling}, EVIDENCE = {evidence}"
            + (" (chosen)" if (telling, evidence) == chosen else "")
        )
        for label, texts in english.items():
            got = decided(texts)
            wrong = {k: v for k, v in got.items() if k != "en"}
            print(f"  {label}: {got['en']:,} of {len(texts):,} English; other: {wrong}")
            if (telling, evidence) == chosen:
                for t, s in texts:
                    if languages.language(t, s):
                        print(f"      {languages.language(t, s)}: {t[:90]!r}")
        for label, texts in foreign.items():
            lang = label.split("(")[1][:2]
            got = decided(texts)
            print(f"  {label}: {got[lang]} of {len(texts)} {lang}; {dict(got)}")


if __name__ == "__main__":
    main()
