"""What a poll needs, gathered once: the running config, the open store and fetcher, the
stages after store, the outbox's workers and each feed's state in memory.

``Engine`` builds one and owns what it holds; ``pipeline.refresh_feed`` only uses it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monitor.config import Config, FeedConfig
from monitor.feedmemory import FeedMemory
from monitor.fetch import Fetcher
from monitor.models import ParsedFeed
from monitor.newitems import ProcessItems
from monitor.outbox import Deliverer
from monitor.parsethread import ParseThreads
from monitor.redact import feed_label
from monitor.schedule import Publishing, Timing, adaptive_interval
from monitor.stages import Stages
from monitor.store import Store
from monitor.store.feeds import FeedState, StateWrites
from monitor.storeoutage import StoreOutage
from monitor.unparsed import Unparsed

if TYPE_CHECKING:
    from monitor.metrics import Metrics  # prometheus_client: only when metrics are served

# Told of each body parsed, with its response headers and address (WebSub discovery).
OnParsed = Callable[[FeedConfig, Mapping[str, str], ParsedFeed, str], None]


@dataclass(slots=True)
class Runtime:
    """Everything a poll needs; the daemon and ``monitor once`` each build one."""

    config: Config
    store: Store
    fetcher: Fetcher
    stages: Stages  # stories, events, rules and the alerts they queue
    deliverer: Deliverer  # the outbox's workers, woken when a poll committed new alerts
    # Polls past their fetch that parse or store a body ([fetch] bodies_in_flight): the
    # transaction is one at a time, so more would only hold their parsed items in memory.
    body_slots: asyncio.Semaphore
    # The bodies waiting for one of those slots; polls that expect a body wait for room.
    unparsed: Unparsed = field(default_factory=Unparsed)
    states: dict[str, FeedState] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    metrics: Metrics | None = None
    # Polls that stored nothing write their state in batches; None: each in its own transaction.
    state_writes: StateWrites | None = None
    # Each feed's publishing rate, for the adaptive schedule: from its last parsed body, or
    # from the store on its first poll in this process.
    # None: the feed dates none of its items, so its interval stays fixed.
    publishing: dict[str, Publishing | None] = field(default_factory=dict)
    parse_threads: ParseThreads = field(default_factory=ParseThreads)
    # Each feed's last body, item by item: a changed body's known items are not read again.
    memory: FeedMemory = field(default_factory=FeedMemory)
    on_parsed: OnParsed | None = None
    # Several nodes: stories and alerts are the elected assigner's (monitor/cluster); a poll
    # only queues its new items for it, in its transaction. None: this process assigns.
    assign: ProcessItems | None = None
    # The daemon's: a store whose writes fail is told once and polls wait for it (None: each
    # failed poll says so, as ``monitor once`` does).
    outage: StoreOutage | None = None

    def timing(self, feed: FeedConfig) -> Timing:
        m = self.config.monitor
        interval = feed.interval or m.interval
        pub = self.publishing.get(feed.url)
        if m.schedule == "adaptive" and feed.interval is None and pub is not None:
            interval = adaptive_interval(
                pub, self.clock(), low=m.min_interval, high=m.longest_interval
            )
        return Timing(
            interval=interval,
            min_interval=min(m.min_interval, interval),
            max_backoff=max(m.max_backoff, interval),
            jitter=m.jitter,
        )


def feed_name(feed: FeedConfig, state: FeedState) -> str:
    """The name the user sees (a health alert, the log's poll summary): the configured one,
    else the feed's own title, else its URL, keys masked and, where they are, its number in
    the store after it (``redact.feed_label``): two keyed feeds read the same otherwise."""
    return feed.name or state.title or feed_label(feed.url, state.id)
