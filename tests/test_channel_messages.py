"""Each channel's message as the receiving end sees it, and secrets kept out of everything."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from standins import (
    BOT_TOKEN,
    free_port,
    smtp_standin,
    telegram_standin,
    tg_error,
    webhook_receiver,
)
from test_outbox_delivery import assert_telegram_html, channel_config, email, telegram

from monitor.channels import build_channel
from monitor.channels.console import ConsoleChannel
from monitor.channels.email import EmailChannel
from monitor.channels.telegram import TelegramChannel
from monitor.channels.webhook import SIGNATURE_HEADER, WebhookChannel
from monitor.errors import ChannelError
from monitor.models import Alert

PASSWORD = "correct-horse-battery-staple"


def alert(**extra: object) -> Alert:
    data: dict[str, object] = {
        "id": 7,
        "channel": "desk",
        "kind": "new",
        "title": "Putin invites Zelensky to Moscow for talks",
        "rule": "peace-talks",
        "severity": "high",
        "story_id": 3,
        "url": "https://en.kremlin.ru/events/president/news/77777?a=1&b=2",
        "outlets": ("Kremlin", "TASS", "Reuters", "AP", "AFP", "BBC"),
        "terms": ("Putin", "Zelensky", "negotiations"),
        "snippet": "Vladimir Putin said he was ready to meet Volodymyr Zelensky in Moscow.",
        "published": datetime(2025, 9, 5, 12, 0, tzinfo=UTC),
    }
    return Alert(**{**data, **extra})  # type: ignore[arg-type]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


HOSTILE = [
    ("long headline", {"title": "Putin & Zelensky <summit> " * 2000}),
    ("long snippet", {"snippet": "a < b && c > d; " * 5000}),
    ("entities everywhere", {"title": "&" * 5000, "snippet": "<b>" * 3000, "terms": ("&<>",)}),
    ("emoji (2 UTF-16 units each)", {"title": "🚨" * 3000, "snippet": "🇺🇦" * 3000}),
    ("many outlets", {"outlets": tuple(f"Outlet <{i}>" for i in range(500))}),
    ("a tag-like rule", {"rule": "</code><script>", "url": 'https://x.example/"><b>'}),
]


@pytest.mark.parametrize(("case", "fields"), HOSTILE, ids=[c for c, _ in HOSTILE])
async def test_telegram_text_is_valid_html_within_4096_whatever_the_feed_sent(
    session: aiohttp.ClientSession, case: str, fields: dict[str, object]
) -> None:
    async with telegram_standin() as tg:
        channel = build_channel("desk", telegram(tg.url), session)
        message_id = await channel.send(alert(**fields))
        assert message_id == "1"
        text = tg.sent[0]["text"]
        assert tg.sent[0]["parse_mode"] == "HTML"
        assert_telegram_html(text)
        assert len(text.encode("utf-16-le")) // 2 <= 4096


async def test_telegram_message_reads_well(session: aiohttp.ClientSession) -> None:
    async with telegram_standin() as tg:
        channel = build_channel("desk", telegram(tg.url), session)
        await channel.send(alert())
        text = tg.sent[0]["text"]
    assert "<b>Putin invites Zelensky to Moscow for talks</b>" in text
    assert "Kremlin — also reported by: TASS, Reuters, AP, +2" in text
    assert "Putin, Zelensky, negotiations" in text
    assert 'href="https://en.kremlin.ru/events/president/news/77777?a=1&amp;b=2"' in text


async def test_a_telegram_health_alert_links_the_feed_not_a_story(
    session: aiohttp.ClientSession,
) -> None:
    health = alert(kind="health", rule=None, title="Wire has failed for 6h", outlets=(),
                   terms=(), snippet="", url="https://wire.example/rss")  # fmt: skip
    async with telegram_standin() as tg:
        channel = build_channel("desk", telegram(tg.url), session)
        await channel.send(health)
        await channel.send(alert())
        health_text, story_text = (m["text"] for m in tg.sent)
    assert '<a href="https://wire.example/rss">Open the feed</a>' in health_text
    assert "Read the story" not in health_text and "Read the story" in story_text


async def test_telegram_edit_not_modified_is_success(session: aiohttp.ClientSession) -> None:
    async with telegram_standin() as tg:
        channel = build_channel("desk", telegram(tg.url), session)
        message_id = await channel.send(alert())
        assert message_id is not None
        await channel.edit(alert(), message_id)  # same text: Telegram says "not modified"
        await channel.edit(alert(outlets=("Kremlin", "TASS")), message_id)
        assert len(tg.edits) == 1


@pytest.mark.parametrize(
    ("reply", "permanent", "retry_after", "words"),
    [
        (tg_error(429, "Too Many Requests: retry after 7", retry_after=7), False, 7.0, "retry"),
        (tg_error(400, "Bad Request: chat not found"), True, None, "configuration problem"),
        (tg_error(403, "Forbidden: bot was blocked by the user"), True, None, "configuration"),
        (tg_error(400, "Bad Request: can't parse entities"), True, None, "parse entities"),
        (tg_error(502, "Bad Gateway"), False, None, "Bad Gateway"),
        ((400, {"ok": False, "error_code": 400, "description": "Bad Request: group chat was "
          "upgraded to a supergroup chat", "parameters": {"migrate_to_chat_id": -100999}}),
         True, None, "-100999"),
    ],
)  # fmt: skip
async def test_telegram_answers_become_clear_errors(
    session: aiohttp.ClientSession,
    reply: tuple[int, dict[str, object]],
    permanent: bool,
    retry_after: float | None,
    words: str,
) -> None:
    async with telegram_standin() as tg:
        tg.script = [reply]
        channel = build_channel("desk", telegram(tg.url), session)
        with pytest.raises(ChannelError) as info:
            await channel.send(alert())
    assert info.value.permanent is permanent
    assert info.value.retry_after == retry_after
    assert words in str(info.value)


async def test_wrong_token_is_a_configuration_error(session: aiohttp.ClientSession) -> None:
    async with telegram_standin(token="999:other") as tg:
        channel = build_channel("desk", telegram(tg.url), session)
        with pytest.raises(ChannelError) as info:
            await channel.send(alert())
    assert info.value.permanent and "bot token is wrong" in str(info.value)
    assert BOT_TOKEN not in str(info.value)


async def test_email_parses_with_both_parts_and_the_headline_in_the_subject(
    session: aiohttp.ClientSession,
) -> None:
    async with smtp_standin(username="alerts", password=PASSWORD) as smtp:
        config = email(smtp.port, username="alerts", password=PASSWORD)
        channel = build_channel("mail", config, session)
        assert isinstance(channel, EmailChannel)
        await channel.send(alert(title="Putin & Zelensky: <talks> in Moscow"))
    (msg,) = smtp.received
    assert msg.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in msg.iter_parts()]
    assert types == ["text/plain", "text/html"]
    assert msg["Subject"] == "[monitor] Putin & Zelensky: <talks> in Moscow"
    assert msg["Message-ID"].endswith("@example.org>") and msg["Date"]
    assert msg["From"] == "alerts@example.org" and msg["To"] == "desk@example.org"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Kremlin — also reported by: TASS, Reuters, AP, +2" in text
    assert "Putin &amp; Zelensky: &lt;talks&gt;" in html
    assert smtp.envelopes == [("alerts@example.org", ["desk@example.org"])]


async def test_smtp_login_refused_is_a_configuration_error(
    session: aiohttp.ClientSession,
) -> None:
    async with smtp_standin(username="alerts", password="something-else") as smtp:
        channel = build_channel("mail", email(smtp.port, username="alerts", password=PASSWORD),
                                session)  # fmt: skip
        with pytest.raises(ChannelError) as info:
            await channel.send(alert())
    assert info.value.permanent and "check username and password" in str(info.value)


async def test_webhook_posts_signed_json(session: aiohttp.ClientSession) -> None:
    async with webhook_receiver() as hook:
        config = channel_config(type="webhook", url=hook.url, secret="hook-secret")
        channel = build_channel("hook", config, session)
        assert isinstance(channel, WebhookChannel)
        await channel.send(alert())
    ((headers, body),) = hook.requests
    expected = "sha256=" + hmac.new(b"hook-secret", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    assert headers["X-Monitor-Alert-Id"] == "7"
    data = json.loads(body)
    assert data["alert"]["title"] == "Putin invites Zelensky to Moscow for talks"
    assert data["alert"]["outlets"][:2] == ["Kremlin", "TASS"]
    assert "s3cr3t-path" not in repr(channel)


async def test_webhook_statuses(session: aiohttp.ClientSession) -> None:
    async with webhook_receiver() as hook:
        hook.script = [503, 404]
        channel = build_channel("hook", channel_config(type="webhook", url=hook.url), session)
        with pytest.raises(ChannelError) as busy:
            await channel.send(alert())
        with pytest.raises(ChannelError) as gone:
            await channel.send(alert())
    assert not busy.value.permanent and busy.value.retry_after == 0
    assert gone.value.permanent and "HTTP 404" in str(gone.value)


async def test_webhook_message_ids_are_one_per_message_and_kept_on_a_retry(
    session: aiohttp.ClientSession,
) -> None:
    update = alert(kind="update", event_id=4, extra={"angles": "3", "new_angles": "A\nB"})
    async with webhook_receiver() as hook:
        hook.script = [503]
        channel = build_channel("hook", channel_config(type="webhook", url=hook.url), session)
        with pytest.raises(ChannelError):
            await channel.send(update)
        await channel.send(update)  # the retry
        await channel.send(alert(kind="update", event_id=4, extra={"angles": "5"}))
    (refused, _), *_ = hook.refused
    (retried, _), (later, _) = hook.requests
    assert refused["X-Monitor-Alert-Id"] == retried["X-Monitor-Alert-Id"]
    # The next update of the same alert is another message: a receiver must not drop it.
    assert later["X-Monitor-Alert-Id"] != retried["X-Monitor-Alert-Id"]


async def test_console_prints_a_readable_block(
    session: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    channel = build_channel("screen", channel_config(type="console"), session)
    assert isinstance(channel, ConsoleChannel)
    await channel.send(alert())
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("● NEW STORY") and "peace-talks" in lines[0]
    assert lines[1].strip() == "Putin invites Zelensky to Moscow for talks"
    assert "Kremlin — also reported by: TASS, Reuters, AP, +2 (6 in all)" in out
    assert "matched: Putin, Zelensky, negotiations" in out
    assert "https://en.kremlin.ru/events/president/news/77777?a=1&b=2" in out
    # One message for two rules names both, as the other channels do ("Rules: a, b").
    await channel.send(alert(extra={"rules": "peace-talks, summit"}))
    assert "[peace-talks, summit · high · screen]" in capsys.readouterr().out


async def test_secrets_appear_in_no_log_error_or_repr_even_on_network_errors(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """The token is in every Bot API URL; aiohttp errors carry the URL. None of it leaks."""
    from monitor import outbox
    from monitor.store import Store

    caplog.set_level(logging.DEBUG)
    down = free_port()
    broken = {
        "desk": telegram(f"http://127.0.0.1:{down}"),
        "slow": telegram("http://10.255.255.1:9", timeout="50ms"),  # unroutable: times out
        # (an api_base that is not even a valid URL is now refused by the config)
        "v6": telegram("http://[::1]:1", retry_initial="100ms"),  # nothing listens
        "mail": email(down, username="alerts", password=PASSWORD),
    }
    errors: list[str] = []
    for name, config in broken.items():
        channel = build_channel(name, config, session)
        errors.append(repr(channel))
        with pytest.raises(ChannelError) as info:
            await channel.send(alert(channel=name))
        errors += [str(info.value), repr(info.value), str(info.value.__cause__),
                   str(info.value.__context__)]  # fmt: skip
    # And through the outbox, whose log lines carry the errors.
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "m.db")
        try:
            async with store.transaction() as db:
                for name in broken:
                    await outbox.enqueue(db, kind="test", channel=name, alert=alert(story_id=None),
                                         dedup_key="t", now=0)  # fmt: skip
            channels = {n: build_channel(n, c, session) for n, c in broken.items()}
            await outbox.Deliverer(store, channels).drain(0.5)
            status = json.dumps(await outbox.outbox_status(store.db))
        finally:
            await store.close()
    everything = (
        "\n".join(errors)
        + status
        + "\n".join(r.getMessage() + str(r.exc_info) + str(r.args) for r in caplog.records)
    )
    assert "not delivered" in everything  # the outbox did log the failures
    assert BOT_TOKEN not in everything
    assert BOT_TOKEN.split(":")[1] not in everything
    assert PASSWORD not in everything


async def test_telegram_repr_hides_token(session: aiohttp.ClientSession) -> None:
    channel = build_channel("desk", telegram("http://127.0.0.1:1"), session)
    assert isinstance(channel, TelegramChannel)
    assert BOT_TOKEN not in repr(channel) and BOT_TOKEN not in str(vars(channel).get("config"))


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_email_over_starttls_and_implicit_tls(
    security: str, session: aiohttp.ClientSession, tmp_path: Any
) -> None:
    import ssl

    import trustme
    from aiosmtpd.smtp import SMTP
    from standins import SMTPStandIn

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    handler = SMTPStandIn()
    loop = asyncio.get_running_loop()
    if security == "starttls":  # plain connection, then STARTTLS (RFC 3207)
        factory = lambda: SMTP(handler, tls_context=server_ctx, require_starttls=True)  # noqa: E731
        server = await loop.create_server(factory, "127.0.0.1", 0)
    else:  # TLS from the first byte (RFC 8314)
        server = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:

        def tls_email(**extra: Any) -> Any:
            return channel_config(
                type="email", host="127.0.0.1", port=port, security=security,
                sender="alerts@example.org", recipients=["desk@example.org"],
                retry_initial="1s", **extra,
            )  # fmt: skip

        channel = build_channel("mail", tls_email(ca_file=str(ca_file)), session)
        await channel.send(alert(title="Summit in Geneva"))
        # Without the private CA the certificate is refused, clearly and without a retry storm.
        untrusted = build_channel("mail", tls_email(), session)
        with pytest.raises(ChannelError) as info:
            await untrusted.send(alert(title="Summit in Geneva"))
        assert "127.0.0.1" in str(info.value)
    finally:
        server.close()
        await server.wait_closed()
    (msg,) = handler.received
    assert "Summit in Geneva" in msg["Subject"]
