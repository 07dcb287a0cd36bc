"""sites: an outlet's web site as its identity: the host of its home page without a
leading "www." (``www.reuters.com`` and ``reuters.com`` are one, ``reuters.com``), checked
against the Public Suffix List (https://publicsuffix.org/: ``bbc.co.uk`` is registrable where
``co.uk`` is not). The host, not the registrable domain: publishers that share a domain are
not one (commission.europa.eu and europarl.europa.eu, one.substack.com and two), and one
outlet's hosts (edition.cnn.com, www.cnn.com) counted twice only over-count, as before sites.

The list is the one ``publicsuffixlist`` ships, read offline: no fetch at run time, and a
newer list comes with the package. No table of one outlet's several domains: ``bbc.co.uk``
and ``bbc.com`` are two sites, as the list (and nothing else well kept) says.
"""

from __future__ import annotations

import functools
import ipaddress
import re
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
        "mastodon.social", "dev.to", "threads.com",
        # a publisher's page by path (buttondown.com/<name>), which the path rule below
        # cannot tell from an outlet's section (reuters.com/world)
        "buttondown.com", "buttondown.email", "campaign-archive.com", "micro.blog",
        "github.com", "vimeo.com", "soundcloud.com", "patreon.com",
        # front ends and platforms that name an account by its first path segment
        # (nitter.net/BBCWorld, weibo.com/1195230310, dzen.ru/ria), and feed bridges whose
        # paths are other sites' channels (rsshub.app/telegram/channel/<name>)
        "nitter.net", "xcancel.com", "privacydev.net", "poast.org", "weibo.com", "weibo.cn",
        "dzen.ru", "yandex.ru", "vk.com", "ok.ru", "rsshub.app", "twitch.tv", "bilibili.com",
        "tiktok.com", "rumble.com", "odysee.com", "bitchute.com", "truthsocial.com",
        "flipboard.com", "pinterest.com", "spotify.com", "dailymotion.com", "write.as",
        "pixelfed.social", "linktr.ee", "gitlab.com",
        # feed hosts: each publisher's feed or show at a path of the host's
        # (feedpress.me/<name>, feeds.megaphone.fm/<show>, openrss.org/<site>)
        "feedpress.me", "feedblitz.com", "megaphone.fm", "art19.com", "transistor.fm",
        "openrss.org", "feed43.com", "libsyn.com", "podbean.com", "buzzsprout.com",
        "simplecast.com", "acast.com", "spreaker.com", "omny.fm", "anchor.fm",
        "captivate.fm", "blubrry.com", "podomatic.com", "rss.com", "fireside.fm",
        "pinecast.com",
        # blog and forum platforms whose pages are each a writer's at one lower-case
        # segment (note.com/<name>, ameblo.jp/<name>/, kbin.social/m/<magazine>)
        "naver.com", "note.com", "ameblo.jp", "zenn.dev", "qiita.com", "codeberg.org",
        "kbin.social", "lemmy.world", "hubpages.com", "wattpad.com", "deviantart.com",
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

# A feed's channel link names its site only where it reads as a site: its home page or a
# section of it (/world/, /news/world), not a page of one of a platform's many publishers
# (a Mastodon or Threads account, a GOV.UK department, a podcast on podcasts.apple.com). A
# link the rule refuses leaves the feed its own outlet, as before sites were known: a
# missed merge over-counts, a false one hides a publisher.
MAX_SECTION_DEPTH = 2
# A section is written in lower case and is not a number: an account's name keeps its case
# (nitter.net/BBCWorld) and a numeric path is an account's id (weibo.com/1195230310).
_SECTION_SEGMENT = re.compile(r"(?![0-9]+$)[a-z0-9][a-z0-9._-]*")
_PLATFORM_PAGES = frozenset(
    (
        "user", "users", "u", "people", "profile", "profiles", "channel", "channels", "c",
        "organisations", "organizations", "government", "author", "authors", "members",
        "groups", "accounts", "podcast", "podcasts", "show", "shows",
        "m", "a",  # a kbin/mbin magazine, a PeerTube account
    )
)  # fmt: skip


@functools.cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # its bundled list: read once, never fetched


def site_of_feed(link: str | None) -> str | None:
    """The site a feed's own channel ``link`` or an aggregator's ``<source url>`` names: its
    host, lowercased and IDNA-encoded, without a leading "www." ("reuters.com" of
    https://www.Reuters.com/world), where the link is the site's home page, a section of it
    or a feed file there (no query, at most ``MAX_SECTION_DEPTH`` path segments, each in
    lower case letters, digits, "-", "_" or "." and not a number: no account's "@name",
    "~name" or "BBCWorld", nothing under /users/, /organisations/, /government/...). None
    for a page of a platform's publisher, no host, an IP address, a single label, a public
    suffix itself, a reserved example name, a site of many outlets (``SHARED_DOMAINS``) or a
    platform's own pages (``PLATFORM_DOMAINS``)."""
    if not link:
        return None
    try:
        parts = urlsplit(link.strip())
    except ValueError:  # an address urllib cannot split (a bad IPv6 literal)
        return None
    if parts.scheme.lower() not in ("http", "https") or parts.query:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > MAX_SECTION_DEPTH or not all(map(_SECTION_SEGMENT.fullmatch, segments)):
        return None
    if segments and segments[0].lower() in _PLATFORM_PAGES:
        return None
    return _site_of_host(parts.hostname or "")


# What a site calls its own feed file (WordPress's /feed, Ghost's /rss/, /world/rss.xml):
# never the name of one of a feed host's publishers.
_FEED_FILES = frozenset(
    (
        "feed", "rss", "atom", "rss2", "feed.xml", "rss.xml", "atom.xml", "index.xml",
        "index.rss", "feed.rss", "rss2.xml",
    )
)  # fmt: skip


def site_of_source(url: str | None) -> str | None:
    """The site an aggregator's ``<source url>`` names: a home page (as Google News writes
    it), or a feed file there or under a section (``/feed``, ``/rss/``,
    ``/world/rss.xml``), by ``site_of_feed``'s rules; any other path names none. RSS 2.0
    makes the address the source's feed, and a feed host or bridge keeps each publisher's
    feed at a path of its own (feedpress.me/<name>, rsshub.example/reuters/world), which no
    list of such hosts holds in full."""
    if not url:
        return None
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return None
    segments = [segment for segment in path.split("/") if segment]
    if segments and segments[-1].lower() not in _FEED_FILES:
        return None
    return site_of_feed(url)


@functools.lru_cache(maxsize=4096)
def _site_of_host(host: str) -> str | None:
    # Few sites, many items: each host is looked up once.
    host = host.rstrip(".")
    if not host or len(host) > MAX_HOST:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None
    try:
        # One host in Unicode (www.москва.рф) and in punycode (www.xn--80adxhks.xn--p1ai)
        # is one site (RFC 3490 section 4.1, ToASCII).
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:  # a label IDNA refuses (empty, too long): no name of a site
        return None
    if host.rpartition(".")[2] in _RESERVED_SUFFIXES:
        return None
    domain = _registrable(host)
    if domain is None or domain in _RESERVED_DOMAINS or domain in SHARED_DOMAINS:
        return None
    site = host.removeprefix("www.") if host.startswith("www.") else host
    if not (site == domain or site.endswith("." + domain)):
        site = domain  # "www." was its registrable label (www.github.io)
    if domain in PLATFORM_DOMAINS and site == domain:
        return None
    return site


@functools.lru_cache(maxsize=4096)
def _registrable(host: str) -> str | None:
    found = _suffixes().privatesuffix(host)
    return found if found and "." in found else None
