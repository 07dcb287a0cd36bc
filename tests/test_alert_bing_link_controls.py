"""normalize.direct_link percent-decodes Bing's url= once and returns it raw: an encoded
line break or space in it (%0a, %0d%0a, %20) becomes a literal one in the alert's link.
Before 99d40da the link stayed percent-encoded inside the Bing URL; a feed's own <link>
cannot carry a line break (the parsers drop controls), so this is new with the decode.
shown_link (remove_controls) keeps line breaks: the plain-text render puts the link on its
own line (render.py: lines += ["", url]), and the rest after the break reads as a line of
the message."""

from monitor.channels import _article_link
from monitor.normalize import direct_link

BING = "https://www.bing.com/news/apiclick.aspx?ref=FexRss&url="


def test_a_decoded_link_has_no_line_break() -> None:
    link = _article_link(BING + "https%3a%2f%2fnews.example%2fa%0aURGENT%3a+wire+funds+now&c=1")
    assert "\n" not in link and "\r" not in link, repr(link)


def test_a_decoded_link_has_no_space() -> None:
    link = direct_link(BING + "https%3a%2f%2fnews.example%2fa%20b&c=1")
    assert " " not in link, repr(link)
