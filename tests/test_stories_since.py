"""`monitor stories --since` lists what arrived in the window, whatever date the outlet put
on it: a feed that publishes late (items dated days ago) is news received now, as
`test-rules --since` and `events --since` already count it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from feedserver import FeedServer, rss

from monitor.cli import main


@pytest.mark.parametrize(("since", "listed"), [("24h", True), (None, True)])
async def test_stories_since_lists_items_received_in_the_window_with_old_dates(
    feed_server: FeedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    since: str | None,
    listed: bool,
) -> None:
    # rss() dates its items 5 Nov 2025: long before the window.
    feed_server.feed(
        "/late", rss("Late Post", [("Port reopens after storm", "http://example.org/1")])
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\nmax_age = "36500d"\nretention = "36500d"\ndatabase = "{tmp_path / "monitor.db"}"\n[[feeds]]\nurl = "{feed_server.url("/late")}"\n'
    )
    assert await asyncio.to_thread(main, ["once", "-c", str(config)]) == 0
    capsys.readouterr()
    extra = ["--since", since] if since else []
    assert await asyncio.to_thread(main, ["stories", "--json", *extra, "-c", str(config)]) == 0
    stories = json.loads(capsys.readouterr().out)["stories"]
    assert [s["title"] for s in stories] == (["Port reopens after storm"] if listed else [])
