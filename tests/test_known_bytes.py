"""A changed body is parsed without the items its feed's memory knows, found by their own
bytes (parse.slices), and gives exactly what it gives without that memory, whatever the
bytes around and inside its items (CDATA, comments, namespaces and where they are declared,
Atom, a self-closed item) and wherever a known item's bytes move."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from feedserver import FeedServer
from lxml import etree
from test_known_items import Entry, body, first_body, headlines, one_new, two_polls

import monitor.parse.fast as fast_path


def _with_new(old: list[Entry], new_item: bytes) -> bytes:
    """The first body with ``new_item`` on top, the oldest dropped."""
    rest = body(old[:-1])
    at = rest.index(b"<item>")
    return rest[:at] + new_item + rest[at:]


def _cdata_with_item_tags(old: list[Entry], titles: list[str]) -> bytes:
    summary = b"<![CDATA[</item><item><title>Not an item</title></item><item>]]>"
    return _with_new(old, b"<item><title>%s</title><guid>https://news.example/200</guid>"
                     b"<description>%s</description></item>" % (titles[200].encode(), summary))  # fmt: skip


def _comment_with_an_item(old: list[Entry], titles: list[str]) -> bytes:
    changed = body(one_new(old, titles))
    second = changed.index(b"<item>", changed.index(b"<item>") + 1)
    return changed[:second] + b"<!-- <item><title>x</title></item> -->" + changed[second:]


def _self_closed_item(old: list[Entry], titles: list[str]) -> bytes:
    return _with_new(old, b"<item/>")


def _prefix_rebound(old: list[Entry], titles: list[str]) -> bytes:
    changed = body(one_new(old, titles))
    return changed.replace(b'<rss version="2.0">', b'<rss version="2.0" xmlns:a="urn:x">')


def _atom(entries: list[Entry], prefixed: int = 0) -> bytes:
    """An Atom feed of ``entries``, the first ``prefixed`` of them written <a:entry>."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"'
        ' xmlns:a="http://www.w3.org/2005/Atom"><title>Wire</title><id>https://news.example/</id>'
        + "".join(
            f"<{tag}><title>{e.title.replace('&', '&amp;').replace('<', '&lt;')}</title>"
            f"<id>https://news.example/{e.n}</id><updated>{e.date:%Y-%m-%dT%H:%M:%SZ}</updated>"
            f"</{tag}>"
            for i, e in enumerate(entries)
            for tag in ["a:entry" if i < prefixed else "entry"]
        )
        + "</feed>"
    ).encode()


DC = "http://purl.org/dc/elements/1.1/"
SLASH = "http://purl.org/rss/1.0/modules/slash/"


def _dc_item(titles: list[str]) -> str:
    """An item titled only by dc:title: a headline under Dublin Core, nothing under slash."""
    return f"<item><dc:title>{titles[250].replace('&', '&amp;').replace('<', '&lt;')}</dc:title></item>"


def _scoped(old: list[Entry], titles: list[str], head: str, at_end: str = "") -> bytes:
    """The first body's items after a dc:title item, under ``head``; ``at_end`` after them."""
    items = body(old).split(b"</link>", 1)[1].rsplit(b"</channel>", 1)[0].decode()
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{head}<title>Wire</title>'
        f"<link>https://news.example/</link>{_dc_item(titles)}{items}{at_end}</channel></rss>"
    ).encode()


def _moved_into_x(old: list[Entry], titles: list[str]) -> bytes:
    """The dc:title item taken out of the channel's items, into an element that declares dc."""
    x = f'<x xmlns:dc="{DC}">{_dc_item(titles)}</x>'
    changed = _scoped(
        one_new(old, titles), titles, f'<rss version="2.0" xmlns:dc="{SLASH}"><channel>', x
    )
    return changed.replace(_dc_item(titles).encode(), b"", 1)


def _doctype_hiding_an_item(old: list[Entry], titles: list[str]) -> bytes:
    """A DOCTYPE whose system id holds "<!--": a scan that took it for a comment would step
    over the new item, up to the "-->" in the processing instruction after it."""
    changed = body(one_new(old, titles))
    changed = changed.replace(b"<rss", b'<!DOCTYPE rss SYSTEM "x<!--"><rss', 1)
    second = changed.index(b"<item>", changed.index(b"<item>") + 1)
    return changed[:second] + b"<?p -->?>" + changed[second:]


# (name, the first body, the second body): each from the same 50 items of real headlines.
Bodies = Callable[[list[Entry], list[str]], bytes]
CASES: list[tuple[str, Bodies, Bodies]] = [
    ("a new item's CDATA holding item tags", lambda o, t: body(o), _cdata_with_item_tags),
    ("a comment holding an item", lambda o, t: body(o), _comment_with_an_item),
    ("a self-closed item", lambda o, t: body(o), _self_closed_item),
    ("a namespace declared before the items", lambda o, t: body(o), _prefix_rebound),
    ("Atom, one new entry", lambda o, t: _atom(o), lambda o, t: _atom(one_new(o, t))),
    # dc bound to Dublin Core on <rss>, to slash on <channel>: the dc:title item is empty.
    # Then the same two declarations, the slash one on an element closed before the items:
    # the same item's bytes now hold a title, a new item.
    (
        "the same declarations, another scope",
        lambda o, t: _scoped(
            o, t, f'<rss version="2.0" xmlns:dc="{DC}"><channel xmlns:dc="{SLASH}">'
        ),
        lambda o, t: _scoped(
            o, t, f'<rss version="2.0" xmlns:dc="{DC}"><channel><x xmlns:dc="{SLASH}"/>'
        ),
    ),
    # A known item's bytes moved out of the channel's items, into an element declaring dc
    # after them: feedparser reads it there as a new item.
    (
        "a known item moved out of the items",
        lambda o, t: _scoped(o, t, f'<rss version="2.0" xmlns:dc="{SLASH}"><channel>'),
        _moved_into_x,
    ),
    # The scan does not see <a:entry>: the entries it finds are not the entries read.
    (
        "entries and a:entry together",
        lambda o, t: _atom(o),
        lambda o, t: _atom(one_new(o, t), prefixed=1),
    ),
    ("a DOCTYPE whose system id opens a comment", lambda o, t: body(o), _doctype_hiding_an_item),
]


@pytest.mark.parametrize(("name", "first", "second"), CASES, ids=[c[0] for c in CASES])
async def test_a_changed_body_gives_what_it_gives_without_memory(
    name: str, first: Bodies, second: Bodies, feed_server: FeedServer, tmp_path: Path
) -> None:
    titles = headlines()
    old = first_body(titles)
    bodies = (first(old, titles), second(old, titles))
    warm, warm_poll = await two_polls(tmp_path, feed_server, bodies, cold=False)
    cold, cold_poll = await two_polls(tmp_path, feed_server, bodies, cold=True)
    assert warm == cold
    assert (warm_poll.new_items, warm_poll.items) == (cold_poll.new_items, cold_poll.items)


async def test_a_changed_body_is_parsed_without_the_items_it_knows(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[bytes] = []
    fromstring = etree.fromstring

    def recorded(text: bytes, parser: etree.XMLParser) -> etree._Element:
        parsed.append(text)
        return fromstring(text, parser)

    monkeypatch.setattr(fast_path.etree, "fromstring", recorded)
    titles = headlines()
    old = first_body(titles)
    new = one_new(old, titles)
    _, poll = await two_polls(tmp_path, feed_server, (body(old), body(new)), cold=False)
    assert (poll.new_items, poll.items) == (1, 50)
    second = parsed[-1]
    assert new[0].xml().encode() in second
    assert not [e for e in new[1:] if e.xml().encode() in second]
