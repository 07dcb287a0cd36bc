"""An event's first mail and its updates are one conversation in the reader's mail client,
through the real pipeline (local feeds, aiosmtpd on 127.0.0.1): each update names the first
mail in In-Reply-To and References (RFC 5322 §3.6.4) and keeps the first mail's subject after
"Re: ", as Gmail needs to thread it; after a restart too, and with a long sender domain. Two
stores, or one restored from a backup, never give two mails one Message-ID (Gmail drops a
repeated one: review19d)."""

from __future__ import annotations

import shutil
from email.message import EmailMessage
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import smtp_standin
from test_alert_updates import FIRST, LATER, MORE, publish, text_of
from test_events_alerts import rss

from monitor.engine import Engine
from monitor.oneshot import poll_all

# The first mail, then an update a poll later, then another: each poll brings angles.
POLLS = [[FIRST], [FIRST, *LATER], [FIRST, *LATER, *MORE]]


LONG_DOMAIN = "alerts.newsroom-monitoring.international-desk.example.com"  # 57 characters


def mail_channel(
    smtp_port: int, domain: str = "example.org", query: str = "Putin OR Zelensky"
) -> str:
    return f"""
[[rules]]
name = "peace-talks"
query = '{query}'
channels = ["mail"]

[channels.mail]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "Monitor <alerts@{domain}>"
recipients = ["desk@example.org"]
update_delay = "0s"
"""


async def mail_polls(
    feed_server: FeedServer, store: Path, smtp_port: int, *, restart: bool, domain: str = ""
) -> None:
    """Poll ``POLLS`` into ``store``, delivering after each; with ``restart``, each poll by
    an engine of its own (the daemon restarted between them)."""
    urls = publish(feed_server, [FIRST] + [""] * (len(LATER) + len(MORE)))
    config = make_config(store, urls, extra=mail_channel(smtp_port, domain or "example.org"))
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
    """The updates follow the first mail: each names it as its parent."""
    first, update, second = mails
    assert text_of(update).startswith(f"Update: {LATER[-1]}")  # what is new still leads
    ids = [str(m["Message-ID"]) for m in mails]
    assert len(set(ids)) == 3, ids
    for later in (update, second):  # as written: an encoded word is no id (a long domain)
        assert later.get("In-Reply-To") == ids[0] == later.get("References"), ids
    # Gmail threads only the thread's subject, "Re:" before it aside.
    assert str(first["Subject"]) == f"[monitor] {FIRST}"
    assert [str(m["Subject"]) for m in mails[1:]] == [f"Re: [monitor] {FIRST}"] * 2


@pytest.mark.parametrize("domain", ["", LONG_DOMAIN], ids=["example.org", "a long domain"])
async def test_updates_thread_under_the_first_mail(
    feed_server: FeedServer, tmp_path: Path, domain: str
) -> None:
    async with smtp_standin() as smtp:
        await mail_polls(feed_server, tmp_path, smtp.port, restart=False, domain=domain)
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


H1 = "Strong earthquake strikes northern Japan coast"
H2 = "Pension reform vote set in French parliament"
H3 = "Election results delayed in Kenya after recount"
NEWS = "earthquake OR pension OR election"


async def test_a_store_restored_from_its_backup_mails_no_id_it_mailed_before(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """README's way back from an upgrade, the copy of the database restored: the alert ids
    after it are ones already mailed, and a new alert must not go out under the Message-ID
    of an earlier, different mail (review19d: Gmail dropped it, a lost alert)."""
    db = tmp_path / "monitor.db"

    async def once(titles: list[str]) -> None:
        links = [(t, f"http://wire.example/{i}") for i, t in enumerate(titles)]
        feed_server.feed("/f", rss("Wire", links))
        config = make_config(
            tmp_path, [feed_server.url("/f")], extra=mail_channel(smtp.port, query=NEWS)
        )
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()

    async with smtp_standin() as smtp:
        await once([H1])
        shutil.copy(db, tmp_path / "backup.db")  # the copy made before an upgrade
        await once([H1, H2])
        shutil.copy(tmp_path / "backup.db", db)  # restored; the feed moved on meanwhile
        for side in ("monitor.db-wal", "monitor.db-shm"):
            (tmp_path / side).unlink(missing_ok=True)
        await once([H1, H3])
    subjects = [str(m["Subject"]) for m in smtp.received]
    assert subjects == [f"[monitor] {h}" for h in (H1, H2, H3)], subjects
    ids = [str(m["Message-ID"]) for m in smtp.received]
    assert len(set(ids)) == 3, list(zip(subjects, ids, strict=True))
