"""What an update of a mail or webhook message lists as new: the angles of an update that
never reached the reader (failed, expired) again, with the newer ones; each headline as a
new alert shows it, without the outlet's name. Through the real pipeline (local feeds, a
webhook receiver), on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver
from test_alert_updates import FIRST, LATER, publish

from monitor.engine import Engine
from monitor.oneshot import poll_all


def config_text(hook_url: str) -> str:
    return f"""
[[rules]]
name = "peace-talks"
query = 'Putin OR Zelensky'
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook_url}"
update_delay = "0s"
"""


@pytest.mark.parametrize("status", ["failed", "expired"])
async def test_the_angles_of_an_update_never_delivered_are_listed_again(
    feed_server: FeedServer, tmp_path: Path, database: str, status: str
) -> None:
    urls = publish(feed_server, [FIRST, "", ""])
    async with webhook_receiver() as hook:
        config = make_config(tmp_path, urls, extra=config_text(hook.url), database=database)
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            await engine.drain(5)  # the first message
            publish(feed_server, [FIRST, LATER[0], ""])
            await poll_all(engine.rt, progress=False)  # its update waits: the channel is down
            async with engine.rt.store.transaction() as db:
                await db.execute(
                    "UPDATE alerts SET status = ?, last_error = 'down' WHERE kind = 'update'",
                    (status,),
                )
            publish(feed_server, [FIRST, LATER[0], LATER[1]])
            await poll_all(engine.rt, progress=False)
            await engine.drain(5)
        finally:
            await engine.close()
    updates = [p for p in hook.payloads() if p["alert"]["kind"] == "update"]
    assert len(updates) == 1
    assert set(updates[0]["new_angles"]["headlines"]) == {LATER[0], LATER[1]}


# (the later story's headline as its feed has it, as the update lists it)
HEADLINES = [
    (f"{LATER[0]} - Reuters", LATER[0]),
    (f"{LATER[0]} | Kyiv Independent", LATER[0]),
    (LATER[0], LATER[0]),
]


@pytest.mark.parametrize(("published", "listed"), HEADLINES, ids=["dash", "bar", "none"])
async def test_an_update_lists_new_angles_without_their_outlet(
    feed_server: FeedServer, tmp_path: Path, published: str, listed: str
) -> None:
    urls = publish(feed_server, [FIRST, ""])
    async with webhook_receiver() as hook:
        engine = await Engine.open(make_config(tmp_path, urls, extra=config_text(hook.url)))
        try:
            await poll_all(engine.rt, progress=False)
            await engine.drain(5)
            publish(feed_server, [FIRST, published])
            await poll_all(engine.rt, progress=False)
            await engine.drain(5)
        finally:
            await engine.close()
    updates = [p for p in hook.payloads() if p["alert"]["kind"] == "update"]
    assert [u["new_angles"]["headlines"] for u in updates] == [[listed]]
