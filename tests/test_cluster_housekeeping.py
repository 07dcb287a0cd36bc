"""Housekeeping in a cluster runs on one node: two `monitor run` nodes over one PostgreSQL, with
their housekeeping every half second (tests/clusterchores.py). A feed that stays broken raises
one health alert per channel, not one per node; retention prunes, on one node."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
from aiohttp import web
from clirun import start_node, stop_nodes, with_password
from feedserver import FeedServer, rss
from standins import BOT_TOKEN, CHAT_ID, telegram_standin

CHORES = Path(__file__).resolve().parent / "clusterchores.py"
BROKEN = 8
SETTLE = 4.0  # seconds after the health alerts: some eight more checks on each node


def _config(database: str, broken: list[str], fine: str, tg_url: str) -> str:
    # Several broken feeds: each node polls some of them, and both polled most before any
    # health alert, so a node that judged health on what it alone knew would say it again.
    feeds = "".join(f'[[feeds]]\nurl = "{url}"\nname = "Broken Outlet {i}"\n'
                    for i, url in enumerate(broken))  # fmt: skip
    return f"""
[monitor]
database = "{database}"
jitter = 0
interval = "1s"
min_interval = "1s"
grace_period = "2s"
retention = "2s"
max_age = "2s"
health_after = "6s"
health_channels = ["ops"]

[dedup]
window = "2s"

{feeds}
[[feeds]]
url = "{fine}"

[channels.ops]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg_url}"
rate_limit = "off"

[cluster]
lease = "2s"
heartbeat = "0.5s"
election = "0.3s"
"""


async def _broken(request: web.Request) -> web.StreamResponse:
    return web.Response(status=500, text="down")


async def test_two_nodes_one_health_alert_and_one_pruning_node(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    body = rss("Fine Outlet", [(f"Harbour news {i}", f"http://f.example/{i}") for i in range(5)])
    # Listed at the first poll only: retention keeps what a feed still lists.
    bodies = iter([body])
    feed_server.handler(
        "/fine",
        lambda _: web.Response(body=next(bodies, rss("Fine Outlet", [])), content_type="text/xml"),
    )
    for i in range(BROKEN):
        feed_server.handler(f"/broken{i}", _broken)
    broken = [feed_server.url(f"/broken{i}") for i in range(BROKEN)]
    async with telegram_standin() as tg:
        config = tmp_path / "config.toml"
        text = _config(with_password(pg_url), broken, feed_server.url("/fine"), tg.url)
        config.write_text(text, "utf-8")
        procs = [
            await start_node(config, program=CHORES, env={"PYTHONPATH": str(CHORES.parent)})
            for _ in range(2)
        ]
        try:
            deadline = time.monotonic() + 60
            while sum("Broken Outlet" in m["text"] for m in tg.sent) < BROKEN:
                assert time.monotonic() < deadline, "no health alert"
                await asyncio.sleep(0.2)
            await asyncio.sleep(SETTLE)
            conn = await asyncpg.connect(pg_url)
            try:
                items = await conn.fetchval("SELECT count(*) FROM items")
            finally:
                await conn.close()
        finally:
            logs = await stop_nodes(procs)
    said = [
        [m["text"] for m in tg.sent if f"Broken Outlet {i}" in m["text"]] for i in range(BROKEN)
    ]
    assert [len(texts) for texts in said] == [1] * BROKEN, said
    # One node (the sender) judged them all, as its log says: two nodes that queue the same
    # alert in the same second are folded into one by the outbox, so the messages alone would
    # not always show a second judge.
    judges = [log.count("feed health: Broken Outlet") for log in logs]
    assert sorted(judges) == [0, BROKEN], judges
    assert items == 0  # the fine feed's items, unlisted for longer than retention, are gone
    assert sum("pruned" in log for log in logs) == 1, logs
