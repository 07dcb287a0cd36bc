"""The same figure written another way is one story (review14f of 7a199de, where the rule
"figures that disagree make two stories" read each of these as a substitution, score 0: a
second alert for a copy that says nothing new). Also "$1.2bn" / "$1,200m"."""

from __future__ import annotations

from pathlib import Path

import pytest
from feedserver import FeedServer
from test_dedup_figures import two_outlets

from monitor.dedup.config import DedupConfig
from monitor.dedup.score import is_duplicate

CONFIG = DedupConfig()

SAME = [
    ("Storm Ciaran leaves 100,000 homes without power",
     "Storm Ciaran leaves 100k homes without power"),
    ("Bitcoin tops $100,000 for first time", "Bitcoin tops $100K for first time"),
    ("M7.4 earthquake strikes off northern Chile coast",
     "Magnitude 7.4 earthquake strikes off northern Chile coast"),
    ("Polls close at 10.30pm in UK general election",
     "Polls close at 10:30pm in UK general election"),
    ("Polls close at 08:00 in UK general election", "Polls close at 8:00 in UK general election"),
    ("Toshiba sells chip unit for $1.2bn to Bain group", "Toshiba sells chip unit for $1,200m to Bain group"),
    ("Twenty-five killed in Nigeria church bombing", "25 killed in Nigeria church bombing"),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b"), SAME)
def test_the_same_figure_written_another_way_is_one_story(a: str, b: str) -> None:
    for x, y in ((a, b), (b, a)):
        score, duplicate = is_duplicate(x, y, CONFIG)
        assert duplicate, (x, y, score)


@pytest.mark.parametrize("alert_on", ["story", "event"])
async def test_a_copy_writing_100k_for_100000_is_not_alerted_twice(
    feed_server: FeedServer, tmp_path: Path, alert_on: str
) -> None:
    a, b = SAME[0]
    texts = await two_outlets(feed_server, tmp_path, alert_on, "storm", a, b)
    assert len(texts) == 1, texts
