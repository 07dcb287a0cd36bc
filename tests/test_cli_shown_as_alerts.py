"""`monitor stories` and `monitor events`, text and --json, show an item's headline and link
as its alert does: without Google News' " - Outlet" tail, without utm_*/fbclid (explore20:
the views showed both, the alerts neither)."""

from __future__ import annotations

import asyncio
import json
from html import escape
from pathlib import Path

import pytest
from feedserver import FeedServer

from monitor.cli import main

HEAD = "Zelensky rejects Putin's Moscow invitation, proposes neutral venue for summit"
LINK = "https://www.pravda.com.ua/eng/news/2026/12/7/7530001/?id=7&utm_source=gn&fbclid=abc"
SHOWN_LINK = "https://www.pravda.com.ua/eng/news/2026/12/7/7530001/?id=7"


def feed() -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Google News - Ukraine</title><link>https://news.google.com</link>"
        f"<item><title>{escape(HEAD)} - Ukrainska Pravda</title>"
        f'<link>{escape(LINK)}</link><guid isPermaLink="false">CBMiXYZ</guid>'
        "<pubDate>Mon, 07 Dec 2026 06:00:00 GMT</pubDate>"
        '<source url="https://www.pravda.com.ua">Ukrainska Pravda</source></item>'
        "</channel></rss>"
    ).encode()


@pytest.mark.parametrize("command", ["stories", "events"])
@pytest.mark.parametrize("json_out", [False, True], ids=["text", "json"])
async def test_the_views_show_headlines_and_links_as_alerts_do(
    feed_server: FeedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    json_out: bool,
) -> None:
    feed_server.feed("/gnews", feed())
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\nmax_age = "3650d"\ndatabase = "{tmp_path}/m.db"\nretention = "3650d"\n'
        f'[[feeds]]\nurl = "{feed_server.url("/gnews")}"\n[dedup]\nwindow = "3650d"\n',
        encoding="utf-8",
    )
    assert await asyncio.to_thread(main, ["once", "-c", str(config)]) == 0
    capsys.readouterr()
    argv = [command, "-c", str(config), "--since", "3650d"] + (["--json"] if json_out else [])
    assert await asyncio.to_thread(main, argv) == 0
    out = capsys.readouterr().out
    if json_out:  # what it shows; the feed's own title stays in raw_title, for scripts
        out = json.dumps(json.loads(out), ensure_ascii=False)
        assert f'"raw_title": "{HEAD} - Ukrainska Pravda"' in out, out
        out = out.replace(f'"raw_title": "{HEAD} - Ukrainska Pravda"', "")
        raw_link = json.dumps({"raw_url": LINK}, ensure_ascii=False)[1:-1]
        if command == "stories":  # and its link, raw_url (review20h)
            assert raw_link in out, out
        out = out.replace(raw_link, "")
    assert HEAD in out, out
    assert "summit - Ukrainska Pravda" not in out, out
    assert "utm_source" not in out and "fbclid" not in out, out
    if command == "stories":  # events list stories' headlines, not links
        assert SHOWN_LINK in out, out
