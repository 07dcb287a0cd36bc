"""A headline draws the same candidates in every process: the postings of its words are
taken shortest first, ties in the order of its words, not in a set's order (which Python's
hash seed changes at each start). At the cuts (the 12 rarest words, the 64 candidates
kept) that order decides which stories are looked at, so a restart or a replay must draw
what the process before drew."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, shared

# Builds a window of real headlines, then prints every candidate list drawn for headlines
# long enough to have many rare words of one posting length (two real ones joined).
SCRIPT = """
import csv, sys
from monitor.dedup.candidates import candidates
from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import parse
from monitor.dedup.index import StoryIndex
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    titles = list(dict.fromkeys(row["TITLE"] for row in csv.DictReader(f)))[:3000]
config, index, now = DedupConfig(), StoryIndex(DedupConfig()), 1_700_000_000.0
for i, title in enumerate(titles):
    if i >= 2000:
        joined = title + ": " + titles[(i * 7) % 2000]
        print(candidates(index.window, config, parse(joined), now + i))
    url = f"https://news.example/{i}"
    found = index.find(title, "", now + i, url, url)
    index.add(i if found.story_id is None else found.story_id, i, title, "", now + i, url)
"""


def _drawn(seed: str) -> list[str]:
    path = shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv")
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return done.stdout.splitlines()


def test_two_processes_draw_the_same_candidates() -> None:
    first, second = _drawn("1"), _drawn("2")
    assert len(first) == 1000 and sum(line != "[]" for line in first) > 500
    differ = sum(a != b for a, b in zip(first, second, strict=True))
    assert differ == 0, f"{differ} of {len(first)} headlines drew other candidates"
