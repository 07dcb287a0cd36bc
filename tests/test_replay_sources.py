"""Replay sources: the UCI CSV grouped by publisher in time order, a directory of feeds."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from conftest import shared

from monitor.replay.sources import ReplayError, read_uci, records_from_directory

DEMO_FEEDS = Path(__file__).resolve().parents[1] / "monitor" / "demo" / "feeds"


def test_uci_slice_reads_in_time_order_keeping_urls_and_titles() -> None:
    path = next(shared("uci-news-2014-03").glob("*.csv"))
    records = read_uci(path)
    assert len(records) == 6366
    assert all(a.published <= b.published for a, b in itertools.pairwise(records))
    assert len({r.feed for r in records}) > 1000
    assert all(r.url.startswith("http") and r.title for r in records)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b,c\n1,2,3\n", "not a UCI News Aggregator CSV"),
        (
            "ID,TITLE,URL,PUBLISHER,CATEGORY,STORY,HOSTNAME,TIMESTAMP\n1,T,http://x,P,b,s,h\n",
            ":2: expected 8 columns, found 7",
        ),
        (
            "ID,TITLE,URL,PUBLISHER,CATEGORY,STORY,HOSTNAME,TIMESTAMP\n1,T,http://x,P,b,s,h,noon\n",
            ":2: TIMESTAMP 'noon' is not milliseconds",
        ),
    ],
)
def test_bad_csv_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ReplayError, match=message.replace("(", r"\(")):
        read_uci(path)


def test_directory_of_feeds_becomes_time_ordered_records() -> None:
    records = records_from_directory(DEMO_FEEDS)
    assert {r.feed for r in records} >= {"Harbour Wire", "Coastal Herald", "Valley Times"}
    assert records[0].title.startswith("Mayor Elena Márquez calls emergency summit")
    assert all(a.published <= b.published for a, b in itertools.pairwise(records))


def test_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="no feed files"):
        records_from_directory(tmp_path)
