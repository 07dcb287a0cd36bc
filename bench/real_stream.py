"""Real headlines for the dedup benches: the UCI and STS headlines as a stream of news, repeated
with the edits real copies of a story carry until there are as many as asked.

The first pass is every distinct headline of the two sets once: UCI's in time order, each STS
pair's two headlines side by side at a random place among them. Each later pass is the same
headlines again (as later copies of those stories are), each with one edit that outlets make
to wire copy, drawn at random: an outlet's name appended (" - Los Angeles Times", a real UCI
publisher) or a word replaced by the word at the same place of another real headline, or two
neighbouring words swapped. Nothing is generated from a vocabulary: every word is a real
headline's.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def corpus() -> tuple[list[str], list[str]]:
    """The distinct UCI and STS headlines in stream order, and UCI's publisher names."""
    with next((DATA / "uci-news-2014-03").glob("*.csv")).open(encoding="utf-8") as f:
        rows = sorted(list(csv.reader(f))[1:], key=lambda r: int(r[7]))
    uci = [r[1] for r in rows]
    publishers = sorted({r[3] for r in rows if r[3]})
    pairs: list[tuple[str, str]] = []
    for name in ("train", "dev", "test"):
        path = DATA / "sts-headlines" / f"{name}.tsv"
        with path.open(encoding="utf-8", newline="") as f:
            lines = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
        pairs += [(r[1], r[2]) for r in lines if len(r) >= 3]
    rng = random.Random(17)
    stream = list(uci)
    for a, b in pairs:
        at = rng.randrange(len(stream) + 1)
        stream[at:at] = [a, b]
    seen: set[str] = set()
    distinct = [t for t in stream if t.strip() and not (t in seen or seen.add(t))]  # type: ignore[func-returns-value]
    return distinct, publishers


def edited(title: str, others: list[str], publishers: list[str], rng: random.Random) -> str:
    """One outlet's copy of ``title``: a suffix, a word replaced, or two words swapped."""
    words = title.split()
    kind = rng.randrange(3)
    if kind == 0 or len(words) < 3:
        return f"{title} - {rng.choice(publishers)}"
    if kind == 1:
        at = rng.randrange(len(words))
        donor = rng.choice(others).split()
        words[at] = donor[min(at, len(donor) - 1)]
    else:
        at = rng.randrange(len(words) - 1)
        words[at], words[at + 1] = words[at + 1], words[at]
    return " ".join(words)


def headlines(count: int, seed: int = 1) -> list[str]:
    """``count`` headlines: the corpus, then passes of edited copies (see the module doc)."""
    titles, publishers = corpus()
    rng = random.Random(seed)
    out = list(titles[:count])
    while len(out) < count:
        out += [edited(t, titles, publishers, rng) for t in titles[: count - len(out)]]
    return out
