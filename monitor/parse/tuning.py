"""parse.tuning: how feedparser is run. Its expat parser always, its options, and URL
functions of our own in place of two of its (the same answers, cheaper, and bounded)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType, ModuleType

import feedparser
import feedparser.mixin
import feedparser.namespaces._base
import feedparser.urls

from monitor.normalize import MAX_URL

# feedparser asks for the libxml2 SAX driver (drv_libxml2) before expat on every parse. We
# do not install it, and each failed import searches sys.path under the import lock, which
# the parsing threads then queue on (14% of the first poll of 1,000 feeds). Expat always:
# the same parser on every machine, the one the entity-expansion checks are written for.
feedparser.api.PREFERRED_XML_PARSERS[:] = []

# feedparser's own work on the HTML inside entries, for readers that display that HTML: its
# sanitizer makes the markup safe to show, and it rewrites relative URIs inside it. We keep
# plain text only (``normalize.clean_text`` drops tags, scripts, styles and comments; every
# channel escapes what it sends), so both were a quarter of feedparser's time for nothing.
# Entry links and GUIDs are still resolved against the feed's base (xml:base, else the
# Content-Location we pass): feedparser does that for them whatever these options say.
FEEDPARSER_OPTIONS: Mapping[str, bool] = MappingProxyType(
    {"sanitize_html": False, "resolve_relative_uris": False}
)

# feedparser works out the base URI again at every start tag, make_safe_absolute_uri(base,
# the tag's xml:base or that same base): a urljoin and a urlparse per element, a quarter of
# its time on a feed without any xml:base. The answer depends on the two strings alone (and
# on feedparser's list of acceptable schemes, which nothing changes), so a small cache gives
# it; a feed's elements ask the same question over and over. (The bench times feedparser's
# default options without it.)
#
# A hostile feed's megabyte of xml:base or link would stay in memory long after that feed:
# in this cache, 256 answers, and in urllib's own, 128 (63 MB after 40 feeds of a megabyte).
# Nothing longer than MAX_URL is joined: such an xml:base is ignored (feedparser keeps the
# base it had) and such a link is left as it is, for canonical_url to refuse.
_SHIPPED_MAKE_SAFE_ABSOLUTE_URI = feedparser.urls.make_safe_absolute_uri
_cached_make_safe_absolute_uri = functools.lru_cache(maxsize=256)(_SHIPPED_MAKE_SAFE_ABSOLUTE_URI)
_SHIPPED_URLJOIN = feedparser.mixin._urljoin


def make_safe_absolute_uri(base: str | None, rel: str | None = None) -> str:
    """feedparser's ``make_safe_absolute_uri``, remembered; "" (keep the old base) when the
    two are longer than any real URL."""
    if len(base or "") + len(rel or "") > MAX_URL:
        return ""
    return str(_cached_make_safe_absolute_uri(base, rel))


# feedparser joins every link and permalink GUID to the base (a tenth of its time on the
# bench's feeds), and nearly all are absolute http(s) URLs that urljoin gives back as they
# are, whatever the base: another scheme, returned untouched; the same one, split and put
# together again. That holds when there is nothing for urlsplit to strip or drop or refuse:
# ASCII, no space or control character, no ";" parameters, no IPv6 brackets, no empty
# query or fragment, a host right after "//" (feedparser's fixer eats extra slashes), and a
# base of the same kind (urljoin answers "" for a base it cannot split).
_PLAIN_ABSOLUTE = re.compile(r"https?://[^/?#;\[\]\x00-\x20\x7f]+(?:[/?#][^;\[\]\x00-\x20\x7f]*)?")


def _plain_absolute(url: str) -> bool:
    return (
        url.isascii()
        and _PLAIN_ABSOLUTE.fullmatch(url) is not None
        and url[-1] not in "?#"
        and "?#" not in url
    )


def _urljoin(base: str, uri: str) -> str:
    """feedparser's ``_urljoin``: the same answer, without urllib where it is ``uri`` itself
    (see _PLAIN_ABSOLUTE); strings longer than any URL are returned unjoined."""
    if len(base) + len(uri) > MAX_URL:
        return uri
    if _plain_absolute(uri) and (not base or _plain_absolute(base)):
        return uri
    return str(_SHIPPED_URLJOIN(base, uri))


_OURS: tuple[tuple[ModuleType, str, Callable[..., str]], ...] = (
    (feedparser.mixin, "make_safe_absolute_uri", make_safe_absolute_uri),
    (feedparser.namespaces._base, "make_safe_absolute_uri", make_safe_absolute_uri),  # newLocation
    (feedparser.mixin, "_urljoin", _urljoin),
)
_SHIPPED = tuple((module, name, getattr(module, name)) for module, name, _ in _OURS)


def use_our_url_functions(ours: bool = True) -> None:
    """Put this module's URL functions in feedparser (done at import), or feedparser's own
    back (``ours=False``: the yardstick of the ingest bench and of the tests that check ours
    change nothing feedparser finds)."""
    for module, name, function in _OURS if ours else _SHIPPED:
        setattr(module, name, function)


use_our_url_functions()
