"""Reports of one happening whose words in common with its event are in its outlets' ledes
(places, numbers, a spokesman), not its headlines, still grow the event (review18g on
fixfold13, which made them "new" alerts of their own: three alerts for one earthquake):
"quake" where the event's headlines say "earthquake", a German outlet's report, live
coverage under a headline of its own, and README's "Kremlin says the offer stands" under
headlines that say "Moscow" and "invites". Local feeds, the engine, a webhook receiver."""

from __future__ import annotations

from pathlib import Path

import pytest
from feedserver import FeedServer
from test_events_one_name import Item, run

QUAKE = [
    [
        (
            "Powerful earthquake strikes southern Turkey and Syria",
            "A magnitude 7.8 quake struck near Gaziantep before dawn, toppling buildings in "
            "Kahramanmaras, Hatay and Malatya and across the border in Aleppo.",
        ),
        (
            "Turkey earthquake: death toll passes 1,500",
            "More than 1,500 people were killed in Kahramanmaras, Hatay and Gaziantep, the "
            "disaster agency AFAD said, as aftershocks rattled Malatya.",
        ),
    ],
    [
        (
            "Rescuers race to find survivors after Turkey quake",
            "Teams in Hatay and Kahramanmaras dug through rubble in freezing rain; Gaziantep's "
            "castle was badly damaged by the 7.8 magnitude tremor.",
        ),
        (
            "Syria quake: hundreds dead in rebel-held northwest",
            "The White Helmets said hundreds were killed around Aleppo and Idlib after the "
            "tremor centred near Gaziantep.",
        ),
    ],
    [
        (
            "Turkey declares emergency after deadly earthquake",
            "President Erdogan declared a state of emergency in ten provinces including "
            "Kahramanmaras, Hatay, Gaziantep and Malatya.",
        ),
    ],
]
GERMAN = (
    "Erdbeben: Mehr als 1500 Tote in Kahramanmaras und Hatay",
    "Das Beben der Stärke 7,8 nahe Gaziantep hat in Kahramanmaras, Hatay und Malatya "
    "Tausende Gebäude zerstört, auch in Aleppo gibt es viele Opfer.",
)
LIVE = (
    "Live: night falls in Hatay as teams keep digging",
    "Crews in Hatay, Kahramanmaras and Malatya pulled more people from collapsed "
    "buildings; the AFAD agency said Gaziantep airport has reopened.",
)


# The same coverage, every headline saying "earthquake"
SAME_WORD = [
    [
        (
            t.replace("Turkey quake", "Turkey earthquake").replace(
                "Syria quake", "Syria earthquake"
            ),
            s,
        )
        for t, s in items
    ]
    for items in QUAKE
]


async def test_one_poll_of_three_outlets_is_one_event(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """'quake' in two outlets' headlines, 'earthquake' in the first's: before, three
    "new" alerts for one earthquake in one poll (the ledes share Gaziantep, Hatay,
    Kahramanmaras, 7.8; the headlines one word: 'Turkey' or 'Syria')."""
    first, _alerts = await run(
        feed_server, tmp_path, QUAKE, [], "earthquake OR quake OR Erdbeben OR Hatay"
    )
    assert len(first) == 1, [a["title"] for a in first]


@pytest.mark.parametrize("later", [GERMAN, LIVE], ids=["german", "live"])
async def test_a_report_of_the_quake_grows_its_event(
    feed_server: FeedServer, tmp_path: Path, later: Item
) -> None:
    first, alerts = await run(
        feed_server, tmp_path, SAME_WORD, [later], "earthquake OR quake OR Erdbeben OR Hatay"
    )
    assert len(first) == 1, [a["title"] for a in first]
    new = sorted(a["title"] for a in alerts if a["kind"] == "new")
    assert new == [first[0]["title"]], new


INVITATION = [
    [
        (
            "Putin invites Zelensky to Moscow for peace talks",
            "Kremlin spokesman Dmitry Peskov said the offer to Ukraine's president to come to "
            "Moscow for negotiations was serious.",
        ),
        (
            "Zelensky rejects invitation to Moscow",
            "Ukraine's president said he would not travel to Moscow, after the Kremlin's offer "
            "relayed by Peskov on Thursday.",
        ),
    ],
    [
        (
            "Analysis: why Putin keeps inviting Zelensky to Moscow",
            "The Kremlin's repeated offer to host Ukraine's president is aimed at audiences at "
            "home, analysts said; Peskov called it a chance for negotiations.",
        ),
    ],
]
REACTION = (
    "Kremlin says offer to Zelensky still stands",
    "Kremlin spokesman Dmitry Peskov said Ukraine's president could still come for "
    "negotiations, a day after Kyiv turned the offer down.",
)


async def test_kremlin_follow_up_grows_the_invitation_event(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    first, alerts = await run(
        feed_server, tmp_path, INVITATION, [REACTION], "Zelensky OR Putin OR Kremlin"
    )
    assert len(first) == 1, [a["title"] for a in first]
    new = sorted(a["title"] for a in alerts if a["kind"] == "new")
    assert new == [first[0]["title"]], new
