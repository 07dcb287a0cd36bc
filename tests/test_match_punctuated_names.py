"""An entity whose name has punctuation between its words fires on the text written as its
name (explore13 finding 1): "Mt. Gox", "St. Petersburg", "George W. Bush" gave 0 matches on
"Mt. Gox files for bankruptcy" and the like, since the dot after "Mt" split the phrase "mt
gox" (the quoted phrase "Mt. Gox" fired; the entity did not), and 50 UCI headlines with
"Mt. Gox" got no alert. Through ``monitor test-rules`` and a ``monitor once`` run with a local
feed and a webhook receiver (fails before)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver
from test_events_alerts import rss

from monitor.cli import main
from monitor.oneshot import run_once

NAMES = [
    "Mt. Gox", "St. Petersburg", "George W. Bush", "Dr. Dre", "Marks & Spencer",
    "Guns N' Roses", "Yahoo! Japan", "J.P. Morgan", "AT&T", "E.ON", "U.S.", "Kim Jong-un",
    "Bashar al-Assad", "J. K. Rowling", "George H. W. Bush",
]  # fmt: skip


def entities_and_rules(names: list[str] = NAMES) -> str:
    """An entity of each name (no alias) and a rule ``@"name"`` of each, named by it."""
    lines = []
    for name in names:
        lines += ["[[entities]]", f"name = {json.dumps(name)}"]
    for name in names:
        query = json.dumps("@" + json.dumps(name))
        lines += ["[[rules]]", f"name = {json.dumps(name)}", f"query = {query}"]
    return "\n".join(lines) + "\n"


def test_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> tuple[str, str]:
    """What ``monitor test-rules --text`` prints: the matches, then their count (stderr)."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "m.db"}"\n'
        '[[feeds]]\nurl = "http://127.0.0.1:9/rss"\n' + entities_and_rules(),
        encoding="utf-8",
    )
    assert main(["test-rules", "--text", text, "-c", str(config)]) == 0
    out, err = capsys.readouterr()
    return out, err


test_rules.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # As written: the trial's three (0 matches before), and names like them.
        ("Mt. Gox files for bankruptcy", "Mt. Gox"),
        ("Forum opens in St. Petersburg", "St. Petersburg"),
        ("George W. Bush paints portraits", "George W. Bush"),
        ("Dr. Dre sells Beats to Apple", "Dr. Dre"),
        ("Marks & Spencer profits fall", "Marks & Spencer"),
        ("Guns N' Roses add tour dates", "Guns N' Roses"),
        ("Yahoo! Japan buys a stake", "Yahoo! Japan"),
        # The usual variants: no dot, or no space after it.
        ("Mt Gox files for bankruptcy", "Mt. Gox"),
        ("Mt.Gox files for bankruptcy", "Mt. Gox"),
        ("Forum opens in St Petersburg", "St. Petersburg"),
        ("George W Bush paints portraits", "George W. Bush"),
        # Initials closed up, as the press writes them (review18a: fired only with every
        # dot's space closed, "J.K.Rowling"; before, on "J K Rowling" only).
        ("J.K. Rowling writes a new novel", "J. K. Rowling"),
        ("George H.W. Bush dies at 94", "George H. W. Bush"),
        ("George H. W. Bush dies at 94", "George H. W. Bush"),
        # Names with punctuation that fired before, and still do.
        ("J.P. Morgan profits rise", "J.P. Morgan"),
        ("AT&T buys DirecTV", "AT&T"),
        ("E.ON cuts jobs", "E.ON"),
        ("U.S. sanctions bite", "U.S."),
        ("Kim Jong-un visits a farm", "Kim Jong-un"),
        ("Bashar al-Assad speaks", "Bashar al-Assad"),
    ],
)
def test_test_rules_finds_a_name_written_as_the_entity_writes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, name: str
) -> None:
    out, err = test_rules(tmp_path, capsys, text)
    assert err.strip() == "1 match", (out, err)
    assert out.startswith(f"{name} [normal]: @"), out


@pytest.mark.parametrize(
    "text",
    [
        "Marks, Spencer and Co win the cup",  # a comma where the name has "&"
        "Climbers reach Mt. Everest. Gox is next",  # the dot of another name
        "mt. gox files for bankruptcy",  # the name is written with capitals: as before
    ],
)
def test_other_punctuation_or_case_is_not_the_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    out, err = test_rules(tmp_path, capsys, text)
    assert err.strip() == "0 matches", (out, err)


async def test_once_alerts_on_the_name_as_written(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    headlines = [
        ("Mt. Gox files for bankruptcy protection in Tokyo", "http://a.example/1"),
        ("Economic forum opens in St. Petersburg on Thursday", "http://a.example/2"),
        ("George W. Bush paints portraits of world leaders", "http://a.example/3"),
    ]
    feed_server.feed("/a", rss("Outlet A", headlines))
    names = ["Mt. Gox", "St. Petersburg", "George W. Bush"]
    async with webhook_receiver() as hook:
        extra = entities_and_rules(names).replace(
            "[[rules]]\n", '[[rules]]\nchannels = ["hook"]\n'
        )
        extra += f'[channels.hook]\ntype = "webhook"\nurl = "{hook.url}"\n'
        await run_once(make_config(tmp_path, [feed_server.url("/a")], extra=extra))
        alerts = [p["alert"] for p in hook.payloads()]
    assert sorted(a["title"] for a in alerts) == sorted(t for t, _ in headlines), alerts
    assert sorted(a["rule"] for a in alerts) == sorted(names), alerts
