"""`monitor copy-store`: a SQLite store into PostgreSQL and back, and what the user sees of it
(`status`, `stories`, `events --json`) is the same on all three; the copy goes on working
(new ids follow the copied ones); a non-empty target is refused in one line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from clirun import HEADLINES, PASSWORD, monitor_cli, pipeline_config, with_password
from feedserver import FeedServer, rss
from standins import telegram_standin, webhook_receiver

from monitor.cli import main

VIEWS = [("status", "--json"), ("stories", "--json"), ("events", "--json")]


def _publish(feed_server: FeedServer, count: int, extra: int = 0) -> None:
    for i in range(6):
        items = [
            (f"Other news {i} {n}", f"http://outlet{i}.example/o{n}") for n in range(extra + 1)
        ]
        if i < count:
            items.insert(0, (HEADLINES[i % 3] + f" - Outlet {i}", f"http://o{i}.example/rail"))
        feed_server.feed(f"/o{i}", rss(f"Outlet {i}", items))


async def _views(config: Path, capsys: pytest.CaptureFixture[str]) -> list[object]:
    """What the read-only commands show: the command line's own code, in this process (a
    process each only added its start-up, a dozen times over; copy-store runs as a process)."""
    out = []
    for args in VIEWS:
        code = await asyncio.to_thread(main, [*args, "-c", str(config)])
        text, err = capsys.readouterr()
        assert code == 0, (args, err)
        out.append(json.loads(text))
    return out


async def test_sqlite_to_postgresql_and_back_shows_the_same_and_goes_on(
    feed_server: FeedServer,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PGPW", PASSWORD)  # the views' config takes it, as monitor_cli's do
    _publish(feed_server, 4)
    urls = [feed_server.url(f"/o{i}") for i in range(6)]
    async with telegram_standin() as tg, webhook_receiver() as hook:

        def config_for(name: str, database: str) -> Path:
            path = tmp_path / f"{name}.toml"
            path.write_text(pipeline_config(database, urls, tg.url, hook.url), "utf-8")
            return path

        first = config_for("first", str(tmp_path / "first.db"))
        code, _, err = await monitor_cli("once", config=first)
        assert code == 0, err
        assert len(tg.sent) == 1
        server = config_for("server", with_password(pg_url))
        back = config_for("back", str(tmp_path / "back.db"))

        # "config": the config's own database (first.db here).
        code, out, err = await monitor_cli("copy-store", "config", pg_url, config=first)
        assert code == 0, err
        assert "rows" in out and "stories" in out
        code, out, err = await monitor_cli(
            "copy-store", pg_url, str(tmp_path / "back.db"), config=first
        )
        assert code == 0, err

        seen = await _views(first, capsys)
        on_server = await _views(server, capsys)
        on_back = await _views(back, capsys)
        assert on_server == seen
        assert on_back == seen

        # Refused: the target holds a store already; nothing in it changes.
        code, _, err = await monitor_cli(
            "copy-store", str(tmp_path / "first.db"), pg_url, config=first
        )
        assert code == 1 and len(err.strip().splitlines()) == 1, err
        assert "not empty" in err
        assert await _views(server, capsys) == seen

        # The copy goes on where the original stopped: the story grows (an edit, no second
        # message) and new stories take ids after the copied ones.
        _publish(feed_server, 6, extra=1)
        code, _, err = await monitor_cli("once", config=server)
        assert code == 0, err
        assert len(tg.sent) == 1 and tg.edits
        stories = json.loads((await monitor_cli("stories", "--json", config=server))[1])["stories"]
        old_ids = {s["id"] for s in seen[1]["stories"]}  # type: ignore[index]
        new_ids = {s["id"] for s in stories} - old_ids
        assert new_ids and min(new_ids) > max(old_ids)
        rail = [s for s in stories if "summit" in s["title"]]
        assert len(rail) == 1 and len(rail[0]["items"]) == 6
        assert hook.payloads()


async def test_copy_store_from_a_missing_file_says_so(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", "utf-8")
    code, _, err = await monitor_cli(
        "copy-store", str(tmp_path / "nope.db"), str(tmp_path / "to.db"), config=config
    )
    assert code == 1 and err.strip() == f"monitor: store: no database at {tmp_path / 'nope.db'}"
    assert not (tmp_path / "to.db").exists()
