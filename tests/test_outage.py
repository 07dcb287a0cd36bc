"""Outages: Telegram and SMTP both unreachable for a while, then back on the same addresses:
everything waiting is delivered exactly once, and the wait shows in the outbox meanwhile."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from aiosmtpd.smtp import SMTP
from standins import SMTPStandIn, free_port, telegram_standin
from test_outbox_delivery import email, matched_story, rule, session, store, telegram

from monitor import outbox
from monitor.channels import build_channels
from monitor.store import Store

__all__ = ["session", "store"]  # fixtures


async def test_both_channels_down_then_back_delivers_each_alert_once(
    store: Store, session: aiohttp.ClientSession
) -> None:
    tg_port, smtp_port = free_port(), free_port()
    tg_url = f"http://127.0.0.1:{tg_port}"
    channels = build_channels({"desk": telegram(tg_url), "mail": email(smtp_port)}, session)
    r = rule(channels=["desk", "mail"])
    now = time.time()
    for n in range(3):
        story = await matched_story(store, r, [f"Outlet {n}"], now)
        assert story.id
        r = rule(name=f"rule-{n}", channels=["desk", "mail"])
    deliverer = outbox.Deliverer(store, channels)
    stop = asyncio.Event()
    task = asyncio.create_task(deliverer.run(stop))
    try:
        await asyncio.sleep(1.0)  # both down: attempts fail and are retried with backoff
        report = await outbox.outbox_status(store.db)
        assert report["pending"] == 6, report
        async with store.db.raw.execute("SELECT COUNT(*) FROM alert_attempts") as cur:
            assert (await cur.fetchone())[0] >= 6  # every alert was tried and recorded
        handler = SMTPStandIn()
        smtp = await asyncio.get_running_loop().create_server(
            lambda: SMTP(handler), "127.0.0.1", smtp_port
        )
        try:
            async with telegram_standin(port=tg_port) as tg:
                for _ in range(100):
                    if len(tg.sent) == 3 and len(handler.received) == 3:
                        break
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.3)  # nothing more may arrive
                assert len(tg.sent) == 3 and len(handler.received) == 3
        finally:
            smtp.close()
            await smtp.wait_closed()
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert (await outbox.outbox_status(store.db))["pending"] == 0
