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

# Hosts of aggregators' own pages (a topic feed's <link>): their items are other outlets'
# (each named by its <source>), so the site is nobody's outlet. Hosts, not domains: Yahoo's
# other sites (finance.yahoo.com) publish their own news.
AGGREGATOR_HOSTS = frozenset(
    (
        "news.google.com",
        "www.bing.com",
        "bing.com",
        "news.yahoo.com",
        "www.yahoo.com",
        "yahoo.com",
    )
)

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
    address, a single label, a public suffix itself, a reserved example name, or an
    aggregator's own pages (``AGGREGATOR_HOSTS``)."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:  # an address urllib cannot split (a bad IPv6 literal)
        return None
    host = (host or "").rstrip(".")
    if not host or len(host) > MAX_HOST or host in AGGREGATOR_HOSTS:
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
    return None if domain is None or domain in _RESERVED_DOMAINS else domain


@functools.lru_cache(maxsize=4096)
def _registrable(host: str) -> str | None:
    # Few sites, many items: each host is looked up once.
    found = _suffixes().privatesuffix(host)
    return found if found and "." in found else None
