"""End to end through the real pipeline: 40 outlets carry one story under edited headlines,
a rule matches it, and the user gets one Telegram message and one email, then the Telegram
message is edited in place as more outlets arrive; a second poll sends nothing."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from feedserver import FeedServer, rss
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, smtp_standin, telegram_standin

from monitor.engine import Engine
from monitor.oneshot import poll_all

CORE = [
    "Mayor Elena Márquez calls emergency summit over rail strike",
    "Harbour City mayor Elena Márquez calls emergency summit on rail strike",
    "Rail strike: Mayor Elena Márquez calls summit with unions",
    "Elena Márquez calls emergency summit as rail strike halts trains",
]


def headline(i: int) -> str:
    core = CORE[i % len(CORE)]
    return [
        f"{core} - Outlet {i}",
        f"UPDATE {i % 3 + 1}-{core}",
        f"{core} | Outlet {i}",
        f"EXCLUSIVE: {core}",
    ][(i // len(CORE)) % 4]


def channels_toml(tg_url: str, smtp_port: int) -> str:
    return f"""
[[entities]]
name = "Elena Márquez"
aliases = ["Elena Marquez"]

[[rules]]
name = "rail-talks"
query = '@"Elena Márquez" AND (summit OR talks)'
channels = ["desk", "mail"]
severity = "high"

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg_url}"
rate_limit = "off"
update_delay = "0s"

[channels.mail]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "monitor@example.org"
recipients = ["desk@example.org"]
"""


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


async def test_forty_outlets_one_message_one_email_then_edits(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    def publish(count: int) -> None:
        for i in range(40):
            items = [(f"Other news {i}", f"http://outlet{i}.example/other")]
            if i < count:
                items.insert(0, (headline(i), f"http://outlet{i}.example/rail-summit"))
            feed_server.feed(f"/o{i}", rss(f"Outlet {i}", items))

    publish(10)
    urls = [feed_server.url(f"/o{i}") for i in range(40)]
    async with telegram_standin() as tg, smtp_standin() as smtp:
        config = make_config(tmp_path, urls, extra=channels_toml(tg.url, smtp.port))
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            assert len(tg.sent) == 1, [m["text"][:80] for m in tg.sent]
            assert len(smtp.received) == 1
            first = tg.sent[0]["text"]
            assert len(first) <= 4096 and "Márquez" in first
            parser = _Tags()
            parser.feed(first)
            assert set(parser.tags) <= {"b", "i", "a", "code", "pre", "u", "s", "blockquote"}
            mail = smtp.received[0]
            assert "summit" in mail["Subject"].lower()
            assert {p.get_content_type() for p in mail.iter_parts()} == {"text/plain", "text/html"}

            publish(40)  # thirty more outlets carry it
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            assert len(tg.sent) == 1 and len(smtp.received) == 1
            assert tg.edits, "the Telegram message was not updated in place"
            final = tg.messages[int(tg.edits[-1]["message_id"])]
            assert "also reported by" in final.lower()
            assert "+" in final  # "TASS, Reuters, +N": the outlet list is summarised

            calls = tg.calls
            await poll_all(engine.rt, progress=False)  # nothing new anywhere
            await engine.drain(5)
            assert tg.calls == calls and len(smtp.received) == 1
        finally:
            await engine.close()


async def test_a_poll_rolled_back_after_assigning_stories_does_not_poison_the_window(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """The store refuses the poll's match row (a trigger stands in for a disk error), so the
    whole poll rolls back after stories were assigned in memory; the next poll must work."""
    feed_server.feed("/o0", rss("Outlet 0", [(headline(0), "http://outlet0.example/rail")]))
    async with telegram_standin() as tg, smtp_standin() as smtp:
        config = make_config(
            tmp_path, [feed_server.url("/o0")], extra=channels_toml(tg.url, smtp.port)
        )
        engine = await Engine.open(config)
        try:
            db = engine.store.db.raw
            await db.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON matches BEGIN"
                " SELECT RAISE(ABORT, 'disk trouble'); END"
            )
            (failed,) = await poll_all(engine.rt, progress=False)
            assert failed.result == "error" and "disk trouble" in (failed.error or "")
            await db.execute("DROP TRIGGER refuse")
            (ok,) = await poll_all(engine.rt, progress=False)
            assert ok.result == "new" and ok.new_items == 1, ok.error
            async with db.execute("SELECT COUNT(*) FROM stories") as cur:
                assert (await cur.fetchone())[0] == 1
            assert await engine.drain(10)
            assert len(tg.sent) == 1
        finally:
            await engine.close()
