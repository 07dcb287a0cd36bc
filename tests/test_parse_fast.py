"""What the fast path hands to feedparser, and hostile XML on both paths."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import ParseError
from monitor.models import ParsedFeed
from monitor.parse import parse_feed, parse_with_feedparser
from monitor.parse.fast import parse_fast

URL = "http://news.example/feed.xml"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
XML = {"content-type": "application/rss+xml"}


def rss(item: str, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{declaration}<rss version="2.0"><channel><title>News</title>'
        f"<link>https://news.example/</link><item>{item}</item></channel></rss>"
    ).encode()


PLAIN = "<title>Putin invites Zelensky</title><link>https://news.example/a</link>"


@pytest.mark.parametrize(
    ("why", "body", "headers"),
    [
        ("latin-1 declared", rss(PLAIN, '<?xml version="1.0" encoding="iso-8859-1"?>'), XML),
        ("charset in the header", rss(PLAIN), {"content-type": "text/xml; charset=windows-1251"}),
        ("malformed", rss(PLAIN + "<title>"), XML),
        ("a title with child elements", rss("<title>Putin <b>speaks</b></title>"), XML),
        ("a title twice", rss(PLAIN + "<title>again</title>"), XML),
        ("xml:base", rss(PLAIN).replace(b"<item>", b'<item xml:base="https://x.example/">'), XML),
        ("a DTD", rss(PLAIN).replace(b"<rss", b"<!DOCTYPE rss [<!ENTITY a 'b'>]><rss", 1), XML),
        ("a DOCTYPE in a summary", rss(PLAIN + "<description><![CDATA[<!DOCTYPE html><p>x</p>]]></description>"), XML),
        ("a doctype in a summary", rss(PLAIN + "<description><![CDATA[<!doctype html><p>x</p>]]></description>"), XML),
        ("an unknown element", rss(PLAIN + "<foo:title xmlns:foo='urn:x'>t</foo:title>"), XML),
        ("media:title", rss(PLAIN + "<m:title xmlns:m='http://search.yahoo.com/mrss/'>t</m:title>"), XML),
        ("an item in letters of another case", rss(PLAIN).replace(b"</channel>", b"<ITEM><title>x</title></ITEM></channel>"), XML),
        ("an item inside another element", rss(PLAIN).replace(b"</channel>", b"<x><item><title>x</title></item></x></channel>"), XML),
        ("an Atom entry in an RSS channel", rss(PLAIN).replace(b"</channel>", b"<entry><title>x</title></entry></channel>"), XML),
        ("an item inside an item's ignored element", rss(PLAIN + "<m:group xmlns:m='http://search.yahoo.com/mrss/'><m:item>x</m:item></m:group>"), XML),
        ("an item of an ignored namespace in an item", rss(PLAIN + "<s:item xmlns:s='http://purl.org/rss/1.0/modules/slash/'>1</s:item>"), XML),
        ("a link inside an item's ignored element", rss(PLAIN + "<category><link>x</link></category>"), XML),
        ("a title in an unknown element", rss(PLAIN).replace(b"<title>News</title>", b"<x><title>Other</title></x>"), XML),
        ("a Content-Location of its own", rss(PLAIN), {**XML, "content-location": "https://cdn.example/f"}),
        ("Atom 0.3", b'<feed xmlns="http://purl.org/atom/ns#"><title>t</title></feed>', XML),
        ("an HTML page", b"<html><body>hello</body></html>", XML),
    ],
)
def test_feedparser_reads_what_the_fast_path_cannot_be_sure_of(
    why: str, body: bytes, headers: dict[str, str]
) -> None:
    assert parse_fast(body, headers, URL, NOW) is None, why


def test_a_news_feed_takes_the_fast_path_and_keeps_every_field() -> None:
    body = rss(
        "<title>Putin invites Zelensky &amp; aides to Moscow</title>"
        "<link>https://news.example/a?utm_source=rss</link>"
        '<guid isPermaLink="false">kremlin-123</guid>'
        "<description>&lt;p&gt;The Kremlin said &lt;b&gt;talks&lt;/b&gt; could follow.&lt;/p&gt;</description>"
        "<pubDate>Fri, 05 Sep 2025 14:30:00 +0300</pubDate>"
    )
    parsed = parse_fast(body, XML, URL, NOW)
    assert parsed is not None
    (item,) = parsed.entries
    assert (item.title, item.summary, item.url, item.canonical_url, item.guid) == (
        "Putin invites Zelensky & aides to Moscow",
        "The Kremlin said talks could follow.",
        "https://news.example/a?utm_source=rss",
        "https://news.example/a",
        "kremlin-123",
    )
    assert item.published == datetime(2025, 9, 5, 11, 30, tzinfo=UTC)
    assert parsed.title == "News"


ATOM_FEED = '<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title><entry>{}</entry></feed>'


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (rss("<title>Five ways life is like &lt;i&gt;Mean Girls&lt;/i&gt;</title>"), "Five ways life is like Mean Girls"),
        (rss("<title><![CDATA[A first look at <em>Titanfall</em>]]></title>"), "A first look at Titanfall"),
        (rss("<title>&lt;p&gt;Rates &amp;amp; &lt;b&gt;bonds&lt;/b&gt;&lt;/p&gt;</title>"), "Rates & bonds"),
        (ATOM_FEED.format('<title type="html">&lt;em&gt;Bachelor&lt;/em&gt; finale</title><id>https://news.example/1</id>').encode(), "Bachelor finale"),
        (ATOM_FEED.format('<title type="text">a &lt;b&gt; c</title><id>https://news.example/2</id>').encode(), "a c"),
    ],
)
def test_a_title_with_markup_takes_the_fast_path_and_reads_as_feedparsers(body: bytes, title: str) -> None:
    """Entertainment feeds put <em> around a show's name: about one feed in forty of the ingest
    bench's real headlines. feedparser's strict parser gives such a title as the text it is,
    which our normalization cleans as it cleans feedparser's."""
    fast = parse_fast(body, XML, URL, NOW)
    assert fast is not None
    reference = parse_with_feedparser(body, XML, url=URL, now=NOW)
    assert [i.title for i in fast.entries] == [i.title for i in reference.entries] == [title]


def _fields(parsed: ParsedFeed) -> list[list[object]]:
    """The fields of each entry that the fast path must read as feedparser does."""
    fields = ("title", "summary", "url", "guid", "published", "key")
    return [[getattr(i, f) for f in fields] for i in parsed.entries]


DC_NS = "xmlns:dc='http://purl.org/dc/elements/1.1/'"
ITUNES_NS = "xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd'"
ATOM_NS = "xmlns:atom='http://www.w3.org/2005/Atom'"


@pytest.mark.parametrize(
    "extra",
    [
        f"<dc:source {DC_NS}>Reuters</dc:source><dc:identifier {DC_NS}>urn:x:1</dc:identifier>",
        "<subtitle>The day in brief</subtitle>",
        f"<itunes:subtitle {ITUNES_NS}>Episode 12</itunes:subtitle>",
        f"<atom:updated {ATOM_NS}>2025-09-05T12:00:00Z</atom:updated>",
        f"<atom:published {ATOM_NS}>2025-09-04T08:00:00+02:00</atom:published>",
        f"<pubDate>Fri, 05 Sep 2025 14:30:00 +0300</pubDate><atom:updated {ATOM_NS}>2025-09-06T00:00:00Z</atom:updated>",
        f"<itunes:summary {ITUNES_NS}>The episode, longer.</itunes:summary>",
    ],
)
def test_real_feeds_extra_elements_take_the_fast_path_and_read_as_feedparsers(extra: str) -> None:
    """Elements real feeds add to their items (Dublin Core's source and identifier, a subtitle,
    an Atom date in RSS) that feedparser reads as none of our fields, or as the date."""
    body = rss(f"{PLAIN}<description>Talks could follow.</description>{extra}")
    fast = parse_fast(body, XML, URL, NOW)
    assert fast is not None
    assert _fields(fast) == _fields(parse_with_feedparser(body, XML, url=URL, now=NOW))


@pytest.mark.parametrize(
    ("items", "summaries"),
    [
        (["<description>Short.</description><itunes:summary>Long.</itunes:summary>"] * 2, ["Short.", "Short."]),
        (["<itunes:summary>Long.</itunes:summary>", "<description>Next.</description>"], ["Long.", "Next."]),
        (["<description></description><itunes:summary>Long.</itunes:summary>"], ["Long."]),
    ],
)
def test_a_podcasts_itunes_summary_reads_as_feedparsers(items: list[str], summaries: list[str]) -> None:
    """feedparser reads an itunes:summary after a description as content (and goes on to the
    next item none the worse), alone as the summary."""
    entries = "".join(f"<item><title>Episode {n}</title>{i}</item>" for n, i in enumerate(items))
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {ITUNES_NS}><channel>'
        f"<title>Podcast</title><link>https://pod.example/</link>{entries}</channel></rss>"
    ).encode()
    fast = parse_fast(body, XML, URL, NOW)
    assert fast is not None
    reference = parse_with_feedparser(body, XML, url=URL, now=NOW)
    assert [i.summary for i in fast.entries] == [i.summary for i in reference.entries] == summaries


GD = "xmlns:gd='http://schemas.google.com/g/2005'"
THR = "xmlns:thr='http://purl.org/syndication/thread/1.0'"


@pytest.mark.parametrize(
    ("extra", "fast_path"),
    [
        (f"<author><name>Ann</name><gd:image {GD} rel='http://schemas.google.com/g/2005#thumbnail' src='a.png'/></author><thr:total {THR}>5</thr:total>", True),
        # Under another prefix feedparser looks for a handler of that name (x_total, title...).
        ("<x:total xmlns:x='http://purl.org/syndication/thread/1.0'>5</x:total>", False),
        ("<author><image xmlns='http://schemas.google.com/g/2005'>a.png</image></author>", False),
        ("<title xmlns='http://purl.org/syndication/thread/1.0'>Another title</title>", False),
    ],
)
def test_a_blogger_entry_takes_the_fast_path_and_reads_as_feedparsers(extra: str, fast_path: bool) -> None:
    """Blogger's Atom (and Feedburner's copies of it) puts a Google Data image in each author
    and a thread count in each entry: namespaces feedparser does not know, read under their
    usual prefixes as none of our fields."""
    body = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Blog</title><entry><id>tag:blogger.com,1999:post-1</id><title>Post</title>"
        "<link rel='alternate' type='text/html' href='https://blog.example/p/1.html'/>"
        f"<published>2025-09-05T10:00:00Z</published><summary>Text.</summary>{extra}</entry></feed>"
    ).encode()
    fast = parse_fast(body, XML, URL, NOW)
    assert (fast is not None) == fast_path
    if fast is not None:
        assert _fields(fast) == _fields(parse_with_feedparser(body, XML, url=URL, now=NOW))


@pytest.mark.parametrize(
    ("item", "title"),
    [
        (f"<title>Victorian, 3bd</title><dc:title {DC_NS}>Victorian, 3bd</dc:title>", "Victorian, 3bd"),
        (f"<title></title><dc:title {DC_NS}>From Dublin Core</dc:title>", "From Dublin Core"),
        (f"<dc:title {DC_NS}>Dublin Core first</dc:title><title>Then RSS</title>", "Dublin Core first"),
        (f"<title>RSS first</title><dc:title {DC_NS}>Then Dublin Core</dc:title>", "RSS first"),
        (f"<dc:title {DC_NS}>Alone</dc:title>", "Alone"),
        ("<title>Food for fungi</title><prism:volume xmlns:prism='http://purl.org/rss/1.0/modules/prism/'>356</prism:volume>", "Food for fungi"),
    ],
)
def test_a_dublin_core_title_reads_as_feedparsers(item: str, title: str) -> None:
    """Craigslist and journals (RSS 1.0 with PRISM) give each item a dc:title beside its title:
    feedparser keeps the first that is not empty."""
    body = rss(f"{item}<link>https://news.example/a</link>")
    fast = parse_fast(body, XML, URL, NOW)
    assert fast is not None
    reference = parse_with_feedparser(body, XML, url=URL, now=NOW)
    assert [i.title for i in fast.entries] == [i.title for i in reference.entries] == [title]


@pytest.mark.parametrize(
    "body",
    [
        # An entity-expansion bomb ("billion laughs"): refused, not expanded.
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(9))
        + b']><rss version="2.0"><channel><item><title>&j;</title></item></channel></rss>',
        # An external entity: never read.
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><item><title>&x;</title></item></channel></rss>',
    ],
)
def test_hostile_entities_are_refused(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body, XML, url=URL, now=NOW)


def test_an_undeclared_entity_still_reads_through_feedparser() -> None:
    """&nbsp; is no XML entity: lxml refuses the feed, feedparser reads it (as before)."""
    parsed = parse_feed(rss("<title>Putin&nbsp;speaks</title>"), XML, url=URL, now=NOW)
    assert [i.title for i in parsed.entries] == ["Putin speaks"]


@given(
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2099, 12, 31)),
    st.sampled_from(["rfc822", "rfc3339"]),
    st.integers(-14 * 60, 14 * 60),
    st.sampled_from(["GMT", "UT", "UTC", "Z", "", "EST", "+00:00"]),
    st.booleans(),
)
@settings(max_examples=400, deadline=None)
def test_a_date_reads_as_feedparser_reads_it(
    when: datetime, form: str, offset: int, zone: str, weekday: bool
) -> None:
    sign, minutes = ("+" if offset >= 0 else "-"), abs(offset)
    if form == "rfc822":
        tz = zone if zone and zone != "+00:00" else f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
        text = when.strftime(("%a, " if weekday else "") + "%d %b %Y %H:%M:%S ") + tz
    else:
        tz = zone if zone in ("Z", "+00:00") else f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
        text = when.strftime("%Y-%m-%dT%H:%M:%S") + (f".{when.microsecond}" if weekday else "") + tz
    body = rss(f"{PLAIN}<pubDate>{text}</pubDate>")
    fast = parse_fast(body, XML, URL, NOW)
    assert fast is not None
    reference = parse_with_feedparser(body, XML, url=URL, now=NOW)
    assert fast.entries[0].published == reference.entries[0].published, text


def test_a_relative_link_resolves_against_the_servers_content_location() -> None:
    """As feedparser does (and did before the fast path): the server's Content-Location, not
    the address we asked, is the base of a relative link."""
    body = rss("<title>Putin invites Zelensky</title><link>a.html</link>")
    headers = {**XML, "content-location": "https://cdn.example/news/feed.xml"}
    (item,) = parse_feed(body, headers, url=URL, now=NOW).entries
    assert item.url == "https://cdn.example/news/a.html"


@pytest.mark.parametrize(
    "guid",
    [
        '<guid isPermaLink="true">https://news.example/1</guid>',
        '<guid isPermaLink="false">https://news.example/1</guid>',
        '<guid isPermaLink="false">/1</guid>',
        '<guid isPermaLink="true">/1</guid>',
        '<guid ISPERMALINK="false">/1</guid>',
        '<guid isPermaLink="False">/1</guid>',
        '<guid isPermaLink="false" ispermalink="true">/1</guid>',
        "<guid>/1</guid>",
    ],
)
def test_a_guid_is_a_permalink_as_feedparser_reads_it(guid: str) -> None:
    """The link and id of an item without a <link>, by its GUID and isPermaLink, whatever
    the attribute's case or company."""
    body = rss(f"<title>Talks resume</title>{guid}")
    fast = parse_fast(body, XML, URL, NOW)
    assert fast is not None
    reference = parse_with_feedparser(body, XML, url=URL, now=NOW)
    assert [(i.guid, i.url) for i in fast.entries] == [(i.guid, i.url) for i in reference.entries]
