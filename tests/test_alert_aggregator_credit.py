"""An aggregator's item (Google News, Yahoo News: ``<source>Reuters</source>``) is credited to
the outlet it names, and a story's outlets are counted by name: the alert's first outlet, its
"also reported by" and its count of outlets (a burst rule's threshold) are the same live and
after a restart. Through the real pipeline: local feeds, the Bot API stand-in a user reads."""

from __future__ import annotations

from html import escape
from pathlib import Path

import asyncpg
import pytest
from assignerhelpers import assign_queued, poll_to_queue, take_assigner_role
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin
from test_alert_update_pace import ANGLES, LEDES

from monitor.engine import Engine
from monitor.oneshot import poll_all

HEAD = "Kremlin says Putin invited Zelensky to Moscow for peace talks"
DATES = ["Fri, 05 Sep 2025 14:03:00 GMT", "Fri, 05 Sep 2025 14:05:00 GMT",
         "Fri, 05 Sep 2025 14:07:00 GMT"]  # fmt: skip


def aggregator(channel: str, sources: list[str]) -> bytes:
    """A Google-News-like feed titled ``channel``: one copy of the story per outlet, signed
    with its name and crediting it in ``<source>``."""
    body = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(channel)}</title><link>https://news.example/</link>"
    ]
    for n, source in enumerate(sources):
        slug = source.replace(" ", "").lower()
        url = f"https://{slug}.example/putin-zelensky-{channel[:5].lower()}"
        body.append(
            f"<item><title>{escape(f'{HEAD} - {source}')}</title><link>{url}</link>"
            f"<guid>{url}</guid><pubDate>{DATES[n]}</pubDate>"
            f'<source url="https://{slug}.example">{escape(source)}</source></item>'
        )
    return ("".join(body) + "</channel></rss>").encode()


RULES = f"""
[[rules]]
name = "talks"
query = 'Putin AND Zelensky'
alert_on = "{{alert_on}}"
channels = ["desk"]
burst = {{ outlets = 4, within = "1h" }}

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{{tg}}"
rate_limit = "off"
update_delay = "0s"
"""


def first_poll(feed_server: FeedServer) -> list[str]:
    """Google News carries the story from Reuters, AP and BBC News; Yahoo News nothing yet."""
    feed_server.feed("/gnews", aggregator("Google News - Ukraine", ["Reuters", "AP", "BBC News"]))
    feed_server.feed("/yahoo", aggregator("Yahoo News", []))
    return [feed_server.url("/gnews"), feed_server.url("/yahoo")]


def second_poll(feed_server: FeedServer) -> None:
    """Yahoo News carries it from Reuters again, and from Al Jazeera."""
    feed_server.feed("/yahoo", aggregator("Yahoo News", ["Reuters", "Al Jazeera"]))


def rules(tg: str, alert_on: str = "story") -> str:
    return RULES.replace("{tg}", tg).replace("{alert_on}", alert_on)


async def run(
    feed_server: FeedServer, tmp_path: Path, database: str, restart: bool, alert_on: str
) -> list[str]:
    """The chat as the user reads it after the two polls (a restart between them when
    ``restart``), with a rule alerting per ``alert_on``."""
    urls = first_poll(feed_server)
    async with telegram_standin() as tg:
        config = make_config(tmp_path, urls, extra=rules(tg.url, alert_on), database=database)
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            if restart:
                await engine.close()
                engine = await Engine.open(config)
            second_poll(feed_server)
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    return list(tg.messages.values())


@pytest.mark.parametrize("alert_on", ["story", "event"])
@pytest.mark.parametrize("restart", [False, True], ids=["live", "restart"])
async def test_an_aggregators_items_are_credited_and_counted_by_their_outlets(
    feed_server: FeedServer, tmp_path: Path, database: str, restart: bool, alert_on: str
) -> None:
    """The alert names Reuters first, not "Google News - Ukraine"; Reuters through two
    aggregators is one outlet: four, not the two feeds (nor five items), live and after a
    restart alike; the burst rule (4 outlets within 1h) fires on those four. Per story (its
    outlets) and per event (the event's) alike."""
    said(await run(feed_server, tmp_path, database, restart, alert_on))


def said(messages: list[str]) -> None:
    assert len(messages) == 2, messages  # the alert (edited as the story grew), the burst
    alert, burst = messages
    outlets = "Reuters — also reported by: AP, BBC News, Al Jazeera"
    assert outlets in alert and "Google News" not in alert and "Yahoo" not in alert, alert
    assert "4 outlets within 1h" in burst and outlets in burst, burst


async def test_the_cluster_assigner_credits_and_counts_as_one_process(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    """On PostgreSQL, node A polls and queues its items; node B, the assigner, takes them
    from the queue (``<source>`` with them) after each poll: the same chat as one process."""
    urls = first_poll(feed_server)
    async with telegram_standin() as tg:
        config = make_config(tmp_path, urls, extra=rules(tg.url), database=pg_url)
        conn = await asyncpg.connect(pg_url)  # node B's session: it holds the role
        try:
            term = await take_assigner_role(conn)
            for then in (second_poll, lambda _: None):
                queued = await poll_to_queue(config)
                await assign_queued(config, term, queued)
                then(feed_server)
        finally:
            await conn.close()
    said(list(tg.messages.values()))


FIRST, ANGLE = "Putin invites Zelensky to Moscow for peace talks", ANGLES[0]


def google_news(items: list[tuple[str, str]]) -> bytes:
    """Google News carrying (headline, outlet) items, each with its lede."""
    body = "".join(
        f"<item><title>{escape(f'{title} - {source}')}</title><link>https://news.example/{n}"
        f"</link><guid>https://news.example/{n}</guid><description>{escape(LEDES[title])}"
        f"</description><pubDate>{DATES[n]}</pubDate>"
        f'<source url="https://{n}.example">{escape(source)}</source></item>'
        for n, (title, source) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Google News'
        f"</title><link>https://news.example/</link>{body}</channel></rss>"
    ).encode()


async def test_an_events_update_leads_from_the_outlet_its_new_angle_names(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    """An event's update leads with its new angle "From Al Jazeera", the outlet Google News
    names for it, not "From Google News"."""
    feed_server.feed("/gnews", google_news([(FIRST, "Reuters")]))
    async with telegram_standin() as tg:
        extra = rules(tg.url, "event").replace("burst = ", "# burst = ")
        config = make_config(tmp_path, [feed_server.url("/gnews")], extra=extra, database=database)
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/gnews", google_news([(FIRST, "Reuters"), (ANGLE, "Al Jazeera")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    (message,) = tg.messages.values()
    assert ANGLE in message and "From Al Jazeera" in message, message
    assert "Reuters — also covering this event: Al Jazeera" in message, message
    assert "Google News" not in message, message
