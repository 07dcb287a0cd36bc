"""`monitor status` says a monitor is running whenever one holds the store's writer lock,
as `monitor once` would find it ("in use by another monitor"), whatever the lock file says:
a holder that could not write its pid, a holder in another container, a file whose device
the kernel's table of locks names differently (overlayfs, btrfs)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from feedserver import FeedServer, rss
from helpers import config_file

from monitor.cli import daemon_seen

pytestmark = pytest.mark.timeout(120)


def _monitor(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "monitor", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@contextlib.contextmanager
def _held(lock: Path, text: str) -> Iterator[None]:
    """The lock held as lock.py holds it when it cannot write the file: read-only, the text
    left as it was."""
    lock.write_text(text)
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(proc.stdout)


@pytest.fixture
async def polled(feed_server: FeedServer, tmp_path: Path) -> Path:
    feed_server.feed("/news", rss("News", [("Markets open higher", "http://example.org/1")]))
    config = config_file(tmp_path, [feed_server.url("/news")])
    # In a thread: the feed server answers on this loop.
    assert (await asyncio.to_thread(_monitor, "once", "-c", str(config))).returncode == 0
    return config


@pytest.mark.parametrize("left", ["", "dead pid"], ids=["empty file", "pid of a killed holder"])
async def test_a_holder_that_could_not_write_its_pid_is_seen_running(
    polled: Path, tmp_path: Path, left: str
) -> None:
    text = f"{_dead_pid()}\n" if left else ""
    with _held(tmp_path / "monitor.db.lock", text):
        status, refused = await asyncio.gather(  # the two at once, both beside the lock
            asyncio.to_thread(_monitor, "status", "-c", str(polled)),
            asyncio.to_thread(_monitor, "once", "-c", str(polled)),
        )
    assert "in use by another monitor" in refused.stderr
    line = status.stdout.splitlines()[0]
    # The kernel names the holder (this test's process); not the pid left in the file, nor
    # the time that pid was written.
    assert re.match(rf"^Daemon: running, pid {os.getpid()}; last poll \d+s ago$", line), line


def test_a_holder_in_another_pid_namespace_is_seen_running(polled: Path, tmp_path: Path) -> None:
    """status run in a container that cannot see the holder: the kernel hides its lock."""
    unshare = ("unshare", "--pid", "--fork", "--mount-proc")
    if shutil.which("unshare") is None or subprocess.run(
        [*unshare, "true"], capture_output=True, check=False
    ).returncode:
        pytest.skip("cannot make a pid namespace here (unshare needs root)")
    with _held(tmp_path / "monitor.db.lock", f"{os.getpid()}\n"):
        status = _monitor("status", "-c", str(polled), prefix=unshare)
    line = status.stdout.splitlines()[0]
    assert re.match(r"^Daemon: running, pid unknown; last poll \d+s ago$", line), line


def _table(tmp_path: Path, *lines: str) -> Path:
    table = tmp_path / "locks"
    table.write_text("".join(f"{line}\n" for line in lines))
    return table


@pytest.mark.parametrize(
    ("table", "held", "seen"),
    [
        # overlayfs, btrfs: the table's device is not stat's; the inode is the file's.
        ("1: FLOCK  ADVISORY  WRITE 4242 00:28:{ino} 0 EOF", True, (True, 4242)),
        # The holder hidden from the table (another pid namespace): a lock tried says it.
        ("1: POSIX  ADVISORY  READ 17 fe:00:{ino} 0 EOF", True, (True, None)),
        ("", True, (True, None)),
        ("", False, (False, None)),
        ("1: FLOCK  ADVISORY  WRITE 4242 00:28:{other} 0 EOF", False, (False, None)),
    ],
)
def test_the_lock_table_is_read_by_inode_then_the_lock_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, held: bool, seen: tuple[object, ...]
) -> None:
    lock = tmp_path / "monitor.db.lock"
    lock.write_text("")
    ino = lock.stat().st_ino
    line = table.format(ino=ino, other=ino + 1) if table else ""
    monkeypatch.setattr(daemon_seen, "PROC_LOCKS", _table(tmp_path, *[line] if line else []))
    with _held(lock, "") if held else contextlib.nullcontext():
        writer = daemon_seen.sqlite_writer(tmp_path / "monitor.db")
    assert (writer["running"], writer["pid"]) == seen
