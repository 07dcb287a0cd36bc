"""The story window of a restarted node (or a second `monitor once`) is by when items were
first seen, as in a running one: an item published long before the window (an old article a
feed only now carries) but seen an hour ago still takes the copies that follow into its story.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from clirun import HEADLINES, PASSWORD, monitor_cli, pipeline_config, with_password
from feedserver import FeedServer, rss
from standins import telegram_standin, webhook_receiver

from monitor.cli import main


async def _stories(config: Path, capsys: pytest.CaptureFixture[str]) -> list[Any]:
    """`monitor stories --json --since 3650d`: the command's own code, in this process (the
    runs it reads are processes of their own)."""
    code = await asyncio.to_thread(
        main, ["stories", "--json", "--since", "3650d", "-c", str(config)]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    stories: list[Any] = json.loads(out)["stories"]
    return stories


async def test_a_second_run_joins_an_old_article_seen_within_the_window(
    feed_server: FeedServer,
    database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PGPW", PASSWORD)  # the config's, for the view in this process

    def publish(count: int) -> None:
        for i in range(4):
            items = [(f"Other news {i}", f"http://outlet{i}.example/other")]
            if i < count:
                items.insert(0, (HEADLINES[i % 3] + f" - Outlet {i}", f"http://o{i}.example/rail"))
            feed_server.feed(f"/o{i}", rss(f"Outlet {i}", items))

    publish(1)  # the feed server's items are dated November 2025: over a window ago
    urls = [feed_server.url(f"/o{i}") for i in range(4)]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = tmp_path / "config.toml"
        if database.startswith("postgresql://"):
            database = with_password(database)
        text = pipeline_config(database, urls, tg.url, hook.url)
        config.write_text(text.replace('window = "3650d"', 'window = "72h"'), "utf-8")
        code, _, err = await monitor_cli("once", config=config)
        assert code == 0, err
        assert len(tg.sent) == 1

        publish(4)  # three more outlets carry it, in the next run
        code, _, err = await monitor_cli("once", config=config)
        assert code == 0, err
        stories = await _stories(config, capsys)
    rail = [s for s in stories if "summit" in s["title"]]
    assert [len(s["items"]) for s in rail] == [4]
    assert len(tg.sent) == 1, [m["text"] for m in tg.sent]
    assert [p["alert"]["kind"] for p in hook.payloads()].count("new") == 1


async def test_a_run_that_brings_nothing_new_never_reads_the_window(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`monitor once` from cron: the window is read from the store only when a poll brings a
    new item, so a run where every feed answers 304 pays nothing for it; the run that does
    bring one still joins it to the story of the run before."""
    feed_server.feed("/a", rss("A", [(HEADLINES[0] + " - A", "http://a.example/1")]))
    feed_server.feed("/b", rss("B", [("Other news", "http://b.example/1")]))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = tmp_path / "config.toml"
        config.write_text(pipeline_config(str(tmp_path / "m.db"), urls, tg.url, hook.url), "utf-8")
        runs = []
        for copy in (False, False, True):
            if copy:  # the wire story on a second outlet
                items = [
                    (HEADLINES[0] + " - B", "http://b.example/2"),
                    ("Other news", "http://b.example/1"),
                ]
                feed_server.feed("/b", rss("B", items))
            code, _, err = await monitor_cli("once", config=config)
            assert code == 0, err
            runs.append(err)
        stories = await _stories(config, capsys)
    assert ["rebuilt the story window" in err for err in runs] == [True, False, True]
    assert "rebuilt the story window: 2 headlines" in runs[2]
    assert sorted(len(s["items"]) for s in stories) == [1, 2]
    assert len(tg.sent) == 1
