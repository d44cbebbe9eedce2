"""Raw API pages (`raw_pages`) in PostgreSQL: zlib-compressed bodies, day partitions, retention.

One row per fetched page (ADR-003 `raw_data`, kept per page rather than per snapshot row). The
table is range-partitioned by UTC day on `fetched_at`, so `prune` drops whole days and deletes
only inside the boundary day. zlib because it is in the standard library; the `compression`
column admits 'zstd' for a later writer.
"""

from __future__ import annotations

import builtins
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final

import asyncpg
import orjson

from kalshi_core.storage.partitions import day_of, drop_partitions_before
from kalshi_core.storage.repositories import RawPage

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

ZLIB_LEVEL: Final = 6

_INSERT = """
INSERT INTO raw_pages (fetched_at, endpoint, params, cursor, compression, raw_size, body)
VALUES ($1, $2, $3, $4, 'zlib', $5, $6)
"""


def validate_raw_pages(pages: Iterable[RawPage]) -> None:
    """Any object with RawPage's fields is accepted (the Kalshi client has its own class)."""
    for i, p in enumerate(pages):
        missing = [
            a for a in ("fetched_at", "endpoint", "body", "params", "cursor") if not hasattr(p, a)
        ]
        if missing:
            raise TypeError(f"raw page #{i} ({type(p).__name__}) lacks {', '.join(missing)}")
        if not isinstance(p.fetched_at, datetime) or p.fetched_at.tzinfo is None:
            raise ValueError(
                f"raw page #{i} ({p.endpoint}): naive fetched_at "
                f"{p.fetched_at.isoformat()} rejected"
            )
        if not isinstance(p.body, bytes | bytearray | memoryview):
            raise TypeError(f"raw page #{i} ({p.endpoint}): body must be bytes")
        if not p.endpoint:
            raise ValueError(f"raw page #{i}: empty endpoint")
        try:
            orjson.dumps(dict(p.params or {}))
        except TypeError as exc:
            raise ValueError(f"raw page #{i} ({p.endpoint}): params are not JSON: {exc}") from exc


def raw_page_days(pages: Sequence[RawPage]) -> set[date]:
    """The day partitions these pages go to (validating them first)."""
    validate_raw_pages(pages)
    return {day_of(p.fetched_at) for p in pages}


async def insert_raw_pages(conn: asyncpg.Connection, pages: Sequence[RawPage]) -> int:
    """Compress and insert pages on `conn` (inside the caller's transaction, if any)."""
    args = [
        (
            p.fetched_at,
            p.endpoint,
            dict(p.params or {}),
            p.cursor,
            len(p.body),
            zlib.compress(bytes(p.body), ZLIB_LEVEL),
        )
        for p in pages
    ]
    await conn.executemany(_INSERT, args)
    return len(args)


def _page_from(row: asyncpg.Record) -> RawPage:
    body: bytes = row["body"]
    if row["compression"] == "zlib":
        body = zlib.decompress(body)
    elif row["compression"] != "none":
        raise ValueError(f"raw page compressed with {row['compression']!r}: no decoder here")
    return RawPage(
        fetched_at=row["fetched_at"],
        endpoint=row["endpoint"],
        body=body,
        params=row["params"],
        cursor=row["cursor"],
    )


class PostgresRawPageRepository:
    """`RawPageRepository` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, pages: Sequence[RawPage]) -> int:
        """Store pages outside a tick (a tick stores its pages through `save_many`)."""
        if not pages:
            return 0
        self._db.require_writable()
        days = raw_page_days(pages)
        async with self._db.acquire() as conn:
            await self._db.ensure_partitions(conn, "raw_pages", days)
            async with conn.transaction():
                return await insert_raw_pages(conn, pages)

    async def list(
        self, start: datetime, end: datetime, endpoint: str | None = None, limit: int = 1000
    ) -> builtins.list[RawPage]:
        """Pages fetched in `[start, end)`, oldest first, bodies decompressed."""
        sql = (
            "SELECT fetched_at, endpoint, params, cursor, compression, body FROM raw_pages "
            "WHERE fetched_at >= $1 AND fetched_at < $2 AND ($3::text IS NULL OR endpoint = $3) "
            "ORDER BY fetched_at, id LIMIT $4"
        )
        async with self._db.acquire() as conn:
            rows = await conn.fetch(sql, start, end, endpoint, limit)
        return [_page_from(r) for r in rows]

    async def count(self, start: datetime | None = None, end: datetime | None = None) -> int:
        conds: builtins.list[str] = []
        args: builtins.list[Any] = []
        if start is not None:
            args.append(start)
            conds.append(f"fetched_at >= ${len(args)}")
        if end is not None:
            args.append(end)
            conds.append(f"fetched_at < ${len(args)}")
        where = ("WHERE " + " AND ".join(conds)) if conds else ""
        async with self._db.acquire() as conn:
            return int(await conn.fetchval(f"SELECT count(*) FROM raw_pages {where}", *args))

    async def prune(self, older_than: datetime) -> int:
        """Remove pages fetched before `older_than`: whole earlier days are dropped as
        partitions, the boundary day is trimmed with a DELETE. Returns pages removed."""
        if older_than.tzinfo is None:
            raise ValueError(f"naive datetime {older_than.isoformat()} rejected")
        self._db.require_writable()
        cutoff_day = older_than.astimezone(UTC).date()
        async with self._db.acquire() as conn:
            # Counted first so the caller can log what retention removed.
            in_dropped = await conn.fetchval(
                "SELECT count(*) FROM raw_pages WHERE fetched_at < $1",
                datetime(cutoff_day.year, cutoff_day.month, cutoff_day.day, tzinfo=UTC),
            )
            await drop_partitions_before(conn, "raw_pages", cutoff_day)
            self._db.partitions.forget("raw_pages")
            status = await conn.execute("DELETE FROM raw_pages WHERE fetched_at < $1", older_than)
        return int(in_dropped) + int(status.split()[-1])
