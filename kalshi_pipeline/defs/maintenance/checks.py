"""The check beside `snapshot_archive`: the day's archived file is still what was recorded.

`archived_file_verified` re-reads the partition's recorded Parquet file from the store and checks
its size, schema and checksum against `archived_days` (blocking): a file that went bad is flagged
on the day it belongs to. It runs with every materialization and on demand from the UI.
"""

import asyncio
from datetime import UTC, datetime

import dagster as dg

from kalshi_core.storage.archive import ArchiveError
from kalshi_core.storage.postgres.archive import PostgresArchiveRepository
from kalshi_pipeline.defs.maintenance.assets import ARCHIVED_TABLE, snapshot_archive
from kalshi_pipeline.defs.partitions import snapshot_days
from kalshi_pipeline.defs.resources import ArchiveStorage, WorkbenchDatabase


@dg.asset_check(
    asset=snapshot_archive,
    partitions_def=snapshot_days,
    blocking=True,
    description="The day's recorded Parquet file is in place with its recorded size, schema "
    "and checksum (re-read from the store).",
)
def archived_file_verified(
    context: dg.AssetCheckExecutionContext, database: WorkbenchDatabase, archive: ArchiveStorage
) -> dg.AssetCheckResult:
    day = datetime.strptime(context.partition_key, "%Y-%m-%d").replace(tzinfo=UTC).date()

    async def check() -> dg.AssetCheckResult:
        async with database.repositories() as repos:
            repo = PostgresArchiveRepository(repos.db, archive.store())
            record = await repo.get(ARCHIVED_TABLE, day)
            if record is None:
                return dg.AssetCheckResult(
                    passed=True, metadata={"file": "none: the day had no partition to archive"}
                )
            try:
                await repo.verify_day(ARCHIVED_TABLE, day)
            except ArchiveError as exc:
                return dg.AssetCheckResult(
                    passed=False, metadata={"url": record.url, "error": str(exc)}
                )
        return dg.AssetCheckResult(
            passed=True,
            metadata={
                "url": record.url,
                "rows": dg.MetadataValue.int(record.rows),
                "bytes": dg.MetadataValue.int(record.bytes),
                "partition_dropped": record.dropped_at is not None,
            },
        )

    return asyncio.run(check())
