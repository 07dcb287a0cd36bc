"""fetch: one aiohttp session for every feed, polite and bounded.

Conditional GET (ETag / Last-Modified), our own User-Agent, connect/read/total timeouts,
a size cap enforced while streaming on both the compressed and the decompressed bytes
(so a gzip bomb stops at the cap), redirects followed by hand (at most ``max_redirects``,
loops detected, a permanent move reported), and global and per-host concurrency limits.
Every HTTP status is mapped to a sentence (``fetch.answers``).
"""

from monitor.fetch.client import Fetcher, FetchLimits, FetchResult, since_request_could_leave
from monitor.fetch.responses import cache_lifetime, parse_retry_after

__all__ = [
    "FetchLimits",
    "FetchResult",
    "Fetcher",
    "cache_lifetime",
    "parse_retry_after",
    "since_request_could_leave",
]
