"""Contract: the `snapshot_archive` asset and its `archived_file_verified` check.

Materializing a finished day's partition in-process (dg.materialize, real test database) writes
its verified Parquet file, records it, and retires the archived days older than the hot window
(served from their files); their partitions are dropped once the drop grace is over, by a later
run or by the same run when it may wait that long; the check re-reads the file and passes; a
file changed afterwards fails the check; re-materializing an archived day is a no-op; today's
(unfinished) day fails with a clear message; a day without a partition is skipped; the nightly
schedule targets yesterday.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import dagster as dg
import pytest

from kalshi_core.storage.archive import ArchiveStore
from kalshi_core.storage.database import Database
from kalshi_core.storage.postgres.archive_reads import archive_reader
from kalshi_pipeline.defs.maintenance.assets import snapshot_archive
from kalshi_pipeline.defs.maintenance.checks import archived_file_verified
from kalshi_pipeline.defs.maintenance.schedules import archive_schedule
from kalshi_pipeline.defs.resources import ArchiveStorage, WorkbenchDatabase
from tests.archive_data import insert_day

DAY = date(2025, 5, 6)


async def _seed(url: str) -> int:
    db = await Database.connect(url, max_size=2)
    try:
        return len(await insert_day(db, DAY, markets=5, rows_per_market=30))
    finally:
        await db.close()


async def _has_partition(url: str, day: date) -> bool:
    conn = await asyncpg.connect(url)
    try:
        name = f"market_snapshots_p{day:%Y%m%d}"
        return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name))
    finally:
        await conn.close()


def _materialize(
    url: str, root: Path, day: date, *, grace_s: float = 0.5, wait_s: float = 10.0
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [snapshot_archive, archived_file_verified],
        partition_key=day.isoformat(),
        resources={
            "database": WorkbenchDatabase(database_url=url),
            "archive": ArchiveStorage(
                url=str(root), hot_days=7, drop_grace_s=grace_s, drop_wait_s=wait_s
            ),
        },
        raise_on_error=False,
    )


@pytest.fixture
def archive_root(database_url: str, clean_db: Database, tmp_path: Path) -> Iterator[Path]:
    """A temporary archive; the catalogue is emptied afterwards so no other test reads these
    (temporary) files."""
    yield tmp_path / "archive"

    async def forget() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute("DELETE FROM archived_days")
        finally:
            await conn.close()

    asyncio.run(forget())
    archive_reader(clean_db).forget()


def test_materializes_verifies_and_drops_an_expired_day(
    database_url: str, archive_root: Path
) -> None:
    rows = asyncio.run(_seed(database_url))
    # the grace is longer than the run may wait: retired (served from the file), not dropped
    first = _materialize(database_url, archive_root, DAY, grace_s=60.0, wait_s=0.0)
    assert first.success
    meta = first.asset_materializations_for_node("snapshot_archive")[0].metadata
    assert meta["rows"].value == rows == 150
    assert meta["url"].value.endswith("market_snapshots/day=2025-05-06/part-0.parquet")
    assert Path(meta["url"].value).stat().st_size == meta["bytes"].value
    assert meta["dropped_partitions"].value == []
    assert meta["retired_partitions"].value == [DAY.isoformat()]
    assert asyncio.run(_has_partition(database_url, DAY))

    # the next run waits out a grace that ends within its wait, then drops
    started = time.monotonic()
    result = _materialize(database_url, archive_root, DAY, grace_s=1.0, wait_s=10.0)
    assert result.success
    meta = result.asset_materializations_for_node("snapshot_archive")[0].metadata
    assert meta["dropped_partitions"].value == [DAY.isoformat()]
    assert meta["retired_partitions"].value == []
    assert not asyncio.run(_has_partition(database_url, DAY))
    assert time.monotonic() - started < 10.0
    (check,) = result.get_asset_check_evaluations()
    assert check.passed

    again = _materialize(database_url, archive_root, DAY)  # archived and dropped: a no-op
    assert again.success
    meta2 = again.asset_materializations_for_node("snapshot_archive")[0].metadata
    assert meta2["checksum"].value == meta["checksum"].value
    assert meta2["dropped_partitions"].value == []

    # a file that went bad (same size, other bytes) fails the blocking check
    store = ArchiveStore(str(archive_root))
    path = meta["url"].value
    data = bytearray(store.fs.cat_file(path))
    middle = len(data) // 2
    data[middle : middle + 32] = bytes(b ^ 0xFF for b in data[middle : middle + 32])
    store.fs.pipe_file(path, bytes(data))
    bad = _materialize(database_url, archive_root, DAY)
    (failed,) = bad.get_asset_check_evaluations()
    assert not failed.passed
    assert "error" in failed.metadata


def test_unfinished_or_missing_days(database_url: str, archive_root: Path) -> None:
    today = _materialize(database_url, archive_root, datetime.now(UTC).date())
    assert not today.success
    failure = today.get_step_failure_events()[0].event_specific_data
    assert "not over yet" in str(failure)
    nothing = _materialize(database_url, archive_root, date(2025, 1, 3))
    assert nothing.success
    meta = nothing.asset_materializations_for_node("snapshot_archive")[0].metadata
    assert meta["skipped"].value == "no partition for that day"
    (check,) = nothing.get_asset_check_evaluations()
    assert check.passed


def test_schedule_targets_yesterday() -> None:
    ctx = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 27, 2, 30, tzinfo=UTC)
    )
    request = archive_schedule(ctx)
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "2026-11-26"
