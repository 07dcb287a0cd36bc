"""Two words of an item's own headline shared with an event make one happening however common
each is, only when few other open events hold them together: "Putin" and "Zelensky" are the
invitation's, while a wire's "Russian President Vladimir Putin" heads a busy day's every
story. Putin's talks with Xi, under that wire headline, are not his invitation to Zelensky
(an event of their own, with its own "new" alert), and an outlet's edited headline of the
invitation still joins it on that day (review14g)."""

from __future__ import annotations

import csv

from conftest import shared

from monitor.events import EventConfig, EventIndex

START = 1_700_000_000.0
# Putin's other news of the day, each an event of its own, under the wires' headline,
DAY = [
    "Russian President Vladimir Putin signs decree on army reservists",
    "Russian President Vladimir Putin meets Lukashenko at Valaam monastery",
    "Russian President Vladimir Putin praises North Korea troops in Kursk",
    "Russian President Vladimir Putin hosts Modi for summit",
    "Russian President Vladimir Putin fires defence minister",
    "Russian President Vladimir Putin visits Mongolia despite ICC warrant",
    "Russian President Vladimir Putin warns West over long-range missiles",
    "Russian President Vladimir Putin pardons jailed soldier",
    # and Zelensky's, so that both names of the invitation are common that day
    "Zelensky visits front line near Pokrovsk",
    "Zelensky meets Macron in Paris",
    "Zelensky signs law on mobilisation",
    "Zelensky replaces army commander",
    "Zelensky addresses European Parliament",
    "Zelensky thanks Japan for aid package",
    "Zelensky tours Kharkiv after strike",
    "Zelensky names new ambassador to Britain",
]
INVITE = (
    "Putin invites Zelensky to Moscow for talks",
    "Russian President Vladimir Putin said on Friday that Ukraine's President Volodymyr "
    "Zelensky could come to Moscow for talks.",
)
INVITATION = 2000


def _day() -> tuple[EventIndex, int]:
    """The window: 200 real headlines of other news (three outlets each), Putin's day, and
    his invitation to Zelensky; the next story's id."""
    with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        other = [row[1] for row in list(csv.reader(f))[1:201]]
    index = EventIndex(EventConfig(), 72 * 3600.0)
    story = 0
    for n, title in enumerate(other):
        for _ in range(3):
            index.add(-1 - n, 100_000 + story, title, "", START - 11 * 3600)
            story += 1
    for n, title in enumerate(DAY):
        index.add(1000 + n, story, title, "", START - 10 * 3600 + 2400 * n)
        story += 1
    index.add(INVITATION, story, *INVITE, START)
    return index, story + 1


def test_putins_talks_with_xi_under_the_wire_headline_are_not_his_invitation() -> None:
    index, story = _day()
    xi = "Russian President Vladimir Putin holds talks with Xi Jinping in Beijing"
    found = index.find(story, xi, "", START + 600)
    assert found.event_id != INVITATION, found


def test_the_invitation_under_an_edited_headline_joins_it_on_that_day() -> None:
    """"Putin" and "Zelensky" are each in eight other open events, together in none."""
    index, story = _day()
    found = index.find(story, "Putin says door open for Zelensky visit", "", START + 600)
    assert found.event_id == INVITATION, found
