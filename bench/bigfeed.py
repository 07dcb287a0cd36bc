"""One big feed: 100,000 real headlines (the UCI slice, repeated with fresh links) in one body.

For this checkout and for a baseline revision (default: main), each in a fresh process:
``monitor once`` on the feed (wall time, peak RSS), and ``monitor run`` taking it in while
/healthz is asked every 0.25 s (answers within 5 s or not at all: the slowest answer, and
how many were missed). The feed is served from this process on 127.0.0.1. Prints the load
average, since this machine is shared.

    flock /tmp/bench.lock python bench/bigfeed.py [--items 100000] [--baseline main]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import aiohttp
from aiohttp import web
from bigfeed import big_feed, headlines

DATA = REPO.parent / "shared" / "data" / "uci-news-2014-03"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(tmp: Path, url: str, metrics: int | None) -> Path:
    path = tmp / "config.toml"
    lines = ["[monitor]", f'database = "{tmp / "monitor.db"}"', 'interval = "1h"']
    if metrics:
        lines.append(f'metrics = "127.0.0.1:{metrics}"')
    # The body with its dates is 16 MB: above the default size cap, which is not measured here.
    lines += ["[fetch]", "max_body = 33554432", 'timeout = "300s"', 'read_timeout = "300s"']
    lines += ["[[feeds]]", f'url = "{url}"']
    path.write_text("\n".join(lines) + "\n")
    return path


def _checkout(rev: str, into: Path) -> Path:
    """The package as it is at ``rev``, in ``into``: run from there, it is what imports."""
    archive = into / "src.tar"
    with archive.open("wb") as f:
        subprocess.run(["git", "-C", str(REPO), "archive", rev, "monitor"], stdout=f, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


async def _once(code: Path, url: str) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(Path(tmp), url, None)
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c",
            "import resource, sys; from monitor.cli import main; code = main(sys.argv[1:]);"
            " print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr);"
            " sys.exit(code)",
            "once", "-c", str(config), cwd=code, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await proc.communicate()
        took = time.monotonic() - started
        assert proc.returncode == 0, err.decode()[-2000:]
        return took, int(err.decode().split()[-1])


def _done(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute("SELECT last_success FROM feeds").fetchone()
    except sqlite3.Error:
        return False
    return bool(row and row[0])


async def _run(code: Path, url: str) -> tuple[float, float, int, int]:
    """(seconds to take the feed in, slowest /healthz answer, answers missed, answers)."""
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        config = _config(Path(tmp), url, port)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "monitor", "run", "-c", str(config), cwd=code,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        started = time.monotonic()
        slowest, missed, answers = 0.0, 0, 0
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
                while not _done(Path(tmp) / "monitor.db"):
                    asked = time.monotonic()
                    try:
                        async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                            await resp.read()
                        answers += 1
                        slowest = max(slowest, time.monotonic() - asked)
                    except aiohttp.ClientConnectorError:  # not listening yet
                        pass
                    except TimeoutError:
                        missed += 1
                        slowest = max(slowest, time.monotonic() - asked)
                    await asyncio.sleep(0.25)
            took = time.monotonic() - started
        finally:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 120)
            except TimeoutError:
                proc.kill()
        return took, slowest, missed, answers


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    args = parser.parse_args()
    body = big_feed(headlines(next(DATA.glob("*.csv"))), args.items)
    app = web.Application()
    app.router.add_get(
        "/big", lambda r: web.Response(body=body, content_type="application/rss+xml")
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}/big"
    print(f"{args.items:,} items, {len(body) / 1e6:.1f} MB; load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as base:
        for name, code in (
            (f"baseline {args.baseline}", _checkout(args.baseline, Path(base))),
            ("this checkout", REPO),
        ):
            took, rss_kb = await _once(code, url)
            print(f"{name}: monitor once {took:.1f}s, peak RSS {rss_kb / 1024:.0f} MB")
            took, slowest, missed, answers = await _run(code, url)
            print(
                f"{name}: monitor run took it in {took:.1f}s; /healthz slowest"
                f" {slowest * 1000:.0f} ms, {missed} of {answers + missed} asks got no answer"
                " within 5s"
            )
    print(f"load average {os.getloadavg()}")
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
