"""`monitor once` on a PostgreSQL database, end to end: local feeds -> stories -> events ->
rules -> alerts -> a Telegram stand-in and a webhook; then the commands that read the store.
The URL's password comes from the environment and is never shown."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from clirun import HEADLINES, PASSWORD, monitor_cli, pipeline_config, start_node, with_password
from feedserver import FeedServer, rss
from standins import telegram_standin, webhook_receiver

from monitor.cli import main

VIEWS = [("stories", "--json"), ("events", "--json")]
STATUS = [("status", "--json")]


async def _views(
    config: Path, capsys: pytest.CaptureFixture[str], views: list[tuple[str, ...]] = VIEWS
) -> list[Any]:
    """What the read-only commands show: the command line's own code, in this process (a
    process each only added its start-up)."""
    out = []
    for args in views:
        code = await asyncio.to_thread(main, [*args, "-c", str(config)])
        text, err = capsys.readouterr()
        assert code == 0, (args, err)
        assert PASSWORD not in text + err
        out.append(json.loads(text))
    return out


async def test_monitor_once_alerts_once_then_edits_on_either_backend(
    feed_server: FeedServer,
    database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def publish(count: int) -> None:
        for i in range(8):
            items = [(f"Other news {i}", f"http://outlet{i}.example/other")]
            if i < count:
                items.insert(0, (HEADLINES[i % 3] + f" - Outlet {i}", f"http://o{i}.example/rail"))
            feed_server.feed(f"/o{i}", rss(f"Outlet {i}", items))

    publish(3)
    urls = [feed_server.url(f"/o{i}") for i in range(8)]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = tmp_path / "config.toml"
        if database.startswith("postgresql://"):
            database = with_password(database)
        config.write_text(pipeline_config(database, urls, tg.url, hook.url), "utf-8")

        code, _, err = await monitor_cli("once", config=config)
        assert code == 0, err
        assert len(tg.sent) == 1 and "Márquez" in tg.sent[0]["text"]
        assert [p["alert"]["kind"] for p in hook.payloads()] == ["new"]

        publish(8)  # five more outlets carry it
        code, _, err = await monitor_cli("once", config=config)
        assert code == 0, err
        assert len(tg.sent) == 1, "a second message for the same story"
        assert tg.edits, "the Telegram message was not edited as the story grew"
        assert "new" not in [p["alert"]["kind"] for p in hook.payloads()[1:]]

        # The commands that read the store: their own code, in this process.
        monkeypatch.setenv("PGPW", PASSWORD)
        read = await _views(config, capsys, [*VIEWS, *STATUS])  # and no password in any
        stories = read[0]["stories"]
        rail = [s for s in stories if "summit" in s["title"]]
        assert len(rail) == 1 and len(rail[0]["items"]) == 8
        assert any(rail[0]["id"] in [s["id"] for s in e["stories"]] for e in read[1]["events"])
        assert read[2]["counts"]["stories"] == len(stories)


async def test_an_unreachable_server_is_one_line_without_the_password(
    tmp_path: Path, pg_url: str
) -> None:
    closed = pg_url.rsplit(":", 1)[0] + ":1/monitor"  # port 1: nobody listens
    config = tmp_path / "config.toml"
    config.write_text(f'[monitor]\nmax_age = "36500d"\nretention = "36500d"\ndatabase = "{with_password(closed)}"\n', "utf-8")
    for command in ("once", "status"):
        code, out, err = await monitor_cli(command, config=config)
        assert code == 1, (command, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "cannot open the database postgresql://" in lines[0], err
        assert PASSWORD not in err + out


async def test_monitor_run_on_postgresql_alerts_and_stops_on_sigterm(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    feed_server.feed("/o0", rss("Outlet 0", [(HEADLINES[0], "http://o0.example/rail")]))
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = tmp_path / "config.toml"
        text = pipeline_config(with_password(pg_url), [feed_server.url("/o0")], tg.url, hook.url)
        config.write_text(text, "utf-8")
        proc = await start_node(config)
        try:
            for _ in range(600):
                if tg.sent and hook.payloads():
                    break
                await asyncio.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert len(tg.sent) == 1 and [p["alert"]["kind"] for p in hook.payloads()] == ["new"]
        assert proc.returncode == 0, err.decode()
        assert PASSWORD not in err.decode()
        assert " ERROR " not in err.decode() and "Traceback" not in err.decode(), err.decode()


async def test_a_dry_run_on_postgresql_prints_and_leaves_the_store_as_it_was(
    feed_server: FeedServer,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PGPW", PASSWORD)  # for the views in this process, as monitor_cli's
    feed_server.feed("/o0", rss("Outlet 0", [(HEADLINES[0], "http://o0.example/rail")]))
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = tmp_path / "config.toml"
        text = pipeline_config(with_password(pg_url), [feed_server.url("/o0")], tg.url, hook.url)
        config.write_text(text, "utf-8")
        code, _, err = await monitor_cli("status", "--json", config=config)
        assert code == 1 and "predates this version" in err  # not made yet
        code, _, err = await monitor_cli("once", config=config)  # made, and the feed's first poll
        assert code == 0, err
        before = await _views(config, capsys)
        feed_server.feed("/o0", rss("Outlet 0", [(HEADLINES[1], "http://o1.example/rail2"),
                                                (HEADLINES[0], "http://o0.example/rail")]))  # fmt: skip
        sent = len(tg.sent)
        started = time.monotonic()
        code, out, err = await monitor_cli("once", "--dry-run", config=config)
        assert code == 0, err
        # The update of the grown story goes now, not after the console's update_delay (60 s).
        assert time.monotonic() - started < 30
        assert "Márquez" in out  # the alert of the new item, on stdout
        assert len(tg.sent) == sent
        assert await _views(config, capsys) == before
