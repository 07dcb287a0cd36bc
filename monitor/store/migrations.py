"""Schema migrations: named functions, each applied in one transaction with its record.

Append new migrations to ``MIGRATIONS``; never edit or rename one that has shipped (its name
is its record). ``monitor.store.migrate`` applies them.
Times are stored as UNIX seconds (REAL, UTC). The DDL is SQLite's; ``Db.script`` on PostgreSQL
translates its types (``INTEGER PRIMARY KEY``, ``INTEGER``, ``REAL``, ``STRICT``) in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from monitor.store.db import Db

Migration = Callable[[Db], Awaitable[None]]


async def m001_feeds_items(db: Db) -> None:
    await db.script(
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,          -- as configured; the feed's identity
            fetch_url TEXT,                    -- where a permanent redirect moved it
            title TEXT,                        -- the feed's own title
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            last_status INTEGER,
            last_checked REAL,
            last_success REAL,
            last_error TEXT,
            last_error_at REAL,
            error_streak INTEGER NOT NULL DEFAULT 0,
            failing_since REAL,
            next_check REAL,
            last_new_item REAL,
            items_total INTEGER NOT NULL DEFAULT 0,
            health_alerted INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        ) STRICT;
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,               -- the headline of its first item
            first_item_id INTEGER,
            first_seen REAL NOT NULL,
            last_seen REAL NOT NULL,
            outlets INTEGER NOT NULL DEFAULT 1 -- distinct feeds carrying it
        ) STRICT;
        CREATE INDEX stories_last_seen ON stories(last_seen);
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            key TEXT NOT NULL,                 -- stable id: GUID, else canonical URL, else content
            guid TEXT,
            url TEXT,
            canonical_url TEXT,
            title TEXT NOT NULL,
            summary TEXT NOT NULL,
            published REAL,
            first_seen REAL NOT NULL,
            story_id INTEGER REFERENCES stories(id) ON DELETE SET NULL,
            UNIQUE (feed_id, key)
        ) STRICT;
        CREATE INDEX items_canonical_url ON items(canonical_url);
        CREATE INDEX items_guid ON items(guid);
        CREATE INDEX items_first_seen ON items(first_seen);
        CREATE INDEX items_story ON items(story_id);
        CREATE TABLE matches (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            rule TEXT NOT NULL,
            terms TEXT NOT NULL,               -- JSON list of the terms that fired
            hits TEXT NOT NULL,                -- JSON list of {term, text, field, start, end}
            snippet TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (item_id, rule)
        ) STRICT;
        CREATE INDEX matches_story ON matches(story_id);
        """,
    )


async def m002_outbox(db: Db) -> None:
    await db.script(
        """
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            kind TEXT NOT NULL,                -- new | update | burst | health | test
            story_id INTEGER REFERENCES stories(id) ON DELETE SET NULL,
            rule TEXT,
            dedup_key TEXT NOT NULL,           -- one alert per (story, rule, channel, kind)
            payload TEXT NOT NULL,             -- JSON of monitor.models.Alert
            status TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | failed | expired
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt REAL NOT NULL,
            last_error TEXT,
            external_id TEXT,                  -- e.g. the Telegram message_id, for edits
            created_at REAL NOT NULL,
            sent_at REAL,
            UNIQUE (channel, dedup_key)
        ) STRICT;
        CREATE INDEX alerts_due ON alerts(status, next_attempt);
        CREATE TABLE alert_attempts (
            id INTEGER PRIMARY KEY,
            alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
            at REAL NOT NULL,
            outcome TEXT NOT NULL,             -- sent | retry | failed
            error TEXT
        ) STRICT;
        CREATE INDEX alert_attempts_alert ON alert_attempts(alert_id);
        """,
    )


async def m004_alerts_by_story(db: Db) -> None:
    # Every poll that grows a story looks up the story's alerts: without this
    # index that is a scan of the whole outbox. IF NOT EXISTS: harmless if applied twice.
    await db.execute("CREATE INDEX IF NOT EXISTS alerts_story ON alerts(story_id)")


async def m005_item_feed_name(db: Db) -> None:
    # The outlet's display name comes from the config; kept with each item so a story can
    # list its outlets after the config changes or the feed is gone.
    await db.script("ALTER TABLE items ADD COLUMN feed_name TEXT;")


async def m006_item_dedup_key(db: Db) -> None:
    # The parsed headline (monitor.dedup.headline.Headline.key, with its KEY_VERSION), set when
    # the item joins a story: the story window is rebuilt at start from these instead of
    # parsing a million titles again. NULL for older rows: those are parsed as before.
    await db.script("ALTER TABLE items ADD COLUMN dedup_key TEXT;")


async def m007_drop_item_url_guid_indexes(db: Db) -> None:
    # No query looks an item up by its canonical URL or GUID (the story window joins on them
    # in memory, from its own table), yet every new item paid for both indexes: two more
    # B-trees written in every poll's transaction (about a quarter of its commit). Should a
    # query need one again, it comes back in a new migration.
    await db.execute("DROP INDEX IF EXISTS items_canonical_url")
    await db.execute("DROP INDEX IF EXISTS items_guid")


async def m008_feed_last_cut(db: Db) -> None:
    # How many new items the feed's last capped poll ([monitor] max_new_items) stored without
    # stories or alerts, and when: monitor status shows it.
    await db.script(
        "ALTER TABLE feeds ADD COLUMN last_cut INTEGER NOT NULL DEFAULT 0;\n"
        "ALTER TABLE feeds ADD COLUMN last_cut_at REAL;\n"
    )


async def m009_events(db: Db) -> None:
    # Events group stories (monitor.events): the coverage of one happening. An event's
    # alerts are found through its stories (stories_event, then alerts_story).
    await db.script(
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,               -- its most representative headline
            first_seen REAL NOT NULL,
            last_seen REAL NOT NULL,
            stories INTEGER NOT NULL DEFAULT 1 -- its stories (angles)
        ) STRICT;
        CREATE INDEX events_last_seen ON events(last_seen);
        ALTER TABLE stories ADD COLUMN event_id INTEGER REFERENCES events(id) ON DELETE SET NULL;
        CREATE INDEX stories_event ON stories(event_id);
        """,
    )


async def m010_websub(db: Db) -> None:
    # WebSub subscriptions (monitor/store/websub.py), kept so that a restart keeps them live:
    # the callback token and the secret a hub signs with must be the ones it was given.
    await db.script(
        """
        CREATE TABLE websub_subscriptions (
            id INTEGER PRIMARY KEY,
            feed_url TEXT NOT NULL UNIQUE,     -- as configured
            hub TEXT NOT NULL,
            topic TEXT NOT NULL,               -- the feed's rel="self" URL
            token TEXT NOT NULL UNIQUE,        -- the callback's unguessable last path segment
            secret TEXT NOT NULL,              -- hub.secret: the key of X-Hub-Signature
            state TEXT NOT NULL,               -- pending | live | fallback | unsubscribing | denied
            requested_at REAL,
            verified_at REAL,
            lease_end REAL,
            last_push REAL,
            pushes INTEGER NOT NULL DEFAULT 0,
            last_new REAL,                     -- when a push or a poll last brought new items
            gap REAL,                          -- the feed's usual gap between new items (seconds)
            misses INTEGER NOT NULL DEFAULT 0, -- polls in a row that found what no push brought
            reason TEXT,                       -- why the feed is polled again, or was denied
            last_error TEXT
        ) STRICT;
        CREATE TABLE websub_refusals (
            reason TEXT PRIMARY KEY,           -- unknown | bad_signature | too_large | not_a_feed
            count INTEGER NOT NULL
        ) STRICT;
        """,
    )


async def m011_item_headline_key(db: Db) -> None:
    # items.dedup_key was a parsed headline, not an idempotency key like alerts.dedup_key: one
    # name for two things. Renamed, its values kept.
    await db.execute("ALTER TABLE items RENAME COLUMN dedup_key TO headline_key")


async def m012_event_outlets(db: Db) -> None:
    # An event's outlets and newest headline, kept as each poll's items join
    # (monitor/store/event_outlets.py) instead of read from all the event's items for each
    # alert; filled here from the items already stored.
    await db.script(
        """
        CREATE TABLE event_outlets (
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            feed_id INTEGER NOT NULL,          -- no reference: the name outlives the feed
            name TEXT NOT NULL,                -- the feed's name on its first item of the event
            first_seen REAL NOT NULL,          -- that item's
            item_id INTEGER NOT NULL,          -- that item
            PRIMARY KEY (event_id, feed_id)
        ) STRICT;
        ALTER TABLE events ADD COLUMN latest TEXT;  -- the headline of its newest item
        ALTER TABLE events ADD COLUMN latest_at REAL;  -- that item's publication (or first seen)
        ALTER TABLE events ADD COLUMN latest_item INTEGER;
        """,
    )
    # The statements as written when this migration was: a migration is frozen text.
    await db.execute(
        "INSERT INTO event_outlets (event_id, feed_id, name, first_seen, item_id)"
        " SELECT f.event_id, i.feed_id, i.feed_name, i.first_seen, i.id FROM items i JOIN"
        " (SELECT s.event_id, MIN(i.id) AS first FROM items i JOIN stories s ON s.id = i.story_id"
        " WHERE s.event_id IS NOT NULL AND i.feed_name IS NOT NULL GROUP BY s.event_id, i.feed_id)"
        " f ON f.first = i.id"
    )
    await db.execute(
        "UPDATE events SET (latest, latest_at, latest_item) = (SELECT i.title,"
        " COALESCE(i.published, i.first_seen), i.id FROM items i JOIN stories s"
        " ON s.id = i.story_id WHERE s.event_id = events.id"
        " ORDER BY COALESCE(i.published, i.first_seen) DESC, i.id DESC LIMIT 1) WHERE true"
    )


async def m014_story_outlets(db: Db) -> None:
    # Each feed's first item of each story, kept as items join (monitor/store/stories.py):
    # a poll reads the outlets of the stories it grows from these compact rows, where it read
    # the row of every item of each story. Filled here from the items stored; a feed whose
    # first item of a story predates stored feed names (m005) goes by the feed's title.
    await db.script(
        """
        CREATE TABLE story_outlets (
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            feed_id INTEGER NOT NULL,          -- no reference: the name outlives the feed
            name TEXT NOT NULL,                -- the feed's name on its first item of the story
            first_seen REAL NOT NULL,          -- that item's
            item_id INTEGER NOT NULL,          -- that item
            PRIMARY KEY (story_id, feed_id)
        ) STRICT;
        """,
    )
    await db.execute(
        "INSERT INTO story_outlets (story_id, feed_id, name, first_seen, item_id)"
        " SELECT i.story_id, i.feed_id, COALESCE(i.feed_name, f.title, f.url), i.first_seen, i.id"
        " FROM items i JOIN (SELECT MIN(id) AS first FROM items WHERE story_id IS NOT NULL"
        " GROUP BY story_id, feed_id) m ON m.first = i.id JOIN feeds f ON f.id = i.feed_id"
    )


async def m015_alert_growth(db: Db) -> None:
    # What a grown story's or event's alerts show of it, kept once per story or event
    # (monitor/store/growth.py) where each pending alert's payload was rewritten at each poll
    # that grew it. Pending alerts keep their payloads: they point at no growth yet.
    await db.script(
        """
        CREATE TABLE alert_growth (
            owner TEXT PRIMARY KEY,            -- "story:ID" or "event:ID"
            outlets TEXT NOT NULL,             -- JSON list: its outlets, the first first
            told TEXT                          -- JSON object: what an event's alerts tell
        ) STRICT;
        ALTER TABLE alerts ADD COLUMN growth TEXT;  -- the alert_growth it shows (pending only)
        CREATE INDEX alerts_growth ON alerts(growth) WHERE growth IS NOT NULL;
        """,
    )


async def m016_feed_malformed(db: Db) -> None:
    # The XML problem of a feed's last body (one that may have lost items) and since when its
    # bodies have had one: kept with the body's hash, apart from the failed fetches' streak.
    await db.script(
        "ALTER TABLE feeds ADD COLUMN malformed TEXT;\n"
        "ALTER TABLE feeds ADD COLUMN malformed_since REAL;\n"
    )


async def m017_alert_event(db: Db) -> None:
    # The event an alert per event (key "event:..." or "burst:event:...") is about now: its
    # story's, kept as the story moves (``store.events.record``). Which alerts a channel holds
    # of an event (``store.event_alerts.alerted``) is one indexed lookup, where it walked each
    # event's stories to their alerts. Filled here from the stories' events.
    await db.script(
        """
        ALTER TABLE alerts ADD COLUMN event_id INTEGER;
        CREATE INDEX alerts_event ON alerts(event_id) WHERE event_id IS NOT NULL;
        """,
    )
    await db.execute(
        "UPDATE alerts SET event_id ="
        " (SELECT s.event_id FROM stories s WHERE s.id = alerts.story_id)"
        " WHERE story_id IS NOT NULL"
        " AND (dedup_key LIKE 'event:%' OR dedup_key LIKE 'burst:event:%')"
    )


async def m018_feed_last_old(db: Db) -> None:
    # How many new items the feed's last poll that had old news ([monitor] max_age) stored
    # as seen, without stories or alerts, and when: monitor status shows it.
    await db.script(
        "ALTER TABLE feeds ADD COLUMN last_old INTEGER NOT NULL DEFAULT 0;\n"
        "ALTER TABLE feeds ADD COLUMN last_old_at REAL;\n"
    )


async def m019_item_last_listed(db: Db) -> None:
    # When its feed last listed an item (NULL: when first seen), refreshed lazily by the
    # changed bodies that list it (``store.items.listed``), and since when the items of a
    # feed's last body were all listed: retention prunes no item its feed still lists
    # (``store.expiry``), where an undated one would be news again.
    await db.script(
        "ALTER TABLE items ADD COLUMN last_listed REAL;\n"
        "ALTER TABLE feeds ADD COLUMN listed_since REAL;\n"
    )


async def m020_item_untimed(db: Db) -> None:
    # Whether an item's time says nothing of when its news happened (``StoredItem.untimed``:
    # undated, or the feed's stamp, on its feed's first poll; ``events.when``), decided once
    # for the poll and kept with the item: it holds across a restart, a rebuild of the event
    # window and a cluster's assigner queue. Rows from before it are taken at their time
    # (0): which poll was a feed's first is not known of them (review19a: "the earliest
    # first sight" is a later poll's for a feed that listed nothing at first).
    await db.script("ALTER TABLE items ADD COLUMN untimed INTEGER NOT NULL DEFAULT 0;\n")


async def m021_outlets_by_name(db: Db) -> None:
    # The outlet an aggregator names as an item's own (``<source>``: Reuters through Google
    # News) is kept with the item (NULL: none, its feed is the outlet), and a story's and an
    # event's outlets are kept by identity (``StoredItem.outlet_key``): a <source> by its name
    # (feed_id NULL), a feed's own by its feed (whatever it is called), where they were all
    # by feed (one Google News feed carrying Reuters, AP and BBC was one outlet). No backfill:
    # an item stored before it is its feed's, as it was credited, and every row is kept (all
    # are a feed's). A <source> name is cut where it is made (``models.outlet_name``):
    # PostgreSQL refuses a key over 2,704 bytes. Unreleased when review20d found a renamed
    # feed counted twice under the name key it had first: changed in place.
    await db.script("ALTER TABLE items ADD COLUMN source TEXT;\n")
    for table, owner, parent in (("story_outlets", "story_id", "stories"),
                                 ("event_outlets", "event_id", "events")):  # fmt: skip
        await db.script(
            f"""
            CREATE TABLE {table}_by_name (
                {owner} INTEGER NOT NULL REFERENCES {parent}(id) ON DELETE CASCADE,
                -- the feed of an outlet that is the feed's own (its items without <source>):
                -- one per owner, whatever its name (a feed renamed since is no second
                -- outlet); NULL for an aggregator's <source>, one per owner by name. No
                -- reference: it outlives the feed.
                feed_id INTEGER,
                name TEXT NOT NULL,            -- the outlet's (StoredItem.outlet) on its first item
                first_seen REAL NOT NULL,      -- that item's
                item_id INTEGER NOT NULL       -- that item
            ) STRICT;
            """
        )
        await db.execute(
            f"INSERT INTO {table}_by_name ({owner}, feed_id, name, first_seen, item_id)"
            f" SELECT {owner}, feed_id, name, first_seen, item_id FROM {table}"
        )
        await db.script(
            f"DROP TABLE {table};\nALTER TABLE {table}_by_name RENAME TO {table};\n"
            # Not partial: it also finds an owner's rows (NULLs are distinct in a unique key).
            f"CREATE UNIQUE INDEX {table}_feed ON {table}({owner}, feed_id);\n"
            f"CREATE UNIQUE INDEX {table}_source ON {table}({owner}, name)"
            " WHERE feed_id IS NULL;\n"
        )


async def m022_outlets_by_site(db: Db) -> None:
    # An outlet is its web site where one is known (``StoredItem.outlet_key``: the host of
    # an aggregator's <source url> or of the feed's own <link>), kept with the item, with the
    # feed (the site its link last named, ``FeedState.site``: a body whose link names none
    # is the same outlet's) and with a story's and an event's outlet rows: Reuters' own feed
    # and Reuters through Google News and Bing were three outlets. A site's row is unique
    # per owner by site (feed_id NULL); the name index keeps to rows with neither feed nor
    # site, so that a site and a <source> without an address may share a name. No backfill:
    # what a row's site was is not stored (a <source>'s address, a feed's <link> then); rows
    # from before it keep their identity (site NULL).
    await db.script(
        "ALTER TABLE items ADD COLUMN site TEXT;\nALTER TABLE feeds ADD COLUMN site TEXT;\n"
    )
    for table, owner in (("story_outlets", "story_id"), ("event_outlets", "event_id")):
        await db.script(
            f"ALTER TABLE {table} ADD COLUMN site TEXT;\n"
            f"DROP INDEX {table}_source;\n"
            f"CREATE UNIQUE INDEX {table}_source ON {table}({owner}, name)"
            " WHERE feed_id IS NULL AND site IS NULL;\n"
            f"CREATE UNIQUE INDEX {table}_site ON {table}({owner}, site) WHERE site IS NOT NULL;\n"
        )


async def m023_items_story_assigned(db: Db) -> None:
    # Only an item in a story is looked up by its story (every query on items.story_id asks
    # for a story's items, and the foreign key's actions for a deleted story's): an item is
    # stored before it joins one (NULL), so a full index took each new item in at its insert
    # and moved it when its story was set. Items that never join one (old news,
    # a capped poll's) are no longer in it at all.
    await _assigned_only(db, "items_story", "items", "story_id")


async def m024_stories_event_assigned(db: Db) -> None:
    # As m023 for items: a story is stored before the poll's events are decided (NULL) and
    # filed under its event later in the same transaction, and every query on
    # stories.event_id asks for an event's stories (or, for the foreign key, a deleted
    # event's).
    await _assigned_only(db, "stories_event", "stories", "event_id")


async def _assigned_only(db: Db, index: str, table: str, column: str) -> None:
    """``index`` on ``table``'s ``column`` rebuilt to hold only the rows where it is set."""
    await db.execute(f"DROP INDEX IF EXISTS {index}")
    await db.execute(f"CREATE INDEX {index} ON {table}({column}) WHERE {column} IS NOT NULL")
    # DROP INDEX took the index's statistics (sqlite_stat1) with it: until a clean close's
    # PRAGMA optimize, SQLite's planner would take the new index for one it knows nothing
    # of and rebuild the event window at start through it (every story filed under an
    # event and all their items, not the window's: 2.3 times the work on a 30-day store).
    # PostgreSQL keeps its statistics by column.
    if db.dialect == "sqlite" and await db.fetch_val(
        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
    ):
        await db.execute(f"ANALYZE {index}")


# Applied in this order; each is recorded by its function's name. Append only.
MIGRATIONS: list[Migration] = [
    m001_feeds_items,
    m002_outbox,
    m004_alerts_by_story,
    m005_item_feed_name,
    m006_item_dedup_key,
    m007_drop_item_url_guid_indexes,
    m008_feed_last_cut,
    m009_events,
    m010_websub,
    m011_item_headline_key,
    m012_event_outlets,
    m014_story_outlets,
    m015_alert_growth,
    m016_feed_malformed,
    m017_alert_event,
    m018_feed_last_old,
    m019_item_last_listed,
    m020_item_untimed,
    m021_outlets_by_name,
    m022_outlets_by_site,
    m023_items_story_assigned,
    m024_stories_event_assigned,
]
