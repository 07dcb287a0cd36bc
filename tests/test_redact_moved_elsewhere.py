"""The key of a URL a feed moved to, masked where the feed's state is never read (review20b
D3, D4): on a cluster's sender, whose alert may be of an item another node polled at the
moved URL a moment ago, and in ``monitor stories`` / ``monitor events``. The moved URLs are
Reddit-style private feeds ("?feed=<key>") whose items' links echo the key, as a proxy's do.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from clirun import start_node, stop_nodes, with_password
from feedserver import FeedServer, rss
from headlines import HEADLINES
from standins import BOT_TOKEN, CHAT_ID, serve_app, telegram_standin, webhook_receiver
from test_redaction_everywhere import monitor, readers, write_config
from test_redaction_everywhere import rss as plain_rss

KEYS = [f"{i}f86d081884c7d659a2feaa0c55ad01{i}" for i in range(6)]


def _moves_to(to: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def gone(_: web.Request) -> web.Response:
        return web.Response(status=301, headers={"Location": to})

    return gone


def _cluster_config(database: str, feeds: list[str], tg: str, hook: str) -> str:
    lines = ["[monitor]", 'max_age = "3650d"', f'database = "{database}"', "jitter = 0",
             'retention = "3650d"', 'interval = "1s"', 'min_interval = "1s"']  # fmt: skip
    for url in feeds:
        lines += ["[[feeds]]", f'url = "{url}"']
    return (
        "\n".join(lines)
        + f"""
[dedup]
window = "3650d"

[[rules]]
name = "talks"
query = "summit"
channels = ["desk", "hook"]

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg}"
rate_limit = "off"
update_delay = "0s"

[channels.hook]
type = "webhook"
url = "{hook}"

[cluster]
lease = "3s"
heartbeat = "0.5s"
election = "0.3s"
"""
    )


async def test_the_sender_masks_a_key_another_node_moved_a_feed_to(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    """Two ``monitor run`` nodes over PostgreSQL, no health channels (so the sender's
    health check never reads the feeds' states): six feeds move once each had a first poll;
    the alerts of the items the other node polled at the new URLs are sent by the sender."""
    n = len(KEYS)
    for i in range(n):
        feed_server.feed(f"/old{i}.rss", rss(f"Old {i}", []))
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = tmp_path / "config.toml"
        feeds = [feed_server.url(f"/old{i}.rss") for i in range(n)]
        text = _cluster_config(with_password(pg_url), feeds, tg.url, hook.url)
        config.write_text(text, "utf-8")
        nodes = [await start_node(config), await start_node(config)]
        try:
            deadline = time.monotonic() + 60
            while not all(feed_server.hits(f"/old{i}.rss") for i in range(n)):
                assert time.monotonic() < deadline, [nd.returncode for nd in nodes]
                await asyncio.sleep(0.2)
            for i, key in enumerate(KEYS):
                link = feed_server.url(f"/story{i}") + f"?feed={key}"
                feed_server.feed(f"/moved{i}.rss", rss(f"Moved {i}", [(HEADLINES[i], link)]))
                moved = feed_server.url(f"/moved{i}.rss") + f"?feed={key}"
                feed_server.handler(f"/old{i}.rss", _moves_to(moved))
            for _ in range(300):  # the six alerts sent
                if len(hook.requests) >= n:
                    break
                await asyncio.sleep(0.2)
        finally:
            logs = await stop_nodes(nodes)
        sent = [body.decode() for _, body in hook.requests] + [json.dumps(m) for m in tg.sent]
    assert len(hook.requests) >= n, (len(hook.requests), logs)
    links = [json.loads(s)["alert"]["url"] for s in sent[: len(hook.requests)]]
    assert sum("?feed=***" in link for link in links) >= n, links
    leaked = [k for k in KEYS if k in "\n".join(sent)]
    assert not leaked, (leaked, links)  # 3fe46e3: those of the other node's polls
    for log in logs:
        assert not [k for k in KEYS if k in log], log


async def test_stories_and_events_mask_a_moved_urls_key(tmp_path: Path) -> None:
    """``monitor once`` follows the 301 (and masks the key in the alert it sends): the
    listing commands, processes of their own, read the item's link from the store."""
    key = KEYS[0]
    routes: dict[str, bytes | int] = {}
    async with readers(routes) as r:
        link = f"{r.feeds}/geneva?feed={key}"
        routes["/moved.rss"] = plain_rss([("Leaders agree to a summit in Geneva", link)])
        app = web.Application()
        app.router.add_get("/old.rss", _moves_to(f"{r.feeds}/moved.rss?feed={key}"))
        async with serve_app(app) as old:
            path = write_config(tmp_path, r, [f"{old}/old.rss"])
            code, _, log = await monitor("once", "-c", str(path))
            assert code == 0, log
        sent = "\n".join(r.received())
    listings = {
        args: (await monitor(*args, "-c", str(path)))[1]
        for args in (("stories",), ("stories", "--json"), ("events",), ("events", "--json"))
    }
    assert "geneva?feed=***" in sent and key not in sent, sent  # the alert: masked
    for args, out in listings.items():
        assert key not in out, (args, out)  # 3fe46e3: in clear
        assert "geneva?feed=***" in out or args == ("events",), (args, out)  # no links there
