"""Whether a monitor is running on a store, for the first line of ``monitor status``: the
first thing to know when no alerts come.

On SQLite the process that writes holds the lock file beside the database (``store.lock``):
its pid is in the file while it holds it, and the kernel's table of locks (``/proc/locks``)
says whether that pid still holds it, without taking the lock (a lock taken to look would make
a daemon starting at that moment refuse to start). On PostgreSQL the nodes' heartbeats say it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.store.lock import lock_path

PROC_LOCKS = Path("/proc/locks")


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None


def sqlite_writer(database: Path) -> dict[str, Any]:
    """``{"running", "pid", "command", "started"}`` of the process holding ``database``'s
    writer lock (``running`` False, the rest None, when none holds it)."""
    seen: dict[str, Any] = {"running": False, "pid": None, "command": None, "started": None}
    path = lock_path(database)
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
        stat = path.stat()
    except OSError:
        return seen  # never locked: no monitor ever wrote here, or the folder is not readable
    # The holder empties the file as it lets go; a pid left behind is a holder killed (-9).
    if not text.isdigit() or not _holds(int(text), stat):
        return seen
    pid = int(text)
    return {"running": True, "pid": pid, "command": _command(pid), "started": _iso(stat.st_mtime)}


def _holds(pid: int, stat: os.stat_result) -> bool:
    try:
        table = PROC_LOCKS.read_text(encoding="ascii", errors="replace")
    except OSError:  # not Linux: a live process of that pid is taken for the holder
        return _alive(pid)
    file = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    # "3: FLOCK  ADVISORY  WRITE 30387 fe:00:2162956 0 EOF" (proc(5)). The pid column is not
    # compared: in another pid namespace (a container) it is not the one in the file.
    return any(
        len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == file
        for fields in (line.split() for line in table.splitlines())
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _command(pid: int) -> str | None:
    """``monitor run`` (or ``once``...): which command holds the store, where it can be read."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return None
    for name in ("run", "once", "replay", "test-alert", "demo"):
        if name in argv:
            return f"monitor {name}"
    return None


def daemon_line(
    daemon: dict[str, Any],
    age: Callable[[str | None], str],
    nodes: list[dict[str, Any]] | None = None,
) -> str:
    """The first line of ``monitor status``: is a monitor running here, since when, and when
    a feed was last polled. ``age`` renders an ISO time as "5m ago"; ``nodes``, the nodes
    of a PostgreSQL store (listed below it)."""
    polled = f"last poll {age(daemon['last_poll'])}" if daemon["last_poll"] else "never polled"
    if nodes:
        alive = sum(1 for n in nodes if n["alive"])
        if alive:
            return f"Daemon: {alive} {'node' if alive == 1 else 'nodes'} running; {polled}"
        return f"Daemon: no node running on this database; {polled}"
    if not daemon["running"]:
        return f"Daemon: not running on this database; {polled}"
    command = f" ({daemon['command']})" if daemon["command"] else ""
    started = age(daemon["started"])
    return f"Daemon: running, pid {daemon['pid']}{command}, started {started}; {polled}"
