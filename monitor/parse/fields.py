"""parse.fields: one field's text as feedparser would give it, for the fast path (parse.fast).

Each function answers as feedparser does for the cases it takes, and says "not sure" (None or
``Unsure``) for the rest, so that the whole feed goes to feedparser instead.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin

from monitor.normalize import MAX_URL


class Unsure(Exception):
    """The fast path cannot be sure to answer as feedparser would: feedparser reads the feed."""


_WRITTEN_ABSOLUTE = re.compile(r"\s*https?://[^/?#\s]", re.IGNORECASE)
# feedparser's urls._urifixer: "http:///x" is read as "http://x".
_URI_FIXER = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
# feedparser's fix for links whose "&" a publisher escaped twice ("?a=1&amp;b=2").
_ENTITY_LIKE = re.compile(r"&([A-Za-z0-9_]+);")
_C1 = re.compile("[\x80-\x9f]")


def plain_absolute(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL that urljoin gives back unchanged whatever
    the base: ASCII, no space or control character, no ";" parameters, no IPv6 brackets, no
    empty query or fragment, a host right after "//" (feedparser's URI fixer eats extra
    slashes). Asked of a GUID and a link on every item, so told by string methods and one
    byte table (at C speed), not by a pattern stepping through it a character at a time."""
    if not url.startswith(_HTTP):
        return False
    host = 8 if url[4] == "s" else 7
    return (
        len(url) > host
        and url[host] not in "/?#"
        and url[-1] not in "?#"
        and url.isascii()
        and not url.encode("ascii").translate(None, _URL_BYTES)
        and ("#" not in url or "?#" not in url)
    )


_HTTP = ("https://", "http://")


# The characters such a URL may hold, as bytes: printable ASCII but the space, ";", "[" and "]".
_URL_BYTES = bytes(c for c in range(0x21, 0x7F) if c not in b";[]")


def resolve(value: str, base: str) -> str:
    """A link or permalink GUID against the feed's base, as feedparser's ``resolve_uri``."""
    if plain_absolute(value):
        return value
    if len(value) + len(base) > MAX_URL:
        # feedparser would join it; we do not keep megabyte strings in urllib's cache.
        raise Unsure("a link longer than any URL")
    try:
        return urljoin(base, _URI_FIXER.sub(r"\1\3", value))
    except ValueError:
        return ""


def entry_link(value: str, base: str) -> str:
    """An RSS ``<link>``'s text as feedparser stores it for an entry."""
    value = resolve(value, base)
    if "&" in value and ";" in value:  # both fixes need a ";" (a plain address has none)
        value = _ENTITY_LIKE.sub(r"&\g<1>", value.replace("&amp;", "&"))
    return value


def feed_link(value: str, base: str) -> str:
    """A channel ``<link>``'s text as feedparser stores it for the feed ("" for an empty
    ``<link/>``, which names no address, not the feed's own)."""
    if not value:
        return ""
    value = resolve(value, base)
    return _ENTITY_LIKE.sub(r"&\g<1>", value) if "&" in value and ";" in value else value


def written_absolute(value: str) -> bool:
    """Whether a link names its host as written, not one resolved against the feed's own
    address (a relative ``<link>/</link>``): only such a link names the feed's site."""
    return _WRITTEN_ABSOLUTE.match(value) is not None


def text(value: str | None) -> str:
    """An element's text as feedparser's ``pop`` leaves it (before our normalization)."""
    if not value:
        return ""
    value = value.strip()
    if not value.isascii():
        # feedparser undoes UTF-8 read as ISO-8859-1 in a UTF-8 feed ("Ã©" becomes "é").
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            value = value.encode("iso-8859-1").decode("utf-8")
        if _C1.search(value):
            raise Unsure("C1 control characters (feedparser reads them as Windows-1252)")
    return value


def websub_links(links: Iterable[Any], base: str) -> dict[str, Any]:
    """The hubs and self URL a feed's Atom links (lxml elements) advertise, as parse.feed
    finds them through feedparser (W3C WebSub 4, https://www.w3.org/TR/websub/#discovery)."""
    found = [
        ((c.get("rel") or "").lower(), resolve((c.get("href") or "").strip(), base))
        for c in links
        if c.get("href")
    ]
    return {
        "hubs": tuple(dict.fromkeys(href for rel, href in found if rel == "hub")),
        "self_url": next((href for rel, href in found if rel == "self"), None),
    }
