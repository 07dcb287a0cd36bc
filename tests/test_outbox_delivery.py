"""The outbox end to end over real local servers: one story, one message per channel,
edited in place as it grows; retries honour the channel; failures stay visible."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest
from helpers import poll_grows_story
from pydantic import TypeAdapter
from standins import (
    BOT_TOKEN,
    CHAT_ID,
    add_outlets,
    free_port,
    smtp_standin,
    store_story,
    telegram_standin,
    tg_error,
)

from monitor import outbox
from monitor.channels import Channel, build_channels
from monitor.channels.config import ChannelConfig
from monitor.match.config import RuleConfig
from monitor.models import Match, Story, TermHit
from monitor.store import Store

FAST = {"retry_initial": "20ms", "retry_max": "100ms", "update_delay": "0s", "rate_limit": "off"}
OUTLETS = [f"Outlet {i:02d}" for i in range(40)]


class Clock:
    """Real time plus an offset the test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def channel_config(**data: Any) -> Any:
    return TypeAdapter(ChannelConfig).validate_python(data)


def telegram(url: str, **extra: Any) -> Any:
    return channel_config(
        type="telegram", bot_token=BOT_TOKEN, chat_id=CHAT_ID, api_base=url, **{**FAST, **extra}
    )


def email(port: int, **extra: Any) -> Any:
    return channel_config(
        type="email",
        host="127.0.0.1",
        port=port,
        security="none",
        sender="alerts@example.org",
        recipients=["desk@example.org"],
        **{**FAST, **extra},
    )


def rule(**extra: Any) -> RuleConfig:
    data: dict[str, Any] = {
        "name": "peace-talks",
        "query": "Putin AND summit",
        "channels": ["desk", "mail"],
        "severity": "high",
    }
    return RuleConfig(**{**data, **extra})


def match_for(r: RuleConfig) -> Match:
    hits = (TermHit("Putin", "Putin", "title", 0, 5), TermHit("summit", "summit", "title", 20, 26))
    return Match(r.name, r.severity, tuple(r.channels), hits, "Putin invited Zelensky to a summit")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "monitor.db")
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def matched_story(store: Store, r: RuleConfig, outlets: list[str], now: float) -> Story:
    async with store.transaction() as db:
        story = await store_story(
            db, title="Putin invites Zelensky to Moscow for a summit", outlets=outlets, now=now,
            url="https://en.kremlin.ru/events/president/news/77777",
        )  # fmt: skip
        await outbox.on_match(db, story=story, match=match_for(r), rule=r, now=now)
    return story


async def grow(store: Store, story: Story, more: list[str], now: float) -> Story:
    async with store.transaction() as db:
        await add_outlets(db, story.id, more, now=now)
        story = replace(story, outlets=story.outlets + tuple(more))
        await poll_grows_story(db, story)
    return story


async def statuses(store: Store) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    async with store.db.raw.execute("SELECT channel, kind, status FROM alerts ORDER BY id") as cur:
        for channel, kind, status in await cur.fetchall():
            out.setdefault((channel, kind), []).append(status)
    return out


class TelegramHTML(HTMLParser):
    """Checks text against Telegram's HTML parse mode (https://core.telegram.org/bots/api#html-style)."""

    ALLOWED: ClassVar[set[str]] = set(
        [
            "b",
            "strong",
            "i",
            "em",
            "u",
            "ins",
            "s",
            "strike",
            "del",
            "a",
            "code",
            "pre",
            "span",
            "tg-spoiler",
            "tg-emoji",
            "blockquote",
        ]
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED:
            self.problems.append(f"tag <{tag}>")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_entityref(self, name: str) -> None:
        if name not in {"lt", "gt", "amp", "quot"}:
            self.problems.append(f"entity &{name};")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.problems.append(f"raw angle bracket in {data[:40]!r}")


def assert_telegram_html(text: str) -> None:
    assert 0 < len(text) <= 4096
    parser = TelegramHTML()
    parser.feed(text)
    parser.close()
    assert not parser.problems and not parser.stack, (parser.problems, parser.stack)
    # A bare "&" not starting an entity is refused by Telegram.
    assert not re.search(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text)


async def test_story_from_40_outlets_is_one_message_then_edited_in_place(
    store: Store, session: aiohttp.ClientSession
) -> None:
    r = rule()
    async with telegram_standin() as tg, smtp_standin() as smtp:
        channels = build_channels({"desk": telegram(tg.url), "mail": email(smtp.port)}, session)
        deliverer = outbox.Deliverer(store, channels)
        now = time.time()
        story = await matched_story(store, r, OUTLETS[:1], now)
        # The same wire story arrives from 39 more outlets, each poll matching the rule again.
        for i in range(1, 40):
            async with store.transaction() as db:
                await add_outlets(db, story.id, [OUTLETS[i]], now=now)
                story = replace(story, outlets=(*story.outlets, OUTLETS[i]))
                ids = await outbox.on_match(db, story=story, match=match_for(r), rule=r, now=now)
                await poll_grows_story(db, story)
            assert ids == []
        assert await deliverer.drain(5)
        assert len(tg.sent) == 1 and len(smtp.received) == 1
        first = tg.sent[0]["text"]
        assert_telegram_html(first)
        assert "Outlet 00" in first and "+36" in first  # all 40 outlets known before sending

        # More outlets later: the Telegram message is edited, no new message or mail.
        story = await grow(store, story, ["TASS", "Reuters"], time.time())
        assert await deliverer.drain(5)
        assert len(tg.sent) == 1 and len(smtp.received) == 1
        assert len(tg.edits) == 1
        edited = tg.messages[tg.sent[0]["message_id"]]
        assert_telegram_html(edited)
        assert "+38" in edited and edited != first
        # A second poll of the same feeds changes nothing and sends nothing.
        async with store.transaction() as db:
            again = await outbox.on_match(db, story=story, match=match_for(r), rule=r, now=now)
            await poll_grows_story(db, story)
        assert again == []
        assert await deliverer.drain(2)
        assert (len(tg.sent), len(tg.edits), len(smtp.received)) == (1, 1, 1)
        states = await statuses(store)
        assert states[("desk", "new")] == ["sent"] and states[("mail", "new")] == ["sent"]
        assert states[("desk", "update")] == ["sent"]
        assert ("mail", "update") not in states  # mail cannot be edited


async def test_growth_is_coalesced_into_one_edit(
    store: Store, session: aiohttp.ClientSession
) -> None:
    r = rule(channels=["desk"])
    async with telegram_standin() as tg:
        channels = build_channels({"desk": telegram(tg.url, update_delay="1h")}, session)
        clock = Clock()
        deliverer = outbox.Deliverer(store, channels, clock=clock)
        story = await matched_story(store, r, OUTLETS[:1], clock())
        assert await deliverer.drain(5)
        for name in ["TASS", "Reuters", "AP", "AFP"]:
            story = await grow(store, story, [name], clock())
        assert not await deliverer.drain(0.3)  # the edit waits for update_delay
        assert tg.edits == []
        clock.offset += 3601
        assert await deliverer.drain(5)
        assert len(tg.edits) == 1
        assert "TASS, Reuters, AP, +1" in tg.edits[0]["text"]


async def test_429_retry_after_is_honoured_and_each_alert_delivered_once(
    store: Store, session: aiohttp.ClientSession
) -> None:
    r = rule(channels=["desk"])
    async with telegram_standin() as tg:
        tg.script = [tg_error(429, "Too Many Requests: retry after 1", retry_after=1)] * 2
        # retry_max above the hint: the hint is honoured whole (it is capped at retry_max).
        channels = build_channels({"desk": telegram(tg.url, retry_max="5s")}, session)
        deliverer = outbox.Deliverer(store, channels)
        now = time.time()
        for i in range(5):
            async with store.transaction() as db:
                story = await store_story(db, title=f"Putin summit {i}", outlets=["TASS"], now=now)
                await outbox.on_match(db, story=story, match=match_for(r), rule=r, now=now)
        started = time.monotonic()
        assert await deliverer.drain(10)
        elapsed = time.monotonic() - started
        titles = sorted(m["text"].split("</b>")[1] for m in tg.sent)
        assert len(tg.sent) == 5 and len(set(titles)) == 5
        assert elapsed >= 1.9  # two pauses of retry_after=1s, not a fast retry loop
        async with store.db.raw.execute(
            "SELECT outcome, COUNT(*) FROM alert_attempts GROUP BY outcome"
        ) as cur:
            outcomes = dict(await cur.fetchall())
        assert outcomes == {"retry": 2, "sent": 5}


async def test_smtp_451_then_accepts_delivers_once(
    store: Store, session: aiohttp.ClientSession
) -> None:
    r = rule(channels=["mail"])
    async with smtp_standin() as smtp:
        smtp.script = ["451 4.3.0 Try again later"]
        channels = build_channels({"mail": email(smtp.port)}, session)
        await matched_story(store, r, ["Kremlin"], time.time())
        assert await outbox.Deliverer(store, channels).drain(5)
        assert smtp.attempts == 2 and len(smtp.received) == 1
        async with store.db.raw.execute("SELECT status, attempts, last_error FROM alerts") as cur:
            assert tuple(await cur.fetchone()) == ("sent", 2, None)


async def test_smtp_550_fails_the_alert_visibly(
    store: Store, session: aiohttp.ClientSession
) -> None:
    r = rule(channels=["mail"])
    async with smtp_standin() as smtp:
        smtp.script = ["550 5.1.1 Mailbox unavailable"]
        channels = build_channels({"mail": email(smtp.port)}, session)
        await matched_story(store, r, ["Kremlin"], time.time())
        assert await outbox.Deliverer(store, channels).drain(5)
        assert smtp.attempts == 1 and smtp.received == []
    status = await outbox.outbox_status(store.db)
    assert status["by_channel"] == {"mail": {"failed": 1}}
    (failed,) = status["failed"]
    assert failed["status"] == "failed" and failed["channel"] == "mail"
    assert "550" in failed["last_error"] and "Mailbox unavailable" in failed["last_error"]
    assert failed["title"].startswith("Putin invites Zelensky")
    shown = "\n".join(outbox.render_status(status))
    assert "FAILED #1 mail" in shown and "550 5.1.1 Mailbox unavailable" in shown


async def test_wrong_chat_is_a_configuration_error_not_a_retry_loop(
    store: Store, session: aiohttp.ClientSession
) -> None:
    r = rule(channels=["desk"])
    async with telegram_standin(known_chats={"42"}) as tg:
        channels = build_channels({"desk": telegram(tg.url)}, session)
        await matched_story(store, r, ["Kremlin"], time.time())
        assert not await outbox.Deliverer(store, channels).drain(5)  # held: see test_outbox_held
        assert tg.calls == 1
    status = await outbox.outbox_status(store.db)
    assert status["failed"] == []
    shown = "\n".join(outbox.render_status(status))
    assert "HELD desk: 1 alert(s) wait until the config is fixed" in shown
    assert "configuration problem" in shown and "chat not found" in shown


async def test_undelivered_alert_expires_and_stays_visible(
    store: Store, session: aiohttp.ClientSession
) -> None:
    r = rule(channels=["desk"])
    down = f"http://127.0.0.1:{free_port()}"
    channels = build_channels({"desk": telegram(down, expire_after="1h")}, session)
    clock = Clock()
    deliverer = outbox.Deliverer(store, channels, clock=clock)
    await matched_story(store, r, ["Kremlin"], clock())
    assert not await deliverer.drain(0.3)
    clock.offset += 3601
    assert await deliverer.drain(2)
    (gone,) = (await outbox.outbox_status(store.db))["failed"]
    assert gone["status"] == "expired" and "expired" in gone["last_error"]
    assert gone["attempts"] >= 1


async def test_quiet_hours_hold_normal_alerts_and_let_urgent_through(
    store: Store, session: aiohttp.ClientSession
) -> None:
    async with telegram_standin() as tg:
        # Quiet from two hours ago to two hours from now (UTC), whatever time the test runs.
        hour = datetime.now(UTC).hour
        start, end = (hour - 2) % 24, (hour + 2) % 24
        quiet = f"{start:02d}:00-{end:02d}:00"
        config = telegram(tg.url, quiet_hours=quiet, quiet_override="urgent")
        deliverer = outbox.Deliverer(store, build_channels({"desk": config}, session))
        now = time.time()
        for severity in ("normal", "urgent"):
            r = rule(channels=["desk"], severity=severity, name=f"rule-{severity}")
            await matched_story(store, r, ["Kremlin"], now)
        await deliverer.drain(0.5)
        assert len(tg.sent) == 1 and "(urgent)" in tg.sent[0]["text"]
        async with store.db.raw.execute(
            "SELECT next_attempt FROM alerts WHERE status = 'pending'"
        ) as cur:
            (held_until,) = await cur.fetchone()
        until = datetime.fromtimestamp(held_until, UTC)
        assert (until.hour, until.minute) == (end, 0) and held_until > now


async def test_digest_sends_alerts_of_the_window_as_one_message(
    store: Store, session: aiohttp.ClientSession
) -> None:
    r = rule(channels=["desk", "mail"])
    async with telegram_standin() as tg, smtp_standin() as smtp:
        configs = {"desk": telegram(tg.url, digest="10m"), "mail": email(smtp.port, digest="10m")}
        clock = Clock()
        deliverer = outbox.Deliverer(store, build_channels(configs, session), clock=clock)
        stop = asyncio.Event()
        task = asyncio.create_task(deliverer.run(stop))
        for i in range(3):
            async with store.transaction() as db:
                story = await store_story(
                    db, title=f"Putin summit <{i}> & more", outlets=["TASS"], now=clock()
                )
                await outbox.on_match(db, story=story, match=match_for(r), rule=r, now=clock())
            deliverer.wake()
        await asyncio.sleep(0.3)
        assert tg.sent == [] and smtp.received == []  # the window is still open
        clock.offset += 601
        deliverer.wake()
        for _ in range(100):
            if tg.sent and smtp.received:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task
        assert len(tg.sent) == 1 and len(smtp.received) == 1
        assert_telegram_html(tg.sent[0]["text"])
        assert all(f"Putin summit &lt;{i}&gt; &amp; more" in tg.sent[0]["text"] for i in range(3))
        subject = str(smtp.received[0]["Subject"])
        assert subject.startswith("[monitor] 3 alerts: \u201cPutin summit <"), subject
        assert subject.count("\u201c") == 3 and subject.count("\u201d") == 3, subject
        assert (await statuses(store))[("desk", "new")] == ["sent"] * 3
    # The reader got one message a channel: status counts the digest once, text and JSON alike.
    status = await outbox.outbox_status(store.db)
    shown = "\n".join(outbox.render_status(status))
    assert "  mail: 1 sent (1 digest of 3 alerts)" in shown, shown
    assert status["by_channel"]["mail"]["sent"] == status["sent"]["mail"]["messages"] == 1
    assert status["sent"]["desk"]["digests"] == 1 and status["sent"]["desk"]["digested"] == 3


async def test_digest_gathers_alerts_of_later_polls_into_the_window_the_first_opened(
    store: Store, session: aiohttp.ClientSession
) -> None:
    # Two polls 20 s apart in a minute's digest: one message at the end of the first alert's
    # window, not each alert alone a minute after it came.
    r = rule(channels=["mail"])
    async with smtp_standin() as smtp:
        clock = Clock()
        channels = build_channels({"mail": email(smtp.port, digest="1m")}, session)
        deliverer = outbox.Deliverer(store, channels, clock=clock)
        stop = asyncio.Event()
        task = asyncio.create_task(deliverer.run(stop))
        for i, later in enumerate([0, 20, 41]):
            clock.offset += later
            if i < 2:
                async with store.transaction() as db:
                    story = await store_story(
                        db, title=f"Putin summit number {i}", outlets=["TASS"], now=clock()
                    )
                    await outbox.on_match(db, story=story, match=match_for(r), rule=r, now=clock())
            deliverer.wake()
            await asyncio.sleep(0.3)
        for _ in range(40):
            if smtp.received:
                break
            await asyncio.sleep(0.05)
        clock.offset += 30  # past the second alert's own minute: nothing more goes out
        deliverer.wake()
        await asyncio.sleep(0.5)
        stop.set()
        await task
    assert len(smtp.received) == 1, [str(m["Subject"]) for m in smtp.received]
    assert "2 alerts" in str(smtp.received[0]["Subject"])


async def test_rate_limit_spaces_messages(store: Store, session: aiohttp.ClientSession) -> None:
    r = rule(channels=["desk"])
    async with telegram_standin() as tg:
        channels = build_channels({"desk": telegram(tg.url, rate_limit="10/s")}, session)
        now = time.time()
        for i in range(4):
            async with store.transaction() as db:
                story = await store_story(db, title=f"Putin summit {i}", outlets=["TASS"], now=now)
                await outbox.on_match(db, story=story, match=match_for(r), rule=r, now=now)
        started = time.monotonic()
        assert await outbox.Deliverer(store, channels).drain(5)
        assert len(tg.sent) == 4
        assert time.monotonic() - started >= 0.29  # 4 messages at 10/s: 3 gaps of 0.1s


async def test_burst_escalates_once_when_k_outlets_within_t(
    store: Store, session: aiohttp.ClientSession
) -> None:
    from monitor.match.config import BurstConfig

    r = rule(channels=["desk"], burst=BurstConfig(outlets=5, within=1800.0))
    async with telegram_standin() as tg:
        deliverer = outbox.Deliverer(store, build_channels({"desk": telegram(tg.url)}, session))
        now = time.time()
        story = await matched_story(store, r, ["Kremlin"], now)
        assert await deliverer.drain(5)
        story = await grow(store, story, ["TASS", "Reuters"], now)
        assert await deliverer.drain(5)
        assert len(tg.sent) == 1  # 3 outlets: no burst yet
        story = await grow(store, story, ["AP", "AFP"], now)
        story = await grow(store, story, ["BBC"], now)
        assert await deliverer.drain(5)
        bursts = [m["text"] for m in tg.sent if "Spreading fast" in m["text"]]
        assert len(bursts) == 1 and len(tg.sent) == 2
        assert "5 outlets within 30m" in bursts[0] and "(urgent)" in bursts[0]


async def test_channels_hide_their_secrets_in_repr(session: aiohttp.ClientSession) -> None:
    channels: dict[str, Channel] = build_channels(
        {
            "desk": telegram("http://127.0.0.1:1"),
            "mail": email(25, username="u", password="hunter2-smtp"),
        },
        session,
    )
    text = repr(channels) + repr(outbox.Deliverer.__init__)
    assert BOT_TOKEN not in text and "hunter2-smtp" not in text
    assert "***" in repr(channels["desk"])


async def test_story_growing_while_its_message_is_in_flight_is_edited_after(
    store: Store, session: aiohttp.ClientSession
) -> None:
    r = rule(channels=["desk"])
    # The stand-in holds sendMessage for a second: room for the growth to commit meanwhile
    # on a loaded machine (0.3 s was sometimes too short under a parallel test run).
    async with telegram_standin(delay=1.0) as tg:
        deliverer = outbox.Deliverer(store, build_channels({"desk": telegram(tg.url)}, session))
        story = await matched_story(store, r, ["Kremlin"], time.time())
        draining = asyncio.create_task(deliverer.drain(20))
        await tg.called.wait()  # sendMessage is on its way, with the old outlet list
        await grow(store, story, ["TASS", "Reuters"], time.time())
        assert await draining
        assert len(tg.sent) == 1 and "TASS" not in tg.sent[0]["text"]
        assert len(tg.edits) == 1 and "also reported by: TASS, Reuters" in tg.edits[0]["text"]


async def test_alerts_of_a_channel_removed_from_the_config_are_kept_and_named(
    store: Store, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """A rule's channel taken out of the config: its alerts are neither lost nor silently
    stuck; the daemon's log and `monitor status` say they wait for that channel."""
    async with telegram_standin() as tg:
        channels = build_channels({"desk": telegram(tg.url)}, session)
        await matched_story(store, rule(channels=["desk", "mail"]), ["Kremlin"], time.time())
        with caplog.at_level("WARNING", logger="monitor.outbox"):
            assert await outbox.Deliverer(store, channels).drain(5)
        assert tg.calls == 1
    assert "1 alert(s) wait for channel 'mail', which is no longer in the config" in caplog.text
    status = await outbox.outbox_status(store.db, ["desk"])
    assert status["by_channel"] == {"desk": {"sent": 1}, "mail": {"pending": 1}}
    assert status["orphaned"] == {"mail": 1}
    assert "WARNING 1 alert(s) wait for channel 'mail'" in "\n".join(outbox.render_status(status))


async def test_a_deliverer_started_then_drained_at_once_delivers(
    store: Store, session: aiohttp.ClientSession
) -> None:
    """As `replay` does on a short recording: delivery started, then drained before its task
    has run a step. The drain uses the running delivery rather than failing beside it."""
    r = rule(channels=["desk"])
    async with telegram_standin() as tg:
        await matched_story(store, r, ["TASS"], time.time())
        deliverer = outbox.Deliverer(store, build_channels({"desk": telegram(tg.url)}, session))
        stop = asyncio.Event()
        task = deliverer.start(stop)  # what Engine.start_delivery does
        try:
            assert await deliverer.drain(10)
        finally:
            stop.set()
            await task
        assert len(tg.sent) == 1


@pytest.mark.parametrize("ended", ["cancelled", "stopped"])
async def test_a_delivery_ended_before_its_first_step_leaves_the_deliverer_usable(
    store: Store, session: aiohttp.ClientSession, ended: str
) -> None:
    """A delivery cancelled (or stopped) before its task ran a step, as the engine cancels
    one when its caller is cancelled (a cluster node losing the sender role just after gaining
    it): a drain then delivers at once, and the delivery can be started again."""
    r = rule(channels=["desk"])
    async with telegram_standin() as tg:
        await matched_story(store, r, ["TASS"], time.time())
        deliverer = outbox.Deliverer(store, build_channels({"desk": telegram(tg.url)}, session))
        stop = asyncio.Event()
        task = deliverer.start(stop)
        if ended == "cancelled":
            task.cancel()
        else:
            stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        started = time.monotonic()
        assert await deliverer.drain(10)
        assert time.monotonic() - started < 5  # not the drain's whole timeout
        assert len(tg.sent) == 1
        again = asyncio.Event()
        task = deliverer.start(again)  # not "already running"
        again.set()
        await task
