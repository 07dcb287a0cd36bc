"""What readers see carries no secret and no control character (issue 13, part 5).

A feed URL with ``?api_key=${FEED_KEY}`` fails long enough to raise a health alert, and a
second feed under the same key (its items' links echo the key, as proxies do) raises a story
alert: neither the key nor its value reaches a Telegram text or link, a webhook's JSON, an
email, the console, ``monitor status`` or ``monitor stories``, JSON or not. A feed whose
titles hold ESC, BEL and NUL: none reaches a log line, the console, a Telegram text or an
email header. Everything runs over real local servers, the commands as subprocesses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from standins import (
    BOT_TOKEN,
    CHAT_ID,
    SMTPStandIn,
    TelegramStandIn,
    WebhookReceiver,
    serve_app,
    smtp_standin,
    telegram_standin,
    webhook_receiver,
)

from monitor import config as config_module
from monitor.feedhealth import check_feeds
from monitor.log import JsonFormatter, PlainFormatter
from monitor.store import Store
from monitor.store import feeds as feed_store

FEED_KEY = "k3y-0f-the-f33d-5e1f0a"
CONTROLS = ("\x1b", "\x07", "\x00", "\x9b")


def rss(items: list[tuple[str, str]], title: str | None = None) -> bytes:
    head = f"<title>{title}</title>" if title else ""  # no title: the feed is named by its URL
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid></item>"
        for t, link in items
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel>{head}{entries}</channel></rss>".encode()
    )


@dataclass
class Readers:
    """Every place an alert is read: the stand-ins, and the console of the last command."""

    tg: TelegramStandIn
    smtp: SMTPStandIn
    hook: WebhookReceiver
    feeds: str

    def received(self) -> list[str]:
        """All text the network channels got: Telegram texts, webhook bodies, whole mails."""
        out = [json.dumps(m, ensure_ascii=False) for m in self.tg.sent]
        out += [body.decode() for _, body in self.hook.requests]
        out += [m.as_string() for m in self.smtp.received]
        return out


@asynccontextmanager
async def readers(routes: dict[str, bytes | int]) -> AsyncIterator[Readers]:
    """The feed server (a path answers its body, or that HTTP status) and the channels."""

    async def serve(request: web.Request) -> web.Response:
        answer = routes.get(request.path, 404)
        if isinstance(answer, int):
            return web.Response(status=answer)
        return web.Response(body=answer, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/{path:.*}", serve)
    async with (
        serve_app(app) as feeds,
        telegram_standin() as tg,
        smtp_standin() as smtp,
        webhook_receiver() as hook,
    ):
        yield Readers(tg, smtp, hook, feeds)


def write_config(tmp_path: Path, r: Readers, feeds: list[str]) -> Path:
    channels = '["desk", "mail", "hook", "screen"]'
    text = f"""
[monitor]
database = "{tmp_path}/monitor.db"
jitter = "0"
health_channels = {channels}

[fetch]
timeout = "5s"

{"".join(f'[[feeds]]{chr(10)}url = "{url}"{chr(10)}' for url in feeds)}

[[rules]]
name = "talks"
query = "summit"
channels = {channels}

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{r.tg.url}"
rate_limit = "off"

[channels.mail]
type = "email"
host = "127.0.0.1"
port = {r.smtp.port}
security = "none"
sender = "alerts@example.org"
recipients = ["desk@example.org"]

[channels.hook]
type = "webhook"
url = "{r.hook.url}"

[channels.screen]
type = "console"
"""
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def monitor(*args: str) -> tuple[int, str, str]:
    """``python -m monitor ARGS`` with FEED_KEY in its environment: code, stdout, stderr."""
    import os

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "FEED_KEY": FEED_KEY},
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def raise_health_alerts(config_path: Path, health_after: float) -> None:
    """What the daemon's health check does, against the store ``monitor once`` left."""
    config = config_module.load(config_path, {"FEED_KEY": FEED_KEY})
    store = await Store.open(config.database_path)
    try:
        states = await feed_store.all_feeds(store.db)
        await check_feeds(
            store, states, {s.url: s.url for s in states},
            channels=config.monitor.health_channels, now=time.time(), health_after=health_after,
        )  # fmt: skip
    finally:
        await store.close()


async def test_a_key_in_a_feed_url_reaches_no_reader(tmp_path: Path) -> None:
    routes: dict[str, bytes | int] = {"/broken.xml": 500}  # whatever the query
    async with readers(routes) as r:
        link = f"{r.feeds}/news/1?api_key={FEED_KEY}"
        routes["/keyed.xml"] = rss([("Leaders agree to a summit in Geneva", link)])
        feeds = [f"{r.feeds}/{name}.xml?api_key=${{FEED_KEY}}" for name in ("broken", "keyed")]
        path = write_config(tmp_path, r, feeds)
        code, story_console, story_log = await monitor("once", "-c", str(path))
        assert code == 0, story_log
        await asyncio.sleep(0.3)
        await raise_health_alerts(path, health_after=0.2)
        code, health_console, health_log = await monitor("once", "-c", str(path))
        assert code == 0, health_log
        texts = r.received()
        kinds = [json.loads(body)["alert"]["kind"] for _, body in r.hook.requests]
        assert sorted(kinds) == ["health", "new"]  # both alerts reached every channel
        assert len(r.tg.sent) == 2 and len(r.smtp.received) == 2
        since = ("test-rules", "--since", "1h", "-c", str(path))
        # The commands that read the store, at once (each a process of its own).
        status_json, status_text, stories_json, stories_text, rules_json, rules_text = [
            out
            for _, out, _ in await asyncio.gather(
                monitor("status", "--json", "-c", str(path)),
                monitor("status", "-c", str(path)),
                monitor("stories", "--json", "-c", str(path)),
                monitor("stories", "-c", str(path)),
                monitor(*since, "--json"),
                monitor(*since),
            )
        ]
    seen = {
        "telegram, webhook, email": "\n".join(texts),
        "console": story_console + health_console,
        "logs": story_log + health_log,
        "status --json": status_json,
        "status": status_text,
        "stories --json": stories_json,
        "stories": stories_text,
        "test-rules --since --json": rules_json,
        "test-rules --since": rules_text,
    }
    for where, text in seen.items():
        assert FEED_KEY not in text, where
    # Still useful: the feed is named, the key's place is shown masked.
    assert "broken.xml?api_key=***" in seen["status --json"]
    assert "keyed.xml?api_key=***" in seen["stories"]
    assert "keyed.xml?api_key=***" in seen["test-rules --since"]
    assert "news/1?api_key=***" in seen["test-rules --since --json"]
    assert "api_key=***" in seen["telegram, webhook, email"]
    assert "Leaders agree to a summit in Geneva" in seen["console"]


TITLE = "Leaders \x1b[2J\x1b[31magree\x07 to a\x00 summit \x9b5m in Geneva"


async def test_control_characters_in_titles_reach_no_reader(tmp_path: Path) -> None:
    escaped = TITLE.replace("\x00", "&#0;")  # a NUL written as a reference, the others raw
    body = rss([(escaped, "http://127.0.0.1:1/news/1")], title="Wire \x1b]0;owned\x07 service")
    async with readers({"/wire.xml": body}) as r:
        path = write_config(tmp_path, r, [f"{r.feeds}/wire.xml"])
        code, console, logs = await monitor("once", "-c", str(path))
        assert code == 0, logs
        stories = (await monitor("stories", "-c", str(path)))[1]
        status = (await monitor("status", "--json", "-c", str(path)))[1]
        texts = [m["text"] for m in r.tg.sent]
        subjects = [str(m["Subject"]) for m in r.smtp.received]
        headers = [str(v) for m in r.smtp.received for v in m.values()]
    assert len(texts) == 1 and len(subjects) == 1
    assert "agree to a summit" in subjects[0] and "in Geneva" in texts[0]
    assert "delivered alert" in logs  # the title was logged, as text
    for where, text in {
        "console": console, "logs": logs, "telegram": "\n".join(texts),
        "email headers": "\n".join(headers), "stories": stories, "status": status,
    }.items():  # fmt: skip
        assert not any(c in text for c in CONTROLS), (where, text)


@pytest.mark.parametrize("formatter", [PlainFormatter(), JsonFormatter()])
@pytest.mark.parametrize("where", ["message", "argument", "extra"])
def test_a_log_line_carries_no_terminal_control(formatter: logging.Formatter, where: str) -> None:
    hostile = "title\x1b[2J\x07\x00\x9b\nforged 2026-01-01 ERROR line"
    record = logging.LogRecord(
        "monitor.pipeline", logging.INFO, __file__, 1,
        hostile if where == "message" else "new item %s", (hostile,) if where == "argument" else None,
        None,
    )  # fmt: skip
    if where == "extra":
        record.feed = hostile
    line = formatter.format(record)
    assert not any(c in line for c in (*CONTROLS, "\n")), line
    assert "title" in line and "forged" in line  # escaped, not dropped
