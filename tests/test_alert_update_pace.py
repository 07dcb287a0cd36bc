"""How often, and with what, a reader hears of an event that keeps growing, through the real
pipeline: local feeds, a real SMTP server (aiosmtpd) and the Bot API stand-in; only the
clock is mocked. Mail notifies: its updates come further apart as the event keeps growing
(1, 2, 4, 8 minutes...), with nothing lost; Telegram edits are silent and keep their pace.
An update leads with its newest angle: its link, lede, outlet and the words that fired."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, smtp_standin, telegram_standin

from monitor.engine import Engine
from monitor.oneshot import poll_all

FIRST = "Putin invites Zelensky to Moscow for peace talks"
# One angle a minute for ten minutes, each its own story of the one happening.
ANGLES = [
    "Ukraine's president turns down invitation, proposes Kyiv as venue for meeting with Putin",
    "Kremlin spokesman Peskov says Moscow offer to Zelensky stands",
    "Zelensky to address parliament on Putin's Moscow offer",
    "Erdogan offers Istanbul as venue for Putin and Zelensky summit",
    "Putin and Zelensky summit date still unclear, officials say",
    "Putin says Zelensky can come to Moscow for a meeting, guarantees his security",
    "Ukraine rejects Putin's invitation for Zelensky to come to Moscow",
    "Analysis: why Putin keeps inviting Zelensky to a summit he says is pointless",
    "Moscow's summit offer to Zelensky is a trap, European diplomats say",
    "Sybiha: Putin's Moscow proposal to Zelensky 'knowingly unacceptable'",
]
LEDES = {
    FIRST: "The Kremlin said the invitation was for talks, not for surrender.",
    ANGLES[0]: "Ukraine's president said he would meet Putin only in Kyiv, not in Moscow.",
}


class Clock:
    """Real time plus what the test adds (the minutes of its timeline)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def rss(outlet: str, items: list[tuple[str, str]]) -> bytes:
    when = format_datetime(datetime.now(UTC))
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{escape(LEDES.get(t, t))}</description><pubDate>{when}</pubDate></item>"
        for t, link in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{outlet}'
        f"</title><link>http://example.org/</link>{entries}</channel></rss>"
    ).encode()


def publish(feed_server: FeedServer, headlines: list[str]) -> list[str]:
    """Outlet i carries headline i (none yet when it is "")."""
    for i, title in enumerate(headlines):
        items = [(title, f"http://o{i}.example/news/{i}")] if title else []
        feed_server.feed(f"/o{i}", rss(f"Outlet {i}", items))
    return [feed_server.url(f"/o{i}") for i in range(len(headlines))]


def channels(smtp_port: int, tg_url: str, query: str, delay: str = "") -> str:
    return f"""
[[rules]]
name = "peace-talks"
query = '{query}'
channels = ["mail", "desk"]

[channels.mail]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "alerts@example.org"
recipients = ["desk@example.org"]
{delay}

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg_url}"
rate_limit = "off"
{delay}
"""


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_a_growing_event_mails_less_and_less_often_and_loses_nothing(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """The default settings (update_delay 1m, update_max 30m), an angle a minute for ten
    minutes, polled each minute: an update mail every second minute before (5); now 1, 2
    and 4 minutes after the growth that follows the last one (3): the last carries 5 angles.
    The Telegram message is edited at its old pace (silent)."""
    urls = publish(feed_server, [FIRST] + [""] * len(ANGLES))
    clock = Clock()
    mailed_at: list[int] = []  # the minute of each mail
    async with smtp_standin() as smtp, telegram_standin() as tg:
        config = make_config(tmp_path, urls, extra=channels(smtp.port, tg.url, "Putin OR Zelensky"))
        engine = await Engine.open(config, clock=clock)
        try:
            for minute in range(16):
                publish(feed_server, [FIRST, *ANGLES[:minute], *[""] * (len(ANGLES) - minute)])
                await poll_all(engine.rt, progress=False)
                await engine.drain(10)
                mailed_at += [minute] * (len(smtp.received) - len(mailed_at))
                clock.offset += 60
        finally:
            await engine.close()
    bodies = [text_of(m) for m in smtp.received]
    assert bodies[0].startswith(f"New story: {FIRST}")
    # Updates: one minute after the first growth (minute 1), then 2 and 4 minutes after the
    # growth that follows the last mail (minutes 3 and 6).
    assert mailed_at == [0, 2, 5, 10], mailed_at
    # Nothing is lost: every angle is named by one mail, and once.
    for angle in ANGLES:
        assert sum(angle in body for body in bodies[1:]) == 1, (angle, bodies)
    # Telegram: one message, edited about every second minute (silent: no need to space them).
    assert len(tg.sent) == 1 and len(tg.edits) >= 5, tg.edits


async def test_an_update_leads_with_the_new_angle(feed_server: FeedServer, tmp_path: Path) -> None:
    """The update's link, lede, outlet and matched words are the newest angle's, not the
    first item's again; the Telegram message says it grew and leads with it too."""
    urls = publish(feed_server, [FIRST, ""])
    query = "Putin OR Zelensky OR Kyiv OR Kremlin"
    async with smtp_standin() as smtp, telegram_standin() as tg:
        extra = channels(smtp.port, tg.url, query, 'update_delay = "0s"')
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            publish(feed_server, [FIRST, ANGLES[0]])
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    first, update = (text_of(m) for m in smtp.received)
    assert "http://o0.example/news/0" in first and LEDES[FIRST] in first
    assert "— matched: Putin, Zelensky, Kremlin" in first
    lines = update.splitlines()
    assert lines[:3] == [f"Update: {ANGLES[0]}", "From Outlet 1", f"Follows: {FIRST}"], lines
    # The words that fired in the new angle (Kyiv), not the first item's (Kremlin, Zelensky).
    assert "Rule: peace-talks (normal) — matched: Kyiv, Putin" in lines, lines
    assert LEDES[ANGLES[0]] in update and LEDES[FIRST] not in update
    assert lines[-1] == "http://o1.example/news/1" and "o0.example" not in update, lines
    # Telegram's one message, edited: it says it grew, and leads with the new angle.
    edited = tg.messages[int(tg.edits[-1]["message_id"])]
    assert edited.startswith(f"<b>Update (2 angles):</b> <b>{ANGLES[0]}</b>"), edited
    assert LEDES[ANGLES[0]].replace("'", "'") in edited and "Kremlin" not in edited
    assert '<a href="http://o1.example/news/1">Read the newest</a>' in edited
    assert '<a href="http://o0.example/news/0">First report</a>' in edited


def test_status_says_a_mailed_update_waits_longer_while_its_event_grows() -> None:
    """``monitor status`` said updates "wait out update_delay (1m)" when a mailed one waits
    up to update_max (fixupdate13's note); an edit (Telegram) waits update_delay."""
    from pydantic import TypeAdapter

    from monitor.channels.config import ChannelConfig
    from monitor.outbox.status import longest_update_wait, waiting_reasons

    def line(kind: dict[str, str]) -> str:
        config = TypeAdapter(ChannelConfig).validate_python(kind)
        wait = {"quiet_until": None, "retrying": 0, "updates": 2, "timezone": "UTC",
                "update_delay": config.update_delay, "update_max": longest_update_wait(config),
                "pending": 2, "next_due": None}  # fmt: skip
        return "; ".join(waiting_reasons(wait))

    mail = {"type": "email", "host": "127.0.0.1", "sender": "a@example.org",
            "recipients": ["d@example.org"]}  # fmt: skip
    assert line(mail) == (
        "2 update(s) wait out update_delay (1m), longer while their event keeps growing"
        " (up to update_max, 30m)"
    )
    assert line({"type": "console"}) == "2 update(s) wait out update_delay (1m)"
