"""A throwaway PostgreSQL cluster for the tests: Debian's binaries, initdb and pg_ctl as the
`postgres` user when the tests run as root, a free port on 127.0.0.1, removed afterwards.

`start_cluster()` returns a running `Cluster`; `Cluster.create_database()` gives each test its own
empty database, so tests never see each other's rows. Where no PostgreSQL can be had the tests
that need it skip with `NO_POSTGRES_REASON`; CI installs Debian's `postgresql` package, so there
they run.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

NO_POSTGRES_REASON = (
    "PostgreSQL is not installed (Debian package `postgresql`; .ci/run installs it): "
    "the PostgreSQL tests are skipped"
)


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: $PG_BINDIR, PATH, or Debian's newest version."""
    explicit = os.environ.get("PG_BINDIR")
    if explicit:
        return Path(explicit)
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """The command prefix and ids to run the server's tools: postgres refuses to run as root."""
    if os.geteuid() != 0:
        return [], None, None
    user = pwd.getpwnam("postgres")
    return ["runuser", "-u", "postgres", "--"], user.pw_uid, user.pw_gid


@dataclass
class Cluster:
    bindir: Path
    root: Path
    port: int
    user: str
    prefix: list[str]
    version: int = 0  # server_version_num, e.g. 150008
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # A prefix's next database, being made by a psql of its own (create_database(ahead=True)).
    _ahead: dict[str, tuple[str, subprocess.Popen[bytes]]] = field(default_factory=dict)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _psql_command(self, sql: str, database: str = "postgres") -> list[str]:
        psql = [str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        return [*psql, "-d", self.url(database), "-c", sql]

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            self._psql_command(sql, database),
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return out.stdout.strip()

    def _create_sql(self, name: str) -> str:
        strategy = " STRATEGY FILE_COPY" if self.version >= 150000 else ""
        return f'CREATE DATABASE "{name}"{strategy}'

    def create_database(self, prefix: str = "t", *, ahead: bool = False) -> str:
        """A new empty database; returns its URL. From PostgreSQL 15 on the template's files
        are copied as files (STRATEGY FILE_COPY) rather than written block by block through
        the WAL: the same empty database for half the writes (some 8 MB instead of 16 MB,
        a few hundred times a run).

        ``ahead``: the prefix's next database is made meanwhile, by a psql this call does not
        wait for, and the next call with ``ahead`` takes it (the suite's tests: each found
        its database made during the test before, rather than waiting for psql and the
        copy). The benches leave it off: nothing runs beside what they measure."""
        made = self._ahead.pop(prefix, None)
        if made is None:
            name = f"{prefix}{os.getpid()}_{next(self._names)}"
            self.psql(self._create_sql(name))
        else:
            name, proc = made
            if proc.wait(timeout=60) != 0:  # again in the open, to raise with psql's error
                self.psql(self._create_sql(name))
        if ahead:
            following = f"{prefix}{os.getpid()}_{next(self._names)}"
            proc = subprocess.Popen(
                self._psql_command(self._create_sql(following)),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self._ahead[prefix] = (following, proc)
        return self.url(name)

    def stop(self) -> None:
        for _, proc in self._ahead.values():  # a database made for a test that never came
            proc.wait(timeout=60)
        self._ahead.clear()
        subprocess.run(
            [
                *self.prefix,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            timeout=60,
        )
        # The files (some 8 MB a database, a few hundred databases after a full run) go in a
        # process of their own that the run does not wait for: the removal of GBs took from 5
        # s to minutes in the last test's teardown, with nothing left to test.
        subprocess.run(
            ["sh", "-c", 'rm -rf -- "$1" </dev/null >/dev/null 2>&1 &', "sh", str(self.root)],
            start_new_session=True,
            timeout=60,
        )


def start_cluster() -> Cluster | None:
    """Start a new cluster, or None when PostgreSQL is not installed here."""
    bindir = find_bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        return None
    prefix, uid, gid = _as_server_user()
    root = Path(tempfile.mkdtemp(prefix="monitor-pg-"))
    if uid is not None and gid is not None:
        os.chown(root, uid, gid)
    datadir = root / "data"
    user = "postgres" if uid is not None else pwd.getpwuid(os.geteuid()).pw_name
    subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    options = (
        f"-p {port} -h 127.0.0.1 -k {root} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-o",
            options,
            "-l",
            str(root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    cluster = Cluster(bindir=bindir, root=root, port=port, user=user, prefix=prefix)
    cluster.version = int(cluster.psql("SHOW server_version_num"))
    return cluster
