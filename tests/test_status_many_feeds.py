"""``monitor status`` at many feeds lists the failing ones and counts the rest: at a thousand
feeds, a thousand rows hid the few that need the operator (explore11: 300 rows at 300
feeds). ``--all`` lists every feed; ``--json`` always holds every feed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss

from monitor.cli import main
from monitor.cli.status import LISTED


async def test_status_lists_the_failing_feeds_and_counts_the_working_ones(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    working = LISTED + 3
    lines = [f'[monitor]\nmax_age = "36500d"\nretention = "36500d"\ndatabase = "{tmp_path / "monitor.db"}"']
    for i in range(working):
        feed_server.feed(f"/ok{i}", rss(f"Desk {i}", [(f"Council vote {i}", f"http://d/{i}")]))
        lines.append(f'[[feeds]]\nurl = "{feed_server.url(f"/ok{i}")}"\nname = "Desk {i:02d}"')
    for name in ("Gone", "Missing"):
        feed_server.handler(f"/{name}", lambda _: web.Response(status=404))
        lines.append(f'[[feeds]]\nurl = "{feed_server.url(f"/{name}")}"\nname = "{name}"')
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    await asyncio.to_thread(main, ["once", "-c", str(path)])
    capsys.readouterr()

    assert await asyncio.to_thread(main, ["status", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"Feeds: {working + 2} configured, 2 failing" in out
    assert "Gone" in out and "Missing" in out and "HTTP 404" in out
    assert "Desk 00" not in out
    assert f"... and {working} working feeds (monitor status --all lists every feed)" in out

    assert await asyncio.to_thread(main, ["status", "--all", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert all(f"Desk {i:02d}" in out for i in range(working)) and "Gone" in out
    assert "working feeds" not in out

    # A feed added to the config and not polled yet is no working feed: it is listed.
    path.write_text(
        path.read_text() + f'[[feeds]]\nurl = "{feed_server.url("/new")}"\nname = "Newcomer"\n'
    )
    assert await asyncio.to_thread(main, ["status", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Newcomer" in out and f"... and {working} working feeds" in out

    assert await asyncio.to_thread(main, ["status", "--json", "-c", str(path)]) == 0
    assert len(json.loads(capsys.readouterr().out)["feeds"]) == working + 3
