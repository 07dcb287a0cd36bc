"""Alerts per event, through the real pipeline: local feeds, a Bot API stand-in, a webhook
receiver. Several angles of one happening, each its own story, raise one Telegram message
that is edited as the event grows; ``alert_on = "story"`` keeps one message per story."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin, webhook_receiver

from monitor import config as config_module
from monitor.cli import main
from monitor.engine import Engine
from monitor.oneshot import poll_all

# Four angles of one happening (no two are one story: different words, not edits).
ANGLES = [
    "Putin invites Zelensky to Moscow for peace talks",
    "Ukraine's president turns down invitation, proposes Kyiv as venue for meeting with Putin",
    "Kremlin spokesman Peskov says Moscow offer to Zelensky stands",
    "Zelensky to address parliament on Putin's Moscow offer",
]
OTHER = [
    "Heavy rain floods roads across the north of England",
    "Central bank keeps interest rates on hold for a third month",
    "Football club sacks manager after cup defeat",
]


def channels(tg_url: str, hook_url: str, alert_on: str) -> str:
    return f"""
[[rules]]
name = "peace-talks"
query = 'Putin OR Zelensky'
channels = ["desk", "hook"]
alert_on = "{alert_on}"

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg_url}"
rate_limit = "off"
update_delay = "0s"

[channels.hook]
type = "webhook"
url = "{hook_url}"
update_delay = "0s"
"""


def rss(title: str, items: list[tuple[str, str]], hours_ago: float = 0.0) -> bytes:
    """RSS dated now (or ``hours_ago``): the window rebuilt at start holds only what is recent."""
    when = format_datetime(datetime.now(UTC) - timedelta(hours=hours_ago))
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{escape(t)}</description><pubDate>{when}</pubDate></item>"
        for t, link in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}'
        f"</title><link>http://example.org/</link>{entries}</channel></rss>"
    ).encode()


def publish(feed_server: FeedServer, angles: int) -> list[str]:
    """Outlet i carries angle i (while i < angles) and one unrelated headline."""
    paths = []
    for i in range(len(ANGLES)):
        items = [(OTHER[i % len(OTHER)] + f" ({i})", f"http://o{i}.example/other")]
        if i < angles:
            items.insert(0, (ANGLES[i], f"http://o{i}.example/talks"))
        feed_server.feed(f"/o{i}", rss(f"Outlet {i}", items))
        paths.append(feed_server.url(f"/o{i}"))
    return paths


@pytest.mark.parametrize(
    ("alert_on", "messages", "edited"),
    [("event", 1, True), ("story", len(ANGLES), False)],
)
async def test_one_message_per_event_edited_as_it_grows(
    feed_server: FeedServer, tmp_path: Path, alert_on: str, messages: int, edited: bool
) -> None:
    urls = publish(feed_server, 1)
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = make_config(tmp_path, urls, extra=channels(tg.url, hook.url, alert_on))
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            assert len(tg.sent) == 1
            publish(feed_server, len(ANGLES))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            assert len(tg.sent) == messages, [m["text"][:60] for m in tg.sent]
            new = [p for p in hook.payloads() if p["alert"]["kind"] == "new"]
            assert len(new) == messages
            assert new[0]["alert"]["url"] == "http://o0.example/talks"
            updates = [p["alert"] for p in hook.payloads() if p["alert"]["kind"] == "update"]
            if edited:
                # The webhook cannot edit: one update message, the three angles coalesced.
                (update,) = updates
                assert update["event_id"] == new[0]["alert"]["event_id"]
                assert update["extra"]["angles"] == str(len(ANGLES))
                assert len(update["outlets"]) == len(ANGLES)
                final = tg.messages[int(tg.edits[-1]["message_id"])]
                assert f"{len(ANGLES)} outlets, {len(ANGLES)} angles" in final
                assert all(escape(a, {"'": "'"}) in final for a in ANGLES[1:])  # each new angle
                assert new[0]["alert"]["event_id"] is not None
            else:
                assert not tg.edits and not updates
            events = await engine.store.db.raw.execute_fetchall(
                "SELECT COUNT(DISTINCT event_id) FROM stories s JOIN items i"
                " ON i.story_id = s.id WHERE i.url LIKE '%/talks'"
            )
            assert next(iter(events))[0] == 1
        finally:
            await engine.close()


async def test_the_event_window_is_rebuilt_at_start(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """After a restart a new angle still joins the event alerted before: no second alert."""
    urls = publish(feed_server, 1)
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = make_config(tmp_path, urls, extra=channels(tg.url, hook.url, "event"))
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
        publish(feed_server, 2)
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            assert len(tg.sent) == 1
            assert tg.edits
        finally:
            await engine.close()


async def test_events_and_stories_commands_show_the_event(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = publish(feed_server, len(ANGLES))
    path = tmp_path / "config.toml"
    feeds = "".join(f'[[feeds]]\nurl = "{u}"\n' for u in urls)
    path.write_text(f'[monitor]\ndatabase = "{tmp_path}/monitor.db"\n{feeds}', encoding="utf-8")
    engine = await Engine.open(config_module.load(path))
    try:
        await poll_all(engine.rt, progress=False)
    finally:
        await engine.close()
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["events", "--json", "-c", str(path)]) == 0
    events = json.loads(capsys.readouterr().out)["events"]
    (talks,) = [e for e in events if len(e["stories"]) > 1]
    assert len(talks["stories"]) == len(ANGLES)
    assert {"id", "title", "first_seen", "last_seen", "stories"} <= set(talks)
    assert talks["title"] in ANGLES
    item = talks["stories"][0]["items"][0]
    assert {"feed", "title", "url", "published"} <= set(item)
    assert len(events) == 1 + len(OTHER)  # the unrelated headlines stay apart (by topic)
    assert await asyncio.to_thread(main, ["stories", "--json", "-c", str(path)]) == 0
    stories = json.loads(capsys.readouterr().out)["stories"]
    of_talks = {s["event"] for s in stories if s["items"][0]["url"].endswith("/talks")}
    assert of_talks == {talks["id"]}
    assert await asyncio.to_thread(main, ["events", "-c", str(path)]) == 0
    assert f"{len(ANGLES)} stories" in capsys.readouterr().out


@pytest.mark.parametrize(("gap_hours", "messages"), [(0.5, 1), (13.0, 2)])
async def test_a_second_new_alert_only_after_the_event_closed(
    feed_server: FeedServer, tmp_path: Path, gap_hours: float, messages: int
) -> None:
    """A new angle half an hour later updates the alert; after a quiet night (13 h, more than
    [events] quiet) the same news is a new event and a new alert."""
    feed_server.feed("/o0", rss("Outlet 0", [(ANGLES[0], "http://o0.example/talks")], gap_hours))
    feed_server.feed("/o1", rss("Outlet 1", [(OTHER[0], "http://o1.example/other")]))
    urls = [feed_server.url("/o0"), feed_server.url("/o1")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = make_config(tmp_path, urls, extra=channels(tg.url, hook.url, "event"))
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/o1", rss("Outlet 1", [(ANGLES[1], "http://o1.example/talks")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    assert len(tg.sent) == messages


async def test_mail_and_webhooks_get_an_update_for_a_new_angle_not_for_an_outlet_more(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    urls = publish(feed_server, 1)
    for n in (1, 2):  # two more outlets, with nothing on the talks yet
        feed_server.feed(f"/copy{n}", rss(f"Copy {n}", [(OTHER[n], f"http://c{n}.example/x")]))
        urls.append(feed_server.url(f"/copy{n}"))
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = make_config(tmp_path, urls, extra=channels(tg.url, hook.url, "event"))
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            publish(feed_server, len(ANGLES))  # three new angles: one update
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            # Then the other outlets carry copies of an angle already told: no new angle.
            for n in (1, 2):
                copy = [(ANGLES[0], f"http://c{n}.example/talks")]
                feed_server.feed(f"/copy{n}", rss(f"Copy {n}", copy))
                await poll_all(engine.rt, progress=False)
                assert await engine.drain(20)
            kinds = [p["alert"]["kind"] for p in hook.payloads()]
            assert kinds == ["new", "update"], kinds
            final = tg.messages[int(tg.edits[-1]["message_id"])]
            assert f"{len(ANGLES) + 2} outlets, {len(ANGLES)} angles" in final  # edited still
        finally:
            await engine.close()
