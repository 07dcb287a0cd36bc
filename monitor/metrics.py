"""Metrics in the Prometheus text format, and /healthz, on ``[monitor] metrics = "HOST:PORT"``.

Each daemon has its own registry (not prometheus-client's global one) so tests and
``monitor once`` runs never share counters.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from monitor.models import Alert
from monitor.redact import feed_label

log = logging.getLogger("monitor.metrics")

# An item dated more than this before it was queued is old news found late (a feed's first
# poll shows its backlog; a date that is wrong by years), not a measure of how fast we are.
LATENCY_MAX_AGE = 2 * 86400.0
LATENCY_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 3 * 3600, 6 * 3600, 86400)


# A feed's ``feed`` label: ``redact.feed_label``, as the log, ``monitor status`` and the
# health alerts name it (whoever scrapes /metrics, and Prometheus's storage, get no key).
__all__ = ["Metrics", "MetricsServer", "feed_label", "publish_to_sent"]


def publish_to_sent(published: datetime | None, queued: float, sent: float) -> float:
    """Seconds from an item's publication to its alert being sent.

    The clock starts at the item's own date, or at ``queued`` (when the poll that stored it
    queued the alert: first seen, give or take milliseconds) when the item has no date, a
    date after ``queued`` (the outlet's clock is ahead: it cannot have been published after
    we saw it), or one more than ``LATENCY_MAX_AGE`` before it.
    """
    start = queued
    if published is not None:
        at = published.timestamp()
        if queued - LATENCY_MAX_AGE <= at <= queued:
            start = at
    return max(0.0, sent - start)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.fetches = Counter(
            "monitor_fetches", "Feed polls by outcome (new, unchanged, not_modified, error)",
            ["outcome"], registry=r,
        )  # fmt: skip
        self.items = Counter("monitor_items", "Items read from feeds", registry=r)
        self.new_items = Counter("monitor_new_items", "Items stored for the first time", registry=r)
        self.stories = Counter("monitor_stories", "Stories created", registry=r)
        self.events = Counter("monitor_events", "Events created (happenings)", registry=r)
        self.matches = Counter("monitor_matches", "Rule matches", ["rule"], registry=r)
        self.alerts = Gauge(
            "monitor_alerts", "Alerts in the outbox by channel and status", ["channel", "status"],
            registry=r,
        )  # fmt: skip
        self.outbox_depth = Gauge("monitor_outbox_depth", "Alerts waiting for delivery", registry=r)
        self.fetch_seconds = Histogram(
            "monitor_fetch_seconds", "Time to fetch a feed", registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )  # fmt: skip
        self.pipeline_seconds = Histogram(
            "monitor_pipeline_seconds", "Time for one feed's refresh, fetch to outbox", registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )  # fmt: skip
        self.last_success = Gauge(
            "monitor_feed_last_success_timestamp_seconds", "When each feed last polled fine",
            ["feed"], registry=r,
        )  # fmt: skip
        self.feeds_failing = Gauge(
            "monitor_feeds_failing", "Feeds whose last poll failed", registry=r
        )
        self.store_failing = Gauge(
            "monitor_store_writes_failing",
            "1 while the database refuses writes (polls are held back until it takes them)",
            registry=r,
        )
        self.alert_latency = Histogram(
            "monitor_alert_latency_seconds",
            "Publish (the item's own time, else first seen) to its first alert sent, per channel",
            ["channel"], registry=r, buckets=LATENCY_BUCKETS,
        )  # fmt: skip

    def alert_sent(self, alert: Alert, queued: float, sent: float) -> None:
        """A channel confirmed ``alert``: the first alert of a story or event ("new") counts;
        updates, health notices and tests are not news reaching the user."""
        if alert.kind == "new":
            latency = publish_to_sent(alert.published, queued, sent)
            self.alert_latency.labels(alert.channel).observe(latency)

    def render(self) -> bytes:
        return generate_latest(self.registry)


HealthCheck = Callable[[], Awaitable[str | None]]  # None when healthy, else why not


class MetricsServer:
    """Serves /metrics and /healthz on HOST:PORT."""

    def __init__(self, metrics: Metrics, health: HealthCheck, address: str) -> None:
        self.metrics = metrics
        self.health = health
        host, _, port = address.rpartition(":")
        self.host = host.strip("[]") or "127.0.0.1"
        self.port = int(port)
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Start serving; return the port (useful when configured as 0)."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        port = int(sockets[0].getsockname()[1]) if sockets else self.port
        log.info("serving /metrics and /healthz on %s:%d", self.host, port)
        return port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def _healthz(self, request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(5):
                problem = await self.health()
        except TimeoutError:
            problem = "the health check timed out"
        if problem:
            return web.json_response({"status": "unhealthy", "reason": problem}, status=503)
        return web.json_response({"status": "ok"})
