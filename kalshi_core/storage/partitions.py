"""Day partitions of `market_snapshots` and `raw_pages`: created ahead and on demand, never by hand.

A partition covers one UTC day `[d 00:00Z, d+1 00:00Z)` and is named `<table>_pYYYYMMDD`.
`ensure_partitions` creates the missing days of a table under a transaction-scoped advisory lock,
so concurrent writers (two processes, two connections) never race on `CREATE TABLE`; it is
idempotent. Writers call it before their write transaction (through `PartitionCache`, which
remembers what exists so the steady state costs no query) so that a write for a new day never
fails and the parent's lock is held for milliseconds, not for a whole tick.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import psycopg2

from kalshi_core.logs import get_logger
from kalshi_core.storage.tables import PARTITIONED

log = get_logger(__name__)

_NAME = re.compile(r"^(?P<table>[a-z_]+)_p(?P<day>\d{8})$")


def _check_table(table: str) -> None:
    # Identifiers cannot be bound parameters; only our own partitioned tables are accepted.
    if table not in PARTITIONED:
        raise ValueError(f"{table!r} is not a day-partitioned table ({sorted(PARTITIONED)})")


def partition_name(table: str, day: date) -> str:
    _check_table(table)
    return f"{table}_p{day:%Y%m%d}"


def partition_day(name: str) -> date | None:
    """The day a partition name stands for, or None if the name is not one of ours."""
    m = _NAME.match(name)
    if m is None:
        return None
    return datetime.strptime(m.group("day"), "%Y%m%d").replace(tzinfo=UTC).date()


def day_of(ts: datetime) -> date:
    """The UTC day a timestamp falls in (the partition it goes to)."""
    if ts.tzinfo is None:
        raise ValueError(f"naive datetime {ts.isoformat()} has no UTC day")
    return ts.astimezone(UTC).date()


def days_ahead(today: date, n: int) -> list[date]:
    """Today and the `n` following days."""
    return [today + timedelta(days=i) for i in range(n + 1)]


def _create_sql(table: str, day: date) -> str:
    # Values come from a `date` object, never from user input: safe to inline in DDL (which
    # takes no bind parameters).
    lo = f"{day:%Y-%m-%d} 00:00:00+00"
    hi = f"{day + timedelta(days=1):%Y-%m-%d} 00:00:00+00"
    return (
        f"CREATE TABLE IF NOT EXISTS {partition_name(table, day)} PARTITION OF {table} "
        f"FOR VALUES FROM ('{lo}') TO ('{hi}')"
    )


_EXISTING_SQL = """
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = $1::regclass
"""
_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('kalshi_partitions:' || $1))"


async def existing_days(conn: asyncpg.Connection, table: str) -> set[date]:
    """Days that already have a partition of `table`."""
    _check_table(table)
    rows = await conn.fetch(_EXISTING_SQL, table)
    days = {partition_day(r["relname"]) for r in rows}
    return {d for d in days if d is not None}


async def ensure_partitions(
    conn: asyncpg.Connection, table: str, days: Iterable[date]
) -> list[str]:
    """Create the missing day partitions of `table`; returns the names created.

    Runs its own transaction (or a savepoint inside the caller's): the advisory lock makes
    concurrent callers wait for each other, and `IF NOT EXISTS` under the lock makes a second
    caller a no-op.
    """
    wanted = set(days)
    if not wanted:
        return []
    missing = wanted - await existing_days(conn, table)
    if not missing:
        return []
    created: list[str] = []
    async with conn.transaction():
        await conn.execute(_LOCK_SQL, table)
        # Re-read under the lock: another session may have just created some of them.
        missing -= await existing_days(conn, table)
        for day in sorted(missing):
            await conn.execute(_create_sql(table, day))
            created.append(partition_name(table, day))
    if created:
        log.info("partitions created", extra={"table": table, "partitions": created})
    return created


async def drop_partitions_before(conn: asyncpg.Connection, table: str, day: date) -> list[str]:
    """Drop every partition of `table` whose whole day is before `day`; returns the names."""
    dropped: list[str] = []
    async with conn.transaction():
        await conn.execute(_LOCK_SQL, table)
        for d in sorted(await existing_days(conn, table)):
            if d < day:
                name = partition_name(table, d)
                await conn.execute(f"DROP TABLE IF EXISTS {name}")
                dropped.append(name)
    if dropped:
        log.info("partitions dropped", extra={"table": table, "partitions": dropped})
    return dropped


async def compact_partition(
    conn: asyncpg.Connection,
    table: str,
    day: date,
    *,
    cluster: bool = False,
    swap_lock_timeout_s: float = 0.5,
    swap_attempts: int = 20,
) -> list[str]:
    """Rebuild a finished day's partition densely; returns the indexes rebuilt.

    While a day is written, the (market_id, observed_at) key receives one entry per market per
    tick in the middle of the index, so leaf pages split 50/50 and end about half full, and the
    heap holds the rows in arrival order: one market's rows of the day are spread over one page
    per row. Once the day is over nothing is inserted there again, so:

    - `cluster=False`: `REINDEX ... CONCURRENTLY` with fillfactor 100 (online: readers and
      writers keep going) halves the index.
    - `cluster=True`: also rewrites the heap in key order, so a market's day of history sits on a
      few pages (a history read then touches ~1 page per 60 rows instead of 1 per row). Online:
      see `_rewrite_clustered`. Readers never wait longer than the final swap (milliseconds).

    Must run outside a transaction block.
    """
    if day >= datetime.now(UTC).date():
        raise ValueError(f"{day} is not finished yet: only past days are compacted")
    name = partition_name(table, day)
    rows = await conn.fetch(
        "SELECT i.indexrelid::regclass::text AS index FROM pg_index i "
        "WHERE i.indrelid = to_regclass($1)",
        name,
    )
    indexes = [r["index"] for r in rows]
    if not indexes:
        return []
    if cluster:
        await _rewrite_clustered(conn, table, day, swap_lock_timeout_s, swap_attempts)
    else:
        for index in indexes:
            # Names come from the catalog for our own partition; identifiers cannot be bound.
            await conn.execute(f"ALTER INDEX {index} SET (fillfactor = 100)")
            await conn.execute(f"REINDEX INDEX CONCURRENTLY {index}")
    log.info(
        "partition compacted", extra={"partition": name, "indexes": indexes, "cluster": cluster}
    )
    return indexes


_PKEY_COLUMNS_SQL = """
SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord)
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = to_regclass($1) AND i.indisprimary
"""


async def _rewrite_clustered(
    conn: asyncpg.Connection, table: str, day: date, lock_timeout_s: float, attempts: int
) -> None:
    """Copy a finished day's partition in key order into a new table and swap it in.

    One transaction: `SHARE` lock on the old partition (a late writer waits, readers go on),
    copy ordered by the primary key, build the key densely, then swap: detach the old
    partition, attach the new one (its CHECK constraint on the bounds spares PostgreSQL the
    validation scan), drop the old one, take over its name. Only the swap needs the parent's
    ACCESS EXCLUSIVE lock; it is tried with a short lock timeout and retried, so a long query on
    the parent delays the swap instead of stalling everyone behind it. A failure anywhere
    rolls back to the untouched original (CLUSTER would instead lock out readers of that day
    for the whole rewrite).
    """
    name = partition_name(table, day)
    new = f"{name}_c"
    key_column = PARTITIONED[table]
    # Values from a `date`, identifiers from our own names: safe to inline in DDL.
    lo = f"{day:%Y-%m-%d} 00:00:00+00"
    hi = f"{day + timedelta(days=1):%Y-%m-%d} 00:00:00+00"
    key = await conn.fetchval(_PKEY_COLUMNS_SQL, name)
    if not key:
        raise ValueError(f"{name} has no primary key to order by")
    async with conn.transaction():
        await conn.execute(f"LOCK TABLE {name} IN SHARE MODE")
        await conn.execute(
            f"CREATE TABLE {new} (LIKE {name} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            "INCLUDING STORAGE INCLUDING COMPRESSION) WITH (fillfactor = 100)"
        )
        await conn.execute(f"INSERT INTO {new} SELECT * FROM {name} ORDER BY {key}")
        await conn.execute(
            f"ALTER TABLE {new} ADD CONSTRAINT {new}_bounds CHECK "
            f"({key_column} >= '{lo}' AND {key_column} < '{hi}'), "
            f"ADD CONSTRAINT {new}_pkey PRIMARY KEY ({key}) WITH (fillfactor = 100)"
        )
        await conn.execute(f"ANALYZE {new}")
        for attempt in range(1, attempts + 1):
            try:
                async with conn.transaction():  # a savepoint: a timeout undoes only this try
                    await conn.execute(f"SET LOCAL lock_timeout = '{int(lock_timeout_s * 1000)}ms'")
                    await conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                    await conn.execute(f"ALTER TABLE {table} DETACH PARTITION {name}")
                    await conn.execute(
                        f"ALTER TABLE {table} ATTACH PARTITION {new} "
                        f"FOR VALUES FROM ('{lo}') TO ('{hi}')"
                    )
                    await conn.execute("SET LOCAL lock_timeout = 0")
                break
            except asyncpg.LockNotAvailableError:
                if attempt == attempts:
                    raise
                log.info("partition swap waiting for readers", extra={"partition": name})
        await conn.execute(f"DROP TABLE {name}")
        await conn.execute(f"ALTER TABLE {new} RENAME TO {name}")
        await conn.execute(f"ALTER TABLE {name} RENAME CONSTRAINT {new}_pkey TO {name}_pkey")
        await conn.execute(f"ALTER TABLE {name} DROP CONSTRAINT {new}_bounds")


class PartitionCache:
    """Remembers which day partitions exist so a steady-state write asks the catalog nothing.

    One per `Database`. If a partition is dropped behind its back (retention), the write that
    fails with "no partition ... found for row" calls `forget()` and retries once.
    """

    def __init__(self) -> None:
        self._known: dict[str, set[date]] = {t: set() for t in PARTITIONED}

    def missing(self, table: str, days: Iterable[date]) -> set[date]:
        return set(days) - self._known[table]

    async def ensure(self, conn: asyncpg.Connection, table: str, days: Iterable[date]) -> None:
        missing = self.missing(table, days)
        if missing:
            await ensure_partitions(conn, table, missing)
            self._known[table] |= missing

    def forget(self, table: str | None = None) -> None:
        for t in [table] if table else list(self._known):
            self._known[t] = set()


def ensure_partitions_ahead_sync(database_url: str, today: date, n_days: int) -> list[str]:
    """Blocking variant for the migrate CLI: today .. today+n_days for every partitioned table."""
    dsn = database_url
    for prefix in ("postgresql+psycopg2://", "postgresql+asyncpg://"):
        if dsn.startswith(prefix):
            dsn = "postgresql://" + dsn[len(prefix) :]
    created: list[str] = []
    conn: Any = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            for table in PARTITIONED:
                cur.execute(
                    "SELECT pg_advisory_xact_lock(hashtext('kalshi_partitions:' || %s))", (table,)
                )
                cur.execute(_EXISTING_SQL.replace("$1", "%s"), (table,))
                have = {partition_day(r[0]) for r in cur.fetchall()}
                for day in days_ahead(today, n_days):
                    if day not in have:
                        cur.execute(_create_sql(table, day))
                        created.append(partition_name(table, day))
    finally:
        conn.close()
    if created:
        log.info("partitions created", extra={"partitions": created})
    return created
