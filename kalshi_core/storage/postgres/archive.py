"""`ArchiveRepository` on PostgreSQL: finished snapshot days written to Parquet, verified,
recorded in `archived_days`, and only then dropped from the database (docs/ARCHIVE.md).

`archive_day` streams a day's partition into a Parquet file (archive_files: a binary COPY
decoded with numpy, in the same snapshot as the partition's `RowChecksum`). The file goes to a
temporary name, is re-read from the store and checked against the partition's checksum, is
moved into place and recorded.

`drop_expired` takes recorded days older than the hot window out of PostgreSQL in two phases,
each only after re-checking, under a lock that keeps writers out, that the file still has its
recorded size and the partition still has its recorded checksum:

1. **retire**: `retired_at` is set; readers switch to the file as their cached list of archived
   days expires (ARCHIVE_CATALOGUE_TTL_S), and until then still read the partition, which holds
   the same rows;
2. **drop**: once the day has been retired for ARCHIVE_DROP_GRACE_S (longer than any reader's
   list may be used), the partition is dropped. The job waits up to ARCHIVE_DROP_WAIT_S for that;
   a day whose grace ends later is dropped by the next run.

A partition that changed after it was archived, or a file gone missing before the drop, puts the
day back in PostgreSQL's hands (not retired, not verified): the next run archives it again.

Whatever step fails or is interrupted, the day is kept by the partition, by a verified file, or
by both: nothing is recorded before the file is verified and in place, nothing is retired that
is not recorded, and nothing is dropped that has not been retired for the grace. Every step is
idempotent: an already verified day is skipped, a leftover temporary file is overwritten, a
recorded day is retired and dropped by the next run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Final

import asyncpg

from kalshi_core.logs import get_logger
from kalshi_core.settings import get_settings
from kalshi_core.storage.archive import (
    ARCHIVED_TABLES,
    ROW_GROUP_ROWS,
    SNAPSHOT_SCHEMA,
    ArchiveError,
    ArchiveStore,
    ArchiveVerificationError,
    RowChecksum,
)
from kalshi_core.storage.partitions import existing_days, partition_name
from kalshi_core.storage.postgres.archive_files import partition_checksum, write_partition
from kalshi_core.storage.postgres.archive_reads import archive_reader
from kalshi_core.storage.repositories import ArchivedDay, ArchiveStep

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

log = get_logger(__name__)

_RECORD_COLUMNS: Final = (
    "table_name, day, url, rows, bytes, checksum, written_at, verified_at, retired_at, dropped_at"
)
_GET: Final = f"SELECT {_RECORD_COLUMNS} FROM archived_days WHERE table_name = $1 AND day = $2"
_GET_FOR_UPDATE: Final = _GET + " FOR UPDATE"
_LIST: Final = f"SELECT {_RECORD_COLUMNS} FROM archived_days WHERE table_name = $1 ORDER BY day"
_RECORD: Final = f"""
INSERT INTO archived_days (table_name, day, url, rows, bytes, checksum, written_at, verified_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
ON CONFLICT (table_name, day) DO UPDATE SET
    url = EXCLUDED.url, rows = EXCLUDED.rows, bytes = EXCLUDED.bytes,
    checksum = EXCLUDED.checksum, written_at = EXCLUDED.written_at,
    verified_at = EXCLUDED.verified_at, retired_at = NULL, dropped_at = NULL
RETURNING {_RECORD_COLUMNS}
"""
_TO_RETIRE: Final = f"""
SELECT {_RECORD_COLUMNS} FROM archived_days
WHERE table_name = $1 AND day < $2 AND verified_at IS NOT NULL AND retired_at IS NULL
ORDER BY day
"""
# Retired days still to drop, and the seconds until their grace ($3) is over (<= 0: due).
# clock_timestamp(), not now(): the time of this statement, not of its transaction's start.
_TO_DROP: Final = f"""
SELECT {_RECORD_COLUMNS},
    extract(epoch FROM retired_at - clock_timestamp())::float8 + $3 AS due_in_s
FROM archived_days
WHERE table_name = $1 AND day < $2 AND retired_at IS NOT NULL AND dropped_at IS NULL
ORDER BY day
"""
# Stamped as late as possible, right before the commit that shows it to readers: the grace
# counts from here, and must not start before readers can see the day retired.
_MARK_RETIRED: Final = (
    "UPDATE archived_days SET retired_at = clock_timestamp() WHERE table_name = $1 AND day = $2"
)
_MARK_DROPPED: Final = (
    "UPDATE archived_days SET dropped_at = clock_timestamp(), "
    "retired_at = coalesce(retired_at, clock_timestamp()) WHERE table_name = $1 AND day = $2"
)
# Back to PostgreSQL: readers take the day from the partition again; the next run archives it.
_UNVERIFY: Final = (
    "UPDATE archived_days SET verified_at = NULL, retired_at = NULL "
    "WHERE table_name = $1 AND day = $2 AND dropped_at IS NULL"
)
_RELATION_EXISTS: Final = "SELECT to_regclass($1) IS NOT NULL"
_PARTITION_LOCK: Final = "SELECT pg_advisory_xact_lock(hashtext('kalshi_partitions:' || $1))"


def _record(row: asyncpg.Record) -> ArchivedDay:
    return ArchivedDay(
        table=row["table_name"],
        day=row["day"],
        url=row["url"],
        rows=int(row["rows"]),
        bytes=int(row["bytes"]),
        checksum=row["checksum"],
        written_at=row["written_at"],
        verified_at=row["verified_at"],
        retired_at=row["retired_at"],
        dropped_at=row["dropped_at"],
    )


def _finished(day: date, today: date) -> None:
    if day >= today:
        raise ValueError(f"{day} is not finished yet: only days before {today} are archived")


class PostgresArchiveRepository:
    """`ArchiveRepository` on PostgreSQL and an fsspec store.

    `store` defaults to ARCHIVE_URL / ARCHIVE_STORAGE_OPTIONS, `drop_grace_s` and `drop_wait_s`
    to ARCHIVE_DROP_GRACE_S and ARCHIVE_DROP_WAIT_S (a grace shorter than other processes'
    ARCHIVE_CATALOGUE_TTL_S lets them miss a dropped day's rows: 0 only where no other process
    reads). `steps`, when given, is called with the name of each step as it completes
    ("written", "verified", "recorded", "retired", "dropped"): what tests use to interrupt an
    archive run at any point.
    """

    def __init__(
        self,
        db: Database,
        store: ArchiveStore | None = None,
        *,
        steps: Callable[[ArchiveStep], None] | None = None,
        drop_grace_s: float | None = None,
        drop_wait_s: float | None = None,
        drop_lock_timeout_s: float = 2.0,
        drop_attempts: int = 10,
    ) -> None:
        settings = get_settings()
        self._db = db
        self._store = store
        self._steps = steps
        self.drop_grace_s = settings.archive_drop_grace_s if drop_grace_s is None else drop_grace_s
        self.drop_wait_s = settings.archive_drop_wait_s if drop_wait_s is None else drop_wait_s
        if self.drop_grace_s < 0 or self.drop_wait_s < 0:
            raise ValueError(
                f"drop_grace_s and drop_wait_s must be >= 0 "
                f"(got {self.drop_grace_s}, {self.drop_wait_s})"
            )
        self._drop_lock_timeout_s = drop_lock_timeout_s
        self._drop_attempts = drop_attempts

    @property
    def store(self) -> ArchiveStore:
        if self._store is None:
            settings = get_settings()
            self._store = ArchiveStore(settings.archive_url, settings.archive_storage_options)
        return self._store

    def _step(self, name: ArchiveStep) -> None:
        if self._steps is not None:
            self._steps(name)

    # --- reads of the catalogue -------------------------------------------------------------

    async def get(self, table: str, day: date) -> ArchivedDay | None:
        async with self._db.acquire() as conn:
            row = await conn.fetchrow(_GET, table, day)
        return None if row is None else _record(row)

    async def days(self, table: str = "market_snapshots") -> list[ArchivedDay]:
        async with self._db.acquire() as conn:
            rows = await conn.fetch(_LIST, table)
        return [_record(r) for r in rows]

    # --- archive ------------------------------------------------------------------------------

    async def archive_day(
        self, table: str, day: date, *, today: date | None = None
    ) -> ArchivedDay | None:
        """Write, verify and record the day's file (see the module docstring); returns the
        record, or None when the day has neither a partition nor a record (nothing to keep).

        An already verified day whose file is in place is returned as it is. Raises
        `ArchiveVerificationError` (the partition kept, no record written) when the file does
        not hold the partition's rows.
        """
        self._db.require_writable()
        if table not in ARCHIVED_TABLES:
            raise ValueError(f"{table!r} is not archived ({ARCHIVED_TABLES})")
        _finished(day, today or datetime.now(UTC).date())
        store = self.store
        record = await self.get(table, day)
        if record is not None and record.verified_at is not None:
            path = store.path_of(record.url)
            size = await asyncio.to_thread(store.size, path)
            if size == record.bytes:
                return record
            if record.dropped_at is not None:
                raise ArchiveError(
                    f"{table} {day}: the partition was dropped and its file {record.url} is "
                    f"{'missing' if size is None else f'{size} bytes, not {record.bytes}'}"
                )
            log.warning(
                "archived file missing or changed: archiving the day again",
                extra={"table": table, "day": day.isoformat(), "url": record.url},
            )
            if record.retired_at is not None:  # readers go back to the partition meanwhile
                await self._unretire(record)
        name = partition_name(table, day)
        async with self._db.acquire() as conn:
            if day not in await existing_days(conn, table):
                if record is not None and record.dropped_at is not None:
                    raise ArchiveError(f"{table} {day}: the partition was dropped, not verified")
                return None
            temp = store.temp_path(table, day)
            await asyncio.to_thread(store.makedirs, store.day_dir(table, day))
            # this module's ROW_GROUP_ROWS, read at each call (tests lower it: many small groups)
            source = await write_partition(conn, name, store, temp, row_group_rows=ROW_GROUP_ROWS)
        self._step("written")
        await self._verify_file(temp, source, f"{table} {day} (temporary file)")
        final = store.day_path(table, day)
        written = await asyncio.to_thread(store.size, temp)
        await asyncio.to_thread(store.move, temp, final)
        size = await asyncio.to_thread(store.size, final)
        if size is None or size != written:
            raise ArchiveError(f"{store.url_of(final)}: {size} bytes after the move, not {written}")
        self._step("verified")
        async with self._db.acquire() as conn:
            row = await conn.fetchrow(
                _RECORD,
                table,
                day,
                store.url_of(final),
                source.rows,
                size,
                source.digest,
                datetime.now(UTC),
            )
        assert row is not None
        self._step("recorded")
        archived = _record(row)
        log.info(
            "day archived",
            extra={"table": table, "day": day.isoformat(), "rows": source.rows, "bytes": size},
        )
        return archived

    async def _verify_file(self, path: str, expected: RowChecksum, what: str) -> None:
        store = self.store
        try:
            schema = await asyncio.to_thread(store.file_schema, path)
            if not schema.remove_metadata().equals(SNAPSHOT_SCHEMA.remove_metadata()):
                raise ArchiveVerificationError(f"{what}: unexpected schema {schema}")
            found = await asyncio.to_thread(store.file_checksum, path)
        except ArchiveVerificationError:
            await asyncio.to_thread(store.remove, path)
            raise
        except Exception as exc:  # an unreadable file (truncated, not Parquet): refused
            await asyncio.to_thread(store.remove, path)
            raise ArchiveVerificationError(f"{what}: cannot be read: {exc}") from exc
        if found != expected:
            await asyncio.to_thread(store.remove, path)
            raise ArchiveVerificationError(
                f"{what}: does not match its source rows ({'; '.join(found.differences(expected))})"
            )

    async def verify_day(self, table: str, day: date) -> ArchivedDay:
        """Re-read the recorded file of a day and check its size, schema and checksum against
        the record; raises `ArchiveVerificationError` (or `ArchiveError` if not recorded)."""
        record = await self.get(table, day)
        if record is None or record.verified_at is None:
            raise ArchiveError(f"{table} {day} has no verified file")
        store = self.store
        path = store.path_of(record.url)
        size = await asyncio.to_thread(store.size, path)
        if size != record.bytes:
            raise ArchiveVerificationError(
                f"{record.url}: {'missing' if size is None else f'{size} bytes'}, "
                f"recorded {record.bytes}"
            )
        schema = await asyncio.to_thread(store.file_schema, path)
        if not schema.remove_metadata().equals(SNAPSHOT_SCHEMA.remove_metadata()):
            raise ArchiveVerificationError(f"{record.url}: unexpected schema {schema}")
        found = await asyncio.to_thread(store.file_checksum, path)
        if found.digest != record.checksum or found.rows != record.rows:
            raise ArchiveVerificationError(
                f"{record.url}: checksum {found.digest} ({found.rows} rows), recorded "
                f"{record.checksum} ({record.rows} rows)"
            )
        return record

    # --- retire, then drop -----------------------------------------------------------------

    async def drop_expired(
        self,
        table: str = "market_snapshots",
        *,
        hot_days: int | None = None,
        today: date | None = None,
    ) -> list[date]:
        """Retire the archived days older than `hot_days` (default ARCHIVE_HOT_DAYS) before
        `today`, then drop the partitions of the days retired `drop_grace_s` ago or longer,
        waiting up to `drop_wait_s` for days whose grace has not ended; returns the days
        dropped (see the module docstring).

        Each day is retired, and dropped, in its own transaction, after checking under a SHARE
        lock (writers of that day wait; readers go on) that its file still has the recorded
        size and its partition still the recorded checksum. A partition that changed since it
        was archived (a late write) is kept and its record marked unverified (and no longer
        retired), so the next archive run writes it again. The DROP waits at most
        `drop_lock_timeout_s` per attempt for readers of the parent table.
        """
        self._db.require_writable()
        if table not in ARCHIVED_TABLES:
            raise ValueError(f"{table!r} is not archived ({ARCHIVED_TABLES})")
        hot = get_settings().archive_hot_days if hot_days is None else hot_days
        if hot < 1:
            raise ValueError(f"hot_days must be >= 1 (got {hot})")
        cutoff = (today or datetime.now(UTC).date()) - timedelta(days=hot)
        async with self._db.acquire() as conn:
            candidates = [_record(r) for r in await conn.fetch(_TO_RETIRE, table, cutoff)]
        for record in candidates:
            await self._retire(record)
        dropped: list[date] = []
        tried: set[date] = set()
        deadline = time.monotonic() + self.drop_wait_s
        while True:
            async with self._db.acquire() as conn:
                pending = await conn.fetch(_TO_DROP, table, cutoff, self.drop_grace_s)
            waits: list[float] = []
            for row in pending:
                record = _record(row)
                if record.day in tried:
                    continue
                if row["due_in_s"] > 0:
                    waits.append(row["due_in_s"])
                    continue
                tried.add(record.day)
                if await self._drop_one(record):
                    dropped.append(record.day)
            if not waits:
                break
            pause = min(waits)
            if time.monotonic() + pause > deadline:
                log.info(
                    "retired days to be dropped by the next run (their grace ends later)",
                    extra={"table": table, "days": len(waits), "next_due_s": round(pause, 1)},
                )
                break
            await asyncio.sleep(pause + 0.05)
        return dropped

    async def _file_intact(self, record: ArchivedDay) -> bool:
        store = self.store
        size = await asyncio.to_thread(store.size, store.path_of(record.url))
        if size != record.bytes:
            log.error(
                "archived file missing or changed: partition kept",
                extra={"url": record.url, "bytes": size, "recorded": record.bytes},
            )
            return False
        return True

    async def _current(self, conn: asyncpg.Connection, record: ArchivedDay) -> ArchivedDay | None:
        """The record, locked and re-read: None when another run changed it meanwhile (it
        re-archived, retired or dropped the day)."""
        row = await conn.fetchrow(_GET_FOR_UPDATE, record.table, record.day)
        if row is None:
            return None
        now = _record(row)
        same = (
            now.checksum == record.checksum
            and now.verified_at is not None
            and now.dropped_at is None
            and now.retired_at == record.retired_at  # a day retired again restarts its grace
        )
        return now if same else None

    async def _partition_matches(
        self, conn: asyncpg.Connection, record: ArchivedDay, name: str
    ) -> bool:
        """Under a SHARE lock (held to the end of the transaction): the partition still has the
        recorded checksum and the file its recorded size; if not, the day goes back to
        PostgreSQL (unverified, not retired) to be archived again."""
        await conn.execute(f"LOCK TABLE {name} IN SHARE MODE")
        now = await partition_checksum(conn, name)
        if now.digest != record.checksum:
            await conn.execute(_UNVERIFY, record.table, record.day)
            log.warning(
                "partition changed since it was archived: kept, to be archived again",
                extra={"table": record.table, "day": record.day.isoformat()},
            )
            return False
        if not await self._file_intact(record):
            await conn.execute(_UNVERIFY, record.table, record.day)
            return False
        return True

    async def _retire(self, record: ArchivedDay) -> bool:
        """Phase 1: readers take the day from its file from now on (after re-checking both)."""
        table, day = record.table, record.day
        name = partition_name(table, day)
        if not await self._file_intact(record):
            return False
        async with self._db.acquire() as conn, conn.transaction():
            await conn.execute(_PARTITION_LOCK, table)
            if await self._current(conn, record) is None:
                return False
            if not await conn.fetchval(_RELATION_EXISTS, name):
                # the partition went by hand, or with a run that stopped before recording
                # it: the file is all there is, readers must take it at once
                await conn.execute(_MARK_DROPPED, table, day)
                log.warning(
                    "partition of an archived day already gone: served from its file",
                    extra={"table": table, "day": day.isoformat()},
                )
            elif not await self._partition_matches(conn, record, name):
                return False
            else:
                await conn.execute(_MARK_RETIRED, table, day)
        # this process reads the day from the file at once (other processes: within their TTL)
        archive_reader(self._db).forget()
        self._step("retired")
        log.info("archived day retired: served from its file", extra={"partition": name})
        return True

    async def _unretire(self, record: ArchivedDay) -> None:
        async with self._db.acquire() as conn:
            await conn.execute(_UNVERIFY, record.table, record.day)
        archive_reader(self._db).forget()

    async def _drop_one(self, record: ArchivedDay) -> bool:
        """Phase 2: drop the partition of a day retired at least the grace ago."""
        table, day = record.table, record.day
        name = partition_name(table, day)
        kept = False
        async with self._db.acquire() as conn, conn.transaction():
            await conn.execute(_PARTITION_LOCK, table)
            if await self._current(conn, record) is None:
                return False
            if await conn.fetchval(_RELATION_EXISTS, name):
                kept = not await self._partition_matches(conn, record, name)
                if not kept:
                    await self._drop_table(conn, name)
            if not kept:
                await conn.execute(_MARK_DROPPED, table, day)
        if kept:  # back to the partition (after the commit, so a reload sees it)
            archive_reader(self._db).forget()
            return False
        # this process's caches learn of the drop at once (other processes: see archive_catalogue)
        self._db.forget_partitions()
        archive_reader(self._db).forget()
        self._step("dropped")
        log.info("archived partition dropped", extra={"partition": name, "url": record.url})
        return True

    async def _drop_table(self, conn: asyncpg.Connection, name: str) -> None:
        for attempt in range(1, self._drop_attempts + 1):
            try:
                async with conn.transaction():  # a savepoint: a timeout undoes this try only
                    timeout_ms = int(self._drop_lock_timeout_s * 1000)
                    await conn.execute(f"SET LOCAL lock_timeout = '{timeout_ms}ms'")
                    await conn.execute(f"DROP TABLE {name}")
                    await conn.execute("SET LOCAL lock_timeout = 0")
                return
            except asyncpg.LockNotAvailableError:
                if attempt == self._drop_attempts:
                    raise
                log.info("partition drop waiting for readers", extra={"partition": name})
