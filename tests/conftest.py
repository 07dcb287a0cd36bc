"""Shared fixtures: a local feed server, paths to the shared data, config files."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from feedserver import FeedServer, start_feed_server
from pgserver import NO_POSTGRES_REASON, Cluster, start_cluster

if TYPE_CHECKING:
    import asyncpg

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# A daemon's cold start spreads its feeds' first polls over 3 s (monitor.daemon.START_SPREAD):
# the suite's daemons, in-process and `monitor run` processes alike (they inherit this), poll
# at once instead of each waiting up to 3 s for what it tests. tests/test_start_spread.py
# checks the spread itself; the multi-node tests that model a production start keep it.
os.environ["MONITOR_START_SPREAD"] = "0"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Story, event and rule matching run compiled where the install built them (setup.py): a
    module edited since would be tested as it was, not as it is."""
    import importlib.util

    import monitor

    package = Path(monitor.__file__).parent
    # The compiled code of every module is in mypyc's one library (setup.py's group_name);
    # the .so beside a source only loads it, and a rebuild copies that loader back with its
    # first build's time: the library's time says when the code was built.
    library = importlib.util.find_spec("monitor_native__mypyc")
    built_at = Path(library.origin).stat().st_mtime if library and library.origin else None
    stale = sorted(
        str(source.relative_to(package.parent))
        for loader in package.glob("*/*.so")
        if (source := loader.parent / (loader.name.split(".")[0] + ".py")).exists()
        and source.stat().st_mtime > (built_at or loader.stat().st_mtime)
    )
    if stale:
        pytest.exit(
            f"{', '.join(stale)} changed since it was compiled: run `pip install -e .` again"
            " (setup.py build_ext keeps a module whose source only was touched), or delete"
            " monitor/*/*.so to test them as Python",
            returncode=4,
        )


def shared(*parts: str) -> Path:
    """A path under ../shared/data; skips the test (with the reason) when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    fs = await start_feed_server()
    try:
        yield fs
    finally:
        await fs.server.close()


@pytest.fixture
def write_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a config file in tmp_path and return its path."""

    def write(text: str, name: str = "config.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster for the whole run (started on first use)."""
    cluster = start_cluster()
    if cluster is None:
        pytest.skip(NO_POSTGRES_REASON)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """The URL of a new, empty PostgreSQL database for one test (made while the test before
    ran: see Cluster.create_database)."""
    return pg_cluster.create_database(ahead=True)


@pytest.fixture
async def pool(pg_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A connection pool on ``pg_url``'s new database, closed after the test."""
    import asyncpg

    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store goes, once on each backend: a SQLite file, then a new PostgreSQL
    database (skipped, with the reason, where no PostgreSQL is installed)."""
    if request.param == "sqlite":
        return str(tmp_path / "monitor.db")
    url: str = request.getfixturevalue("pg_url")
    return url
