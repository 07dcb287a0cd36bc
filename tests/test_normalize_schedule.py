"""normalize (canonical URLs, plain text, stable ids) and schedule (next check, backoff)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from monitor.normalize import canonical_url, clean_text, item_key
from monitor.schedule import Timing, next_delay


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://WWW.Example.ORG/a/b?x=1#frag", "https://www.example.org/a/b?x=1"),
        ("http://example.org:80/story", "http://example.org/story"),
        ("https://example.org:8443/story", "https://example.org:8443/story"),
        ("https://example.org/s?utm_source=rss&utm_medium=feed&id=7", "https://example.org/s?id=7"),
        ("https://example.org/s?fbclid=abc&gclid=def", "https://example.org/s"),
        ("https://example.org", "https://example.org/"),
        ("/relative/path", "https://base.example/relative/path"),
        ("mailto:someone@example.org", None),
        ("", None),
        ("http://[::1", None),
        ("0 #", "https://base.example/0"),  # what is left before a fragment, trimmed once
        ("//[", None),  # a broken IPv6 host joined to the base: not a URL (it raised)
        ("https://example.org/s?utm_source=rss&UTM_campaign=x", "https://example.org/s"),
        ("https://example.org/s?utm%5Fsource=rss", "https://example.org/s"),  # decoded first
        ("https://example.org/s?a=b c&utm_x=1", "https://example.org/s?a=b+c"),
    ],
)
def test_canonical_url(url: str, canonical: str | None) -> None:
    assert canonical_url(url, "https://base.example/feed") == canonical


def test_a_feeds_links_keep_their_own_parameters_beside_its_tracking_ones() -> None:
    """One feed's links, one after the other, as a poll reads them: the same tracking query
    on each, then the same names with an article's own parameter, then the same again."""
    tracking = "utm_source=rss&utm_medium=feed"
    links = [
        (f"https://news.example/a?{tracking}", "https://news.example/a"),
        (f"https://news.example/b?{tracking}", "https://news.example/b"),
        (f"https://news.example/c?{tracking}&id=7", "https://news.example/c?id=7"),
        (f"https://news.example/d?id=8&{tracking}", "https://news.example/d?id=8"),
        (f"https://news.example/e?{tracking}", "https://news.example/e"),
        (f"https://news.example/f?{tracking.upper()}", "https://news.example/f"),
        (f"https://news.example/g?{tracking}&", "https://news.example/g"),
        ("https://news.example/h?utm_source=rss&utm_medium", "https://news.example/h"),
        ("https://news.example/i?utm_source=rss&utm_mediu%6D=x", "https://news.example/i"),
        ("https://news.example/j?utm_source=rss&media=x", "https://news.example/j?media=x"),
    ]
    for _ in range(2):  # the second time, every query has been seen before
        assert [canonical_url(url) for url, _ in links] == [c for _, c in links]


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("<p>Putin&#8217;s <b>offer</b></p><p>Next</p>", "Putin’s offer Next"),
        ("A&nbsp;&amp;&nbsp;B", "A & B"),
        ("<script>alert(1)</script>Safe", "Safe"),
        ("ﬁnance  \n\t news", "ﬁnance news"),  # as written: only comparing folds the ligature
        ("Zero\u200bwidth", "Zero width"),  # a zero-width space separates words
        ("Nego\u00adtiations\u200e", "Negotiations"),  # a soft hyphen and a bidi mark do not
        (None, ""),
    ],
)
def test_clean_text(raw: str | None, text: str) -> None:
    assert clean_text(raw) == text


def test_item_key_prefers_guid_then_url_then_content() -> None:
    assert item_key("g1", "https://a/", "t", "s") == item_key("g1", "https://b/", "x", "y")
    assert item_key(None, "https://a/", "t", "s") == item_key("", "https://a/", "x", "y")
    assert item_key(None, None, "t", "s") != item_key(None, None, "t", "s2")


T = Timing(interval=600, min_interval=60, max_backoff=3600, jitter=0)


@pytest.mark.parametrize(
    ("kwargs", "delay"),
    [
        ({}, 600),
        ({"ttl": 1800}, 1800),
        ({"max_age": 7200}, 3600),  # hints are capped at max_backoff
        ({"max_age": 30}, 600),  # never sooner than the interval
        ({"retry_after": 900}, 900),
        ({"error_streak": 1}, 600),
        ({"error_streak": 2}, 1200),
        ({"error_streak": 3}, 2400),
        ({"error_streak": 10}, 3600),  # capped, never given up
        ({"error_streak": 1, "retry_after": 3000}, 3000),
    ],
)
def test_next_delay(kwargs: dict[str, float], delay: float) -> None:
    assert next_delay(T, **kwargs) == delay  # type: ignore[arg-type]


def test_jitter_spreads_but_never_undercuts_retry_after() -> None:
    timing = Timing(interval=600, min_interval=60, max_backoff=3600, jitter=0.1)
    rng = random.Random(1)
    delays = {round(next_delay(timing, rng=rng)) for _ in range(50)}
    assert len(delays) > 10 and all(540 <= d <= 660 for d in delays)
    assert all(next_delay(timing, retry_after=600, rng=rng) >= 600 for _ in range(50))


def test_json_feed_items_are_read_and_normalized() -> None:
    from monitor.errors import ParseError
    from monitor.parse import parse_feed

    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "J",'
        b' "items": [{"id": "1", "url": "/a?utm_source=x", "title": "Hi <b>there</b>",'
        b' "content_html": "<p>Body &amp; more</p>", "date_published": "2025-01-01T00:00:00Z"},'
        b' {"id": "2"}, "junk"]}'
    )
    parsed = parse_feed(body, {"content-type": "application/feed+json"}, url="https://ex.org/f")
    assert parsed.title == "J" and [i.guid for i in parsed.entries] == ["1", "2"]
    first = parsed.entries[0]
    assert (first.title, first.summary) == ("Hi there", "Body & more")
    assert first.canonical_url == "https://ex.org/a" and first.published is not None
    with pytest.raises(ParseError, match="not a JSON Feed"):
        parse_feed(b'{"hello": 1}', {"content-type": "application/json"})


@pytest.mark.parametrize(
    ("pub_date", "published"),
    [
        ("Wed, 05 Nov 2025 10:00:00 GMT", datetime(2025, 11, 5, 10, 0, tzinfo=UTC)),
        ("Wed, 05 Nov 2025 12:00:00 +0200", datetime(2025, 11, 5, 10, 0, tzinfo=UTC)),
        ("Fri, 07 Nov 2025 10:00:00 GMT", None),  # two days ahead of now: the feed's mistake
        ("Thu, 01 Jan 1953 00:00:00 GMT", None),  # before 1970: not a publication date
        ("not a date", None),
    ],
)
def test_entry_dates_are_utc_and_sane(pub_date: str, published: datetime | None) -> None:
    from monitor.parse import parse_feed

    body = (
        '<rss version="2.0"><channel><title>F</title><item><title>T</title>'
        f"<link>https://example.org/a</link><pubDate>{pub_date}</pubDate></item></channel></rss>"
    ).encode()
    now = datetime(2025, 11, 5, 12, 0, tzinfo=UTC)
    (item,) = parse_feed(body, url="https://example.org/feed", now=now).entries
    assert item.published == published and item.first_seen == now
