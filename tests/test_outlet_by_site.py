"""One outlet under several names is one outlet: its web site's registrable domain is its
identity where one is known (an aggregator's ``<source url=...>``, a feed's own channel
<link>). Reuters' own feed, Google News' ``<source url="https://www.reuters.com">Reuters``
and a reader's ``<source url="https://reuters.com/">reuters.com`` were three outlets: "also
reported by" named Reuters twice more, and a burst rule of 2 outlets fired for one. Through
the real pipeline: local feeds, the Bot API stand-in a user reads, on SQLite and PostgreSQL,
live and after a restart, and through a cluster's assigner."""

from __future__ import annotations

import asyncio
import zlib
from html import escape
from pathlib import Path

import asyncpg
import pytest
from assignerhelpers import assign_queued, poll_to_queue, take_assigner_role
from feedserver import FeedServer
from helpers import config_file, make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin
from test_alert_update_pace import ANGLES, LEDES

from monitor.cli import main
from monitor.engine import Engine
from monitor.oneshot import poll_all

HEAD = "Kremlin says Putin invited Zelensky to Moscow for peace talks"
GOOGLE = ("Google News - Ukraine", "https://news.google.com/search?q=Putin")
READER = ("Putin - Inoreader", "https://www.inoreader.com/stream/user/1005147396/tag/putin")
YAHOO = ("Yahoo News - World", "https://news.yahoo.com/world/")
REUTERS = ("Reuters World News", "https://www.reuters.com/world/")
BBC = ("BBC News - World", "https://www.bbc.co.uk/news/world")

RULES = f"""
[[rules]]
name = "talks"
query = 'Putin AND Zelensky'
alert_on = "{{alert_on}}"
channels = ["desk"]
{{burst}}burst = {{ outlets = 2, within = "1h" }}

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{{tg}}"
rate_limit = "off"
update_delay = "0s"
"""


def feed(channel: tuple[str, str], items: list[tuple[str, str | None]]) -> bytes:
    """A feed titled and linked as ``channel``: one copy of the story per (outlet named in
    its ``<source>``, that source's url) item; an outlet of "" is the feed's own item, linked
    through a proxy (feedproxy.google.com), not its site."""
    title, link = channel
    body = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{link}</link>"
    ]
    for source, url in items:
        n = zlib.crc32(f"{title}/{source}".encode())
        if source:
            address = f' url="{url}"' if url else ""
            credit = f"<source{address}>{escape(source)}</source>"
            head, link = f"{HEAD} - {source}", f"https://news.google.com/rss/articles/CBMi{n}"
        else:
            credit, head, link = "", HEAD, f"http://feeds.feedproxy.google.com/~r/w/~3/{n}/"
        body.append(
            f"<item><title>{escape(head)}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>Fri, 05 Sep 2025 14:03:00 GMT</pubDate>{credit}</item>"
        )
    return ("".join(body) + "</channel></rss>").encode()


def rules(tg: str, alert_on: str = "story") -> str:
    # An update of an event (its angles) is what its test reads: no burst there.
    off = "# " if alert_on == "event-updates" else ""
    return (
        RULES.replace("{tg}", tg)
        .replace("{alert_on}", alert_on.removesuffix("-updates"))
        .replace("{burst}", off)
    )


Polls = list[dict[str, bytes]]  # each poll's feed bodies by path


async def chats(
    feed_server: FeedServer, tmp_path: Path, database: str, polls: Polls,
    restart: bool = False, alert_on: str = "story",
) -> list[list[str]]:  # fmt: skip
    """The chat as the user reads it after each of ``polls`` (a restart before each poll
    after the first when ``restart``)."""
    seen: list[list[str]] = []
    for path, body in polls[0].items():
        feed_server.feed(path, body)
    urls = [feed_server.url(path) for path in polls[0]]
    async with telegram_standin() as tg:
        config = make_config(tmp_path, urls, extra=rules(tg.url, alert_on), database=database)
        engine = await Engine.open(config)
        try:
            for n, poll in enumerate(polls):
                if n and restart:
                    await engine.close()
                    engine = await Engine.open(config)
                for path, body in poll.items():
                    feed_server.feed(path, body)
                await poll_all(engine.rt, progress=False)
                assert await engine.drain(20)
                seen.append(list(tg.messages.values()))
        finally:
            await engine.close()
        config_file(tmp_path, urls, extra=rules(tg.url, alert_on), database=database)
    return seen


async def chat(
    feed_server: FeedServer, tmp_path: Path, database: str, polls: Polls,
    restart: bool = False, alert_on: str = "story",
) -> list[str]:  # fmt: skip
    """The chat as the user reads it after ``polls``."""
    return (await chats(feed_server, tmp_path, database, polls, restart, alert_on))[-1]


# Google News names Reuters first; then Reuters' own feed and a reader carry the same story.
REUTERS_THREE_WAYS: Polls = [
    {
        "/gnews": feed(GOOGLE, [("Reuters", "https://www.reuters.com")]),
        "/reuters": feed(REUTERS, []),
        "/reader": feed(READER, []),
    },
    {
        "/reuters": feed(REUTERS, [("", None)]),
        "/reader": feed(READER, [("reuters.com", "https://reuters.com/")]),
    },
]


@pytest.mark.parametrize("alert_on", ["story", "event"])
@pytest.mark.parametrize("restart", [False, True], ids=["live", "restart"])
async def test_one_outlet_through_its_own_feed_and_two_aggregators_is_one(
    feed_server: FeedServer, tmp_path: Path, database: str, restart: bool, alert_on: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """One alert, crediting Reuters once: no "also reported by" Reuters World News and
    reuters.com, and no burst (2 outlets within 1h) for one outlet, live and after a
    restart; ``monitor stories`` and ``events`` count one outlet too."""
    messages = await chat(feed_server, tmp_path, database, REUTERS_THREE_WAYS, restart, alert_on)
    assert len(messages) == 1, messages  # no burst
    (alert,) = messages
    assert "Reuters" in alert and "also reported by" not in alert, alert
    assert "Reuters World News" not in alert and "reuters.com" not in alert, alert
    config = str(tmp_path / "config.toml")
    for command in ("stories", "events"):
        assert await asyncio.to_thread(main, [command, "-c", config]) == 0
        listed = capsys.readouterr().out
        assert "3 items from 1 outlet: Reuters\n" in listed, listed


async def test_two_names_of_one_site_are_one_outlet_and_two_sites_two(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    """AP under two names (Google News' "AP News", Yahoo's "The Associated Press", both
    https://apnews.com) is one outlet: no burst, nobody else reported it. Then BBC's own
    feed: two outlets, named once each, and the burst rule fires on them."""
    polls: Polls = [
        {
            "/gnews": feed(GOOGLE, [("AP News", "https://apnews.com")]),
            "/yahoo": feed(YAHOO, []),
            "/bbc": feed(BBC, []),
        },
        {"/yahoo": feed(YAHOO, [("The Associated Press", "https://apnews.com/")])},
        {"/bbc": feed(BBC, [("", None)])},
    ]
    _, one, two = await chats(feed_server, tmp_path, database, polls)
    assert len(one) == 1 and "also reported by" not in one[0], one
    assert "The Associated Press" not in one[0], one
    assert len(two) == 2, two  # the alert, edited as the story grew; the burst
    alert, burst = two
    assert "AP News — also reported by: BBC News - World" in alert, alert
    assert "The Associated Press" not in alert, alert
    assert "2 outlets within 1h" in burst, burst


async def test_bbc_co_uk_and_bbc_com_are_two_sites(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    """The Public Suffix List knows no owner: bbc.co.uk (BBC's own feed) and bbc.com (Google
    News' <source url>) are two outlets, as no table of one outlet's domains is kept; while
    www.reuters.com and reuters.com are one."""
    polls: Polls = [
        {
            "/bbc": feed(BBC, [("", None)]),
            "/gnews": feed(GOOGLE, [("BBC", "https://www.bbc.com"), ("Reuters", "https://www.reuters.com")]),
            "/reader": feed(READER, [("reuters.com", "https://reuters.com/")]),
        }
    ]  # fmt: skip
    messages = await chat(feed_server, tmp_path, database, polls)
    assert len(messages) == 2, messages
    alert, burst = messages
    assert "3 outlets within 1h" in burst, burst
    assert alert.count("Reuters") == 1 and "reuters.com" not in alert, alert


async def test_a_source_without_an_address_is_told_by_its_name(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    """A <source> without url= names no site: it is that name's outlet, as before (Google
    News' and Yahoo's "AP" are one), beside Reuters (by its site, through Google News and
    a reader under two names): two outlets, not three."""
    polls: Polls = [
        {
            "/gnews": feed(GOOGLE, [("AP", None), ("Reuters", "https://www.reuters.com")]),
            "/yahoo": feed(YAHOO, [("AP", None)]),
            "/reader": feed(READER, [("reuters.com", "https://reuters.com/")]),
        }
    ]
    messages = await chat(feed_server, tmp_path, database, polls)
    assert len(messages) == 2, messages
    alert, burst = messages
    assert "2 outlets within 1h" in burst, burst
    assert "reuters.com" not in alert and alert.count("AP") == 1, alert


async def test_the_cluster_assigner_counts_outlets_by_site_as_one_process(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    """On PostgreSQL, node A polls and queues its items; node B, the assigner, takes them
    from the queue with their sites: one alert crediting Reuters once, no burst."""
    for path, body in REUTERS_THREE_WAYS[0].items():
        feed_server.feed(path, body)
    urls = [feed_server.url(path) for path in REUTERS_THREE_WAYS[0]]
    async with telegram_standin() as tg:
        config = make_config(tmp_path, urls, extra=rules(tg.url), database=pg_url)
        conn = await asyncpg.connect(pg_url)  # node B's session: it holds the role
        try:
            term = await take_assigner_role(conn)
            for poll in REUTERS_THREE_WAYS:
                for path, body in poll.items():
                    feed_server.feed(path, body)
                queued = await poll_to_queue(config)
                await assign_queued(config, term, queued)
        finally:
            await conn.close()
    (alert,) = tg.messages.values()
    assert "Reuters" in alert and "also reported by" not in alert, alert


def angles(channel: tuple[str, str], items: list[tuple[str, str, str | None]]) -> bytes:
    """A feed of (headline, outlet named in <source> or "" for the feed's own, its url)
    items, each with its lede."""
    title, link = channel
    body = "".join(
        f"<item><title>{escape(head)}</title><link>https://news.example/{title[:4]}{n}</link>"
        f"<guid>https://news.example/{title[:4]}{n}</guid>"
        f"<description>{escape(LEDES[head])}</description>"
        "<pubDate>Fri, 05 Sep 2025 14:03:00 GMT</pubDate>"
        + (f'<source url="{url}">{escape(source)}</source>' if source else "")
        + "</item>"
        for n, (head, source, url) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{link}</link>{body}</channel></rss>"
    ).encode()


async def test_an_update_names_its_angles_outlet_as_the_event_lists_it(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    """Google News' "Reuters" (https://www.reuters.com) brings the event; a new angle from
    Reuters' own feed (its site www.reuters.com) leads the update "From Reuters", and the
    event is no one else's: not "also covering this event: Reuters World News"."""
    first, angle = "Putin invites Zelensky to Moscow for peace talks", ANGLES[0]
    polls: Polls = [
        {
            "/gnews": angles(GOOGLE, [(first, "Reuters", "https://www.reuters.com")]),
            "/reuters": angles(REUTERS, []),
        },
        {"/reuters": angles(REUTERS, [(angle, "", None)])},
    ]
    messages = await chats(feed_server, tmp_path, database, polls, alert_on="event-updates")
    (message,) = messages[-1]
    assert angle in message and "From Reuters</i>" in message, message
    assert "1 outlet, 2 angles" in message, message
    assert "Reuters World News" not in message and "also covering" not in message, message


async def test_two_newsletters_of_one_platform_are_two_outlets(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    """Two newsletters on one platform (one.substack.com, two.substack.com: substack.com is
    no outlet) are two outlets, and the first one through Google News is still one: two
    outlets within the hour, not three (and not one)."""
    one, two = (
        ("One Letter", "https://one.substack.com/"),
        ("Two Letter", "https://two.substack.com/"),
    )
    polls: Polls = [
        {
            "/one": feed(one, [("", None)]),
            "/gnews": feed(GOOGLE, [("One", "https://one.substack.com")]),
            "/two": feed(two, [("", None)]),
        }
    ]
    messages = await chat(feed_server, tmp_path, database, polls)
    assert len(messages) == 2, messages
    alert, burst = messages
    assert "2 outlets within 1h" in burst, burst
    assert "One Letter — also reported by: Two Letter" in alert, alert
