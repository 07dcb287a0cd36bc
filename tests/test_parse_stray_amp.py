"""A stray "&" in a body strict XML refuses reads as the outlet wrote it: feedparser's loose
parser used to read "AT&T boss" as the reference "&T" and show "AT&T; boss". An "&" inside
CDATA, a character reference and an entity reference (&nbsp; without its DTD) are kept as
they were, and a body cut short with a stray "&" is still malformed."""

from __future__ import annotations

from monitor.parse.feed import parse_feed

HEAD = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Q</title>'
ITEM = (
    b"<item><title>Putin meets AT&T boss &nbsp;in Texas</title><guid>q1</guid>"
    b"<link>http://x.example/q1?a=1&b=2</link>"
    b"<description>AT&T &nbsp; stray. R&D budget; Q&A session &#38; &#x26;"
    b" <![CDATA[C&D; x]]></description></item>"
)
TAIL = b"</channel></rss>"
HEADERS = {"content-type": "application/rss+xml"}


def test_a_stray_ampersand_gains_no_semicolon() -> None:
    parsed = parse_feed(HEAD + ITEM + TAIL, HEADERS, url="http://x.example/f")
    [item] = parsed.entries
    assert item.title == "Putin meets AT&T boss in Texas"
    assert item.summary == "AT&T stray. R&D budget; Q&A session & & C&D; x"
    assert item.url == "http://x.example/q1?a=1&b=2"
    assert parsed.malformed is None and parsed.warning  # whole, but not well-formed


def test_a_cut_body_with_a_stray_ampersand_is_still_malformed() -> None:
    second = ITEM.replace(b"q1", b"q2")
    parsed = parse_feed(HEAD + ITEM + second[:-40], HEADERS, url="http://x.example/f")
    assert parsed.entries[0].title == "Putin meets AT&T boss in Texas"
    assert (parsed.malformed or "").startswith("malformed XML at line ")


def test_a_body_in_iso_2022_jp_keeps_its_characters() -> None:
    # In ISO-2022-JP the byte "&" is part of characters (Greek alpha is ESC $ B & A): no
    # "&" of such a body is taken for a stray one (review13f; it read "$B&A4A(B" before).
    title = "\u03b1\u6f22 \u3045 AT&T".replace("&", "&amp;")
    body = (
        b'<?xml version="1.0" encoding="iso-2022-jp"?><rss version="2.0"><channel><title>Q'
        b"</title><item><title>" + title.encode("iso-2022-jp") + b"</title><guid>j1</guid>"
        b"<link>http://x.example/j1</link></item></channel>"  # cut: strict XML refuses it
    )
    [item] = parse_feed(body, HEADERS, url="http://x.example/f").entries
    assert item.title.startswith("\u03b1\u6f22")
