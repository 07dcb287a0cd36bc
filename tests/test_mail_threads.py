"""An event's first mail and its updates are one conversation in the reader's mail client,
through the real pipeline (local feeds, aiosmtpd on 127.0.0.1): each update names the first
mail (and the update before it) in In-Reply-To and References (RFC 5322 §3.6.4) and keeps the
first mail's subject after "Re: ", as Gmail needs to thread it; after a restart too. Two
stores never give two mails one Message-ID (Gmail drops a repeated one)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from feedserver import FeedServer
from helpers import make_config
from standins import smtp_standin
from test_alert_updates import FIRST, LATER, MORE, publish, text_of

from monitor.engine import Engine
from monitor.oneshot import poll_all

# The first mail, then an update a poll later, then another: each poll brings angles.
POLLS = [[FIRST], [FIRST, *LATER], [FIRST, *LATER, *MORE]]


def mail_channel(smtp_port: int) -> str:
    return f"""
[[rules]]
name = "peace-talks"
query = 'Putin OR Zelensky'
channels = ["mail"]

[channels.mail]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "alerts@example.org"
recipients = ["desk@example.org"]
update_delay = "0s"
"""


async def mail_polls(
    feed_server: FeedServer, store: Path, smtp_port: int, *, restart: bool
) -> None:
    """Poll ``POLLS`` into ``store``, delivering after each; with ``restart``, each poll by
    an engine of its own (the daemon restarted between them)."""
    urls = publish(feed_server, [FIRST] + [""] * (len(LATER) + len(MORE)))
    config = make_config(store, urls, extra=mail_channel(smtp_port))
    engine = await Engine.open(config)
    try:
        for i, headlines in enumerate(POLLS):
            if restart and i:
                await engine.close()
                engine = await Engine.open(config)
            publish(feed_server, headlines)
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
    finally:
        await engine.close()


def threaded(mails: list[EmailMessage]) -> None:
    """The updates follow the first mail: each names it, and the one before it as parent."""
    first, update, second = mails
    assert text_of(update).startswith(f"Update: {LATER[-1]}")  # what is new still leads
    ids = [str(m["Message-ID"]) for m in mails]
    assert len(set(ids)) == 3, ids
    assert str(update["In-Reply-To"]) == ids[0]
    assert str(update["References"]).split() == ids[:1]
    assert str(second["In-Reply-To"]) == ids[1]
    assert str(second["References"]).split() == ids[:2]
    # Gmail threads only the thread's subject, "Re:" before it aside.
    assert str(first["Subject"]) == f"[monitor] {FIRST}"
    assert [str(m["Subject"]) for m in mails[1:]] == [f"Re: [monitor] {FIRST}"] * 2


async def test_updates_thread_under_the_first_mail(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    async with smtp_standin() as smtp:
        await mail_polls(feed_server, tmp_path, smtp.port, restart=False)
    threaded(smtp.received)


async def test_updates_thread_after_a_restart_and_two_stores_share_no_id(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """Each poll by a new engine: the updates still name the first mail as it went. A second
    store (its alert ids the same as the first's) mails ids of its own."""
    mails: list[list[EmailMessage]] = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        async with smtp_standin() as smtp:
            await mail_polls(feed_server, tmp_path / name, smtp.port, restart=True)
        threaded(smtp.received)
        mails.append(smtp.received)
    one, two = ({str(m["Message-ID"]) for m in store} for store in mails)
    assert not one & two, (one, two)
