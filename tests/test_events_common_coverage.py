"""A topical deployment (a war desk's feeds): on a busy day Putin, Zelensky and Moscow are
each in 7 open events, in a window of ~200 events (2% = 4: the floor of 6 open events
decides). Reuters' "Putin invites Zelensky to Moscow for talks" arrives; ten minutes later an
outlet's edited headline of the same statement ("Putin says door open for Zelensky visit")
scores 0.31 (above the recent bar, 0.1): it shares "Putin" and "Zelensky", both "common",
and 4efaa5d refuses it: a second event, a second "new" alert on a "Putin AND Zelensky"
rule. On 4efaa5d^1 it joins."""

from __future__ import annotations

import csv

import pytest
from conftest import shared

from monitor.events import EventConfig, EventIndex

START = 1_700_000_000.0
DAY = [
    "Zelensky visits front-line troops in Kharkiv",
    "Drone attack shuts Moscow airports overnight",
    "Putin signs decree on army reservists",
    "Zelensky urges allies to send more air defence",
    "Moscow court jails journalist for 7 years",
    "Putin meets Lukashenko at Valaam monastery",
    "Zelensky sacks air force commander after F-16 crash",
    "Moscow summons British ambassador over spy claims",
    "Putin praises North Korea troops in Kursk",
    "Zelensky and Putin trade blame over Kyiv strike",
    "Moscow mayor says drones downed on approach to city",
    "Putin and Zelensky named in ICC report",
    "Moscow stock exchange halts trading in yuan",
    "Putin hosts Modi for Moscow summit",
    "Zelensky meets Macron in Paris",
]
INVITE = (
    "Putin invites Zelensky to Moscow for talks",
    "Russian President Vladimir Putin said on Friday that Ukraine's President Volodymyr "
    "Zelensky could come to Moscow for talks.",
)


@pytest.mark.parametrize(
    "edited", ["Putin says door open for Zelensky visit", "Zelensky rejects Moscow venue"]
)
def test_an_edited_headline_of_the_invitation_joins_it(edited: str) -> None:
    with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        other = [r[1] for r in list(csv.reader(f))[1:201]]
    index = EventIndex(EventConfig(), 72 * 3600.0)
    story = 0
    # the window's other news (each story carried by three outlets: 600 items, learned)
    for n, title in enumerate(other):
        for _ in range(3):
            index.add(-1 - n, 100_000 + story, title, "", START - 11 * 3600)
            story += 1
    for n, title in enumerate(DAY):  # the day's war news, every 40 minutes
        index.add(1000 + n, story, title, "", START - 10 * 3600 + 2400 * n)
        story += 1
    assert index.find(story, *INVITE, START).event_id is None
    index.add(2000, story, *INVITE, START)
    found = index.find(story + 1, edited, "", START + 600)
    assert found.event_id == 2000, found
