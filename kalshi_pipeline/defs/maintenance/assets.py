"""Nightly maintenance: finished snapshot days rewritten in market order; raw pages pruned.

`compacted_market_snapshots`: each finished UTC day of snapshots rewritten in market order.

Live ingestion appends every tick's changed quotes at the end of the day's partition, so one
market's rows of a day lie on one heap page each: a 500-point history read touches ~500 pages.
Once the day is over nothing writes there again, and this asset rewrites the partition in
(market_id, observed_at) order with a dense primary key (`compact_partition(cluster=True)`,
online: readers keep reading, the swap at the end takes milliseconds). Afterwards a market's day
sits on one or two pages; the API's history endpoint reads ~10x fewer pages.

A daily schedule materializes yesterday's partition at 01:15 UTC, well after the day's last
poll window has finished. Backfilling older days from the UI works the same way.

`raw_page_archive`: the raw API pages kept for audit and replay (table `raw_pages`), pruned to
RAW_PAGE_RETENTION_DAYS every night at 01:05 UTC (whole day partitions dropped, the boundary day
trimmed).

`snapshot_archive`: each finished UTC day of `market_snapshots` as one Parquet file (zstd,
sorted by market then time) under ARCHIVE_URL, verified against the day's partition (row count
and checksum) before it is recorded in `archived_days`. The same run then retires the recorded
days older than ARCHIVE_HOT_DAYS (readers, `snapshot_frame` and the API's history, take them from
the files from then on) and drops their partitions once every process must have switched
(ARCHIVE_DROP_GRACE_S; the run waits up to ARCHIVE_DROP_WAIT_S, else the next run drops), each
step after re-checking the file and the rows. Yesterday is archived at 02:30 UTC, after its
compaction (docs/ARCHIVE.md).
"""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import dagster as dg

from kalshi_core.settings import get_settings
from kalshi_core.storage.partitions import compact_partition, partition_name
from kalshi_core.storage.postgres.archive import PostgresArchiveRepository
from kalshi_pipeline.defs.ingestion.assets import market_snapshots
from kalshi_pipeline.defs.partitions import snapshot_days
from kalshi_pipeline.defs.resources import ArchiveStorage, WorkbenchDatabase

_SIZE = "SELECT pg_total_relation_size(to_regclass($1))"
_ROWS = "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass($1)"


@dg.asset(
    group_name="maintenance",
    kinds={"postgres"},
    partitions_def=snapshot_days,
    deps=[market_snapshots],
    description="The finished day's `market_snapshots` partition, rewritten in market order "
    "with a dense key (fast history reads, smaller index).",
)
def compacted_market_snapshots(
    context: dg.AssetExecutionContext, database: WorkbenchDatabase
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    day = datetime.strptime(context.partition_key, "%Y-%m-%d").replace(tzinfo=UTC).date()
    if day >= datetime.now(UTC).date():
        raise dg.Failure(
            f"{day} is not over yet: only finished days are compacted (ingestion still writes)"
        )
    name = partition_name("market_snapshots", day)

    async def run() -> dg.MaterializeResult:  # type: ignore[type-arg]
        async with database.repositories() as repos, repos.db.acquire() as conn:
            before = await conn.fetchval(_SIZE, name)
            if before is None:
                return dg.MaterializeResult(
                    metadata={"partition": name, "skipped": "no partition for that day"}
                )
            started = time.perf_counter()
            indexes = await compact_partition(conn, "market_snapshots", day, cluster=True)
            seconds = time.perf_counter() - started
            after = await conn.fetchval(_SIZE, name)
            rows = await conn.fetchval(_ROWS, name)
        return dg.MaterializeResult(
            metadata={
                "partition": name,
                "rows": dg.MetadataValue.int(int(rows or 0)),
                "indexes": dg.MetadataValue.json(indexes),
                "bytes_before": dg.MetadataValue.int(int(before)),
                "bytes_after": dg.MetadataValue.int(int(after or 0)),
                "seconds": dg.MetadataValue.float(round(seconds, 2)),
            }
        )

    return asyncio.run(run())


class RetentionConfig(dg.Config):
    days: int = get_settings().raw_page_retention_days
    """Pages fetched more than this many days ago are removed (0 = keep only today)."""


_RAW_SIZE = (
    "SELECT count(*) AS partitions, coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes "
    "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'raw_pages'::regclass"
)


@dg.asset(
    group_name="maintenance",
    kinds={"postgres"},
    description="The raw API page archive (table `raw_pages`, compressed, day partitions), "
    "pruned to RAW_PAGE_RETENTION_DAYS.",
)
def raw_page_archive(config: RetentionConfig, database: WorkbenchDatabase) -> dg.MaterializeResult:  # type: ignore[type-arg]
    if config.days < 0:
        raise dg.Failure(f"retention must be >= 0 days (got {config.days})")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    cutoff = today - timedelta(days=config.days)

    async def run() -> dg.MaterializeResult:  # type: ignore[type-arg]
        async with database.repositories() as repos:
            removed = await repos.raw_pages.prune(cutoff)
            async with repos.db.acquire() as conn:
                size = await conn.fetchrow(_RAW_SIZE)
            kept = await repos.raw_pages.count()
        return dg.MaterializeResult(
            metadata={
                "cutoff": cutoff.isoformat(),
                "pages_removed": dg.MetadataValue.int(removed),
                "pages_kept": dg.MetadataValue.int(kept),
                "partitions": dg.MetadataValue.int(int(size["partitions"])),
                "bytes": dg.MetadataValue.int(int(size["bytes"])),
            }
        )

    return asyncio.run(run())


ARCHIVED_TABLE = "market_snapshots"


@dg.asset(
    group_name="maintenance",
    kinds={"parquet", "postgres"},
    partitions_def=snapshot_days,
    deps=[market_snapshots],
    description="The finished day's `market_snapshots` as a verified Parquet file under "
    "ARCHIVE_URL; days older than ARCHIVE_HOT_DAYS are then served from their files and their "
    "partitions dropped after ARCHIVE_DROP_GRACE_S (docs/ARCHIVE.md).",
)
def snapshot_archive(
    context: dg.AssetExecutionContext, database: WorkbenchDatabase, archive: ArchiveStorage
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    day = datetime.strptime(context.partition_key, "%Y-%m-%d").replace(tzinfo=UTC).date()
    if day >= datetime.now(UTC).date():
        raise dg.Failure(
            f"{day} is not over yet: only finished days are archived (ingestion still writes)"
        )

    async def run() -> dg.MaterializeResult:  # type: ignore[type-arg]
        async with database.repositories() as repos:
            repo = PostgresArchiveRepository(
                repos.db,
                archive.store(),
                drop_grace_s=archive.drop_grace_s,
                drop_wait_s=archive.drop_wait_s,
            )
            started = time.perf_counter()
            record = await repo.archive_day(ARCHIVED_TABLE, day)
            seconds = time.perf_counter() - started
            dropped = await repo.drop_expired(ARCHIVED_TABLE, hot_days=archive.hot_days)
            pending = [
                d.day.isoformat()
                for d in await repo.days(ARCHIVED_TABLE)
                if d.retired_at is not None and d.dropped_at is None
            ]
        metadata: dict[str, dg.RawMetadataValue] = {
            "dropped_partitions": dg.MetadataValue.json([d.isoformat() for d in dropped]),
            # served from their files; their partitions go with a later run (after the grace)
            "retired_partitions": dg.MetadataValue.json(pending),
        }
        if record is None:
            metadata["skipped"] = "no partition for that day"
            return dg.MaterializeResult(metadata=metadata)
        metadata.update(
            {
                "url": record.url,
                "rows": dg.MetadataValue.int(record.rows),
                "bytes": dg.MetadataValue.int(record.bytes),
                "bytes_per_row": dg.MetadataValue.float(
                    round(record.bytes / record.rows, 2) if record.rows else 0.0
                ),
                "checksum": record.checksum,
                "verified_at": record.verified_at.isoformat() if record.verified_at else "",
                "partition_dropped": record.dropped_at is not None or day in dropped,
                "seconds": dg.MetadataValue.float(round(seconds, 2)),
            }
        )
        return dg.MaterializeResult(metadata=metadata)

    return asyncio.run(run())
