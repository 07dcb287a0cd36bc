"""What an update of an alert per event says, through the real pipeline: local feeds, a
real SMTP server (aiosmtpd), a webhook receiver and the Bot API stand-in. An update sent as a
message of its own says it is one and leads with what is new; the angles that came since the
last message the reader got are listed, not just the newest."""

from __future__ import annotations

import asyncio
import json
from email.message import EmailMessage
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import config_file, make_config
from standins import BOT_TOKEN, CHAT_ID, smtp_standin, telegram_standin, webhook_receiver
from test_events_alerts import rss

from monitor.channels import render
from monitor.cli import main
from monitor.engine import Engine
from monitor.models import Alert
from monitor.oneshot import poll_all

FIRST = "Putin invites Zelensky to Moscow for peace talks"
# Three angles that reach the monitor in one poll: the refusal must not be lost.
LATER = [
    "Ukraine's president turns down invitation, proposes Kyiv as venue for meeting with Putin",
    "Kremlin spokesman Peskov says Moscow offer to Zelensky stands",
    "Zelensky to address parliament on Putin's Moscow offer",
]
MORE = [
    "Erdogan offers Istanbul as venue for Putin and Zelensky summit",
    "Putin and Zelensky summit date still unclear, officials say",
]


def channels(smtp_port: int, hook_url: str, tg_url: str) -> str:
    return f"""
[[rules]]
name = "peace-talks"
query = 'Putin OR Zelensky'
channels = ["mail", "hook", "desk"]
alert_on = "event"

[channels.mail]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "alerts@example.org"
recipients = ["desk@example.org"]
update_delay = "0s"

[channels.hook]
type = "webhook"
url = "{hook_url}"
update_delay = "0s"

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg_url}"
rate_limit = "off"
update_delay = "0s"
"""


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def publish(feed_server: FeedServer, headlines: list[str]) -> list[str]:
    """Outlet i carries headline i (none when it is "")."""
    for i, title in enumerate(headlines):
        items = [(title, f"http://o{i}.example/talks")] if title else []
        feed_server.feed(f"/o{i}", rss(f"Outlet {i}", items))
    return [feed_server.url(f"/o{i}") for i in range(len(headlines))]


async def test_an_update_says_so_and_lists_the_angles_since_the_last_message(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    urls = publish(feed_server, [FIRST] + [""] * (len(LATER) + len(MORE)))
    async with smtp_standin() as smtp, webhook_receiver() as hook, telegram_standin() as tg:
        config = make_config(tmp_path, urls, extra=channels(smtp.port, hook.url, tg.url))
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            assert [m["Subject"] for m in smtp.received] == [f"[monitor] {FIRST}"]
            publish(feed_server, [FIRST, *LATER])
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            publish(feed_server, [FIRST, *LATER, *MORE])
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    _, update, second = smtp.received
    # The subject is the first mail's, so mail clients thread it (test_mail_threads); the
    # text says it is an update and leads with what is new.
    assert update["Subject"] == f"Re: [monitor] {FIRST}"
    body = text_of(update)
    assert body.startswith("Update: ") and "New story" not in body
    assert all(h in body for h in LATER), body  # the refusal is there, not only the newest
    # The next update tells what came since that one, not the angles mailed already.
    body = text_of(second)
    assert all(h in body for h in MORE) and not any(h in body for h in LATER), body
    hook_updates = [p for p in hook.payloads() if p["alert"]["kind"] == "update"]
    assert len(hook_updates) == 2
    assert hook_updates[0]["text"].startswith("Update: ")
    assert all(h in hook_updates[0]["text"] for h in LATER)
    assert hook_updates[0]["new_angles"] == {"headlines": LATER[::-1], "more": 0}
    assert hook_updates[1]["new_angles"] == {"headlines": MORE[::-1], "more": 0}
    # Each message has an id of its own (a receiver that drops a repeated id keeps both
    # updates), in the header and the body alike.
    ids = [headers["X-Monitor-Alert-Id"] for headers, _ in hook.requests]
    assert len(set(ids)) == len(ids) == 3, ids
    assert ids == [p["message_id"] for p in hook.payloads()]


async def test_the_counts_say_every_message_the_reader_got(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An update's row goes out once per update: ``status`` and ``events`` count each."""
    urls = publish(feed_server, [FIRST] + [""] * (len(LATER) + len(MORE)))
    async with smtp_standin() as smtp, webhook_receiver() as hook, telegram_standin() as tg:
        extra = channels(smtp.port, hook.url, tg.url)
        path = config_file(tmp_path, urls, extra=extra)
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            for headlines in ([FIRST], [FIRST, *LATER], [FIRST, *LATER, *MORE]):
                publish(feed_server, headlines)
                await poll_all(engine.rt, progress=False)
                assert await engine.drain(20)
        finally:
            await engine.close()
    assert len(hook.requests) == len(smtp.received) == 3
    edits = len(tg.edits)
    assert len(tg.sent) == 1 and edits >= 2
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["status", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert "  hook: 3 sent (1 alert, 2 updates)" in out, out
    assert "  mail: 3 sent (1 alert, 2 updates)" in out, out
    assert f"  desk: {1 + edits} sent (1 alert, {edits} updates)" in out, out
    # --json counts as the text does: each message, an update each time it went out.
    assert await asyncio.to_thread(main, ["status", "--json", "-c", str(path)]) == 0
    shown = json.loads(capsys.readouterr().out)["outbox"]
    sent = {c: by_status["sent"] for c, by_status in shown["by_channel"].items()}
    assert sent == {"hook": 3, "mail": 3, "desk": 1 + edits}, shown
    assert {c: s["messages"] for c, s in shown["sent"].items()} == sent, shown
    assert await asyncio.to_thread(main, ["events", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert "hook 2 updates sent" in out and f"desk {edits} updates sent" in out, out
    # Telegram edits its one message: it says it grew, leads with the newest angle (its
    # link first, the first report's after it) and shows every new angle.
    assert len(tg.sent) == 1
    final = tg.messages[int(tg.edits[-1]["message_id"])]
    assert final.startswith(f"<b>Update (6 angles):</b> <b>{MORE[-1]}</b>"), final
    newest, first = f"http://o{len(LATER) + len(MORE)}.example/talks", "http://o0.example/talks"
    assert final.endswith(f'<a href="{newest}">Read the newest</a> · <a href="{first}">First report</a>')
    assert all(h.replace("'", "'") in final for h in MORE)


def update(new: list[str], angles: int, before: int) -> Alert:
    extra = {"of_kind": "new", "angles": str(angles), "angles_before": str(before)}
    return Alert(1, "mail", "update", FIRST, event_id=3, outlets=("A", "B"), extra={
        **extra, "new_angles": "\n".join(new), "latest": new[0] if new else ""})  # fmt: skip


@pytest.mark.parametrize(
    ("alert", "subject", "listed"),
    [
        (update(LATER[:1], 2, 1), f"Update: {LATER[0]}", [f"• {LATER[0]}"]),
        (update(LATER, 4, 1), f"Update: {LATER[0]} (+2 more)", [f"• {h}" for h in LATER]),
        # Eight angles came since the last message: three are named, five counted.
        (update(LATER, 9, 1), f"Update: {LATER[0]} (+7 more)", ["and 5 more"]),
        # A story's update (alert_on = "story") has no new headline: its own, said an update.
        (Alert(1, "mail", "update", FIRST, extra={"of_kind": "new"}), f"Update: {FIRST}", []),
    ],
)
def test_an_update_names_what_is_new(alert: Alert, subject: str, listed: list[str]) -> None:
    assert render.subject(alert) == subject
    text = render.plain_text(alert).splitlines()
    assert text[0] == subject.split(" (+")[0]
    assert all(line in text for line in listed), text
