"""A rule scoped to the summary (query.py: ``summary:term``) fired on a Google News item,
whose description is the item's own headline as a link and its outlet in a <font>. At
99d40da the parsers emptied that description: the rule never fired on Google News again
(review20h); only a list of several outlets' headlines is no summary."""

from __future__ import annotations

from html import escape
from pathlib import Path

from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin

from monitor.engine import Engine
from monitor.oneshot import poll_all

HEAD = "Zelensky rejects Putin's Moscow invitation, proposes neutral venue for summit"
ARTICLE = "https://www.pravda.com.ua/eng/news/2026/12/7/7530001/"
DESCRIPTION = (
    f'<a href="{ARTICLE}" target="_blank">{escape(HEAD)}</a>&nbsp;&nbsp;'
    '<font color="#6f6f6f">Ukrainska Pravda</font>'
)
BODY = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
    "<title>Google News - Ukraine</title><link>https://news.google.com</link>"
    f"<item><title>{escape(HEAD + ' - Ukrainska Pravda')}</title>"
    "<link>https://news.google.com/rss/articles/CBMiXYZ?oc=5</link>"
    '<guid isPermaLink="false">CBMiXYZ</guid>'
    "<pubDate>Mon, 07 Dec 2026 06:00:00 GMT</pubDate>"
    f"<description>{escape(DESCRIPTION)}</description>"
    '<source url="https://source.example">Ukrainska Pravda</source></item>'
    "</channel></rss>"
).encode()

RULES = f"""
[[rules]]
name = "summit-in-text"
query = 'summary:summit'
channels = ["desk"]

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{{tg}}"
rate_limit = "off"
"""


async def test_a_summary_scoped_rule_still_fires_on_google_news(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/gnews", BODY)
    async with telegram_standin() as tg:
        extra = RULES.replace("{tg}", tg.url)
        engine = await Engine.open(make_config(tmp_path, [feed_server.url("/gnews")], extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    assert len(tg.messages) == 1, "summary:summit matched before 99d40da; now no alert"
