"""Match benchmark: 300-character items against 10k and 100k rule terms.

Prints, for each size, the compile time of the rules (the compile pauses the cycle collector
for itself) and the items matched per second.
Rules have ten terms each, as a tracking rule set does:
``(a OR b OR c OR d OR @entity) AND (e OR f OR g OR h OR "x y")``; each entity has a
two-word name and a one-word alias. Terms are synthetic names plus a few hundred real
news words, so some terms fire on most items, as in real use.

Items are generated news-like text (common English words with a tracked term now and then).
When ../shared/data/uci-news-2014-03 is present, 300-character windows of its real
headlines are measured too (read at run time, never copied into the repository).

    python bench/match_speed.py [--items 20000] [--repeat 3] [--against DIR]

``--against DIR`` compiles the same rules with the code of another checkout (a git worktree of
an earlier commit, say) in a child process, then with ours in another child process of the
same kind, for each size, and prints both compile times and their ratio: a before/after in
one run, under the same load, each in a fresh process (this process, by then, holds the
items and the matchers of the smaller size, and its compile is shown apart). Both the CPU
time of the compile and its wall time are shown: on a machine shared with other work, the
wall time also counts the time the compile waited for a CPU.

Each figure is the best of ``--repeat`` runs: other processes on the machine only ever
make a run slower. The load average is printed so the figures can be read in context.
Matching caches the stems of the words it has seen (real text repeats its words), so the
first pass over the news-like items, with that cache empty, is shown too.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import ahocorasick

# ``--code DIR`` (the child process of ``--against``): that checkout's ``monitor``, not ours.
_CODE = sys.argv[sys.argv.index("--code") + 1] if "--code" in sys.argv else None
sys.path.insert(0, _CODE or str(Path(__file__).resolve().parents[1]))

from monitor.match import Matcher, compile_rules
from monitor.match.config import EntityConfig, RuleConfig
from monitor.match.text import stem

ROOT = Path(__file__).resolve().parents[1]  # this checkout
UCI = Path(__file__).resolve().parents[2] / "shared/data/uci-news-2014-03"


def _words(text: str) -> list[str]:
    return text.split()


SYLLABLES = _words("ka ro mi ne tu la vo zi pe sha lin dor mar tes qui bel fen gor hu yan")
# Words nobody tracks, from other syllables: like real text, they rarely contain a term.
OTHER_SYLLABLES = _words("bra sto ple gri clu wef sny dro ptu xo cre phy thwa spo")
# Words of news text: what items are made of. A few keywords are topics (TOPICS).
FILLER = _words("""the a an of to in and for on with as at by from after over says said will new
is was are were has have had be been it its this that which who not but or more than
up out about into their they he she his her we our also could would may""")
TOPICS = _words("""president minister government talks summit sanctions election vote war peace deal
market stocks oil prices bank rates inflation economy growth trade tariffs court
police protest strike attack army troops border ceasefire aid crisis report official
leaders meeting plan agreement parliament party opposition campaign security climate
energy gas power company shares profit billion million percent year week today city
country state people health hospital vaccine school students water storm flood fire
earthquake tech apple google data ai chips football cup match team coach season""")
NEWS = FILLER + TOPICS


def vocabulary(n: int, rng: random.Random, syllables: list[str] = SYLLABLES) -> list[str]:
    """``n`` distinct made-up words: the names and topics users track."""
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def make_rules(
    terms: int, names: list[str], rng: random.Random
) -> tuple[list[RuleConfig], list[EntityConfig]]:
    """``terms`` terms in rules of ten; one keyword in 300 is a topic found in the news."""

    def keyword() -> str:
        return rng.choice(TOPICS) if rng.random() < 1 / 300 else rng.choice(names)

    entities = [
        EntityConfig(
            name=f"{rng.choice(names).title()} {rng.choice(names).title()}",
            aliases=[rng.choice(names).title()],
        )
        for _ in range(terms // 10)
    ]
    rules = []
    for r, entity in enumerate(entities):
        left = " OR ".join(keyword() for _ in range(4)) + f' OR @"{entity.name}"'
        phrase = f'"{rng.choice(names)} {rng.choice(names)}"'
        right = " OR ".join(keyword() for _ in range(4)) + f" OR {phrase}"
        rules.append(RuleConfig(name=f"rule{r}", query=f"({left}) AND ({right})", channels=["x"]))
    return rules, entities


def news_items(
    n: int, names: list[str], others: list[str], rng: random.Random
) -> list[tuple[str, str]]:
    """Text as news has it: half function words, some topics, many words nobody tracks,
    and now and then (one word in forty) a tracked name."""
    items = []
    for _ in range(n):
        words = []
        while sum(len(w) + 1 for w in words) < 300:
            p = rng.random()
            if p < 0.025:
                word = rng.choice(names).title()
            elif p < 0.15:
                word = rng.choice(TOPICS)
            elif p < 0.5:
                word = rng.choice(others)
            else:
                word = rng.choice(FILLER)
            words.append(word + rng.choice(["", "", "", "", ",", "."]))
        text = " ".join(words)
        items.append((text[:80], text[80:300]))
    return items


def headline_items(n: int) -> list[tuple[str, str]] | None:
    """300-character windows of real headlines, when the UCI data set is on this machine."""
    path = next(UCI.glob("*.csv"), None) if UCI.is_dir() else None
    if path is None:
        return None
    with path.open(encoding="utf-8", newline="") as f:
        text = " ".join(row[1] for row in list(csv.reader(f))[1:])
    starts = (i * 997 % (len(text) - 300) for i in range(n))
    return [(text[at : at + 80], text[at + 80 : at + 300]) for at in starts]


def items_per_second(matcher: Matcher, items: list[tuple[str, str]], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for title, summary in items:
            matcher.match(title, summary)
        best = min(best, time.perf_counter() - started)
    return len(items) / best


def baseline(rules: list[RuleConfig], entities: list[EntityConfig]) -> ahocorasick.Automaton:
    """The reference the issue names: every word of every rule and entity in one plain
    Aho-Corasick automaton, lower-cased, no rules, stems, phrases or explanations."""
    automaton = ahocorasick.Automaton()
    for text in [r.query for r in rules] + [s for e in entities for s in (e.name, *e.aliases)]:
        for word in re.findall(r"\w+", text.lower()):
            if word not in ("and", "or", "not"):
                automaton.add_word(word, len(word))
    automaton.make_automaton()
    return automaton


def baseline_items_per_second(
    automaton: ahocorasick.Automaton, items: list[tuple[str, str]], repeat: int
) -> float:
    """The plain automaton over the lower-cased item, keeping hits on word boundaries."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for title, summary in items:
            text = (title + "\x00" + summary).lower()
            size = len(text)
            found = []
            for end, length in automaton.iter(text):
                start = end - length + 1
                if (start == 0 or not text[start - 1].isalnum()) and (
                    end + 1 == size or not text[end + 1].isalnum()
                ):
                    found.append(start)
        best = min(best, time.perf_counter() - started)
    return len(items) / best


SIZES = (10_000, 100_000)
Rules = tuple[list[RuleConfig], list[EntityConfig]]
Times = dict[str, list[float]]  # "wall" and "cpu": seconds of each compile


def workload(n_items: int) -> tuple[dict[str, list[tuple[str, str]]], dict[int, Rules]]:
    """The items and the rules of each size: the same in every process."""
    rng = random.Random(7)
    names = vocabulary(60_000, rng)
    others = vocabulary(20_000, rng, OTHER_SYLLABLES)
    sources = {"news-like items": news_items(n_items, names, others, rng)}
    rule_sets = {terms: make_rules(terms, names, rng) for terms in SIZES}
    return sources, rule_sets


def compile_times(rules: Rules, repeat: int) -> tuple[Times, Matcher]:
    """Seconds of each of ``repeat`` compiles of the rules, wall and CPU, and the last
    matcher."""
    times: Times = {"wall": [], "cpu": []}
    matcher = None
    for _ in range(repeat):
        # The previous matcher is freed first: its million objects are not the compile's.
        matcher = None
        gc.collect()
        started, cpu = time.perf_counter(), time.process_time()
        matcher = compile_rules(*rules)
        times["cpu"].append(time.process_time() - cpu)
        times["wall"].append(time.perf_counter() - started)
    assert matcher is not None
    return times, matcher


def against(code: str, terms: int, n_items: int, repeat: int) -> Times:
    """Compile times of the rules of ``terms`` terms with the checkout at ``code``, in a
    child process (``--code``)."""
    child = [sys.executable, __file__, "--code", code, "--terms", str(terms)]
    child += ["--items", str(n_items), "--repeat", str(repeat)]
    times: Times = json.loads(subprocess.check_output(child, text=True))
    return times


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main(n_items: int, repeat: int, code: str | None) -> None:
    sources, rule_sets = workload(n_items)
    headlines = headline_items(n_items)
    if headlines is not None:
        sources["real headlines"] = headlines
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; best of {repeat}")
    for terms in SIZES:
        rules, entities = rule_sets[terms]
        if code:
            theirs = against(code, terms, n_items, repeat)
            ours = against(str(ROOT), terms, n_items, repeat)
            for clock in ("cpu", "wall"):
                mine, other = ours[clock], theirs[clock]
                print(
                    f"{terms:>7,} terms: compile {clock} {min(mine):.3f} s "
                    f"(median {median(mine):.3f}), with {code} {min(other):.3f} s "
                    f"(median {median(other):.3f}): {min(mine) / min(other):.3f}x"
                )
        times, matcher = compile_times((rules, entities), repeat)
        compile_s = min(times["wall"])
        gc.collect()
        # One pass with the stem cache empty, as after a start: the figures below are best of
        # ``repeat`` over the same items, with the stems of their words known.
        stem.cache_clear()
        news = sources["news-like items"]
        started = time.perf_counter()
        fired = sum(bool(matcher.match(t, s)) for t, s in news)
        first = len(news) / (time.perf_counter() - started)
        plain = baseline(rules, entities)
        figures = [f"news-like items, first pass {first:,.0f} items/s"]
        for name, items in sources.items():
            ours = items_per_second(matcher, items, repeat)
            reference = baseline_items_per_second(plain, items, repeat)
            figures.append(
                f"{name} {ours:,.0f} items/s "
                f"(plain Aho-Corasick + word boundaries: {reference:,.0f}, {ours / reference:.2f}x)"
            )
        speeds = ", ".join(figures)
        print(
            f"{terms:>7,} terms, {len(rules):,} rules: compile {compile_s:.2f} s here; {speeds}; "
            f"{fired / n_items:.1%} of news-like items fire a rule"
        )
    print("goals at 100k terms: compile <= 1 s, >= 40,000 items/s")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=20_000, help="items per measure")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is shown")
    ap.add_argument(
        "--against", metavar="DIR", help="also compile the rules with the checkout at DIR"
    )
    # The child of --against: the compile times of one size, as JSON, with the code at DIR.
    ap.add_argument("--code", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--terms", type=int, choices=SIZES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.code:
        print(json.dumps(compile_times(workload(args.items)[1][args.terms], args.repeat)[0]))
    else:
        main(args.items, args.repeat, args.against)
