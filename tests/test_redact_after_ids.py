"""A key placed after a public id in a feed's path, and two long keyed URLs, as the log and a
health alert name them (review20f), and explore20's path shapes: a key after a segment that
names it ("/token/<key>/") and a twelve-character one."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from monitor import redact
from monitor.runtime import feed_name

SHOW = "0ecfdfd7-fda1-4c3d-9515-476727f9df5e"  # a public show id
TOKEN = "Zq8sK2mWv7Lx4Rt9Bn3Hc6Jd"  # the subscriber's private token
ORG, PLAYLIST = "e73c998e-6e60-432f-8610-ae210140c5b1", "a1d3b2c4-0f9e-4d8c-9b7a-6e5f4d3c2b1a"


def _logged(url: str) -> str:
    redact.register_keys(url)
    return redact.redact(f"poll failed: 500 from {url}")


def test_a_token_after_a_public_id_is_masked_and_the_ids_before_it_are_not() -> None:
    line = _logged(f"https://private.example.net/shows/{SHOW}/{TOKEN}.rss")
    assert TOKEN not in line and SHOW in line, line
    # Omny's public run of ids after "playlist" stays readable
    omny = f"https://omny.example/d/playlist/{ORG}/{SHOW}/{PLAYLIST}/podcast.rss"
    assert _logged(omny).endswith(omny), omny


def test_keys_after_a_naming_segment_and_short_keys_are_masked() -> None:
    named = _logged("https://h.example/rss/user/jdoe/token/ABCDEF123456/feed.xml")
    short = _logged("https://h.example/k/u7k2m9x4q1z8/rss")
    assert "ABCDEF123456" not in named and "/token/***/" in named, named
    assert "u7k2m9x4q1z8" not in short, short
    for plain in (
        "https://h.example/rss/2024news12/feed",
        "https://h.example/keywords/ukraine/rss",
    ):
        assert _logged(plain).endswith(plain), plain


def test_two_long_keyed_urls_keep_their_number_in_health_names() -> None:
    # A label over 200 characters kept its " #<id>" (review20f: the cut of an outlet's name
    # took it off, and two feeds' health alerts read the same).
    q = "&".join(f"q{i}=world+news+politics+economy" for i in range(8))
    base = "https://news.example.com/search/rss?"
    urls = [f"{base}{q}&api_key=Kx{i}9fT3vQ8mW2rB7nL5hY4dZ" for i in range(2)]
    for u in urls:
        redact.register_keys(u)
    feeds: list[Any] = [SimpleNamespace(name=None, url=u) for u in urls]
    states: list[Any] = [SimpleNamespace(title=None, id=i + 1) for i in range(2)]
    names = [feed_name(f, s) for f, s in zip(feeds, states, strict=True)]
    assert len(names[0]) >= 200
    assert names[0] != names[1], names
