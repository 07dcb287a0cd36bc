"""Parsing off the event loop: the threads a body is parsed in, and what runs there with it."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from monitor.models import ParsedFeed
from monitor.newitems import newest_first
from monitor.parse import parse_feed
from monitor.schedule import Publishing, publishing

# Feeds are parsed off the event loop, one at a time: parsing is pure Python, so more threads
# would not parse faster (the GIL), only take turns with each other and with the loop. Big
# bodies take a thread of their own, so one feed of 100,000 items does not hold up every
# other feed's parse.
BIG_BODY = 1024 * 1024  # bytes; a few thousand items


class ParseThreads:
    """The two parse threads, started on first use and owned by whoever owns the engine."""

    def __init__(self) -> None:
        self._small: ThreadPoolExecutor | None = None
        self._big: ThreadPoolExecutor | None = None

    def for_body(self, size: int) -> ThreadPoolExecutor:
        if size >= BIG_BODY:
            if self._big is None:
                self._big = ThreadPoolExecutor(1, thread_name_prefix="monitor-parse-big")
            return self._big
        if self._small is None:
            self._small = ThreadPoolExecutor(1, thread_name_prefix="monitor-parse")
        return self._small

    def close(self) -> None:
        """Stop the threads once what they were given is parsed (without waiting for it)."""
        for pool in (self._small, self._big):
            if pool is not None:
                pool.shutdown(wait=False)
        self._small = self._big = None


async def parse_off_loop(
    threads: ParseThreads,
    body: bytes,
    headers: Mapping[str, str],
    *,
    url: str,
    now: datetime,
    limit: int,
) -> tuple[ParsedFeed, list[int] | None, Publishing | None]:
    """The parsed feed; its entries newest first when there are more than ``limit``
    (``[monitor] max_new_items`` may then cut some: see ``monitor.newitems``); and how often
    it publishes (None when it dates none of its items), for the adaptive schedule."""
    return await asyncio.get_running_loop().run_in_executor(
        threads.for_body(len(body)),
        functools.partial(_parse, body, headers, url=url, now=now, limit=limit),
    )


def _parse(
    body: bytes, headers: Mapping[str, str], *, url: str, now: datetime, limit: int
) -> tuple[ParsedFeed, list[int] | None, Publishing | None]:
    parsed = parse_feed(body, headers, url=url, now=now)
    order = newest_first(parsed.entries) if len(parsed.entries) > limit else None
    dated = [e.published.timestamp() for e in parsed.entries if e.published is not None]
    return parsed, order, publishing(dated, now.timestamp()) if dated else None
