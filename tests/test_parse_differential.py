"""The fast path (lxml) against feedparser over every file of the shared corpus: for each file
the fast path takes, the feed and every item come out as feedparser gives them (titles, links,
ids, published times, summaries, after our normalization); every file still parses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import SHARED_DATA

from monitor.errors import ParseError
from monitor.parse import parse_feed, parse_with_feedparser
from monitor.parse.fast import parse_fast

CORPUS = sorted(
    p
    for folder in ("feedparser-tests", "real-feeds")
    for p in (SHARED_DATA / folder).rglob("*")
    if p.is_file() and p.suffix != ".txt"
)
BASE = "http://example.org/feed.xml"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
FIELDS = ("title", "summary", "url", "guid", "published", "canonical_url", "key", "source", "site")


@pytest.mark.parametrize("content_type", ["application/xml", "application/rss+xml; charset=utf-8"])
def test_the_fast_path_gives_what_feedparser_gives(content_type: str) -> None:
    if not CORPUS:
        pytest.skip("shared data not available")
    headers = {"content-type": content_type}
    took = {"fast path": 0, "feedparser": 0}
    differ: list[str] = []
    for path in CORPUS:
        body = path.read_bytes()
        fast = parse_fast(body, headers, BASE, NOW)
        if fast is None:
            took["feedparser"] += 1
            continue
        took["fast path"] += 1
        name = str(path.relative_to(SHARED_DATA))
        reference = parse_with_feedparser(body, headers, url=BASE, now=NOW)
        feed = (fast.title, fast.link, fast.ttl_seconds, fast.hubs, fast.self_url)
        if feed != (reference.title, reference.link, reference.ttl_seconds, reference.hubs, reference.self_url):
            differ.append(f"{name}: feed {feed}")
        if len(fast.entries) != len(reference.entries):
            differ.append(f"{name}: {len(fast.entries)} items, feedparser {len(reference.entries)}")
            continue
        for ours, theirs in zip(fast.entries, reference.entries, strict=True):
            for field in FIELDS:
                if getattr(ours, field) != getattr(theirs, field):
                    differ.append(f"{name}: {field} {getattr(ours, field)!r} != {getattr(theirs, field)!r}")
    print(f"{content_type}: {took['fast path']} files by the fast path, {took['feedparser']} by feedparser")
    assert not differ, differ[:10]
    # The fast path is worth having: most well-formed files are its.
    assert took["fast path"] > 700


def test_every_file_still_parses() -> None:
    """parse_feed gives a feed or one ParseError for every file, never another exception."""
    if not CORPUS:
        pytest.skip("shared data not available")
    read = refused = 0
    for path in CORPUS:
        try:
            parse_feed(path.read_bytes(), {}, url=BASE, now=NOW)
            read += 1
        except ParseError:
            refused += 1
    assert read > 1900, (read, refused)
