"""One process owns a database for writing: a second `run`, `once`, `replay --deliver` or
`test-alert` beside a running daemon is refused with one line naming the database and the
holder's pid, and no alert goes out twice; read-only commands still work beside it."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from collections import Counter
from pathlib import Path

import pytest
from feedserver import FeedServer, rss
from headlines import HEADLINES
from standins import BOT_TOKEN, CHAT_ID, TelegramStandIn, telegram_standin

from monitor.store.migrations import MIGRATIONS

pytestmark = pytest.mark.timeout(180)


def _config(tmp_path: Path, feed_url: str, api_base: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
[monitor]
max_age = "36500d"
retention = "36500d"
database = "{tmp_path / "monitor.db"}"
interval = "1h"
jitter = 0.0

[[feeds]]
url = "{feed_url}"

[[rules]]
name = "summits"
query = "summit"
channels = ["tg"]

[channels.tg]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{api_base}"
rate_limit = "off"
""")
    return path


async def _monitor(*args: str, cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", *args, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _finish(proc: asyncio.subprocess.Process, within: float = 60) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(proc.communicate(), within)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _wait_for(condition, within: float = 30) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(within / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def _doubled(tg: TelegramStandIn) -> list[str]:
    counts = Counter(str(call.get("text")) for call in tg.sent)
    return [text for text, n in counts.items() if n > 1]


async def test_a_second_writer_is_refused_beside_a_running_daemon(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/news", rss("News", [(h, f"http://example.org/{i}") for i, h in enumerate(HEADLINES)]))  # fmt: skip
    replay_dir = tmp_path / "recorded"
    replay_dir.mkdir()
    (replay_dir / "news.xml").write_bytes(rss("News", [(HEADLINES[0], "http://example.org/0")]))
    # A slow Bot API: the daemon is still delivering when the others start.
    async with telegram_standin(delay=0.3) as tg:
        config = _config(tmp_path, feed_server.url("/news"), tg.url)
        daemon = await _monitor("run", "-c", str(config), cwd=tmp_path)
        try:
            await _wait_for(lambda: len(tg.sent) >= 1)
            database = tmp_path / "monitor.db"
            for command in (
                ["once"],
                ["run"],
                ["test-alert"],
                ["replay", str(replay_dir), "--deliver"],
            ):
                code, _out, err = await _finish(
                    await _monitor(*command, "-c", str(config), cwd=tmp_path)
                )
                assert code == 1, (command, err)
                lines = err.strip().splitlines()
                assert len(lines) == 1, (command, err)
                assert str(database) in lines[0] and f"pid {daemon.pid}" in lines[0], lines
            # Read-only commands answer beside it.
            code, out, err = await _finish(
                await _monitor("status", "-c", str(config), cwd=tmp_path)
            )
            assert code == 0, err
            assert "Feeds: 1 configured" in out
            code, out, err = await _finish(
                await _monitor("stories", "--json", "-c", str(config), cwd=tmp_path)
            )
            assert code == 0, err
            assert "Vilnius" in out
            code, out, err = await _finish(
                await _monitor("events", "--json", "-c", str(config), cwd=tmp_path)
            )
            assert code == 0, err
            assert "Vilnius" in out
            await _wait_for(lambda: len(tg.sent) >= len(HEADLINES), within=60)
        finally:
            if daemon.returncode is None:
                daemon.send_signal(signal.SIGTERM)
            code, _out, err = await _finish(daemon)
        assert code == 0, err
    assert len(tg.sent) == len(HEADLINES)
    assert _doubled(tg) == []


async def test_two_processes_starting_together_on_a_new_database(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/news", rss("News", [(h, f"http://example.org/{i}") for i, h in enumerate(HEADLINES)]))  # fmt: skip
    async with telegram_standin() as tg:
        config = _config(tmp_path, feed_server.url("/news"), tg.url)
        both = await asyncio.gather(
            *[_monitor("once", "-c", str(config), cwd=tmp_path) for _ in range(2)]
        )
        results = [await _finish(proc) for proc in both]
    for code, _out, err in results:
        # Each either did the work or was refused cleanly, in one line.
        assert code == 0 or (code == 1 and "is in use by another monitor" in err), err
        assert "Traceback" not in err and "UNIQUE constraint" not in err, err
    assert any(code == 0 for code, _, _ in results)
    assert _doubled(tg) == []
    with sqlite3.connect(tmp_path / "monitor.db") as db:
        names = [r[0] for r in db.execute("SELECT name FROM migrations")]
    assert sorted(names) == sorted(m.__name__ for m in MIGRATIONS)


async def test_the_lock_goes_with_its_holder(feed_server: FeedServer, tmp_path: Path) -> None:
    """A daemon killed with SIGKILL leaves no stale lock: the next run starts at once."""
    feed_server.feed("/news", rss("News", [(HEADLINES[0], "http://example.org/0")]))
    async with telegram_standin() as tg:
        config = _config(tmp_path, feed_server.url("/news"), tg.url)
        daemon = await _monitor("run", "-c", str(config), cwd=tmp_path)
        await _wait_for(lambda: len(tg.sent) >= 1)
        daemon.kill()
        await daemon.wait()
        code, _out, err = await _finish(await _monitor("once", "-c", str(config), cwd=tmp_path))
    assert code == 0, err


@pytest.mark.parametrize("via", ["same", "symlink", "relative"])
async def test_two_paths_to_one_database_meet_at_one_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, via: str
) -> None:
    from monitor.store import DatabaseInUse, Store

    real = tmp_path / "data" / "monitor.db"
    real.parent.mkdir()
    other = {
        "same": real,
        "symlink": tmp_path / "link.db",
        "relative": Path("data/../data/monitor.db"),
    }[via]
    if via == "symlink":
        other.symlink_to(real)
    monkeypatch.chdir(tmp_path)
    first = await Store.open(real)
    try:
        with pytest.raises(DatabaseInUse, match=r"in use by another monitor \(pid \d+\)"):
            await Store.open(other)
    finally:
        await first.close()
    again = await Store.open(other)  # free once the first is closed
    await again.close()
