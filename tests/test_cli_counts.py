"""Counts read as English: one story of one item from one outlet says so ("1 item from 1
outlet", "1 story"), in `stories`, `events` and the `once` summary."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from feedserver import FeedServer, rss

from monitor.cli import main


async def test_one_of_each_is_singular(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.feed("/rss", rss("Lone Outlet", [("Harbour bridge reopens", "http://x.test/1")]))
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\nmax_age = "3650d"\ndatabase = "{tmp_path}/m.db"\nretention = "3650d"\n'
        f'[[feeds]]\nurl = "{feed_server.url("/rss")}"\n[dedup]\nwindow = "3650d"\n',
        encoding="utf-8",
    )
    assert await asyncio.to_thread(main, ["once", "-c", str(config)]) == 0
    once = capsys.readouterr().err
    assert "polled 1 feed: 1 new item, 0 failed" in once, once
    for command, lines in [
        ("stories", ["1 item from 1 outlet: ", "1 story"]),
        ("events", ["1 story, 1 item from 1 outlet: ", "(1 item)", "1 event"]),
    ]:
        argv = [command, "-c", str(config), "--since", "3650d"]
        assert await asyncio.to_thread(main, argv) == 0
        out = capsys.readouterr().out
        for line in lines:
            assert line in out, (command, out)
        for wrong in ("1 items", "1 outlets", "1 stories", "1 events"):
            assert wrong not in out, (command, out)


def test_a_replay_summary_of_one_of_each_is_singular() -> None:
    from monitor.replay.runner import ReplaySummary

    one = ReplaySummary(
        feeds=1, records=1, polls=1, failed_polls=0, new_items=1, stories=1, matches=1,
        alerts={"sent": 1}, sent={"alerts": 1, "updates": 0}, discarded=1, data_hours=1.0, seconds=0.5, database="m.db",
    )  # fmt: skip
    text = "\n".join(one.lines())
    assert "replayed 1 headline from 1 feed " in text
    assert "1 poll (0 failed), 1 new item, 1 story, 1 match" in text
    assert "1 alert still pending at the end was discarded" in text
