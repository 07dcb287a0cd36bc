"""Through the real pipeline (local feeds, the Telegram stand-in, SQLite): a war desk's
feeds on a busy day (Putin, Zelensky, Moscow each in six open events; 200 other stories
carried by three outlets). Reuters: "Putin invites Zelensky to Moscow for talks" -> one
"new" alert on the rule "Putin AND Zelensky". Ten minutes later AP's edited headline of the
same statement, "Putin says door open for Zelensky visit": on 4efaa5d it is a new event and
a SECOND "new" message; on 4efaa5d^1 it joins the invitation event (no new message)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from conftest import shared
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin
from test_events_common_coverage import DAY, INVITE  # the same busy day, end to end

from monitor.engine import Engine
from monitor.oneshot import poll_all

EDITED = "Putin says door open for Zelensky visit"


def rss(name: str, items: list[tuple[str, str, float]]) -> bytes:
    now = datetime.now(UTC)
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>http://{name}.example/{i}</link>"
        f"<description>{escape(s)}</description>"
        f"<pubDate>{format_datetime(now - timedelta(hours=ago, minutes=i))}</pubDate></item>"
        for i, (t, s, ago) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}'
        f"</title><link>http://{name}.example/</link>{entries}</channel></rss>"
    ).encode()


async def test_an_edited_headline_of_the_invitation_adds_no_message(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        other = [r[1] for r in list(csv.reader(f))[1:201]]
    for name in ("bg1", "bg2", "bg3"):
        feed_server.feed(f"/{name}", rss(name, [(t, "", 11.0) for t in other]))
    feed_server.feed("/day", rss("day", [(t, "", 10.0 - 0.66 * i) for i, t in enumerate(DAY)]))
    feed_server.feed("/a", rss("reuters", [(*INVITE, 0.2)]))
    feed_server.feed("/b", rss("ap", []))
    async with telegram_standin() as tg:
        extra = f"""
[[rules]]
name = "putin-zelensky"
query = "Putin AND Zelensky"
channels = ["desk"]

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg.url}"
rate_limit = "off"
update_delay = "0s"
"""
        urls = [feed_server.url(p) for p in ["/bg1", "/bg2", "/bg3", "/day", "/a", "/b"]]
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            before = [str(m["text"]) for m in tg.sent]
            assert sum(INVITE[0] in t for t in before) == 1, before
            feed_server.feed("/b", rss("ap", [(EDITED, "", 0.0)]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            after = [str(m["text"]) for m in tg.sent]
            assert after == before, after[len(before) :]
        finally:
            await engine.close()
