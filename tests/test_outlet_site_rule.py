"""Which link names an outlet's site (review21b): a feed's own channel <link> only where it is
a site's home page or section, not a platform publisher's page (a Mastodon account, a GOV.UK
department); a site is its host, not the domain publishers share (commission.europa.eu,
europarl.europa.eu); one host in Unicode and punycode is one; an empty or relative <link>,
resolved against the feed's own address, names none. Through the real pipeline: local feeds
(any host name resolved to the local server) and the Bot API stand-in a user reads."""

from __future__ import annotations

import asyncio
import socket
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from feedserver import FeedServer
from helpers import config_file, make_config
from standins import telegram_standin
from test_outlet_by_site import GOOGLE, HEAD, REUTERS, feed, rules

from monitor.cli import main
from monitor.engine import Engine
from monitor.fetch.client import Fetcher
from monitor.oneshot import poll_all
from monitor.parse import parse_feed

SEP = "\n---\n"


class AnyNameIsLoopback(AbstractResolver):
    """A DNS stand-in: every name is 127.0.0.1 (a feed host's name, and nothing leaves the
    machine)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [ResolveResult(hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET,
                              proto=0, flags=socket.AI_NUMERICHOST)]  # fmt: skip

    async def close(self) -> None:
        pass


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def chat_after(
    feed_server: FeedServer, tmp_path: Path, database: str, urls: list[str],
    polls: list[dict[str, bytes | Handler]], extra_feeds: str = "",
) -> list[str]:  # fmt: skip
    """The chat after ``polls`` (each path's body, or its handler) of the feeds ``urls`` (and
    ``extra_feeds``' TOML); every host name resolves to the local feed server. Between polls
    each feed is due again."""
    async with telegram_standin() as tg:
        config = make_config(tmp_path, urls, extra=rules(tg.url) + extra_feeds, database=database)
        engine = await Engine.open(config)
        old = engine.rt.fetcher
        engine.rt.fetcher = Fetcher(old.limits, old.user_agent, resolver=AnyNameIsLoopback())
        await old.close()
        try:
            for poll in polls:
                for path, body in poll.items():
                    if isinstance(body, bytes):
                        feed_server.feed(path, body)
                    else:
                        feed_server.handler(path, body)
                for state in engine.rt.states.values():
                    state.next_check = 0
                await poll_all(engine.rt, progress=False)
                assert await engine.drain(20)
        finally:
            await engine.close()
        return list(tg.messages.values())


def own_feed(title: str, link: str, atom: bool = False, tail: str = "") -> bytes:
    """A feed of one outlet with its own copy of the story (``tail`` makes it another
    copy); ``link`` is its channel <link> as written ("" writes <link/>)."""
    n = zlib.crc32(f"{title}/{link}{tail}".encode()) % 10_000
    if atom:  # GOV.UK's shape: an alternate link and a self link
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>{link}</id><title>{escape(title)}</title>"
            f'<link rel="alternate" type="text/html" href="{link}"/>'
            f'<link rel="self" type="application/atom+xml" href="{link}.atom"/>'
            "<updated>2025-09-05T14:03:00Z</updated>"
            f"<entry><id>urn:{n}</id><title>{escape(HEAD)}</title>"
            f'<link rel="alternate" type="text/html" href="{link}/{n}"/>'
            "<updated>2025-09-05T14:03:00Z</updated>"
            "<published>2025-09-05T14:03:00Z</published></entry></feed>"
        ).encode()
    element = f"<link>{link}</link>" if link else "<link/>"
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title>{element}"
        f"<item><title>{escape(HEAD + tail)}</title><link>https://example.org/{n}</link>"
        f"<guid>urn:{n}</guid><pubDate>Fri, 05 Sep 2025 14:03:00 GMT</pubDate></item>"
        "</channel></rss>"
    ).encode()


PUBLISHERS = [
    # Mastodon's own RSS (https://newsie.social/@user.rss): its <link> is the account
    ("mastodon", "https://newsie.social/@bbcworld", "https://newsie.social/@reuters", False),
    ("threads", "https://www.threads.com/@bbcnews", "https://www.threads.com/@reuters", False),
    ("buttondown", "https://buttondown.com/tldr-ukraine", "https://buttondown.com/kyiv-brief", False),
    # every GOV.UK department's Atom feed links its page under /government/organisations/
    ("gov.uk", "https://www.gov.uk/government/organisations/foreign-commonwealth-development-office",
     "https://www.gov.uk/government/organisations/ministry-of-defence", True),
    ("podcasts", "https://podcasts.apple.com/us/podcast/the-world/id1",
     "https://podcasts.apple.com/us/podcast/the-daily/id2", False),
    # two institutions on one registrable domain (europa.eu), each its own host
    ("europa.eu", "https://commission.europa.eu/news", "https://www.europarl.europa.eu/news/en", False),
    # front ends that name an account by one path segment, as Nitter writes its <link>
    ("nitter", "https://nitter.net/BBCWorld", "https://nitter.net/Reuters", False),
    ("xcancel", "https://xcancel.com/BBCWorld", "https://xcancel.com/Reuters", False),
    ("weibo-rsshub", "https://weibo.com/1195230310/", "https://weibo.com/2803301701/", False),
    ("dzen", "https://dzen.ru/ria", "https://dzen.ru/tass", False),
    # the same rule on an unlisted host: an account's name in its case, or its number
    ("unlisted-case", "https://nitter.example-front.net/BBCWorld",
     "https://nitter.example-front.net/Reuters", False),
    ("unlisted-number", "https://social.example-front.net/1195230310",
     "https://social.example-front.net/2803301701", False),
    # lower-case account pages on video and blog platforms
    ("dailymotion", "https://www.dailymotion.com/euronews", "https://www.dailymotion.com/france24",
     False),
    ("write.as", "https://write.as/kyivbrief", "https://write.as/ukrainedesk", False),
    ("naver-blog", "https://blog.naver.com/kyivbrief", "https://blog.naver.com/ukrainedesk", False),
    ("note.com", "https://note.com/kyivbrief", "https://note.com/ukrainedesk", False),
    ("ameblo", "https://ameblo.jp/kyivbrief/", "https://ameblo.jp/ukrainedesk/", False),
    ("zenn", "https://zenn.dev/kyivbrief", "https://zenn.dev/ukrainedesk", False),
    ("codeberg", "https://codeberg.org/kyivbrief", "https://codeberg.org/ukrainedesk", False),
    ("kbin-magazine", "https://kbin.social/m/ukraine", "https://kbin.social/m/worldnews", False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("one", "two", "atom"), [p[1:] for p in PUBLISHERS], ids=[p[0] for p in PUBLISHERS]
)
async def test_two_publishers_on_one_platform_are_two_outlets(
    feed_server: FeedServer, tmp_path: Path, one: str, two: str, atom: bool
) -> None:  # fmt: skip
    """Two publishers' own feeds on one platform or portal: "also reported by" the second,
    and the burst rule (2 outlets) fires; not one outlet named after the platform."""
    polls = [
        {"/one": own_feed("Publisher One", one, atom), "/two": own_feed("Publisher Two", two, atom)}
    ]
    urls = [feed_server.url("/one"), feed_server.url("/two")]
    messages = await chat_after(feed_server, tmp_path, str(tmp_path / "m.db"), urls, polls)
    assert len(messages) == 2, SEP.join(messages)  # the alert and the burst
    assert "Publisher One — also reported by: Publisher Two" in messages[0], SEP.join(messages)


# RSS 2.0's <source url> is the source's feed: a mixer or planet names a platform's
# publishers by their feeds (Mastodon's @name.rss, an RSSHub channel) or their pages
SOURCE_FEEDS = [
    ("mastodon-page", "https://newsie.social/@bbcworld", "https://newsie.social/@reuters"),
    ("mastodon-feed", "https://newsie.social/@bbcworld.rss", "https://newsie.social/@reuters.rss"),
    ("gov.uk", "https://www.gov.uk/government/organisations/foreign-commonwealth-development-office",
     "https://www.gov.uk/government/organisations/ministry-of-defence"),
    ("rsshub", "https://rsshub.app/telegram/channel/bbcrussian",
     "https://rsshub.app/telegram/channel/meduzalive"),
    ("rsshub-own-instance", "https://rss.example-bridge.net/telegram/channel/bbcrussian",
     "https://rss.example-bridge.net/telegram/channel/meduzalive"),
    # two institutions' home pages on one registrable domain (europa.eu): two hosts
    ("europa.eu", "https://commission.europa.eu", "https://www.europarl.europa.eu/"),
    # feed hosts: each publisher's feed at one segment of the host's
    ("feedpress", "https://feedpress.me/sethsblog", "https://feedpress.me/daringfireball"),
    ("feedblitz", "https://feeds.feedblitz.com/freakonomics", "https://feeds.feedblitz.com/sethsblog"),
    ("megaphone", "https://feeds.megaphone.fm/vergecast", "https://feeds.megaphone.fm/pivot"),
    ("openrss", "https://openrss.org/www.reuters.com", "https://openrss.org/apnews.com"),
    ("unlisted-feed-host", "https://feeds.example-host.net/kyivbrief",
     "https://feeds.example-host.net/ukrainedesk"),
    # and at two segments of a host: a bridge's /<site>/<section>, a podcast host's
    ("rsshub-public-instance", "https://rsshub.rssforever.com/reuters/world",
     "https://rsshub.rssforever.com/bbc/world"),
    ("fireside", "https://feeds.fireside.fm/kyivbrief/rss", "https://feeds.fireside.fm/ukrainedesk/rss"),
    ("pinecast", "https://pinecast.com/feed/kyivbrief", "https://pinecast.com/feed/ukrainedesk"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("one", "two"), [s[1:] for s in SOURCE_FEEDS], ids=[s[0] for s in SOURCE_FEEDS]
)
async def test_two_publishers_an_aggregator_names_by_their_feeds_are_two_outlets(
    feed_server: FeedServer, tmp_path: Path, one: str, two: str
) -> None:
    """The <source url> of two publishers on one platform (their feeds or pages): two
    outlets, as their own feeds are, not the platform's host once: the burst fires."""
    mixer = ("Ukraine desk mix", "https://mixer.example.net/")
    polls = [{"/mix": feed(mixer, [("Publisher One", one), ("Publisher Two", two)])}]
    urls = [feed_server.url("/mix")]
    messages = await chat_after(feed_server, tmp_path, str(tmp_path / "m.db"), urls, polls)
    assert len(messages) == 2, SEP.join(messages)
    assert "2 outlets within 1h" in messages[1], SEP.join(messages)


# A reader or planet republishing an outlet's item names the outlet's feed in <source url>
# (RSS 2.0): its feed file at the site's root is that outlet's site.
OUTLET_FEEDS = [
    # (id, the outlet's own channel link, the feed address a reader names in <source url>)
    ("ghost-rss", "https://kyivindependent.com/", "https://kyivindependent.com/rss/"),
    ("wordpress-feed", "https://www.kyivpost.com/", "https://www.kyivpost.com/feed"),
    ("rss", "https://www.euronews.com/", "https://www.euronews.com/rss"),
    ("rss.xml", "https://www.reuters.com/world/", "https://www.reuters.com/rss.xml"),
]
READER = ("Ukraine desk", "https://www.inoreader.com/stream/user/1005147396/tag/ukraine")


@pytest.mark.parametrize(
    ("own", "source"), [c[1:] for c in OUTLET_FEEDS], ids=[c[0] for c in OUTLET_FEEDS]
)
async def test_a_reader_naming_an_outlets_feed_is_that_outlet(
    feed_server: FeedServer, tmp_path: Path, database: str, own: str, source: str
) -> None:
    """The outlet's own feed and a reader's copy naming the outlet's feed file: one outlet,
    no "also reported by" itself, no burst."""
    polls = [
        {
            "/own": own_feed("Outlet's own feed", own),
            "/reader": feed(READER, [("The Outlet", source)]),
        }
    ]
    urls = [feed_server.url("/own"), feed_server.url("/reader")]
    messages = await chat_after(feed_server, tmp_path, database, urls, polls)
    assert len(messages) == 1, SEP.join(messages)
    assert "also reported by" not in messages[0], SEP.join(messages)


async def test_unicode_and_punycode_of_one_site_are_one_outlet(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """Moskva 24's own feed (<link>https://www.москва.рф/</link>) and Google News' <source
    url="https://www.xn--80adxhks.xn--p1ai">: one site, one outlet, no burst."""
    polls = [
        {
            "/own": own_feed("Москва 24", "https://www.москва.рф/"),
            "/gnews": feed(GOOGLE, [("Москва", "https://www.xn--80adxhks.xn--p1ai/")]),
        }
    ]
    urls = [feed_server.url("/own"), feed_server.url("/gnews")]
    messages = await chat_after(feed_server, tmp_path, str(tmp_path / "m.db"), urls, polls)
    assert len(messages) == 1 and "also reported by" not in messages[0], SEP.join(messages)


async def test_an_aggregator_feed_named_for_its_outlet_keeps_the_outlets_site(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    """A Google News search named "Reuters" in the config, its items <source
    url="https://www.reuters.com">Reuters</source>, beside Reuters' own feed: one outlet,
    one alert, no burst."""
    named = f'\n[[feeds]]\nurl = "{feed_server.url("/gnews")}"\nname = "Reuters"\n'
    polls = [
        {
            "/reuters": feed(REUTERS, [("", None)]),
            "/gnews": feed(GOOGLE, [("Reuters", "https://www.reuters.com")]),
        }
    ]
    urls = [feed_server.url("/reuters")]
    messages = await chat_after(feed_server, tmp_path, database, urls, polls, named)
    assert len(messages) == 1 and "also reported by" not in messages[0], SEP.join(messages)


@pytest.mark.parametrize("link", ["", "/"], ids=["empty-link", "relative-link"])
async def test_two_outlets_on_one_feed_host_with_no_link_are_two(
    feed_server: FeedServer, tmp_path: Path, link: str
) -> None:
    """Two outlets' feeds served by one feed host (feeds.feedhost.net), each with <link/> or
    a relative <link>/</link>: no site is known, each is its feed's outlet: two, a burst."""
    port = feed_server.url("/").split(":")[-1].split("/")[0]
    urls = [f"http://feeds.feedhost.net:{port}/one", f"http://feeds.feedhost.net:{port}/two"]
    polls = [{"/one": own_feed("Kyiv Independent", link), "/two": own_feed("Meduza", link)}]
    messages = await chat_after(feed_server, tmp_path, str(tmp_path / "m.db"), urls, polls)
    assert len(messages) == 2, SEP.join(messages)
    assert "Kyiv Independent — also reported by: Meduza" in messages[0], SEP.join(messages)


async def test_a_feed_moved_to_another_host_stays_one_outlet(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """A feed with a relative channel <link> moves (301) from feeds.old-host.net to
    cdn.new-host.org between two copies of one story: one outlet, no burst."""
    port = feed_server.url("/").split(":")[-1].split("/")[0]
    old, new = f"http://feeds.old-host.net:{port}/w", f"http://cdn.new-host.org:{port}/moved"

    async def moved(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(new)

    polls: list[dict[str, bytes | Handler]] = [
        {"/w": own_feed("Wire", "/")},
        {"/w": moved, "/moved": own_feed("Wire", "/", tail=" as Kyiv weighs offer")},
    ]
    messages = await chat_after(feed_server, tmp_path, str(tmp_path / "m.db"), [old], polls)
    assert len(messages) == 1, SEP.join(messages)  # the alert; no burst of one feed
    assert "also reported by" not in messages[0], SEP.join(messages)


# A feed's link that names no site in a later body: a tracking query, <link/>, a relative link
NO_SITE_LINKS = ["https://www.reuters.com/world/?utm_source=rss", "", "/world/"]


@pytest.mark.parametrize("later", NO_SITE_LINKS, ids=["query", "empty", "relative"])
async def test_a_feed_whose_link_names_no_site_in_a_later_body_stays_one_outlet(
    feed_server: FeedServer, tmp_path: Path, database: str, later: str
) -> None:
    """Reuters' feed links https://www.reuters.com/world/, then (with the next copy of the
    story) a link that names no site: one outlet, the alert and no burst of one feed."""
    polls: list[dict[str, bytes | Handler]] = [
        {"/r": own_feed("Reuters World News", "https://www.reuters.com/world/")},
        {"/r": own_feed("Reuters World News", later, tail=" as Kyiv weighs offer")},
    ]
    messages = await chat_after(feed_server, tmp_path, database, [feed_server.url("/r")], polls)
    assert len(messages) == 1, SEP.join(messages)
    assert "also reported by" not in messages[0], SEP.join(messages)


@pytest.mark.parametrize("first", NO_SITE_LINKS, ids=["query", "empty", "relative"])
async def test_a_feed_that_names_its_site_only_in_a_later_body_stays_one_outlet(
    feed_server: FeedServer, tmp_path: Path, database: str, first: str
) -> None:
    """The other order (review21f D-A): Reuters' feed first links no site, then (with the next
    copy of the story) https://www.reuters.com/world/: one outlet, the alert and no burst."""
    polls: list[dict[str, bytes | Handler]] = [
        {"/r": own_feed("Reuters World News", first)},
        {"/r": own_feed("Reuters World News", "https://www.reuters.com/world/",
                        tail=" as Kyiv weighs offer")},
    ]  # fmt: skip
    messages = await chat_after(feed_server, tmp_path, database, [feed_server.url("/r")], polls)
    assert len(messages) == 1, SEP.join(messages)
    assert "also reported by" not in messages[0], SEP.join(messages)


async def test_a_feed_that_names_its_site_after_a_restart_stays_one_outlet(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    """The same, with the daemon restarted between the two bodies: no burst after it."""
    urls = [feed_server.url("/r")]
    first = {"/r": own_feed("Reuters World News", "")}
    before = await chat_after(feed_server, tmp_path, database, urls, [first])
    assert len(before) == 1, SEP.join(before)
    later = {"/r": own_feed("Reuters World News", "https://www.reuters.com/world/",
                            tail=" as Kyiv weighs offer")}  # fmt: skip
    after = await chat_after(feed_server, tmp_path, database, urls, [later])
    assert after == [], SEP.join(after)


@pytest.mark.parametrize("gnews_first", [False, True], ids=["feed-first", "gnews-first"])
async def test_a_feed_that_names_the_site_an_aggregator_named_becomes_that_outlet(
    feed_server: FeedServer, tmp_path: Path, database: str, capsys: pytest.CaptureFixture[str],
    gnews_first: bool,
) -> None:  # fmt: skip
    """Google News' <source url="https://www.reuters.com"> and Reuters' feed with <link/> carry
    one story (two outlets: nothing tells them apart yet); Reuters' next body links
    https://www.reuters.com/world/: ``monitor stories`` counts one outlet from then on."""
    gnews = {"/gnews": feed(GOOGLE, [("Reuters", "https://www.reuters.com")])}
    unnamed = {"/r": own_feed("Reuters World News", "")}
    polls: list[dict[str, bytes | Handler]] = [
        *([gnews, unnamed] if gnews_first else [{**unnamed, **gnews}]),
        {"/r": own_feed("Reuters World News", "https://www.reuters.com/world/",
                        tail=" as Kyiv weighs offer")},
    ]  # fmt: skip
    urls = [feed_server.url("/r")]
    extra = f'\n[[feeds]]\nurl = "{feed_server.url("/gnews")}"\n'
    await chat_after(feed_server, tmp_path, database, urls, polls, extra)
    tg = "http://127.0.0.1:9/"  # no alert is sent from the command line
    config = config_file(tmp_path, urls, extra=rules(tg) + extra, database=database)
    argv = ["stories", "-c", str(config), "--since", "3650d"]
    assert await asyncio.to_thread(main, argv) == 0
    out = capsys.readouterr().out
    assert "from 1 outlet: Reuters" in out, out


async def test_a_feed_keeps_its_site_across_a_restart(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    """The same, with the daemon restarted between the two bodies: no burst after it."""
    urls = [feed_server.url("/r")]
    first = {"/r": own_feed("Reuters World News", "https://www.reuters.com/world/")}
    before = await chat_after(feed_server, tmp_path, database, urls, [first])
    assert len(before) == 1, SEP.join(before)
    later = {"/r": own_feed("Reuters World News", "", tail=" as Kyiv weighs offer")}
    after = await chat_after(feed_server, tmp_path, database, urls, [later])
    assert after == [], SEP.join(after)


EMPTY_LINK = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>{link}'
    "<item><title>Putin invites Zelensky</title><link>https://t.org/1</link>{extra}</item>"
    "</channel></rss>"
)


@pytest.mark.parametrize("link", ["<link/>", "<link>/</link>", "<link>world/</link>"])
def test_an_empty_or_relative_channel_link_is_no_link(link: str) -> None:
    """Neither parser makes the feed's own address its link: not the fast path, nor
    feedparser for a body the fast path leaves to it (an element it does not know)."""
    for extra in ("", "<unknown-element>x</unknown-element>"):
        body = EMPTY_LINK.format(link=link, extra=extra).encode()
        parsed = parse_feed(body, {"content-type": "application/rss+xml"},
                            url="https://feeds.feedhost.net/one.xml", now=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
        assert not parsed.link, (extra, parsed.link)


@pytest.mark.parametrize(
    "link",
    [
        "https://www.reuters.com/world/#",
        "https://www.reuters.com/world/?",
        "Https://www.reuters.com/world/",
        "HTTPS://www.reuters.com/world/?#",
    ],
)
def test_a_channel_link_with_an_empty_query_or_fragment_names_its_site(link: str) -> None:
    """An https feed's <link> written with an empty "?" or "#", or the scheme's case: both
    parsers give the site's address, so a poll that one of them reads does not credit the
    feed's items to another outlet than the poll before."""
    for extra in ("", "<unknown-element>x</unknown-element>"):
        body = EMPTY_LINK.format(link=f"<link>{link}</link>", extra=extra).encode()
        parsed = parse_feed(body, {"content-type": "application/rss+xml"},
                            url="https://feeds.reuters.com/world", now=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
        assert parsed.link == "https://www.reuters.com/world/", (extra, parsed.link)
