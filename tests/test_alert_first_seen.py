"""An alert built without an item (``outbox.on_match`` given only the story) shows the story's
first sighting: the time is monitor's, so every channel says "First seen", as an undated
item's alert does (tests/test_old_news.py), not "Published"."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import make_config
from standins import (
    BOT_TOKEN,
    CHAT_ID,
    smtp_standin,
    store_story,
    telegram_standin,
    webhook_receiver,
)

from monitor import outbox
from monitor.engine import Engine
from monitor.match.config import RuleConfig
from monitor.models import Match, TermHit

SEEN = datetime(2026, 12, 6, 21, 54, tzinfo=UTC)
CHANNELS = ["hook", "mail", "tg", "screen"]


def channels(hook: str, smtp_port: int, tg: str) -> str:
    return f"""
[channels.hook]
type = "webhook"
url = "{hook}"

[channels.mail]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "monitor@example.org"
recipients = ["desk@example.org"]

[channels.tg]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg}"
rate_limit = "off"

[channels.screen]
type = "console"
"""


async def test_an_alert_of_a_story_alone_says_first_seen_on_every_channel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rule = RuleConfig(name="talks", query="Zelensky", channels=CHANNELS, alert_on="story")
    match = Match(rule.name, rule.severity, tuple(CHANNELS),
                  (TermHit("Zelensky", "Zelensky", "title", 15, 23),), "Putin invites Zelensky")  # fmt: skip
    async with webhook_receiver() as hook, smtp_standin() as smtp, telegram_standin() as tg:
        config = make_config(tmp_path, [], channels(hook.url, smtp.port, tg.url))
        engine = await Engine.open(config, clock=lambda: SEEN.timestamp())
        try:
            async with engine.store.transaction() as db:
                story = await store_story(
                    db, title="Putin invites Zelensky to Moscow", outlets=["Wire"],
                    now=SEEN.timestamp(),
                )  # fmt: skip
                await outbox.on_match(db, story=story, match=match, rule=rule, now=SEEN.timestamp())
            assert await engine.drain(20)
        finally:
            await engine.close()
    (payload,) = hook.payloads()
    assert payload["alert"]["published"] is None
    assert payload["alert"]["first_seen"].startswith("2026-12-06T21:54")
    mails = [p.get_content() for m in smtp.received for p in m.iter_parts()]
    assert len(mails) == 2 and len(tg.messages) == 1  # a text and an HTML part; one message
    for text in [payload["text"], *mails, *tg.messages.values(), capsys.readouterr().out]:
        assert "First seen 6 Dec 2026, 21:54 UTC" in text, text
        assert "Published" not in text, text
