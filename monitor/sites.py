"""sites: an outlet's web site as its identity: the registrable domain of an address
(``www.reuters.com`` and ``reuters.com`` are one, ``reuters.com``), by the Public Suffix
List (https://publicsuffix.org/: ``bbc.co.uk`` is registrable where ``co.uk`` is not).

The list is the one ``publicsuffixlist`` ships, read offline: no fetch at run time, and a
newer list comes with the package. No table of one outlet's several domains: ``bbc.co.uk``
and ``bbc.com`` are two sites, as the list (and nothing else well kept) says.
"""

from __future__ import annotations

import functools
import ipaddress
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

# Sites of many outlets' news, not one outlet's: aggregators and readers (a topic feed's
# <link>: news.google.com), feed services (feeds.feedburner.com, feedproxy.google.com) and
# platforms whose pages are many publishers' by path (a YouTube channel, a subreddit). An
# item there is told by its <source>, else by its feed, as where no site is known.
SHARED_DOMAINS = frozenset(
    (
        "google.com", "bing.com", "yahoo.com", "msn.com", "ycombinator.com",
        "feedburner.com", "feedly.com", "inoreader.com", "newsblur.com",
        "rss.app", "fetchrss.com", "politepol.com",
        "youtube.com", "reddit.com", "x.com", "twitter.com", "t.me", "telegram.me",
        "facebook.com", "instagram.com", "linkedin.com", "threads.net", "bsky.app",
        "mastodon.social", "dev.to",
    )
)  # fmt: skip
# Platforms whose subdomains are each a publication of its own (foo.substack.com) and that
# the Public Suffix List does not list as it lists blogspot.com and github.io: there the
# host is the site, and the platform's own pages are nobody's.
PLATFORM_DOMAINS = frozenset(
    (
        "substack.com", "wordpress.com", "tumblr.com", "ghost.io", "medium.com",
        "livejournal.com", "typepad.com", "beehiiv.com", "weebly.com", "squarespace.com",
        "hashnode.dev", "neocities.org",
    )
)  # fmt: skip

# Names reserved for examples (RFC 2606 section 2 and 3; RFC 6761 section 6): a feed built
# from a template whose <link> was never filled in names no outlet, and feeds that share
# such a placeholder are not one outlet.
_RESERVED_DOMAINS = frozenset(("example.com", "example.net", "example.org"))
_RESERVED_SUFFIXES = frozenset(("example", "test", "invalid", "localhost"))

# A DNS name is at most 253 characters (RFC 1035 section 2.3.4).
MAX_HOST = 253


@functools.cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # its bundled list: read once, never fetched


def site_of(url: str | None) -> str | None:
    """The registrable domain of ``url``'s host, lowercased ("reuters.com" of
    https://www.Reuters.com/world); None where it names no outlet's site: no host, an IP
    address, a single label, a public suffix itself, a reserved example name, or a site of
    many outlets (``SHARED_DOMAINS``); the host itself on a platform of many publications
    (``PLATFORM_DOMAINS``: "foo.substack.com")."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:  # an address urllib cannot split (a bad IPv6 literal)
        return None
    host = (host or "").rstrip(".")
    if not host or len(host) > MAX_HOST:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None
    if host.rpartition(".")[2] in _RESERVED_SUFFIXES:
        return None
    domain = _registrable(host)
    if domain is None or domain in _RESERVED_DOMAINS or domain in SHARED_DOMAINS:
        return None
    if domain in PLATFORM_DOMAINS:
        publication = host.removeprefix("www.")
        return publication if publication != domain else None
    return domain


@functools.lru_cache(maxsize=4096)
def _registrable(host: str) -> str | None:
    # Few sites, many items: each host is looked up once.
    found = _suffixes().privatesuffix(host)
    return found if found and "." in found else None
