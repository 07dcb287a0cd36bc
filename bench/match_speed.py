"""Match benchmark: 300-character items against 10k and 100k rule terms.

Prints items/s and the compile time of the rules. Items are 300-character windows of real
headlines (../shared/data/uci-news-2014-03, read at run time); terms are the distinct words
of those headlines plus synthetic two-word names, in rules of ten terms
``(a OR b OR c OR d OR @entity) AND (e OR f OR g OR h OR "x y")``.
By default the terms are synthetic names and topics plus 2% of the headlines' own words (a
tracking rule set: a few terms fire per item). ``--dense`` makes every headline word a term
and ``--synthetic`` draws the items from the terms' own vocabulary: worst cases, not news.

    python bench/match_speed.py [--items 20000] [--dense | --synthetic]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.match import compile_rules
from monitor.match.config import EntityConfig, RuleConfig

SYLLABLES = ["ka", "ro", "mi", "ne", "tu", "la", "vo", "zi", "pe", "sha", "lin", "dor", "mar", "tes", "qui", "bel", "fen", "gor", "hu", "yan"]


def vocabulary(n: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def zipf_pick(words: list[str], rng: random.Random) -> str:
    return words[min(len(words) - 1, int(rng.paretovariate(1.1)) - 1)]


def make_rules(
    terms: int, words: list[str], rng: random.Random
) -> tuple[list[RuleConfig], list[EntityConfig]]:
    """``terms`` literal terms in rules of 10 terms: (a OR b OR ...) AND (f OR ...)."""
    entities = [
        EntityConfig(name=f"Entity {i}", aliases=[f"{rng.choice(words)} {rng.choice(words)}"])
        for i in range(terms // 10)
    ]
    rules = []
    for r in range(terms // 10):
        picks = rng.sample(words, 8)
        left = " OR ".join(picks[:4]) + f' OR @"Entity {r}"'
        right = " OR ".join(picks[4:]) + f' OR "{rng.choice(words)} {rng.choice(words)}"'
        rules.append(RuleConfig(name=f"rule{r}", query=f"({left}) AND ({right})", channels=["x"]))
    return rules, entities


def make_items(n: int, words: list[str], rng: random.Random) -> list[tuple[str, str]]:
    items = []
    for _ in range(n):
        text = ""
        while len(text) < 300:
            text += zipf_pick(words, rng).capitalize() + rng.choice([" ", " ", " ", ", ", ". "])
        items.append((text[:80], text[80:300]))
    return items


def real_items(n: int) -> tuple[list[tuple[str, str]], list[str]]:
    import csv

    path = next(
        (Path(__file__).resolve().parents[2] / "shared/data/uci-news-2014-03").glob("*.csv")
    )
    with path.open(encoding="utf-8", newline="") as f:
        titles = [row[1] for row in list(csv.reader(f))[1:]]
    text = " ".join(titles)
    items = []
    for i in range(n):
        at = (i * 997) % (len(text) - 300)
        items.append((text[at : at + 80], text[at + 80 : at + 300]))
    words = sorted({w.lower() for t in titles for w in t.split() if w.isalpha() and len(w) > 3})
    return items, words


def main(n_items: int, synthetic: bool, dense: bool) -> None:
    rng = random.Random(7)
    names = vocabulary(60_000, rng)
    if synthetic:
        words = names
        items = make_items(n_items, words, rng)
    else:
        items, real = real_items(n_items)
        if not dense:
            real = rng.sample(real, len(real) // 50)
        words = real + names[: 60_000 - len(real)]
    for terms in (10_000, 100_000):
        rules, entities = make_rules(terms, words, rng)
        started = time.perf_counter()
        matcher = compile_rules(rules, entities)
        compile_s = time.perf_counter() - started
        started = time.perf_counter()
        fired = sum(len(matcher.match(t, s)) for t, s in items)
        elapsed = time.perf_counter() - started
        print(
            f"{terms:>7,} terms in {len(rules):,} rules: compile {compile_s:.2f}s (goal <= 1 s at 100k); "
            f"{n_items / elapsed:,.0f} items/s (goal >= 40,000 at 100k), "
            f"{fired / n_items:.2f} rule matches per item"
        )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--synthetic", action="store_true", help="items from the terms' vocabulary")
    ap.add_argument("--dense", action="store_true", help="every headline word is a term")
    a = ap.parse_args()
    main(a.items, a.synthetic, a.dense)
