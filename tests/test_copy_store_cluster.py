"""`monitor copy-store` of a PostgreSQL store that nodes have run on: the cluster's own state
(who is alive, who leads, who polls what) is not copied, a copy starts with none; the items
the polls queued for the assigner are, and on SQLite they are filed when the copy is opened
(in a story, their alert sent once); a table of a newer version is still refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
from clirun import HEADLINES, monitor_cli, pipeline_config
from feedserver import FeedServer, rss
from standins import telegram_standin, webhook_receiver

from monitor import config as config_module
from monitor.cluster.assigner import queue_for_assigner
from monitor.engine import Engine
from monitor.oneshot import poll_all
from monitor.store import Store, leases
from monitor.store import cluster as cluster_store
from monitor.store.copy import copy_between

CLUSTER = {"cluster_nodes", "cluster_roles", "feed_leases", "assign_queue"}


async def _cluster_ran(pg_url: str, feeds: list[str]) -> None:
    """What nodes leave in their tables: a node, an assigner's term, the feeds' leases."""
    conn = await asyncpg.connect(pg_url)
    try:
        await cluster_store.ensure_schema(conn)
        node = await cluster_store.register(conn, "node-a", 4242)
        assert await cluster_store.take_role(conn, "assigner", node) == 1
        await leases.sync(conn, [(url, 0.0) for url in feeds])
        await cluster_store.deregister(conn, node)  # the nodes stopped: a copy is not refused
    finally:
        await conn.close()


async def _tables(store: Store) -> dict[str, list[tuple[object, ...]]]:
    names = [str(r[0]) for r in await store.db.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name != 'migrations' ORDER BY name"
    )]  # fmt: skip
    return {n: [tuple(r) for r in await store.db.fetch_all(f"SELECT * FROM {n} ORDER BY 1")]
            for n in names}  # fmt: skip


async def test_items_queued_for_the_assigner_are_filed_in_the_sqlite_copy_and_alerted_once(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    feed_server.feed("/a", rss("Outlet A", [(HEADLINES[0], "http://a.example/rail")]))
    feed_server.feed("/b", rss("Outlet B", [(HEADLINES[1], "http://b.example/rail"),
                                            ("Harbour ferry timetable", "http://b.example/f")]))  # fmt: skip
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        text = pipeline_config(pg_url, urls, tg.url, hook.url)
        await _cluster_ran(pg_url, urls)
        # A node's polls: stored and queued, and no assigner took them before the stop.
        engine = await Engine.open(config_module.loads(text, base_dir=tmp_path))
        try:
            engine.rt.assign = queue_for_assigner
            await poll_all(engine.rt, progress=False)
        finally:
            await engine.close()
        assert not tg.sent

        back = tmp_path / "back.db"
        counts = await copy_between(pg_url, back, lambda line: None)
        assert counts["items"] == 3 and counts["assign_queue"] == 3

        config = tmp_path / "back.toml"
        config.write_text(pipeline_config(str(back), urls, tg.url, hook.url), "utf-8")
        for _ in range(2):  # the second run files nothing again
            code, _, err = await monitor_cli("once", config=config)
            assert code == 0, err
            assert len(tg.sent) == 1 and "summit" in tg.sent[0]["text"]
        code, out, err = await monitor_cli("stories", "--json", config=config)
        assert code == 0, err
        stories = json.loads(out)["stories"]
        assert sorted(len(s["items"]) for s in stories) == [1, 2]  # both rail items in one

        store = await Store.open(back)
        try:
            tables = await _tables(store)
        finally:
            await store.close()
        assert not CLUSTER & tables.keys()
        assert all(row[-1] is not None for row in await _story_of(back))


async def _story_of(path: Path) -> list[tuple[object, ...]]:
    store = await Store.open(path)
    try:
        return [tuple(r) for r in await store.db.fetch_all("SELECT id, story_id FROM items")]
    finally:
        await store.close()


async def test_sqlite_to_postgresql_and_back_after_nodes_ran_is_the_same_store(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    feed_server.feed("/a", rss("Outlet A", [(HEADLINES[0], "http://a.example/rail")]))
    urls = [feed_server.url("/a")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = config_module.loads(
            pipeline_config(str(tmp_path / "first.db"), urls, tg.url, hook.url), base_dir=tmp_path
        )
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
        finally:
            await engine.close()
    await copy_between(tmp_path / "first.db", pg_url, lambda line: None)
    await _cluster_ran(pg_url, urls)  # `monitor run` on it, stopped
    await copy_between(pg_url, tmp_path / "back.db", lambda line: None)
    first, back = await Store.open(tmp_path / "first.db"), await Store.open(tmp_path / "back.db")
    try:
        before, after = await _tables(first), await _tables(back)
    finally:
        await first.close()
        await back.close()
    assert before["items"] and before["alerts"]
    assert after == before


async def test_a_table_of_a_newer_version_is_refused_in_one_line_naming_only_it(
    pg_url: str, tmp_path: Path
) -> None:
    store = await Store.open(pg_url)
    await store.close()
    await _cluster_ran(pg_url, ["http://a.example/feed"])
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("CREATE TABLE story_votes (id BIGINT PRIMARY KEY)")
    finally:
        await conn.close()
    config = tmp_path / "config.toml"
    config.write_text("", "utf-8")
    code, _, err = await monitor_cli("copy-store", pg_url, str(tmp_path / "to.db"), config=config)
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "does not know (story_votes);" in err, err


async def test_copy_store_is_refused_beside_a_live_node_and_runs_once_it_stopped(
    pg_url: str, tmp_path: Path
) -> None:
    """Nodes change a store while it is read table by table (an item copied with no story,
    then filed by the live assigner before the queue is read, is in no story in the copy):
    `copy-store` from PostgreSQL is refused beside a live node in one line, as `once` is
    (review15c D1); once the node has stopped, the copy runs."""
    store = await Store.open(pg_url)
    await store.close()
    conn = await asyncpg.connect(pg_url)
    try:
        await cluster_store.ensure_schema(conn)
        node = await cluster_store.register(conn, "node-a", 4242)  # its heartbeat: now
    finally:
        await conn.close()
    config = tmp_path / "c.toml"
    config.write_text("", "utf-8")
    back = str(tmp_path / "back.db")
    code, out, err = await monitor_cli("copy-store", pg_url, back, config=config)
    assert code == 1 and out == "", (out, err)
    assert len(err.splitlines()) == 1 and f"node {node} on node-a, pid 4242" in err, err
    assert "a copy would read it half-changed" in err, err
    conn = await asyncpg.connect(pg_url)
    try:
        await cluster_store.deregister(conn, node)  # the node stopped
    finally:
        await conn.close()
    code, out, err = await monitor_cli("copy-store", pg_url, back, config=config)
    assert code == 0 and out.startswith("copied "), (out, err)


async def test_a_dry_run_says_what_the_real_once_does_with_queued_items(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    """Items nodes queued for their assigner before they stopped are the nodes' work: the
    real `once` on PostgreSQL leaves them queued, and so its dry run shows no alert for them
    (review15c D2: the dry run's SQLite copy filed them and printed their alert)."""
    feed_server.feed("/a", rss("Outlet A", [(HEADLINES[0], "http://a.example/rail")]))
    urls = [feed_server.url("/a")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        text = pipeline_config(pg_url, urls, tg.url, hook.url)
        conn = await asyncpg.connect(pg_url)
        try:
            await cluster_store.ensure_schema(conn)
        finally:
            await conn.close()
        engine = await Engine.open(config_module.loads(text, base_dir=tmp_path))
        try:
            engine.rt.assign = queue_for_assigner  # a node's poll; the nodes then stopped
            await poll_all(engine.rt, progress=False)
        finally:
            await engine.close()
        config = tmp_path / "c.toml"
        config.write_text(text, "utf-8")
        code, dry, err = await monitor_cli("once", "--dry-run", config=config)
        assert code == 0, err
        code, _, err = await monitor_cli("once", config=config)
        assert code == 0, err
        assert not tg.sent and "summit" not in dry, (tg.sent, dry)


async def test_copy_store_of_config_judges_nodes_by_the_configs_lease(
    pg_url: str, tmp_path: Path
) -> None:
    """`copy-store config X`: a node silent for 45 s is alive under the config's lease of
    120 s, so the copy is refused (review15e D3: the default 30 s lease was used)."""
    store = await Store.open(pg_url)
    await store.close()
    config = tmp_path / "c.toml"
    text = pipeline_config(pg_url, [], "http://127.0.0.1:1", "http://127.0.0.1:1")
    config.write_text(text + '\n[cluster]\nlease = "120s"\nheartbeat = "20s"\n', "utf-8")
    conn = await asyncpg.connect(pg_url)
    try:
        await cluster_store.ensure_schema(conn)
        node = await cluster_store.register(conn, "node-a", 4242)
        await conn.execute("UPDATE cluster_nodes SET heartbeat = heartbeat - 45 WHERE id = $1", node)
    finally:
        await conn.close()
    code, _, err = await monitor_cli("copy-store", "config", str(tmp_path / "b.db"), config=config)
    assert code == 1 and f"node {node} on node-a" in err, err
