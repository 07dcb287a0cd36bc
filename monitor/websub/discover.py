"""Discovery: the hub and the topic (self URL) of a feed, from its response and its links.

W3C WebSub 4 (https://www.w3.org/TR/websub/#discovery): HTTP ``Link`` headers first
(RFC 8288), then ``<link rel="hub">`` / ``rel="self"`` in the document. Without a self URL
the address the feed was fetched from stands in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

from monitor.models import ParsedFeed

# One link-value of a Link header: <URI-Reference> followed by its parameters (RFC 8288 3).
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,<]+(?:=(?:\"[^\"]*\"|[^;,<]*))?)*)")
_REL = re.compile(r";\s*rel\s*=\s*(?:\"([^\"]*)\"|([^;,\s]+))", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Discovery:
    hub: str
    topic: str


def header_links(value: str, base: str) -> dict[str, list[str]]:
    """The targets of a ``Link`` header by relation type (a rel may name several types)."""
    found: dict[str, list[str]] = {}
    for target, params in _LINK.findall(value or ""):
        rel = _REL.search(params)
        if rel is None:
            continue
        for kind in (rel.group(1) or rel.group(2)).lower().split():
            found.setdefault(kind, []).append(urljoin(base, target.strip()))
    return found


def discover(headers: Mapping[str, str], parsed: ParsedFeed, fetched_url: str) -> Discovery | None:
    """The hub to subscribe to and the topic, or None when the feed advertises no hub."""
    lowered = {k.lower(): v for k, v in headers.items()}
    links = header_links(lowered.get("link", ""), fetched_url)
    hubs = links.get("hub") or [urljoin(fetched_url, h) for h in parsed.hubs]
    selves = links.get("self") or [urljoin(fetched_url, s) for s in [parsed.self_url] if s]
    hub = next((h for h in hubs if h.startswith(("http://", "https://"))), None)
    if hub is None:
        return None
    return Discovery(hub=hub, topic=selves[0] if selves else fetched_url)
