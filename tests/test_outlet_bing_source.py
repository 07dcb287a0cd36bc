"""Bing News RSS names an item's outlet in ``<News:Source>Reuters</News:Source>`` (a namespace
whose URI is the query's URL; no ``<source>``, no address) and links through its click
counter (``apiclick.aspx?...&url=<the article>``). Before, monitor read no outlet from it: a
Bing item was the Bing feed's own outlet, so Reuters through Bing was a second outlet ("also
reported by: Putin - Bing News") and a burst of 2 outlets fired for one (review21g D4)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from feedserver import FeedServer
from test_outlet_by_site import GOOGLE, HEAD, REUTERS, feed
from test_outlet_site_rule import SEP, chat_after

from monitor.parse import parse_with_feedparser
from monitor.parse.fast import parse_fast

BING_URL = "https://www.bing.com/news/search?q=Putin&amp;format=RSS"
CLICK = (
    "http://www.bing.com/news/apiclick.aspx?ref=FexRss&amp;aid=&amp;tid=abc&amp;"
    "url=https%3a%2f%2fwww.reuters.com%2fworld%2feurope%2fkremlin-putin-zelensky-2025-09-05%2f"
    "&amp;c=123&amp;mkt=en-us"
)


def bing(credit: str = "<News:Source>Reuters</News:Source>", link: str = CLICK) -> bytes:
    """A Bing News feed as Bing writes it, its one item crediting ``credit``."""
    return (
        '<?xml version="1.0" encoding="utf-8" ?><rss version="2.0" '
        f'xmlns:News="{BING_URL}"><channel><title>Putin - Bing News</title>'
        f"<link>{BING_URL}</link><description>Search results</description>"
        f"<item><title>{HEAD}</title><link>{link}</link>"
        "<description>The Kremlin said on Friday that President Vladimir Putin had invited."
        "</description><pubDate>Fri, 05 Sep 2025 14:05:00 GMT</pubDate>"
        f"{credit}<News:Image>http://www.bing.com/th?id=OVFT.x&amp;pid=News</News:Image>"
        "<News:ImageSize>w={0}&amp;h={1}&amp;c=7</News:ImageSize></item></channel></rss>"
    ).encode()


async def test_reuters_three_ways_with_bings_real_format_is_one_outlet(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    """Reuters' own feed, Google News' <source url> and Bing's <News:Source>: one alert
    crediting Reuters, no "also reported by", no burst."""
    polls = [{
        "/reuters": feed(REUTERS, [("", None)]),
        "/gnews": feed(GOOGLE, [("Reuters", "https://www.reuters.com")]),
        "/bing": bing(),
    }]  # fmt: skip
    urls = [feed_server.url(p) for p in ("/reuters", "/gnews", "/bing")]
    messages = await chat_after(feed_server, tmp_path, database, urls, polls)
    assert len(messages) == 1, SEP.join(messages)  # no burst of one outlet
    assert "also reported by" not in messages[0], SEP.join(messages)
    assert "Bing" not in messages[0], messages[0]


NOW = datetime(2026, 1, 1, tzinfo=UTC)
OWN_LINK = "https://www.bing.com/news/search?q=Putin"


@pytest.mark.parametrize(
    ("body", "source", "site"),
    [
        (bing(), "Reuters", "reuters.com"),
        (bing("<News:Source>AT&amp;T News</News:Source>"), "AT&T News", "reuters.com"),
        # A <source> is the item's credit where it has one.
        (bing('<source url="https://apnews.com/">AP</source><News:Source>Reuters</News:Source>'),
         "AP", "apnews.com"),
        # Not a click-through: the link is no outlet's article, so the name alone.
        (bing(link=OWN_LINK), "Reuters", ""),
        (bing(credit=""), "", ""),
    ],
    ids=["source", "entity", "source-wins", "own-link", "none"],
)  # fmt: skip
def test_both_parsers_read_bings_source(body: bytes, source: str, site: str) -> None:
    """The fast path takes Bing's feed and reads what feedparser reads from it."""
    headers = {"content-type": "application/rss+xml"}
    fast = parse_fast(body, headers, "http://127.0.0.1/bing", NOW)
    slow = parse_with_feedparser(body, headers, url="http://127.0.0.1/bing", now=NOW)
    assert fast is not None
    for parsed in (fast, slow):
        (item,) = parsed.entries
        assert (item.source, item.site) == (source, site)
