"""Different news under one headline pattern: a name swapped for another, or a refusal of what
the other headline offers, is another story; a name spelled another way is not.

Not fixed yet (xfail): a rule that parts them (quality5's f3990ec: name_penalty 20 for a name
swapped for one that is no spelling or initials of it, the rest the same; refusal words as
opposites) was measured and reverted by the gate it was set: UCI pairwise precision did not
improve (0.98081 -> 0.98072; UCI's false merges are events labelled twice, not swapped names)
and recall fell 0.13415 -> 0.13273, though STS test F1 rose 0.935 -> 0.942. A refusal in
words a reply verb says ("rejects") is now parted by the reply rule (test_dedup_reply.py); one
in words whose particle is a stop word ("turns down") is not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.dedup.config import DedupConfig
from monitor.dedup.score import is_duplicate

CONFIG = DedupConfig()
INVITE = "Putin invites Zelensky to Moscow for negotiations"

_NOT_YET = "not fixed: the rule that parts these was not landed (see the module's docstring)"

OTHER_NEWS = [
    ("Earthquake strikes off coast of Japan", "Earthquake strikes off coast of Chile"),
    ("Putin meets Erdogan in Ankara for talks on Syria",
     "Putin meets Macron in Paris for talks on Syria"),
    ("Zelensky to visit Washington next week", "Zelensky to visit Berlin next week"),
    ("Fire breaks out at factory in Texas", "Fire breaks out at factory in Ohio"),
    (INVITE, "Zelensky turns down Putin's invitation to Moscow"),
    (INVITE, "Putin withdraws invitation to Zelensky"),
    pytest.param(
        INVITE,
        "Zelensky declines Putin's invitation to Moscow",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: 'declines' is not a refusal word, since in business news it "
            "means 'falls' ('sales decline'), and UCI's copies split on it",
        ),
    ),
    pytest.param(
        INVITE,
        "Putin withdraws invitation to Zelensky for Moscow negotiations",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: opposite_penalty (20) is less than a refusal sharing every "
            "other word takes off the score (94)",
        ),
    ),
    pytest.param(
        "Apple shares rise after earnings beat",
        "Tesla shares rise after earnings beat",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: a name as a headline's first word has a capital like any "
            "first word, so it is not told from one ('Earthquake' / 'Quake')",
        ),
    ),
]  # fmt: skip

SAME_NEWS = [
    ("Putin invites Zelensky to Moscow for talks", "Putin invites Zelenskiy to Moscow for talks"),
    ("Zelensky to visit Washington next week", "Zelenskyy will visit Washington next week"),
    ("Carney sets high bar to change at BoE", "Carney sets high bar to changes at Bank of England"),
    ("Kenya Supreme Court upholds election result", "Kenya SC upholds election result"),
    ("Earthquake strikes off coast of Japan", "Strong earthquake strikes off Japan's coast"),
    ("Zelensky rejects Putin's invitation to Moscow",
     "Zelenskiy rejects Putin's invitation to Moscow"),
    ("Gaddafi forces attack rebels in Misrata", "Qaddafi forces attack rebels in Misrata"),
]  # fmt: skip


@pytest.mark.xfail(strict=True, reason=_NOT_YET)
@pytest.mark.parametrize(("a", "b"), OTHER_NEWS)
def test_other_news_under_one_pattern_is_another_story(a: str, b: str) -> None:
    for x, y in ((a, b), (b, a)):
        score, same = is_duplicate(x, y, CONFIG)
        assert not same, f"{x!r} / {y!r}: {score:.1f}"


@pytest.mark.parametrize(("a", "b"), SAME_NEWS)
def test_a_name_spelled_another_way_is_the_same_story(a: str, b: str) -> None:
    for x, y in ((a, b), (b, a)):
        score, same = is_duplicate(x, y, CONFIG)
        assert same, f"{x!r} / {y!r}: {score:.1f}"


CSV = """ID,TITLE,URL,PUBLISHER,CATEGORY,STORY,HOSTNAME,TIMESTAMP
1,Earthquake strikes off coast of Japan,http://reuters.example/1,Reuters,w,s1,reuters.example,1394470000000
2,Earthquake strikes off coast of Japan - AP,http://ap.example/2,AP,w,s1,ap.example,1394470600000
3,Earthquake strikes off coast of Chile,http://afp.example/3,AFP,w,s2,afp.example,1394477800000
"""

RULES = """
[[rules]]
name = "quakes"
query = "earthquake"
channels = ["screen"]
alert_on = "story"

[channels.screen]
type = "console"
"""


@pytest.mark.xfail(strict=True, reason=_NOT_YET)
def test_a_quake_elsewhere_two_hours_later_alerts_again(tmp_path: Path) -> None:
    source = tmp_path / "news.csv"
    source.write_text(CSV)
    config = tmp_path / "monitor.toml"
    config.write_text(RULES)
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "replay", str(source), "-c", str(config), "--json",
         "--deliver", "--database", str(tmp_path / "replay.db")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["stories"] == 2
    assert result.stderr.count("NEW STORY") == 2, result.stderr
    assert "Chile" in result.stderr
