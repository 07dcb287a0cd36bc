"""An update refreshed by a poll while its older content was being sent goes
again (outbox.upkeep.follow_up requeues the refreshed payload), but carries the
updates_sent the poll wrote while it was pending (n, not n + 1): the next webhook message
waited update_delay again, not twice as long (review18e). Minute 0: the event's message; minute 1: a new
angle (update 1 queued); minute 2: update 1 goes out, and while the receiver holds its POST
a poll adds another angle; minute 3: that second update must still wait (due at minute 4)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiohttp import web
from feedserver import FeedServer
from helpers import make_config
from test_alert_update_pace import ANGLES, FIRST, Clock, publish

from monitor.engine import Engine
from monitor.oneshot import poll_all


async def test_an_update_refreshed_while_sent_keeps_its_pace(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    posts: list[dict] = []
    gate = asyncio.Event()
    arrived = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        posts.append(body)
        if len(posts) == 2:  # the first update: held while a poll grows the event
            arrived.set()
            await gate.wait()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    extra = f"""
[[rules]]
name = "peace-talks"
query = 'Putin OR Zelensky'
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "http://127.0.0.1:{port}/hook"
"""
    urls = publish(feed_server, [FIRST, "", ""])
    clock = Clock()
    try:
        engine = await Engine.open(
            make_config(tmp_path, urls, extra=extra, database=database), clock=clock
        )
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(10)
            clock.offset += 60
            publish(feed_server, [FIRST, ANGLES[0], ""])
            await poll_all(engine.rt, progress=False)
            await engine.drain(5)
            assert len(posts) == 1, posts  # update 1 waits update_delay
            clock.offset += 60
            sending = asyncio.create_task(engine.drain(10))
            await asyncio.wait_for(arrived.wait(), 10)
            publish(feed_server, [FIRST, ANGLES[0], ANGLES[1]])
            await poll_all(engine.rt, progress=False)
            gate.set()
            await sending
            row = await engine.store.db.fetch_one(
                "SELECT status, payload FROM alerts WHERE kind = 'update'"
            )
            clock.offset += 60  # minute 3: 1 minute after update 1 went out
            await engine.drain(5)
        finally:
            await engine.close()
    finally:
        await runner.cleanup()
    # update 1 went at minute 2; the next one is due 2 minutes after, not at minute 3.
    sent_n = json.loads(row[1])["extra"].get("updates_sent")
    assert len(posts) == 2, (
        sent_n,
        [p["alert"].get("extra", {}).get("updates_sent") for p in posts],
    )
