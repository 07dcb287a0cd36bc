"""An aggregator's description is no lede: Google News describes an item by its headline
again (a link, then the outlet's name in a <font>), or by a list of the headlines of the
outlets it groups. The alert shows the headline once, and a rule does not fire on a word
found only in another outlet's headline of that list (explore20). A feed's real summary,
links and all, is still the lede and still matched. Through the real pipeline: a local feed
server, the Bot API stand-in a user reads."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin

from monitor.engine import Engine
from monitor.oneshot import poll_all

HEAD = "Zelensky rejects Putin's Moscow invitation, proposes neutral venue for summit"
KREMLIN = "Kremlin says Putin's invitation to Zelenskyy to come to Moscow for talks stands"
RT_HEAD = "Putin's Moscow invitation to Zelensky for talks and not surrender - Kremlin"


def _link(url: str, text: str, outlet: str) -> str:
    return (
        f'<a href="{url}" target="_blank">{escape(text)}</a>&nbsp;&nbsp;'
        f'<font color="#6f6f6f">{escape(outlet)}</font>'
    )


def feed(title: str, description: str, source: str = "Ukrainska Pravda") -> bytes:
    """A Google-News-like feed of one item: its title with the outlet's tail, ``description``
    as the item's (HTML, escaped as RSS carries it), the outlet in ``<source>``."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Google News - Ukraine</title><link>https://news.google.com</link>"
        f"<item><title>{escape(f'{title} - {source}')}</title>"
        "<link>https://news.google.com/rss/articles/CBMiXYZ?oc=5</link>"
        '<guid isPermaLink="false">CBMiXYZ</guid>'
        "<pubDate>Mon, 07 Dec 2026 06:00:00 GMT</pubDate>"
        f"<description>{escape(description)}</description>"
        f'<source url="https://source.example">{escape(source)}</source></item>'
        "</channel></rss>"
    ).encode()


RULES = f"""
[[entities]]
name = "Volodymyr Zelensky"
aliases = ["Zelensky"]

[[rules]]
name = "peace-talks"
query = '@Zelensky AND (negotiations OR summit OR talks)'
channels = ["desk"]

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{{tg}}"
rate_limit = "off"
"""


async def chat(feed_server: FeedServer, tmp_path: Path, body: bytes) -> list[str]:
    """The chat as the user reads it after one poll of a feed serving ``body``."""
    feed_server.feed("/gnews", body)
    async with telegram_standin() as tg:
        extra = RULES.replace("{tg}", tg.url)
        engine = await Engine.open(make_config(tmp_path, [feed_server.url("/gnews")], extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    return list(tg.messages.values())


ARTICLE = "https://www.pravda.com.ua/eng/news/2026/12/7/7530001/"
LEDE = "The president said Kyiv would meet in Istanbul or the Gulf, not in Moscow."


@pytest.mark.parametrize(
    "description",
    [
        _link(ARTICLE, HEAD, "Ukrainska Pravda"),  # Google News: link and outlet
        HEAD + "\u00a0\u00a0Ukrainska Pravda",  # the same as plain text, NBSP and all
        "Zelensky rejects Putin's Moscow invitation, proposes…",  # cut with an ellipsis
    ],
    ids=["google-link", "plain-with-outlet", "ellipsis-cut"],
)
async def test_a_summary_that_is_the_headline_again_is_no_lede(
    feed_server: FeedServer, tmp_path: Path, description: str
) -> None:
    """The alert shows the headline once (before: again under it as the lede)."""
    (message,) = await chat(feed_server, tmp_path, feed(HEAD, description))
    assert message.count("proposes neutral venue") == 1, message
    assert message.count("Zelensky rejects") == 1, message


async def test_a_real_summary_with_links_is_still_the_lede(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """A summary of the outlet's own words with a link in it is shown under the headline."""
    description = f'<p>{LEDE} <a href="{ARTICLE}">Read more</a></p>'
    (message,) = await chat(feed_server, tmp_path, feed(HEAD, description))
    assert LEDE in message, message


GROUPED = [
    (KREMLIN, "The Associated Press"),
    (RT_HEAD, "RT"),
    ("Sybiha: Putin's offer 'knowingly unacceptable'", "The Kyiv Independent"),
]


def _grouped() -> str:
    """Google News' description of a story it groups: each outlet's headline and name."""
    items = (
        f"<li>{_link(f'https://news.google.com/rss/articles/{n}?oc=5', head, outlet)}</li>"
        for n, (head, outlet) in enumerate(GROUPED)
    )
    return "<ol>" + "".join(items) + "</ol>"


async def test_other_outlets_headlines_are_not_the_items_text(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """Google News' grouped description lists AP's headline ("Zelenskyy") and RT's
    ("Zelensky"): the AP item is not matched on RT's words (before: an alert on "Zelensky",
    its lede three headlines and outlet names run together)."""
    body = feed(KREMLIN, _grouped(), "The Associated Press")
    assert await chat(feed_server, tmp_path, body) == []


async def test_an_item_whose_own_headline_matches_is_alerted_without_the_list(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """The grouped description under a headline that matches: one alert, no lede of
    other outlets' headlines."""
    (message,) = await chat(feed_server, tmp_path, feed(HEAD, _grouped()))
    assert "Kyiv Independent" not in message and "Sybiha" not in message, message


BING_TARGET = "https://www.reuters.com/world/europe/zelensky-rejects-moscow-2026-12-07/?id=7"
BING = (
    "http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=68D5A1B2"
    "&url=https%3a%2f%2fwww.reuters.com%2fworld%2feurope%2fzelensky-rejects-moscow-2026-12-07%2f"
    "%3fid%3d7&c=1234567890&mkt=en-us"
)


async def test_a_bing_news_link_is_the_outlets(feed_server: FeedServer, tmp_path: Path) -> None:
    """Bing News links its items through its click counter, the article's address in its
    ``url=``: the alert links the article (before: www.bing.com)."""
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Zelensky - Bing News</title><link>https://www.bing.com/news</link>"
        f"<item><title>{escape(HEAD)}</title><link>{escape(BING)}</link>"
        f"<description>{escape(LEDE)}</description>"
        "<pubDate>Mon, 07 Dec 2026 06:00:00 GMT</pubDate></item>"
        "</channel></rss>"
    ).encode()
    (message,) = await chat(feed_server, tmp_path, body)
    assert BING_TARGET in message and "bing.com" not in message, message
