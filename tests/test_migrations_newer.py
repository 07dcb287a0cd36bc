"""Upgrades say what they did, and a database a newer version upgraded is refused (a rollback
after an upgrade), in one line, with nothing written: by the daemon, `once`, and the commands
that only read it, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import aiosqlite
import pytest
from clirun import monitor_cli

from monitor.errors import StoreError
from monitor.store import Store
from monitor.store.migrations import MIGRATIONS
from monitor.store.sqlite import SqliteDb

NEWER = "m099_from_a_newer_release"


async def _as_older_version(path: Path, count: int) -> None:
    """A database as a version with only the first ``count`` migrations left it."""
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at REAL)")
        for migration in MIGRATIONS[:count]:
            await migration(SqliteDb(db))
            await db.execute("INSERT INTO migrations VALUES (?, 0)", (migration.__name__,))


async def test_an_upgrade_logs_the_migrations_it_applied_and_a_new_database_its_creation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="monitor.store")
    old = tmp_path / "old.db"
    await _as_older_version(old, 7)
    await (await Store.open(old)).close()
    later = [m.__name__ for m in MIGRATIONS[7:]]
    assert [r.getMessage() for r in caplog.records] == [
        f"upgraded the database: {len(later)} migrations applied ({', '.join(later)})"
    ]
    caplog.clear()
    await (await Store.open(old)).close()  # up to date: nothing to say
    await (await Store.open(tmp_path / "new.db")).close()
    assert [r.getMessage() for r in caplog.records] == [
        f"created the database schema ({len(MIGRATIONS)} migrations)"
    ]


def _newer(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, 0)", (NEWER,))
    db.close()


def _names(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        names = sorted(str(r[0]) for r in db.execute("SELECT name FROM migrations"))
    db.close()
    return names


async def test_a_database_a_newer_version_upgraded_is_refused_and_left_as_it_was(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.db"
    await (await Store.open(path)).close()
    _newer(path)
    before = _names(path)
    for open_it in (Store.open, Store.open_readonly):
        with pytest.raises(StoreError) as refused:
            await open_it(path)
        assert str(refused.value) == (
            f"store: the database was upgraded by a newer version of monitor (it has migration"
            f" {NEWER},"
            " which this version does not know): run that version, or restore the backup made"
            " before the upgrade"
        )
    assert _names(path) == before


@pytest.mark.parametrize("command", [["run"], ["once"], ["status"], ["stories"]])
async def test_every_command_refuses_a_newer_database_in_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "m.db"
    await (await Store.open(path)).close()
    _newer(path)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{path}"\n\n[[feeds]]\nurl = "http://127.0.0.1:9/feed"\n'
    )
    code, out, err = await monitor_cli(*command, config=config)
    lines = [line for line in err.splitlines() if NEWER in line]
    assert code != 0, (out, err)
    assert len(lines) == 1 and "newer version of monitor" in lines[0], err
    assert "Traceback" not in err
    assert _names(path) == sorted([*(m.__name__ for m in MIGRATIONS), NEWER])


async def test_postgresql_refuses_a_database_a_newer_version_upgraded(pg_url: str) -> None:
    store = await Store.open(pg_url)
    try:
        async with store.transaction() as db:
            await db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, 0)", (NEWER,))
    finally:
        await store.close()
    for open_it in (Store.open, Store.open_readonly):
        with pytest.raises(StoreError, match=f"it has migration {NEWER}, which this version"):
            await open_it(pg_url)
