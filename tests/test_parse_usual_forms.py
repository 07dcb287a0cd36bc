"""The shortcuts the parse thread takes for the usual forms (an article address with only
tracking parameters, a summary that is one line already) give what the long way gives: the
same address with its scheme in capitals, and the same text with a line break after it, go the
long way and must come out the same."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor.normalize import canonical_url, clean_text

# Pieces of addresses, the tricky ones included: ports, users, IPv6, empty labels, trailing
# dots, percent-escapes, spaces and controls, non-ASCII, several "?" and "#".
URL_PIECES = st.sampled_from(
    ["a", "Z", "0", "-", ".", "/", "?", "#", "&", "=", ";", ":", "@", "[", "]", "%5F", "%",
     "+", " ", "\t", "\n", "\x00", "\x7f", "\xa0", "é", "\u3000", "utm_source=rss", "fbclid=1",
     "id=7", "x.example", "news", ":443", "..", "//"]
)  # fmt: skip
TEXT_PIECES = st.sampled_from(
    ["word", "Word", " ", "  ", "\t", "\n", "\r", "\xa0", "\u3000", "\u2028", "\x85", "\u200b",
     "\xad", "<p>", "</p>", "<b>", "<br/>", "<!--", "-->", "&amp;", "&#x27;", "&nbsp;", "&",
     "ﬁ", "é", "\x1b", "<script>", "<![CDATA[", "]]>", ".", "'"]
)  # fmt: skip


@given(
    st.sampled_from(["http://", "https://"]),
    st.lists(URL_PIECES, max_size=12).map("".join),
)
@example("https://", "www.example.org/news/1/2/slug?utm_source=rss&utm_medium=feed")
@example("https://", "example.org?utm_source=rss#top")
@example("http://", "example.org./a")
@example("http://", "example.org/a b")
@settings(max_examples=600, deadline=None)
def test_an_address_canonicalizes_as_the_long_way(scheme: str, rest: str) -> None:
    url = scheme + rest
    assert canonical_url(url) == canonical_url(scheme.upper() + rest), url


@given(st.lists(TEXT_PIECES, max_size=16).map("".join))
@example(" <p>Fed&#x27;s Plosser  sees a high bar.</p> ")
@settings(max_examples=600, deadline=None)
def test_a_text_cleans_as_the_long_way(text: str) -> None:
    assert clean_text(text) == clean_text(text + "\n") == clean_text("\n" + text), text
