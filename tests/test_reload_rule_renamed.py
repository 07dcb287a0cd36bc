"""A reload renames a rule (putin-old to putin-new) after its message went out; the event
grows and the new rule matches the growth. The edit of the message names only the rule in
the config now (the first message stays as it was); ``monitor events`` and ``stories`` keep
the match of the old rule under its old name, marked removed, in the text and in --json
alike (explore9: the edit said "Rules putin-old, putin-new"). Through the real pipeline
(local feeds, the Bot API stand-in), on both backends."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import config_file, make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin
from test_events_alerts import rss

from monitor.cli import main
from monitor.engine import Engine
from monitor.oneshot import poll_all

FIRST = "Putin invites Zelensky to Moscow for talks"
COPY = "Putin invites Zelensky to Moscow for talks - CNN"


def _text(tg_url: str, rule: str) -> str:
    return f"""
[[rules]]
name = "{rule}"
query = 'Putin'
channels = ["desk"]

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg_url}"
rate_limit = "off"
update_delay = "0s"
"""


async def test_a_renamed_rule_is_not_named_in_the_next_edit_and_shows_as_removed(
    feed_server: FeedServer, tmp_path: Path, database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/c", rss("Outlet C", []))
    urls = [feed_server.url("/a"), feed_server.url("/c")]
    async with telegram_standin() as tg:
        engine = await Engine.open(
            make_config(tmp_path, urls, extra=_text(tg.url, "putin-old"), database=database)
        )
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(10)
            await engine.reload(
                make_config(tmp_path, urls, extra=_text(tg.url, "putin-new"), database=database)
            )
            feed_server.feed("/c", rss("Outlet C", [(COPY, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(10)
        finally:
            await engine.close()
    assert len(tg.sent) == 1 and "putin-old" in tg.sent[0]["text"]  # sent before: as it was
    assert tg.edits, "the story grew: its message is edited"
    edit = tg.edits[-1]["text"]
    assert "Outlet C" in edit and "putin-new" in edit
    assert "putin-old" not in edit  # before: "Rules putin-old, putin-new"

    path = config_file(tmp_path, urls, extra=_text("http://127.0.0.1:9", "putin-new"),
                       database=database)  # fmt: skip
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["events", "--matched", "-c", str(path)]) == 0
    text = capsys.readouterr().out
    assert "matched: putin-old (removed), putin-new" in text, text
    assert await asyncio.to_thread(main, ["events", "--matched", "--json", "-c", str(path)]) == 0
    (event,) = json.loads(capsys.readouterr().out)["events"]
    assert [(r["rule"], r["removed"]) for r in event["rules"]] == [
        ("putin-old", True),
        ("putin-new", False),
    ]
    assert await asyncio.to_thread(main, ["stories", "--matched", "--json", "-c", str(path)]) == 0
    (story,) = json.loads(capsys.readouterr().out)["stories"]
    assert [(r["rule"], r["removed"]) for r in story["rules"]] == [
        ("putin-old", True),
        ("putin-new", False),
    ]
