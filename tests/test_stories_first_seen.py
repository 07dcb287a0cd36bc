"""``stories --json`` and ``events --json`` mean the same by ``first_seen`` and ``last_seen``:
when the monitor first and last saw the news; a story's publication time is ``published``. Both list newest first by
the time they show."""

from __future__ import annotations

import asyncio
import email.utils
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from feedserver import FeedServer

from monitor.cli import main


async def test_first_seen_is_when_seen_and_published_is_the_feeds_date(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = datetime.now(UTC).replace(microsecond=0)
    published = started - timedelta(hours=3)
    feed_server.feed(
        "/rss",
        (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
            "<item><title>Harbour bridge reopens after repairs</title>"
            "<link>http://x.test/1</link><guid>http://x.test/1</guid>"
            f"<pubDate>{email.utils.format_datetime(published)}</pubDate></item>"
            "</channel></rss>"
        ).encode(),
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{tmp_path}/m.db"\n[[feeds]]\nurl = "{feed_server.url("/rss")}"\n',
        encoding="utf-8",
    )
    assert await asyncio.to_thread(main, ["once", "-c", str(config)]) == 0
    capsys.readouterr()
    seen = {}
    for command in ("stories", "events"):
        assert await asyncio.to_thread(main, [command, "--json", "-c", str(config)]) == 0
        (listed,) = json.loads(capsys.readouterr().out)[command]
        seen[command] = datetime.fromisoformat(listed["first_seen"])
        assert listed["published"] == published.isoformat()
    assert seen["stories"] >= started and seen["events"] >= started, seen


async def test_last_seen_is_never_before_first_seen(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # explore9 (8/24): over four polls, an event's last_seen (the latest publication date of
    # its items) came before its first_seen (when the monitor first saw one of them).
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{tmp_path}/m.db"\n[[feeds]]\nurl = "{feed_server.url("/a")}"\n'
        '[[rules]]\nname = "peace"\nquery = "(Putin OR Zelensky) AND (talks OR meeting)"\n',
        encoding="utf-8",
    )
    heads = [
        (
            "Putin invites Zelensky to Moscow for talks",
            "Vladimir Putin said Volodymyr Zelensky could come to Moscow for talks, the Kremlin"
            " said.",
        ),
        (
            "Peskov: Kyiv must recognise new borders before any Putin-Zelensky meeting",
            "Kremlin spokesman Dmitry Peskov said a Putin-Zelensky meeting needs preparation.",
        ),
        ("Zelensky says he will not go to Moscow for talks with Putin", "Zelensky answered."),
        (
            "Sibiga: Moscow meeting with Putin knowingly unacceptable, talks elsewhere",
            "Sibiga said.",
        ),
    ]
    items = ""
    for n, (head, summary) in enumerate(heads):
        # Published an hour before it is seen, as a real feed's items are (a wait of a second
        # here did the same, four times over).
        published = email.utils.format_datetime(datetime.now(UTC) - timedelta(hours=1))
        items = (
            f"<item><title>{head}</title><link>http://a.test/{n}</link><guid>g{n}</guid>"
            f"<description>{summary}</description><pubDate>{published}</pubDate></item>{items}"
        )
        feed_server.feed(
            "/a",
            (
                "<?xml version='1.0'?><rss version='2.0'><channel><title>W</title>"
                f"<link>http://a.test/</link><description>d</description>{items}</channel></rss>"
            ).encode(),
        )
        assert await asyncio.to_thread(main, ["once", "-c", str(config)]) == 0
    capsys.readouterr()
    for command in ("stories", "events"):
        assert await asyncio.to_thread(main, [command, "--json", "-c", str(config)]) == 0
        for listed in json.loads(capsys.readouterr().out)[command]:
            first = datetime.fromisoformat(listed["first_seen"])
            assert datetime.fromisoformat(listed["last_seen"]) >= first, (command, listed)


def _rss(title: str, link: str, published: datetime) -> bytes:
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>W</title>"
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{email.utils.format_datetime(published)}</pubDate></item></channel></rss>"
    ).encode()


async def test_newest_first_by_the_time_shown(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A late publisher: seen second, but dated 30 h ago. Listed first, as its first_seen says.
    now = datetime.now(UTC).replace(microsecond=0)
    feed_server.feed(
        "/a",
        _rss("Harbour bridge reopens after repairs", "http://a.test/1", now - timedelta(hours=1)),
    )
    feed_server.feed(
        "/b", b"<?xml version='1.0'?><rss version='2.0'><channel><title>B</title></channel></rss>"
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{tmp_path}/m.db"\n[[feeds]]\nurl = "{feed_server.url("/a")}"\n'
        f'[[feeds]]\nurl = "{feed_server.url("/b")}"\n',
        encoding="utf-8",
    )
    assert await asyncio.to_thread(main, ["once", "-c", str(config)]) == 0
    await asyncio.sleep(1.1)  # the times shown are to the second
    late = "Volcano erupts on remote island, flights halted"
    feed_server.feed("/b", _rss(late, "http://b.test/1", now - timedelta(hours=30)))
    assert await asyncio.to_thread(main, ["once", "-c", str(config)]) == 0
    capsys.readouterr()
    for command in ("stories", "events"):
        assert await asyncio.to_thread(main, [command, "--json", "-c", str(config)]) == 0
        listed = json.loads(capsys.readouterr().out)[command]
        assert listed[0]["title"] == late, (command, listed)
        shown = [row["first_seen"] for row in listed]
        assert len(shown) == 2 and shown == sorted(shown, reverse=True), (command, shown)
