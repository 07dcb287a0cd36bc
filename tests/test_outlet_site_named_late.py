"""A feed whose link first names its site (store.outlets.name_site) after its item and an
aggregator's item of that site made a story: the story's stored count of outlets
(`monitor stories --json`) is one, as its text says, whichever row came first."""

from __future__ import annotations

import asyncio
import json
from html import escape
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import config_file
from test_outlet_by_site import GOOGLE, HEAD, feed, rules
from test_outlet_site_rule import chat_after

from monitor.cli import main


def reuters(link: str) -> bytes:
    """Reuters' feed, one item (the same guid whatever the channel link)."""
    element = f"<link>{link}</link>" if link else "<link/>"
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Reuters World News</title>{element}"
        f"<item><title>{escape(HEAD)}</title><link>https://example.org/r1</link>"
        "<guid>urn:r1</guid><pubDate>Fri, 05 Sep 2025 14:03:00 GMT</pubDate></item>"
        "</channel></rss>"
    ).encode()


@pytest.mark.parametrize("gnews_first", [False, True], ids=["feed-first", "gnews-first"])
async def test_stories_json_outlets_after_a_feed_names_its_site(
    feed_server: FeedServer, tmp_path: Path, database: str,
    capsys: pytest.CaptureFixture[str], gnews_first: bool,
) -> None:  # fmt: skip
    empty_g = feed(GOOGLE, [])
    full_g = feed(GOOGLE, [("Reuters", "https://www.reuters.com")])
    polls = [
        {"/r": reuters(""), "/gnews": full_g if gnews_first else empty_g},
        {"/r": reuters(""), "/gnews": full_g},
        # the same item; the link now names reuters.com: no new item, name_site runs
        {"/r": reuters("https://www.reuters.com/world/"), "/gnews": full_g},
    ]
    if gnews_first:  # Google's item first, Reuters' own later
        polls[0] = {"/r": feed(("Reuters World News", ""), []), "/gnews": full_g}
    urls = [feed_server.url("/r")]
    extra = f'\n[[feeds]]\nurl = "{feed_server.url("/gnews")}"\n'
    await chat_after(feed_server, tmp_path, database, urls, polls, extra)
    config = config_file(tmp_path, urls, extra=rules("http://127.0.0.1:9/") + extra,
                         database=database)  # fmt: skip
    assert await asyncio.to_thread(main, ["stories", "-c", str(config), "--since", "3650d"]) == 0
    text = capsys.readouterr().out
    assert (
        await asyncio.to_thread(main, ["stories", "-c", str(config), "--since", "3650d", "--json"])
        == 0
    )
    out = capsys.readouterr().out
    stories = json.loads(out)
    stories = stories if isinstance(stories, list) else stories["stories"]
    assert len(stories) == 1, out
    assert "from 1 outlet" in text, text
    assert stories[0]["outlets"] == 1, (text, out)
