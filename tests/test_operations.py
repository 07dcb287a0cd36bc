"""Operations: /metrics parsed with prometheus-client's parser, /healthz, sd_notify."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest
from feedserver import FeedServer, rss
from helpers import make_config
from prometheus_client.parser import text_string_to_metric_families

from monitor.daemon import Daemon


def _families(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


async def _until(predicate, limit: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(limit / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def test_metrics_healthz_and_sd_notify(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_server.feed("/a", rss("A", [("One", "http://example.org/1"), ("Two", "http://e.org/2")]))
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify.sock"))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")
    # A keyed feed URL: its label must not publish the key to whoever scrapes /metrics.
    keyed = feed_server.url("/a") + "?api_key=k3y-for-the-metrics"
    config = make_config(tmp_path, [keyed], metrics="127.0.0.1:0")
    path = tmp_path / "config.toml"
    path.write_text(f'[monitor]\nmax_age = "36500d"\nretention = "36500d"\ndatabase = "{config.database_path}"\nmetrics = "127.0.0.1:0"\n')
    daemon = Daemon(config, path)
    task = asyncio.create_task(daemon.run())
    messages: list[str] = []

    def drain() -> list[str]:
        while True:
            try:
                messages.append(notify.recv(4096).decode())
            except BlockingIOError:
                return messages

    try:
        await _until(lambda: daemon.metrics_port is not None and feed_server.hits("/a"))
        base = f"http://127.0.0.1:{daemon.metrics_port}"
        async with aiohttp.ClientSession() as session:
            await _until(lambda: "READY=1" in drain() and "WATCHDOG=1" in drain())

            async def scrape() -> dict[str, list[tuple[dict[str, str], float]]]:
                async with session.get(f"{base}/metrics") as resp:
                    assert resp.status == 200
                    text = await resp.text()
                    assert "k3y-for-the-metrics" not in text
                    return _families(text)

            for _ in range(100):
                families = await scrape()
                if families.get("monitor_new_items_total", [({}, 0)])[0][1] >= 2:
                    break
                await asyncio.sleep(0.05)
            assert families["monitor_new_items_total"][0][1] == 2
            # Two headlines with no word in common: two stories, each its own happening.
            assert families["monitor_stories_total"][0][1] == 2
            assert families["monitor_events_total"][0][1] == 2
            assert ({"outcome": "new"}, 1.0) in families["monitor_fetches_total"]
            # The key masked, the feed's number after it: a series of its own.
            assert families["monitor_feed_last_success_timestamp_seconds"][0][0] == {
                "feed": feed_server.url("/a") + "?api_key=*** #1"
            }
            assert any(n.startswith("monitor_fetch_seconds") for n in families)
            assert "monitor_outbox_depth" in families
            async with session.get(f"{base}/healthz") as resp:
                assert resp.status == 200
            # A reload says RELOADING=1 (with its monotonic time), then READY=1 again.
            messages.clear()
            assert await daemon.reload()
            said = [m for m in drain() if not m.startswith("WATCHDOG")]
            assert said[0].startswith("RELOADING=1\nMONOTONIC_USEC=") and said[1] == "READY=1"
            # The store goes away: /healthz turns unhealthy and the watchdog is no longer fed.
            assert daemon._rt is not None
            await daemon._rt.store.db.raw.close()
            async with session.get(f"{base}/healthz") as resp:
                assert resp.status == 503
                assert "store" in (await resp.json())["reason"]
            await asyncio.sleep(0.3)
            drain()
            messages.clear()
            await asyncio.sleep(0.5)
            assert "WATCHDOG=1" not in drain()
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 10)
        stopped = drain()
        notify.close()
    assert "STOPPING=1" in stopped
