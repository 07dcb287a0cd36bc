"""Whether a monitor is running on a store, for the first line of ``monitor status``: the
first thing to know when no alerts come.

On SQLite the process that writes holds an flock on the lock file beside the database
(``<database>.lock``, ``monitor.store.lock``). Held or not is decided without the file's
text: a holder that could not write its pid (a lock file owned by another user) leaves it
empty, or with the pid of a holder killed before it. The kernel's table of locks
(``/proc/locks``) says it without taking the lock (a lock taken to look would make a daemon
starting at that moment refuse to start); where the table cannot show it (a holder in another
pid namespace is hidden from it), a shared lock tried and let go at once says it. On
PostgreSQL the nodes' heartbeats say it.
"""

from __future__ import annotations

import fcntl
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.store.lock import lock_path

PROC_LOCKS = Path("/proc/locks")


def iso(ts: float | None) -> str | None:
    """A UNIX time as status shows it (ISO 8601, UTC, to the second); None for none."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None


def sqlite_writer(database: Path) -> dict[str, Any]:
    """``{"running", "pid", "command", "started"}`` of the process holding ``database``'s
    writer lock (``running`` False, the rest None, when none holds it; ``pid`` None when a
    holder's pid cannot be known)."""
    seen: dict[str, Any] = {"running": False, "pid": None, "command": None, "started": None}
    path = lock_path(database)
    try:
        stat = path.stat()
    except OSError:
        return seen  # never locked: no monitor ever wrote here, or the folder is not readable
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        text = ""
    written = int(text) if text.isdigit() else None
    holder = _holder(path, stat.st_ino)
    if holder is None:
        return seen
    # The pid in the file is the holder's only when the kernel names the same one; without
    # the table, a live process of that pid is taken for it.
    if holder > 0:
        pid: int | None = holder
    else:
        pid = written if holder == 0 and written and _alive(written) else None
    started = iso(stat.st_mtime) if pid is not None and pid == written else None
    return {"running": True, "pid": pid, "command": _command(pid), "started": started}


def _holder(path: Path, inode: int) -> int | None:
    """The pid holding ``path``'s flock as the kernel's table shows it; 0 where the table is
    not there (not Linux) and -1 where it hides the holder, when a lock is held; None when
    none is."""
    try:
        table = PROC_LOCKS.read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0 if _locked(path) else None
    # "3: FLOCK  ADVISORY  WRITE 30387 fe:00:2162956 0 EOF" (proc(5)). Matched on the inode
    # alone: on overlayfs or a btrfs subvolume stat's device is not the one the table shows.
    for fields in (line.split() for line in table.splitlines()):
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == str(inode):
            return int(fields[4]) if fields[4].isdigit() and int(fields[4]) > 0 else -1
    return -1 if _locked(path) else None


def _locked(path: Path) -> bool:
    """Whether another holds the flock: a shared lock on a read-only descriptor, let go at
    once (a daemon starting in that instant would refuse to start, so asked last)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # closing the descriptor lets the shared lock go
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _command(pid: int | None) -> str | None:
    """``monitor run`` (or ``once``...): which command holds the store, where it can be read."""
    if pid is None:
        return None
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
    pid = f"pid {daemon['pid']}" if daemon["pid"] else "pid unknown"
    command = f" ({daemon['command']})" if daemon["command"] else ""
    started = f", started {age(daemon['started'])}" if daemon["started"] else ""
    return f"Daemon: running, {pid}{command}{started}; {polled}"


def daemon_health(address: str, timeout: float = 1.0) -> str | None:
    """What the running daemon's /healthz (``[monitor] metrics``) says is wrong, or None:
    healthy, or not known (port 0, no answer within ``timeout``). A daemon whose store
    refuses writes cannot leave that in the store, nor beside it on a full disk: it says it
    here, live."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if not port.isdigit() or int(port) == 0:
        return None
    if host in ("", "0.0.0.0", "::"):  # every address: this machine's is one of them
        host = "127.0.0.1"
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/healthz"
    try:
        # Straight to the daemon: an http_proxy in the environment is not for this machine.
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with direct.open(url, timeout=timeout) as resp:
            resp.read()
        return None
    except urllib.error.HTTPError as exc:
        try:
            reason = json.loads(exc.read()).get("reason")
        except (OSError, ValueError, AttributeError):
            reason = None
        return str(reason) if reason else f"/healthz answers {exc.code}"
    except (OSError, ValueError):
        return None
