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
# would not parse faster (the GIL), only take turns with each other and with the loop
# (feedparser ran 22% slower across six threads than alone). Big bodies take a thread of
# their own, so one feed of 100,000 items does not hold up every other feed's parse.
_PARSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="monitor-parse")
_BIG_PARSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="monitor-parse-big")
BIG_BODY = 1024 * 1024  # bytes; a few thousand items


async def parse_off_loop(
    body: bytes, headers: Mapping[str, str], *, url: str, now: datetime, limit: int
) -> tuple[ParsedFeed, list[int] | None, Publishing | None]:
    """The parsed feed; its entries newest first when there are more than ``limit``
    (``[monitor] max_new_items`` may then cut some: see ``monitor.newitems``); and how often
    it publishes (None when it dates none of its items), for the adaptive schedule."""
    return await asyncio.get_running_loop().run_in_executor(
        _BIG_PARSER if len(body) >= BIG_BODY else _PARSER,
        functools.partial(_parse, body, headers, url=url, now=now, limit=limit),
    )


def _parse(
    body: bytes, headers: Mapping[str, str], *, url: str, now: datetime, limit: int
) -> tuple[ParsedFeed, list[int] | None, Publishing | None]:
    parsed = parse_feed(body, headers, url=url, now=now)
    order = newest_first(parsed.entries) if len(parsed.entries) > limit else None
    dated = [e.published.timestamp() for e in parsed.entries if e.published is not None]
    return parsed, order, publishing(dated, now.timestamp()) if dated else None
