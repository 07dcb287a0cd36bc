"""Parsing off the event loop: the threads a body is parsed in, and what runs there with it."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.models import ParsedFeed
from monitor.newitems import newest_first
from monitor.parse import parse_feed
from monitor.parse.known import KnownItems, Recall
from monitor.schedule import Publishing, publishing

# Feeds are parsed off the event loop, one at a time: parsing is pure Python, so more threads
# would not parse faster (the GIL), only take turns with each other and with the loop. Big
# bodies take a thread of their own, so one feed of 100,000 items does not hold up every
# other feed's parse.
BIG_BODY = 1024 * 1024  # bytes; a few thousand items

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]


class _ParseThread:
    """One thread that runs what it is given in turn, each result handed back to the event
    loop that asked: one wake-up each way. (A ThreadPoolExecutor, with run_in_executor,
    takes a semaphore and a lock and makes a future of its own, chained to the loop's, all
    on the event loop for each body.)"""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        # A daemon: a process that ends without close() is not held up by a parse.
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], Any]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._jobs.put((loop, future, fn))
        return future

    def stop(self) -> None:
        """No more jobs: the thread ends once those given are done."""
        self._jobs.put(None)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, future, fn = job
            result, error = None, None
            try:
                result = fn()
            except BaseException as exc:  # handed to the poll that waits for it
                error = exc
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for it
                loop.call_soon_threadsafe(_settle, future, result, error)
            del job, future, fn, result, error  # not held until the next body comes


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # the poll was cancelled while its body was parsed
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


class ParseThreads:
    """The two parse threads, started on first use and owned by whoever owns the engine."""

    def __init__(self) -> None:
        self._small: _ParseThread | None = None
        self._big: _ParseThread | None = None

    def for_body(self, size: int) -> _ParseThread:
        if size >= BIG_BODY:
            if self._big is None:
                self._big = _ParseThread("monitor-parse-big")
            return self._big
        if self._small is None:
            self._small = _ParseThread("monitor-parse")
        return self._small

    def close(self) -> None:
        """Stop the threads once what they were given is parsed (without waiting for it)."""
        for thread in (self._small, self._big):
            if thread is not None:
                thread.stop()
        self._small = self._big = None


async def parse_off_loop(
    threads: ParseThreads,
    body: bytes,
    headers: Mapping[str, str],
    *,
    url: str,
    now: datetime,
    limit: int,
    known: KnownItems | None = None,
    cutoff: float = 0.0,
) -> Parsed:
    """The parsed feed; its entries newest first when there are more than ``limit``
    (``[monitor] max_new_items`` may then cut some: see ``monitor.newitems``); how often
    it publishes (None when it dates none of its items), for the adaptive schedule; and, when
    the fast path read it, what the feed's memory (``known``) should keep of it. The items
    ``known`` has, first seen since ``cutoff``, are left out of the entries (parse.known)."""
    parsed: Parsed = await threads.for_body(len(body)).submit(
        functools.partial(
            _parse, body, headers, url=url, now=now, limit=limit, known=known, cutoff=cutoff
        )
    )
    return parsed


@dataclass(frozen=True, slots=True)
class Parsed:
    """A body's parse, with what the pipeline does next with it."""

    feed: ParsedFeed  # its entries: the items not left out by the memory
    order: list[int] | None  # newest_first(entries), when the body has more than the limit
    publishing: Publishing | None
    recall: Recall | None  # None: read by feedparser (or as JSON), nothing to remember

    @property
    def items(self) -> int:
        """Items in the body, those left out included."""
        return len(self.feed.entries) + (self.recall.skipped if self.recall else 0)


def _parse(
    body: bytes,
    headers: Mapping[str, str],
    *,
    url: str,
    now: datetime,
    limit: int,
    known: KnownItems | None,
    cutoff: float,
) -> Parsed:
    reading = Recall(known, url, now.timestamp(), cutoff)
    parsed = parse_feed(body, headers, url=url, now=now, recall=reading)
    recall = reading if reading.taken and not reading.too_many else None
    entries = parsed.entries
    if recall is not None:
        dated = recall.dates()
    else:
        dated = [e.published.timestamp() for e in entries if e.published is not None]
    found = Parsed(parsed, None, publishing(dated, now.timestamp()) if dated else None, recall)
    # The cap counts every item of the body, as without the memory: the same path is taken.
    if found.items > limit:
        return dataclasses.replace(found, order=newest_first(entries))
    return found
