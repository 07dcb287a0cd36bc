"""A one-word alias that is also a month, weekday or common English word gets a
``check-config`` warning naming the word and what to write instead (explore13 finding 5:
alias "May" of "Theresa May" fired on "Jobs report due in May, economists say" and on 37 UCI
headlines such as "Flappy Bird May Return to App Stores", all of them false; "Cook" of "Tim
Cook" on "Cook Islands hit by cyclone"; check-config said nothing). Matching is unchanged:
test-rules still shows what the alias fires on (fails before: no warning)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main

CONFIG = """
[[entities]]
name = "Theresa May"
aliases = ["May", "Mrs May"]
[[entities]]
name = "Tim Cook"
aliases = ["Cook"]
[[entities]]
name = "Vladimir Putin"
aliases = ["Putin", "Путин"]
[[entities]]
name = "World Health Organization"
aliases = ["WHO"]
[[entities]]
name = "Lee Jae-myung"
aliases = ["Lee"]
[[entities]]
name = "Black Friday"
aliases = ["Friday"]
[[entities]]
name = "Elon Musk"
aliases = ["Musk"]
[[entities]]
name = "Condoleezza Rice"
aliases = ["rice"]
[[entities]]
name = "June"
[[rules]]
name = "people"
query = "@May OR @Cook OR @Putin OR @WHO OR @Lee OR @Friday"
channels = []
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "m.db"}"\n'
        '[[feeds]]\nurl = "http://127.0.0.1:9/rss"\nname = "f"\n' + CONFIG,
        encoding="utf-8",
    )
    return path


def test_check_config_warns_of_an_alias_that_is_a_common_word(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-config", "-c", str(config)]) == 0
    out, err = capsys.readouterr()
    assert "ok (1 feed, 1 rule, 9 entities" in out, out
    warned = [line for line in err.splitlines() if "entities[" in line]
    # May, Cook, Friday, Musk, rice and the entity June: not Putin, WHO, Lee nor "Mrs May"
    assert len(warned) == 6, err
    may, cook, friday, musk, lower, name = warned
    assert may.startswith("monitor: warning: entities[0].aliases[0]: 'May' (of 'Theresa May')")
    assert "a month and an English word" in may and '"due in May"' in may, may
    assert "drop it" in may, may  # a month fires on every date
    assert '"Mr May"' in may and "'Theresa May' fires already" in may, may
    assert cook.startswith("monitor: warning: entities[1].aliases[0]: 'Cook' (of 'Tim Cook')")
    assert "an English word" in cook and "another name" in cook, cook
    assert "entities[5].aliases[0]: 'Friday'" in friday and "a weekday" in friday, friday
    # A common word is to be checked, not dropped: most such names fire on their people
    # (review18a: "Musk", "Gates", "Bush" were told to go).
    assert "entities[6].aliases[0]: 'Musk'" in musk and "drop" not in musk, musk
    assert "monitor test-rules --since" in musk, musk
    # Lower case fires on the word in any case; an entity's own name is checked too.
    assert "entities[7].aliases[0]: 'rice'" in lower and "in any case" in lower, lower
    assert "entities[8].name: 'June' is also a month" in name and "Mr June" not in name, name


def test_the_alias_still_fires_as_before(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A warning, not a change of what matches: the user decides."""
    for text in ("Jobs report due in May, economists say", "Cook Islands hit by cyclone"):
        assert main(["test-rules", "--text", text, "-c", str(config)]) == 0
        out, err = capsys.readouterr()
        assert err.strip() == "1 match" and out.startswith("people [normal]"), (out, err)
