"""Two `monitor run` nodes over one PostgreSQL, the assigner on one and the sender on the
other: how long from the poll that brings a new story to its Telegram message. Shared by
tests/test_cluster_wake.py and bench/wake.py."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from aiohttp import web
from clirun import start_node, stop_nodes, with_password
from feedserver import FeedServer, rss
from standins import BOT_TOKEN, CHAT_ID, telegram_standin

from monitor.store.cluster import role_key

FEEDS = 6
STORIES = [  # distinct stories, each on its own feed: one new message each
    "Harbour ferry operators call summit after engine fire on the night crossing",
    "Teachers union and education ministry agree to a summit on pay next month",
    "Regional governors hold wildfire summit in Valencia as the season starts early",
    "Chip makers' export summit ends without a deal on licensing rules",
    "Football clubs meet at safety summit after stadium crush inquiry",
]


def _config(database: str, urls: list[str], tg_url: str, *, election: str, listen: bool) -> str:
    lines = ["[monitor]", 'max_age = "3650d"', f'database = "{database}"', "jitter = 0", 'retention = "3650d"',
             'interval = "1s"', 'min_interval = "1s"', 'grace_period = "2s"',
             "[cluster]", 'lease = "3s"', 'heartbeat = "0.5s"', f'election = "{election}"',
             f"listen = {'true' if listen else 'false'}",
             "[[rules]]", 'name = "summits"', "query = 'summit'", 'channels = ["desk"]',
             "[channels.desk]", 'type = "telegram"', f'bot_token = "{BOT_TOKEN}"',
             f'chat_id = "{CHAT_ID}"', f'api_base = "{tg_url}"', 'rate_limit = "off"',
             'update_delay = "0s"']  # fmt: skip
    for url in urls:
        lines += ["[[feeds]]", f'url = "{url}"']
    return "\n".join(lines) + "\n"


class Outlets:
    """Feeds that serve routine news until a story is published on one; notes when each
    story was first served."""

    def __init__(self, fs: FeedServer) -> None:
        self.bodies = {f"/w{i}": self._routine(i) for i in range(FEEDS)}
        self.served: dict[str, float] = {}  # path -> when its story first went out
        self._pending: set[str] = set()
        for path in self.bodies:
            fs.handler(path, self._serve)
        self.urls = [fs.url(path) for path in self.bodies]

    @staticmethod
    def _routine(i: int, *extra: tuple[str, str]) -> bytes:
        return rss(f"Outlet {i}", [*extra, (f"Council minutes {i}", f"http://w{i}.example/m")])

    def publish(self, i: int, headline: str) -> None:
        path = f"/w{i}"
        self.bodies[path] = self._routine(i, (headline, f"http://w{i}.example/story"))
        self._pending.add(path)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        if request.path in self._pending:
            self._pending.discard(request.path)
            self.served[request.path] = time.monotonic()
        return web.Response(body=self.bodies[request.path], content_type="application/rss+xml")


async def _until(predicate: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


async def _holder(db: asyncpg.Connection, role: str) -> int | None:
    with contextlib.suppress(asyncpg.UndefinedTableError):
        pid: int | None = await db.fetchval(
            "SELECT n.pid FROM cluster_roles r JOIN cluster_nodes n ON n.id = r.node"
            " WHERE r.role = $1",
            role,
        )
        return pid
    return None


async def _assigned(db: asyncpg.Connection) -> bool:
    """Whether every feed's routine item is stored and in a story."""
    filed: int = await db.fetchval("SELECT count(*) FROM items WHERE story_id IS NOT NULL")
    return filed >= FEEDS


async def _tried(db: asyncpg.Connection) -> bool:
    """Whether a node tried for a role and lost: its standing connection sits idle after
    the try (a winner goes on to write its term)."""
    lost: int = await db.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle'"
        " AND query = 'SELECT pg_try_advisory_lock($1)' AND datname = current_database()"
    )
    return lost > 0


async def cross_node_latencies(
    fs: FeedServer, pg_url: str, tmp: Path, *, listen: bool, pause: float = 0.9
) -> list[float]:
    """Seconds from each story's first poll to its message, the assigner and the sender
    being different nodes."""
    outlets = Outlets(fs)
    procs: list[asyncio.subprocess.Process] = []
    db = await asyncpg.connect(pg_url)
    async with telegram_standin() as tg:
        try:
            # The sender's node starts while the assigner's lock is held here, so it takes the
            # sender's role only; its next try for the assigner's is a minute away.
            await db.fetchval("SELECT pg_advisory_lock($1)", role_key("assigner"))
            url = with_password(pg_url)
            for name, election in (("sender", "60s"), ("assigner", "0.3s")):
                config = tmp / f"{name}.toml"
                text = _config(url, outlets.urls, tg.url, election=election, listen=listen)
                config.write_text(text, "utf-8")
                procs.append(await start_node(config))

                async def elected(role: str = name, pid: int = procs[-1].pid) -> bool:
                    return await _holder(db, role) == pid

                if name == "sender":
                    await _until(elected, 60, "the sender")
                    # Each role is stood for on a connection of its own: the sender's node
                    # may win the sender's role before its first try for the assigner's
                    # (slower under load), and would win that too if the lock were free.
                    await _until(lambda: _tried(db), 60, "the sender's node to stand")
                    await db.fetchval("SELECT pg_advisory_unlock($1)", role_key("assigner"))
                else:
                    await _until(elected, 60, "the assigner")
            await _until(lambda: _assigned(db), 30, "the first polls' routine items assigned")
            latencies = []
            for i, headline in enumerate(STORIES):
                outlets.publish(i, headline)

                async def alerted(count: int = i + 1) -> bool:
                    return len(tg.sent) >= count

                await _until(alerted, 30, f"story {i}'s message")
                latencies.append(time.monotonic() - outlets.served[f"/w{i}"])
                await asyncio.sleep(pause * (i + 1) / len(STORIES))  # phases of the idle check
            assert len(tg.sent) == len(STORIES)
            return latencies
        finally:
            await db.close()
            await stop_nodes(procs)
