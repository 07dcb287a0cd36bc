"""[websub] in the config file, and hub discovery from a response's Link header and the feed."""

from __future__ import annotations

import pytest

from monitor import config as config_module
from monitor.errors import ConfigError
from monitor.models import ParsedFeed
from monitor.websub.discover import Discovery, discover

FEED = "https://news.example/feed"


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ('listen = "8089"\ncallback_url = "https://m.example/websub"', "websub.listen"),
        ('listen = "0.0.0.0:99999"\ncallback_url = "https://m.example/w"', "websub.listen"),
        ('listen = "0.0.0.0:8089"\ncallback_url = "ftp://m.example/w"', "websub.callback_url"),
        (
            'listen = "0.0.0.0:8089"\ncallback_url = "https://m.example/w?x=1"',
            "websub.callback_url",
        ),
        ('listen = "0.0.0.0:8089"', "websub.callback_url: required key is missing"),
        ('listen = "0.0.0.0:8089"\ncallback_url = "https://m.e/w"\nlease = "soon"', "websub.lease"),
        ('listen = "0.0.0.0:8089"\ncallback_url = "https://m.e/w"\npoll = "1h"', "websub.poll"),
    ],
)
def test_a_bad_websub_section_is_one_clear_line(section: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_module.loads(f"[websub]\n{section}\n")
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems


def test_websub_settings_and_the_per_feed_opt_out() -> None:
    config = config_module.loads(
        '[[feeds]]\nurl = "https://a.example/rss"\nwebsub = false\n'
        '[[feeds]]\nurl = "https://b.example/rss"\n'
        '[websub]\nlisten = "127.0.0.1:8089"\ncallback_url = "https://m.example/websub/"\n'
        'lease = "2d"\npoll_interval = "30m"\n'
    )
    assert config.websub is not None
    assert config.websub.callback_url == "https://m.example/websub"
    assert (config.websub.lease, config.websub.poll_interval) == (2 * 86400, 1800)
    assert [f.websub for f in config.feeds] == [False, True]
    assert config_module.loads("").websub is None  # off unless configured


def parsed(hubs: tuple[str, ...] = (), self_url: str | None = None) -> ParsedFeed:
    return ParsedFeed(
        title="", link=None, ttl_seconds=None, entries=[], hubs=hubs, self_url=self_url
    )


@pytest.mark.parametrize(
    ("link", "feed", "found"),
    [
        ('<https://hub.example/>; rel="hub", <https://news.example/self>; rel="self"', parsed(),
         Discovery("https://hub.example/", "https://news.example/self")),
        ("<https://hub.example/>; rel=hub", parsed(), Discovery("https://hub.example/", FEED)),
        ('</hub>; rel="hub"', parsed(), Discovery("https://news.example/hub", FEED)),
        ('<https://x.example/a>; rel="alternate"', parsed(), None),
        ('<https://hub.example/>; rel="self hub"', parsed(),
         Discovery("https://hub.example/", "https://hub.example/")),
        ("", parsed(("https://hub.example/",), "https://news.example/atom"),
         Discovery("https://hub.example/", "https://news.example/atom")),
        ('<https://h1.example/>; rel="hub"', parsed(("https://h2.example/",)),
         Discovery("https://h1.example/", FEED)),  # the header comes first
        ("", parsed(("mailto:hub@example.org",)), None),
        ("", parsed(), None),
    ],
)  # fmt: skip
def test_discovery(link: str, feed: ParsedFeed, found: Discovery | None) -> None:
    headers = {"Link": link} if link else {}
    assert discover(headers, feed, FEED) == found


def test_an_rss_feed_advertises_its_hub_by_atom_link() -> None:
    from monitor.parse import parse_feed

    body = (
        b'<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
        b"<channel><title>T</title><link>https://news.example/</link>"
        b'<atom:link rel="hub" href="https://pubsubhubbub.appspot.com/"/>'
        b'<atom:link rel="self" href="https://news.example/rss" type="application/rss+xml"/>'
        b"<item><title>A</title><link>https://news.example/a</link></item></channel></rss>"
    )
    found = discover({}, parse_feed(body, url=FEED), FEED)
    assert found == Discovery("https://pubsubhubbub.appspot.com/", "https://news.example/rss")
