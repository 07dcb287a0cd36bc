"""WebSub's own metrics, registered on the daemon's registry (none without one)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from monitor.metrics import Metrics


class WebSubMeters:
    def __init__(self, metrics: Metrics | None) -> None:
        self._pushes: Counter | None = None
        self._refused: Counter | None = None
        self._last_push: Gauge | None = None
        if metrics is None:
            return
        r = metrics.registry
        self._pushes = Counter("monitor_websub_pushes", "Pushes taken from WebSub hubs", registry=r)
        self._refused = Counter(
            "monitor_websub_refused",
            "Pushes and verifications refused (unknown, bad_signature, too_large, not_a_feed,"
            " unknown_verification)",
            ["reason"],
            registry=r,
        )
        self._last_push = Gauge(
            "monitor_feed_last_push_timestamp_seconds", "When each feed was last pushed",
            ["feed"], registry=r,
        )  # fmt: skip

    def pushed(self, feed: str, at: float) -> None:
        if self._pushes is not None and self._last_push is not None:
            self._pushes.inc()
            self._last_push.labels(feed).set(at)

    def refused(self, reason: str) -> None:
        if self._refused is not None:
            self._refused.labels(reason).inc()
