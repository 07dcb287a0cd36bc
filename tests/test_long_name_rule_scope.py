"""review20d D3: a rule scoped to a feed by its configured name (over 200 characters, which
the config accepts and `check` finds configured) fires. It never did at 1fdaf01: the item's
feed name was cut to 200 characters (runtime.feed_name) before the rule's feeds were
compared with it; a feed's outlet is keyed by its feed id now, its name is not cut."""

from __future__ import annotations

from pathlib import Path

from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin
from test_renamed_event import A, feed

from monitor.engine import Engine
from monitor.oneshot import poll_all

NAME = "Ministry of Foreign Affairs press releases " + "and statements " * 12  # ~220 chars


async def test_rule_scoped_to_a_long_feed_name_fires(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    assert len(NAME) > 200
    url = feed_server.url("/mfa")
    feed_server.feed("/mfa", feed("MFA", [A]))
    async with telegram_standin() as tg:
        extra = f"""
[[feeds]]
url = "{url}"
name = "{NAME}"

[[rules]]
name = "talks"
query = 'Putin'
feeds = ["{NAME}"]
channels = ["desk"]

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg.url}"
rate_limit = "off"
"""
        engine = await Engine.open(make_config(tmp_path, [], extra=extra, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            n = await engine.rt.store.db.fetch_all("SELECT COUNT(*) FROM items")
        finally:
            await engine.close()
    assert n[0][0] == 1  # premise: the item was stored
    assert len(tg.messages) == 1, tg.messages  # the rule's alert (none on 1fdaf01)
