"""WebSub end to end: the daemon subscribes to a real local hub, a publish reaches the webhook
through the whole pipeline, leases are renewed, a removed feed is unsubscribed, and a
restart keeps the subscription live (no new request to the hub)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from feedserver import FeedServer
from standins import WebhookReceiver, free_port, webhook_receiver
from websub_hub import Hub, Outlet, wait_until, websub_hub

from monitor import config as config_module
from monitor.cli.status import collect, render
from monitor.daemon import Daemon
from monitor.errors import MonitorError

HEADLINE = "Zelensky agrees to peace talks in Geneva"


def config_text(
    tmp_path: Path,
    feeds: list[str],
    hook: str,
    port: int,
    *,
    interval: str = "1h",
    min_interval: str = "1s",
    lease: str = "10d",
    poll_interval: str = "1h",
    extra: str = "",
) -> str:
    lines = [
        "[monitor]", 'max_age = "36500d"', 'retention = "36500d"',
        f'database = "{tmp_path / "monitor.db"}"',
        "jitter = 0",
        f'interval = "{interval}"',
        f'min_interval = "{min_interval}"',
        "[fetch]",
        'timeout = "5s"',
        "max_body = 200000",
    ]
    for url in feeds:
        lines += ["[[feeds]]", f'url = "{url}"']
    lines += [
        "[[rules]]",
        'name = "talks"',
        "query = 'Zelensky AND talks'",
        'alert_on = "story"',  # each pushed story its own alert, whatever event it joins
        'channels = ["hook"]',
        "[channels.hook]",
        'type = "webhook"',
        f'url = "{hook}"',
        "[websub]",
        f'listen = "127.0.0.1:{port}"',
        f'callback_url = "http://127.0.0.1:{port}/websub"',
        f'lease = "{lease}"',
        f'poll_interval = "{poll_interval}"',
    ]
    return "\n".join(lines) + "\n" + extra


@asynccontextmanager
async def running(path: Path) -> AsyncIterator[Daemon]:
    daemon = Daemon(config_module.load(path), path)
    task = asyncio.create_task(daemon.run())
    try:
        await wait_until(lambda: daemon.websub_port is not None or task.done(), what="start")
        yield daemon
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 15)


@asynccontextmanager
async def setup(
    feed_server: FeedServer, tmp_path: Path, hub_options: dict[str, object] | None = None, **kw: str
) -> AsyncIterator[tuple[Hub, Outlet, WebhookReceiver, Path]]:
    async with websub_hub(**(hub_options or {})) as hub, webhook_receiver() as hook:
        outlet = Outlet(feed_server, hub)
        outlet.add("Markets open higher", "http://outlet.example/1")
        path = tmp_path / "config.toml"
        path.write_text(config_text(tmp_path, [outlet.url], hook.url, free_port(), **kw))
        yield hub, outlet, hook, path


def alerted(hook: WebhookReceiver) -> list[str]:
    return [p["alert"]["title"] for p in hook.payloads()]


@pytest.mark.parametrize(
    ("header", "in_feed", "json_feed"),
    [(True, True, False), (True, False, False), (False, True, False), (False, True, True)],
    ids=["link-header-and-feed", "link-header-only", "atom-link-only", "json-feed-hubs"],
)
async def test_subscribes_and_a_publish_reaches_the_webhook_without_a_poll(
    feed_server: FeedServer, tmp_path: Path, header: bool, in_feed: bool, json_feed: bool
) -> None:
    async with setup(feed_server, tmp_path) as (hub, outlet, hook, path):
        outlet.advertise_header, outlet.advertise_in_feed = header, in_feed
        outlet.json_feed = json_feed
        outlet.serve()
        async with running(path) as daemon:
            await wait_until(lambda: hub.live(outlet.topic), what="a verified subscription")
            request = hub.requests[0]
            assert request["hub.mode"] == "subscribe"
            assert request["hub.topic"] == outlet.topic
            callback = request["hub.callback"]
            assert callback.startswith(f"http://127.0.0.1:{daemon.websub_port}/websub/")
            assert len(callback.rpartition("/")[2]) >= 32  # unguessable
            assert request["hub.lease_seconds"] == "864000"
            assert len(request["hub.secret"]) >= 32
            polls = len(feed_server.hits(outlet.path))
            deliveries = await outlet.publish(HEADLINE, "http://outlet.example/2")
            assert [d.status for d in deliveries] == [204]
            await wait_until(lambda: alerted(hook), what="the alert")
            assert alerted(hook) == [HEADLINE]
            assert len(feed_server.hits(outlet.path)) == polls  # it came by push
            assert b"monitor_websub_pushes_total 1.0" in daemon.metrics.render()
            report = await collect(daemon.config)
        feed = report["feeds"][0]
        assert (feed["fed_by"], feed["websub"], feed["pushes"]) == ("push", "live", 1)
        assert feed["last_push"] is not None
        assert "WebSub: 1 of 1 feeds pushed" in render(report)
        assert (feed["schedule"], feed["poll_every"]) == ("push", 3600.0)
        assert "push (+poll 1h)" in render(report)
        assert request["hub.secret"] not in render(report)


async def test_a_feed_without_a_hub_or_opted_out_is_only_polled(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    async with setup(feed_server, tmp_path) as (hub, outlet, _hook, path):
        text = path.read_text().replace(
            f'url = "{outlet.url}"', f'url = "{outlet.url}"\nwebsub = false'
        )
        path.write_text(text)
        async with running(path) as daemon:
            await wait_until(lambda: feed_server.hits(outlet.path), what="the first poll")
            await asyncio.sleep(1.0)
            report = await collect(daemon.config)
        assert hub.requests == []
        assert report["feeds"][0]["fed_by"] == "poll"


async def test_lease_is_renewed_before_it_ends(feed_server: FeedServer, tmp_path: Path) -> None:
    # The hub grants 3 seconds whatever is asked: the daemon must ask again in time.
    async with (
        setup(feed_server, tmp_path, {"max_lease": 3}) as (hub, outlet, hook, path),
        running(path),
    ):
        await wait_until(lambda: hub.live(outlet.topic), what="a verified subscription")
        await wait_until(lambda: sum(v.echoed for v in hub.verifications) >= 3, what="two renewals")
        assert [r["hub.mode"] for r in hub.requests][:3] == ["subscribe"] * 3
        assert len({r["hub.callback"] for r in hub.requests}) == 1  # the same subscription
        assert hub.live(outlet.topic)
        await outlet.publish(HEADLINE, "http://outlet.example/2")
        await wait_until(lambda: alerted(hook), what="the alert")


async def test_a_feed_removed_from_the_config_is_unsubscribed(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    async with setup(feed_server, tmp_path) as (hub, outlet, hook, path):
        async with running(path) as daemon:
            await wait_until(lambda: hub.live(outlet.topic), what="a verified subscription")
            path.write_text(path.read_text().replace(f'[[feeds]]\nurl = "{outlet.url}"\n', ""))
            assert await daemon.reload()
            await wait_until(lambda: not hub.live(outlet.topic), what="the unsubscription")
            assert hub.requests[-1]["hub.mode"] == "unsubscribe"
            assert hub.verifications[-1].mode == "unsubscribe" and hub.verifications[-1].echoed
            assert await outlet.publish(HEADLINE, "http://outlet.example/2") == []
            report = await collect(daemon.config)
        assert report["feeds"] == []
        assert alerted(hook) == []


async def test_restart_keeps_the_subscription_live(feed_server: FeedServer, tmp_path: Path) -> None:
    async with setup(feed_server, tmp_path) as (hub, outlet, hook, path):
        async with running(path):
            await wait_until(lambda: hub.live(outlet.topic), what="a verified subscription")
        async with running(path) as daemon:
            await asyncio.sleep(0.5)
            deliveries = await outlet.publish(HEADLINE, "http://outlet.example/2")
            assert [d.status for d in deliveries] == [204]  # the same callback, still ours
            await wait_until(lambda: alerted(hook), what="the alert")
            report = await collect(daemon.config)
        assert [r["hub.mode"] for r in hub.requests] == ["subscribe"]  # no new subscription
        assert report["feeds"][0]["fed_by"] == "push"


async def test_a_silent_hub_is_noticed_and_the_feed_polled_again(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    options: dict[str, object] = {"silent": True}
    # Safety-net polls every half second, new items every 0.4 s: the fall-back needs no push
    # for three usual gaps and two such polls in a row, some 2.5 s (5 s at a 1 s interval).
    fast = {"interval": "0.5s", "min_interval": "0.5s", "poll_interval": "0.5s"}
    async with setup(feed_server, tmp_path, options, **fast) as (
        hub,
        outlet,
        _hook,
        path,
    ):
        async with running(path) as daemon:
            await wait_until(lambda: hub.live(outlet.topic), what="a verified subscription")

            async def keep_publishing() -> None:
                for i in range(100):
                    await outlet.publish(f"Briefing number {i}", f"http://outlet.example/b{i}")
                    await asyncio.sleep(0.4)

            publisher = asyncio.create_task(keep_publishing())
            try:
                report: dict[str, object] = {}

                async def fell_back() -> bool:
                    nonlocal report
                    report = await collect(daemon.config)
                    return report["feeds"][0]["websub"] == "fallback"  # type: ignore[index]

                for _ in range(300):
                    if await fell_back():
                        break
                    await asyncio.sleep(0.1)
            finally:
                publisher.cancel()
        feed = report["feeds"][0]  # type: ignore[index]
        assert feed["fed_by"] == "poll"
        assert "the hub sent nothing" in feed["websub_reason"]
        assert "the hub sent nothing" in render(report)  # type: ignore[arg-type]


async def test_a_feed_removed_while_stopped_is_unsubscribed_at_start(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    async with setup(feed_server, tmp_path) as (hub, outlet, _hook, path):
        async with running(path):
            await wait_until(lambda: hub.live(outlet.topic), what="a verified subscription")
        path.write_text(path.read_text().replace(f'[[feeds]]\nurl = "{outlet.url}"\n', ""))
        async with running(path):
            await wait_until(lambda: not hub.live(outlet.topic), what="the unsubscription")
        assert [r["hub.mode"] for r in hub.requests] == ["subscribe", "unsubscribe"]


async def test_a_listen_address_in_use_is_one_clear_error(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    async with setup(feed_server, tmp_path) as (_hub, _outlet, _hook, path):
        port = int(path.read_text().split('listen = "127.0.0.1:')[1].split('"')[0])
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", port))
            taken.listen()
            daemon = Daemon(config_module.load(path), path)
            with pytest.raises(MonitorError, match=f"websub: cannot listen on 127.0.0.1:{port}"):
                await asyncio.wait_for(daemon.run(), 15)


async def test_a_denied_subscription_is_polled_and_status_says_why(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    options: dict[str, object] = {"deny": "this topic is not on our hub"}
    async with setup(feed_server, tmp_path, options) as (hub, _outlet, _hook, path):
        async with running(path) as daemon:
            await wait_until(lambda: hub.verifications, what="the denial")
            report = await collect(daemon.config)
        feed = report["feeds"][0]
        assert (hub.verifications[0].status, feed["fed_by"], feed["websub"]) == (
            200, "poll", "denied",
        )  # fmt: skip
        assert "this topic is not on our hub" in render(report)
