"""The console (``monitor demo``, ``once --dry-run``, ``replay``) says what the other channels
say of an event that grows: its new angle's headline, and that it is an event, through the
real pipeline (local feeds, the console channel on stdout)."""

from __future__ import annotations

from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from test_events_alerts import ANGLES, publish

from monitor.engine import Engine
from monitor.oneshot import poll_all

SCREEN = """
[[rules]]
name = "peace-talks"
query = 'Putin OR Zelensky'
channels = ["screen"]
alert_on = "{alert_on}"

[channels.screen]
type = "console"
update_delay = "0s"
"""

# alert_on, what the first block says, what the blocks printed as the news grows say
CASES = [
    ("event", "● NEW STORY", ["↻ EVENT GROWS", f"{len(ANGLES)} outlets, {len(ANGLES)} angles"]),
    ("story", "● NEW STORY", ["● NEW STORY"]),
]


@pytest.mark.parametrize(("alert_on", "first", "then"), CASES, ids=[c[0] for c in CASES])
async def test_console_shows_an_events_new_angle(
    feed_server: FeedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    alert_on: str,
    first: str,
    then: list[str],
) -> None:
    urls = publish(feed_server, 1)
    config = make_config(tmp_path, urls, extra=SCREEN.format(alert_on=alert_on))
    engine = await Engine.open(config)
    try:
        capsys.readouterr()
        await poll_all(engine.rt, progress=False)
        assert await engine.drain(20)
        opened = capsys.readouterr().out
        publish(feed_server, len(ANGLES))
        await poll_all(engine.rt, progress=False)
        assert await engine.drain(20)
        grown = capsys.readouterr().out
    finally:
        await engine.close()
    for words in then:
        assert words in grown, grown
    assert opened.startswith(first) and ANGLES[0] in opened
    assert "Published " in opened
    if alert_on == "event":
        assert "STORY GROWS" not in grown
        new = " ".join(grown.split("new: ", 1)[1].split())
        assert all(a in new for a in ANGLES[1:]), grown  # every new angle, not the newest only
