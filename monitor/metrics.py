"""Metrics in the Prometheus text format, and /healthz, on ``[monitor] metrics = "HOST:PORT"``.

Each daemon has its own registry (not prometheus-client's global one) so tests and
``monitor once`` runs never share counters.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger("monitor.metrics")


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
            problem = await asyncio.wait_for(self.health(), 5)
        except TimeoutError:
            problem = "the health check timed out"
        if problem:
            return web.json_response({"status": "unhealthy", "reason": problem}, status=503)
        return web.json_response({"status": "ok"})
