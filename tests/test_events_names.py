"""``names.distinct`` counts a join's telling words, one name's once, without asking every
run of a summary for every word of every run (quadratic in the runs: 117 us a call on the
ingest bench's ledes): it must count exactly as the run-by-run count it replaced did
(perf20), on tricky cases and on the runs of real headlines and ledes."""

from __future__ import annotations

import csv
import re

import pytest
from conftest import shared

from monitor.dedup.headline import content_words
from monitor.events.names import distinct, runs


def words(*names: str) -> list[frozenset[str]]:
    return [frozenset(content_words(name)) for name in names]


def _texts() -> list[str]:
    texts = []
    with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        texts += [row[1] for row in csv.reader(f, delimiter="\t") if len(row) > 1]
    for part in ("train", "dev", "test"):
        lines = shared("sts-headlines", f"{part}.tsv").read_text(encoding="utf-8").splitlines()
        texts += [field for line in lines for field in line.split("\t")[1:]]
    # real feeds' ledes and titles, their markup dropped: curly quotes, accents, NBSPs
    for path in sorted(shared("real-feeds").iterdir()):
        raw = path.read_bytes().decode("utf-8", "replace")
        texts += [t for t in re.split(r"<[^>]*>|&lt;.*?&gt;", raw) if t.strip()]
    return texts


def _distinct_run_by_run(words: list[str], names: list[frozenset[str]]) -> int:
    """``distinct`` as 0981c5b counted: every word's runs asked of every run."""
    left = set(words)
    names = [n - {w for w in n if sum(w in m for m in names) > 1} for n in names]
    count = 0
    while left:
        count += 1
        group = {left.pop()}
        while more := {w for w in left if any(w in n and not n.isdisjoint(group) for n in names)}:
            group |= more
            left -= more
    return count


LEDE = (
    "Russian President Vladimir Putin said on a visit to the region that he and Chinese "
    "President Xi Jinping would meet again, and that Vladimir Putin would host the talks."
)


@pytest.mark.parametrize(
    ("telling", "names", "count"),
    [
        ("Putin Vladimir", words("Russian President Vladimir Putin"), 1),
        ("Putin Xi", words("Russian President Vladimir Putin", "President Xi Jinping"), 2),
        # "president" is in two runs: a title, it links neither leader to the other
        ("Putin President Xi", words("President Vladimir Putin", "President Xi"), 3),
        ("Putin President Xi", words("President Vladimir Putin", "Xi Jinping"), 2),
        ("Putin Russian Xi Jinping", words("Russian Putin", "Xi Jinping", "Jinping Xi"), 3),
        # the same name twice in a lede: its words are in two runs, so link nothing
        ("Putin Vladimir", runs(LEDE), 2),
        ("Putin Russian", runs(LEDE), 2),
        ("Putin talks", words("Vladimir Putin"), 2),
        ("Putin", words("Vladimir Putin"), 1),
        ("", words("Vladimir Putin"), 0),
    ],
)
def test_distinct_counts(telling: str, names: list[frozenset[str]], count: int) -> None:
    told = list(content_words(telling))
    assert distinct(told, names) == count == _distinct_run_by_run(told, names)


def test_distinct_as_run_by_run_on_real_ledes() -> None:
    texts = _texts()
    checked = 0
    for text in texts[::7]:
        names = runs(text)
        if len(names) < 2:
            continue
        ws = sorted({w for n in names for w in n})
        for telling in (ws, ws[::2], ws[1::3], [*ws[:3], "elsewhere"]):
            assert distinct(telling, names) == _distinct_run_by_run(telling, names), text
            checked += 1
    assert checked > 1_000
