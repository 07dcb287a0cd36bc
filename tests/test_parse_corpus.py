"""Every file of feedparser's own test suite goes through parse and normalize without an
exception, keeping every title and link that feedparser itself finds."""

from __future__ import annotations

import feedparser
import pytest
from conftest import SHARED_DATA, shared
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import ParseError
from monitor.normalize import clean_text
from monitor.parse import parse_feed
from monitor.parse.fields import resolve

CORPUS = sorted(p for p in (SHARED_DATA / "feedparser-tests").rglob("*") if p.is_file())
CORPUS = [p for p in CORPUS if p.name != "SOURCE.txt"]
BASE = "http://example.org/feed.xml"
# feedparser's sanitizer (which the pipeline turns off, see parse.FEEDPARSER_OPTIONS) keeps a
# page's <head> and part of a script as text in this title; clean_text drops both and keeps
# the title's real text. test_parse_html checks that no word we keep is one the sanitizer
# would drop.
SANITIZER_KEEPS_CODE = {
    "entry_title_crazy.xml": "Did The Javascript Execute? I will execute here, too, if you mouse over me"
}


def test_corpus_is_there() -> None:
    assert len(CORPUS) > 2000 or not shared("feedparser-tests")


def test_every_corpus_file_parses_and_keeps_titles_and_links() -> None:
    if not CORPUS:
        pytest.skip("shared data not available")
    refused = []
    checked = 0
    for path in CORPUS:
        body = path.read_bytes()
        headers = {"content-type": "application/xml", "content-location": BASE}
        reference = feedparser.parse(body, response_headers=headers)
        try:
            parsed = parse_feed(body, {}, url=BASE)
        except ParseError as exc:
            # Refusing is allowed only where feedparser found no entry either.
            if reference.entries:
                refused.append(f"{path.name}: {exc}")
            continue
        titles = {clean_text(e.get("title")) for e in reference.entries} - {""}
        if path.name in SANITIZER_KEEPS_CODE:
            titles = {SANITIZER_KEEPS_CODE[path.name]}
        links = {e.get("link") for e in reference.entries} - {None, ""}
        assert titles <= {i.title for i in parsed.entries}, path
        assert links <= {i.url for i in parsed.entries}, path
        checked += 1
    assert not refused, refused[:5]
    assert checked > 1500


@given(st.sampled_from(["http://", "https://", "http:///", "HTTP://", "", "//"]),
       st.text(st.sampled_from("ab/:?#;[]@%.- \t\nH=&é\x7f\\"), max_size=16),
       st.sampled_from([BASE, "https://news.example/x/", "http://[::1]:80/", "", "ftp://x/"]))
@settings(max_examples=3000, deadline=None)
def test_a_link_joins_as_feedparser_joins_it(scheme: str, rest: str, base: str) -> None:
    """The fast path's joining of a link to the feed's address (plain absolute links as they
    are, without urllib) answers as feedparser's."""
    import feedparser.urls

    url = scheme + rest
    assert resolve(url, base) == feedparser.urls._urljoin(base, url)


def test_a_hostile_xml_base_is_not_kept_after_its_feed() -> None:
    """Feeds that each declare a quarter megabyte of xml:base, newLocation, link and GUID
    leave nothing behind once parsed (the base-URI cache and urllib's held 60 MB after 40 of
    them): such an xml:base is ignored, such a link is no URL, and the item is kept with its
    title."""
    import gc
    import tracemalloc

    def feed(n: int) -> bytes:
        base = f"http://example.org/{n}/" + "a" * 250_000 + "/"
        return (
            f'<rss version="2.0"><channel xml:base="{base}"><title>t</title>'
            f"<newLocation>{base}</newLocation>"
            f'<item xml:base="{base}"><title>Story {n}</title><link>x.html</link></item>'
            f"<item><title>Long {n}</title><link>{base}</link><guid>{base}</guid></item>"
            "</channel></rss>"
        ).encode()

    parse_feed(feed(0), {}, url=BASE)  # anything imported or built once is not counted
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(1, 41):
            parsed = parse_feed(feed(n), {}, url=BASE)
            assert [i.title for i in parsed.entries] == [f"Story {n}", f"Long {n}"]
            assert [i.url for i in parsed.entries] == ["http://example.org/x.html", None]
        del parsed
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 2_000_000, f"{kept:,} bytes kept after 40 feeds"
