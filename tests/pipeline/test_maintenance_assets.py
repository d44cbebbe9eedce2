"""Contract: the nightly maintenance assets.

`raw_page_archive` drops raw pages older than the retention (whole day partitions and the
boundary day's older pages) and keeps the rest, reporting what it removed.

`compacted_market_snapshots` rewrites a finished day in market order, online.

Protects: materializing a past day keeps every row (same frame before and after) and leaves one
market's day on one or two heap pages instead of one page per tick; the key still rejects a
re-written tick; today's (unfinished) day fails with a clear message and is not touched; a day
without a partition is a no-op; the daily schedule targets yesterday; and the swap waits for a
reader holding the table (retrying with a short lock timeout) while other readers keep being
answered, then completes once the reader is done.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

import asyncpg
import dagster as dg
import pytest

from kalshi_core.storage.database import Database, repositories
from kalshi_core.storage.partitions import compact_partition
from kalshi_core.storage.repositories import RawPage
from kalshi_pipeline.defs.maintenance.assets import (
    RetentionConfig,
    compacted_market_snapshots,
    raw_page_archive,
)
from kalshi_pipeline.defs.maintenance.schedules import compaction_schedule
from kalshi_pipeline.defs.resources import WorkbenchDatabase
from tests.builders import build_snapshot

DAY = date(2026, 4, 2)
MARKETS = 40
TICKS = 25
PAGES_SQL = (
    "SELECT max(pages) FROM (SELECT count(DISTINCT (ctid::text::point)[0]) AS pages "
    "FROM market_snapshots_p20260402 GROUP BY market_id) p"
)


async def _seed(url: str) -> None:
    db = await Database.connect(url, max_size=2)
    try:
        repos = repositories(db)
        start = datetime(DAY.year, DAY.month, DAY.day, 8, tzinfo=UTC)
        for k in range(TICKS):  # tick-major, as live ingestion writes
            await repos.markets.save_many(
                [
                    build_snapshot(
                        f"KXC-E{i:03d}-M1",
                        start + timedelta(seconds=5 * k),
                        bid=f"0.{10 + k:02d}",
                        ask=f"0.{40 + k:02d}",
                        sequence=k,
                    )
                    for i in range(MARKETS)
                ]
            )
    finally:
        await db.close()


async def _frame(url: str) -> tuple[list[tuple[object, ...]], int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT * FROM market_snapshots ORDER BY market_id, observed_at")
        pages = await conn.fetchval(PAGES_SQL)
    finally:
        await conn.close()
    return [tuple(r) for r in rows], int(pages)


def _materialize(url: str, day: date) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [compacted_market_snapshots],
        partition_key=day.isoformat(),
        resources={"database": WorkbenchDatabase(database_url=url)},
        raise_on_error=False,
    )


@pytest.mark.usefixtures("clean_db")
def test_compaction_keeps_every_row_and_clusters_the_day(database_url: str) -> None:
    asyncio.run(_seed(database_url))
    before, pages_before = asyncio.run(_frame(database_url))
    assert len(before) == MARKETS * TICKS
    assert pages_before >= 10  # arrival order: one page per tick for a market

    result = _materialize(database_url, DAY)
    assert result.success
    meta = result.asset_materializations_for_node("compacted_market_snapshots")[0].metadata
    assert meta["rows"].value == MARKETS * TICKS

    after, pages_after = asyncio.run(_frame(database_url))
    assert after == before
    assert pages_after <= 2

    async def rewrite_a_row() -> None:
        # the swapped-in partition still carries the (market_id, observed_at) key: a stored row
        # written again is rejected by the key itself (the writer would refuse it earlier)
        conn = await asyncpg.connect(database_url)
        try:
            with pytest.raises(asyncpg.UniqueViolationError):
                await conn.execute(
                    "INSERT INTO market_snapshots SELECT * FROM market_snapshots "
                    "WHERE observed_at >= $1 ORDER BY observed_at LIMIT 1",
                    datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC),
                )
        finally:
            await conn.close()

    asyncio.run(rewrite_a_row())


@pytest.mark.usefixtures("clean_db")
def test_unfinished_or_missing_days(database_url: str) -> None:
    today = _materialize(database_url, datetime.now(UTC).date())
    assert not today.success
    failure = today.get_step_failure_events()[0].event_specific_data
    assert "not over yet" in str(failure)
    nothing = _materialize(database_url, date(2025, 1, 3))
    assert nothing.success
    meta = nothing.asset_materializations_for_node("compacted_market_snapshots")[0].metadata
    assert meta["skipped"].value == "no partition for that day"


def test_schedule_targets_yesterday() -> None:
    ctx = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 27, 1, 15, tzinfo=UTC)
    )
    request = compaction_schedule(ctx)
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "2026-11-26"


@pytest.mark.usefixtures("clean_db")
def test_swap_waits_for_a_reader_without_blocking_others(database_url: str) -> None:
    asyncio.run(_seed(database_url))

    async def scenario() -> None:
        holder = await asyncpg.connect(database_url)
        other = await asyncpg.connect(database_url)
        compactor = await asyncpg.connect(database_url)
        try:
            tx = holder.transaction()
            await tx.start()
            await holder.fetchval("SELECT count(*) FROM market_snapshots")  # ACCESS SHARE held
            task = asyncio.create_task(
                compact_partition(
                    compactor,
                    "market_snapshots",
                    DAY,
                    cluster=True,
                    swap_lock_timeout_s=0.05,
                    swap_attempts=200,
                )
            )
            await asyncio.sleep(1.0)
            assert not task.done()  # the swap waits for the reader
            for _ in range(5):  # ... and does not queue everyone else behind it
                started = time.monotonic()
                n = await other.fetchval("SELECT count(*) FROM market_snapshots")
                assert n == MARKETS * TICKS
                assert time.monotonic() - started < 2.0
            await tx.commit()
            await asyncio.wait_for(task, 30)
            assert await other.fetchval(PAGES_SQL) <= 2
        finally:
            for conn in (holder, other, compactor):
                await conn.close()

    asyncio.run(scenario())


@pytest.mark.usefixtures("clean_db")
def test_raw_page_retention_drops_old_pages_only(database_url: str) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    fetched = [today - timedelta(days=d, hours=-1) for d in (10, 8, 3, 0)]

    async def seed() -> None:
        db = await Database.connect(database_url, max_size=1)
        try:
            await repositories(db).raw_pages.add(
                [RawPage(fetched_at=t, endpoint="GET /markets", body=b"{}") for t in fetched]
            )
        finally:
            await db.close()

    async def kept() -> list[datetime]:
        db = await Database.connect(database_url, max_size=1)
        try:
            pages = await repositories(db).raw_pages.list(
                today - timedelta(days=30), today + timedelta(days=1)
            )
        finally:
            await db.close()
        return [p.fetched_at for p in pages]

    asyncio.run(seed())
    result = dg.materialize(
        [raw_page_archive],
        resources={"database": WorkbenchDatabase(database_url=database_url)},
        run_config=dg.RunConfig({"raw_page_archive": RetentionConfig(days=7)}),
    )
    assert result.success
    meta = result.asset_materializations_for_node("raw_page_archive")[0].metadata
    assert meta["pages_removed"].value == 2
    assert meta["pages_kept"].value == 2
    assert asyncio.run(kept()) == fetched[2:]
