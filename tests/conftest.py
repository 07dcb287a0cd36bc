"""Shared fixtures: a local feed server, paths to the shared data, config files."""

from __future__ import annotations

import contextlib
import mmap
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from feedserver import FeedServer, start_feed_server
from pgserver import NO_POSTGRES_REASON, Cluster, start_cluster

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


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
    """The URL of a new, empty PostgreSQL database for one test."""
    return pg_cluster.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store goes, once on each backend: a SQLite file, then a new PostgreSQL
    database (skipped, with the reason, where no PostgreSQL is installed)."""
    if request.param == "sqlite":
        return str(tmp_path / "monitor.db")
    url: str = request.getfixturevalue("pg_url")
    return url


_MADV_PAGEOUT = 21  # madvise(2), Linux 5.4


def _resident_kb(path: str) -> int:
    kb, mapping = 0, None
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and ":" not in fields[0]:  # a mapping's header line
                mapping = fields[5] if len(fields) > 5 else None
            elif fields[0] == "Rss:" and mapping == path:
                kb += int(fields[1])
    return kb


@pytest.fixture
def pages_out(tmp_path: Path) -> None:
    """Skip where this kernel cannot take a file's pages out of a process's memory
    (MADV_PAGEOUT: Linux 5.4 on, and a filesystem that can drop them, unlike tmpfs without
    swap): the tests of giving start-up's code back would then fail for the machine's sake."""
    if not Path("/proc/self/smaps").exists():
        pytest.skip("no /proc: RSS unreadable")
    probe = tmp_path / "pageout-probe"
    with open(probe, "wb") as f:  # written back: a dirty page is not dropped at once
        f.write(b"x" * (1 << 20))
        os.fsync(f.fileno())
    with open(probe, "rb") as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as mapped:
        sum(mapped[i] for i in range(0, len(mapped), mmap.PAGESIZE))
        before = _resident_kb(str(probe))
        with contextlib.suppress(OSError):  # EINVAL before Linux 5.4
            mapped.madvise(_MADV_PAGEOUT)
        after = _resident_kb(str(probe))
    probe.unlink()
    if before < 512 or after > before // 2:
        pytest.skip(
            f"this kernel keeps a mapped file's pages (MADV_PAGEOUT: {before} -> {after} kB)"
        )
