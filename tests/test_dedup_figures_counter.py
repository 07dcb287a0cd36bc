"""A wire copy's update counter is not a figure of the news (wire9 of 7202bbf, where the
figures rule read "-- 3rd Update" / "-- 4th Update" as a revised figure: two stories and a
second alert for one wire story, as with UCI's "Chiquita, Fyffes Agree to $1.07 Billion
Merger Deal -- 2nd / 3rd / 4th Update"). A product's version stays a figure, and
``monitor dedup-check`` says which figures part a pair."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from feedserver import FeedServer
from test_dedup_figures import two_outlets

from monitor.cli import main
from monitor.dedup.config import DedupConfig
from monitor.dedup.score import verdict

CONFIG = DedupConfig()

CHIQUITA = "Chiquita, Fyffes Agree to $1.07 Billion Merger Deal"
COUNTED = [
    (f"{CHIQUITA} -- 3rd Update", f"{CHIQUITA} -- 4th Update"),  # UCI, one STORY
    ("Hedge Fund SAC Capital Renames Itself -- 2nd Update",
     "Hedge Fund SAC Capital Renames Itself -- 3rd Update"),
    # Reworded: the counters' numbers are no number penalty either (it took 20 off, to 64.9).
    ("Bitcoin Exchange Mt. Gox Files for Bankruptcy in US -- 2nd Update",
     "Mt. Gox files for bankruptcy in US -- 3rd Update"),
]  # fmt: skip

# A number by "update" that is not at an end as a counter is, or is a version.
VERSIONS = [
    ("Microsoft releases Windows 8.1 Update 1", "Microsoft releases Windows 8.1 Update 2"),
    ("iOS 7.1 update 3 released to fix bugs", "iOS 7.1 update 4 released to fix bugs"),
    ("Apple releases iOS 7.1 update", "Apple releases iOS 7.2 update"),
    ("Feed 1 update 3", "Feed 1 update 4"),
    # A leading "Update:" is no wire counter: the number after it is the news (review15a D1).
    ("Updated: 12 dead in Kenya bus crash", "Updated: 15 dead in Kenya bus crash"),
    ("Update: 5 killed in Kabul blast", "Update: 12 killed in Kabul blast"),
    ("UPDATE: 12 DEAD IN KENYA BUS CRASH", "UPDATE: 15 DEAD IN KENYA BUS CRASH"),
    ("Updates: 3 dead after storm hits Texas", "Updates: 7 dead after storm hits Texas"),
    # A counter does not hide a revised figure beside it.
    (f"{CHIQUITA} -- 3rd Update", "Chiquita, Fyffes Agree to $1.2 Billion Merger Deal -- 3rd Update"),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b"), COUNTED)
def test_copies_with_other_update_counters_are_one_story(a: str, b: str) -> None:
    for x, y in ((a, b), (b, a)):
        v = verdict(x, y, CONFIG)
        assert v.duplicate, (x, y, v)


@pytest.mark.parametrize(("a", "b"), VERSIONS)
def test_a_version_or_a_figure_beside_a_counter_still_parts(a: str, b: str) -> None:
    for x, y in ((a, b), (b, a)):
        v = verdict(x, y, CONFIG)
        assert not v.duplicate, (x, y, v)


@pytest.mark.parametrize("alert_on", ["story", "event"])
async def test_two_outlets_revisions_of_one_wire_story_are_alerted_once(
    feed_server: FeedServer, tmp_path: Path, alert_on: str
) -> None:
    first, second = COUNTED[0]
    texts = await two_outlets(feed_server, tmp_path, alert_on, "Chiquita", first, second)
    assert len(texts) == 1, texts
    assert "3rd Update" in texts[0], texts


def test_dedup_check_names_the_figures_that_part_a_pair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    six, seven = (f"Magnitude {m} earthquake hits northern Chile" for m in ("6.1", "7.4"))
    assert main(["dedup-check", six, seven]) == 0
    story = capsys.readouterr().out.splitlines()[0]
    assert story.startswith("story: score 0.0 ") and ": different stories: " in story, story
    assert "figures differ: 6.1 vs 7.4" in story, story
    assert main(["dedup-check", "--json", seven, six]) == 0
    assert json.loads(capsys.readouterr().out)["figures_apart"] == {"a": ["7.4"], "b": ["6.1"]}
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(f"{six}\t{seven}\n{COUNTED[0][0]}\t{COUNTED[0][1]}\n", encoding="utf-8")
    assert main(["dedup-check", "--pairs", str(pairs)]) == 0
    revised, copy = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert revised["figures_apart"] == {"a": ["6.1"], "b": ["7.4"]}, revised
    assert copy["duplicate"] is True and "figures_apart" not in copy, copy


@pytest.mark.parametrize("alert_on", ["story", "event"])
async def test_a_revised_toll_after_a_leading_update_reaches_the_reader(
    feed_server: FeedServer, tmp_path: Path, alert_on: str
) -> None:
    """"Updated: 12 dead ..." then "Updated: 15 dead ...": the 15 is news, not a wire
    counter (review15a D1: a leading "update" and number was taken for "UPDATE 2-")."""
    first, second = VERSIONS[-5]
    texts = await two_outlets(feed_server, tmp_path, alert_on, "Kenya", first, second)
    assert len(texts) == 2, texts
    assert "15" in texts[1], texts


def test_dedup_check_names_figures_only_where_they_part_the_pair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two unrelated headlines with a figure each are parted by their words: dedup-check
    gives no figures as the reason (review15a D2)."""
    quake = "Magnitude 6.1 earthquake hits northern Chile"
    dow = "Dow Jones falls 7.4 points on weak retail sales"
    assert main(["dedup-check", quake, dow]) == 0
    story = capsys.readouterr().out.splitlines()[0]
    assert ": different stories" in story and "figures differ" not in story, story
    assert main(["dedup-check", "--json", quake, dow]) == 0
    assert json.loads(capsys.readouterr().out)["figures_apart"] is None
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(f"{quake}\t{dow}\n", encoding="utf-8")
    assert main(["dedup-check", "--pairs", str(pairs)]) == 0
    assert "figures_apart" not in json.loads(capsys.readouterr().out)
