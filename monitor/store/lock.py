"""One writer per database: an OS lock on a file beside it, held for the process's lifetime.

Two processes writing one database each deliver the same outbox, so every alert would go out
twice. ``flock`` is released by the kernel when its holder dies (even by SIGKILL), so a
crash never leaves a stale lock behind; the file keeps the holder's pid for the message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from monitor.errors import StoreError
from monitor.store.location import is_postgres


class DatabaseInUse(StoreError):
    """Another process holds the database for writing."""

    def __init__(self, database: Path, pid: int | None) -> None:
        holder = f"pid {pid}" if pid else "a process whose pid is unknown"
        super().__init__(f"the database {database} is in use by another monitor ({holder})")
        self.database = database
        self.pid = pid


def lock_path(database: Path) -> Path:
    # Beside the real file: two paths to one database (a symlink) must meet at one lock.
    real = database.resolve()
    return real.with_name(real.name + ".lock")


class WriterLock:
    """The lock of one database, held from ``acquire`` until ``release``."""

    def __init__(self, database: Path, fd: int) -> None:
        self.database = database
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, database: Path) -> WriterLock:
        """Take the lock or raise ``DatabaseInUse`` (never waits)."""
        path = lock_path(database)
        writable = True
        try:
            # Readable by all (it holds a pid): a lock file another user left, root running
            # `sudo monitor test-alert` beside a service with its own user, must not keep
            # the service from starting. flock needs no write access to the file.
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except PermissionError:
            writable = False
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError as exc:
                raise StoreError(f"cannot open the lock file {path}: {exc.strerror}") from None
        except OSError as exc:
            raise StoreError(f"cannot create the lock file {path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise DatabaseInUse(database, pid) from None
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"cannot lock {path}: {exc.strerror}") from None
        if writable:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(database, fd)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        # Emptied first: a pid left in an unlocked file would name a process that is gone.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor releases the flock


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def writer_lock(location: Path | str) -> Iterator[None]:
    """Hold the database's writer lock for a command that acts as its owner without opening it
    (``test-alert``, ``replay --deliver``). A database whose folder does not exist has no owner.
    SQLite only: on PostgreSQL several nodes share a database (their leases coordinate them)."""
    if is_postgres(location):
        yield
        return
    database = Path(location)
    if not database.parent.is_dir():
        yield
        return
    lock = WriterLock.acquire(database)
    try:
        yield
    finally:
        lock.release()
