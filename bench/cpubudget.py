"""A fixed CPU budget for a benchmark's process, as if it ran on a machine of its own with that
many cores: a cgroup of its own with a CPU quota (cgroup v2 ``cpu.max``, else v1
``cpu.cfs_quota_us``), so that N nodes on one shared 2-core machine can be compared with one
node at the same per-node budget, leaving the rest of the cores to PostgreSQL and the feed
server. Needs a writable cgroup CPU controller (root on this machine).

Also the CPU of a PostgreSQL server's processes (postmaster, live backends and the exited
ones it has reaped), to show where the database, not the nodes, becomes the limit.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

PERIOD_US = 100_000
TICK = os.sysconf("SC_CLK_TCK")
_V2 = Path("/sys/fs/cgroup")
_V1 = Path("/sys/fs/cgroup/cpu")


def _root() -> tuple[Path, int] | None:
    """The cgroup directory to create budgets under, and its version."""
    controllers = _V2 / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text().split():
        return _V2, 2
    if (_V1 / "cpu.cfs_quota_us").exists():
        return _V1, 1
    return None


def unavailable() -> str | None:
    """Why budgets cannot be set here, or None when they can."""
    found = _root()
    if found is None:
        return "no cgroup CPU controller (v2 cpu.max or v1 cpu.cfs_quota_us) is mounted"
    if not os.access(found[0], os.W_OK):
        return f"{found[0]} is not writable (run as root)"
    return None


class CpuBudget:
    """A cgroup capped at ``cores`` CPUs (0: no cap) with ``weight`` times the default CPU
    weight, so that on a machine shared with other work its processes get their budget, not
    just at most their budget. Pass ``enter`` as a child's preexec_fn."""

    def __init__(self, cores: float, weight: int = 8) -> None:
        found = _root()
        assert found is not None, unavailable()
        parent, self.version = found
        self.path = parent / f"bench-{uuid.uuid4().hex[:12]}"
        self.path.mkdir()
        quota = max(1000, int(cores * PERIOD_US)) if cores else -1
        if self.version == 2:
            subtree = parent / "cgroup.subtree_control"
            if "cpu" not in subtree.read_text().split():
                subtree.write_text("+cpu")
            (self.path / "cpu.max").write_text(f"{quota if cores else 'max'} {PERIOD_US}")
            (self.path / "cpu.weight").write_text(str(100 * weight))
        else:
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
            (self.path / "cpu.shares").write_text(str(1024 * weight))

    def enter(self) -> None:
        """Move the calling process into the budget (its threads and children follow)."""
        self.add(os.getpid())

    def add(self, pid: int) -> None:
        """Move process ``pid`` (all its threads) into the budget."""
        (self.path / "cgroup.procs").write_text(str(pid))

    def stat(self) -> dict[str, int]:
        """nr_periods, nr_throttled (and v1's throttled_time, v2's throttled_usec)."""
        out = {}
        for line in (self.path / "cpu.stat").read_text().splitlines():
            key, value = line.split()
            out[key] = int(value)
        return out

    def remove(self) -> None:
        """Hand what is still in it back to the parent group, and delete it."""
        with contextlib.suppress(OSError):
            for pid in (self.path / "cgroup.procs").read_text().split():
                (self.path.parent / "cgroup.procs").write_text(pid)
            self.path.rmdir()


def process_cpu(pid: int, children: bool = False) -> float:
    """User + system CPU seconds of a process (all its threads), and of its reaped children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def server_pids(datadir: Path) -> tuple[int, list[int]]:
    """A PostgreSQL server's postmaster and the live processes it started ((0, []): none)."""
    try:
        master = int((datadir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0, []
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                children.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue  # it exited meanwhile
    return master, children


def server_cpu(datadir: Path) -> float:
    """CPU seconds of a PostgreSQL server so far: the postmaster with its reaped children and
    every live process it started."""
    master, children = server_pids(datadir)
    if not master:
        return 0.0
    total = process_cpu(master, children=True)
    for pid in children:
        try:
            total += process_cpu(pid)
        except (OSError, ValueError, IndexError):
            continue  # it exited meanwhile (its CPU is now the postmaster's cutime)
    return total
