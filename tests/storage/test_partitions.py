"""Contract: day partitions are created by code, never by hand: idempotently, concurrently
without errors, for any day a write touches and for the days ahead; finished days can be
compacted online without changing their rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import asyncpg
import pytest

from kalshi_core.models import MarketSnapshot
from kalshi_core.storage.database import Database, Repositories
from kalshi_core.storage.partitions import (
    compact_partition,
    day_of,
    ensure_partitions,
    existing_days,
    partition_day,
    partition_name,
)

pytestmark = pytest.mark.usefixtures("clean_db")


def test_names_and_days() -> None:
    assert partition_name("market_snapshots", date(2026, 3, 9)) == "market_snapshots_p20260309"
    assert partition_day("raw_pages_p20260309") == date(2026, 3, 9)
    assert partition_day("market_snapshots_default") is None
    assert day_of(datetime(2026, 3, 9, 23, 59, tzinfo=UTC)) == date(2026, 3, 9)
    # A non-UTC offset lands in its UTC day.
    east = datetime(2026, 3, 10, 1, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=5)))
    assert day_of(east) == date(2026, 3, 10)
    with pytest.raises(ValueError, match="not a day-partitioned table"):
        partition_name("markets; DROP TABLE x", date(2026, 1, 1))


async def test_ensure_is_idempotent_and_concurrency_safe(db: Database, database_url: str) -> None:
    days = [date(2031, 1, d) for d in range(1, 8)]
    conns = [await asyncpg.connect(database_url) for _ in range(4)]
    try:
        results = await asyncio.gather(
            *(ensure_partitions(c, "market_snapshots", days) for c in conns)
        )
        created = sorted(n for names in results for n in names)
        assert created == [partition_name("market_snapshots", d) for d in days]
        assert await ensure_partitions(conns[0], "market_snapshots", days) == []
        assert set(days) <= await existing_days(conns[0], "market_snapshots")
    finally:
        for c in conns:
            await c.close()


async def test_days_ahead_created_on_first_write(
    db: Database, repos: Repositories, snap: Callable[..., MarketSnapshot]
) -> None:
    db.forget_partitions()
    async with db.acquire() as conn:
        await conn.execute(
            f"DROP TABLE IF EXISTS "
            f"{partition_name('market_snapshots', datetime.now(UTC).date() + timedelta(days=3))}"
        )
    await repos.markets.save_many([snap("KXA-1", datetime(2026, 5, 5, tzinfo=UTC))])
    async with db.acquire() as conn:
        have = await existing_days(conn, "market_snapshots")
    today = datetime.now(UTC).date()
    assert {today + timedelta(days=i) for i in range(4)} <= have
    assert date(2026, 5, 5) in have


async def test_compact_finished_day(
    db: Database, repos: Repositories, snap: Callable[..., MarketSnapshot]
) -> None:
    base = datetime(2026, 4, 1, tzinfo=UTC)
    for k in range(20):
        await repos.markets.save_many(
            [
                snap(f"KXA-{i:04d}", base + timedelta(seconds=5 * k), bid=f"0.{10 + k}")
                for i in range(300)
            ]
        )
    before = await repos.markets.snapshot_frame(None)
    async with db.acquire() as conn:
        size_before = await conn.fetchval(
            "SELECT pg_indexes_size('market_snapshots_p20260401'::regclass)"
        )
        rebuilt = await compact_partition(conn, "market_snapshots", date(2026, 4, 1))
        size_after = await conn.fetchval(
            "SELECT pg_indexes_size('market_snapshots_p20260401'::regclass)"
        )
        with pytest.raises(ValueError, match="not finished"):
            await compact_partition(conn, "market_snapshots", datetime.now(UTC).date())
    assert rebuilt == ["market_snapshots_p20260401_pkey"]
    assert size_after < size_before
    after = await repos.markets.snapshot_frame(None)
    assert after.equals(before)
    assert len(await repos.markets.get_history("KXA-0001")) == 20
    async with db.acquire() as conn:
        assert await compact_partition(
            conn, "market_snapshots", date(2026, 4, 1), cluster=True
        ) == ["market_snapshots_p20260401_pkey"]
        # Clustered: one market's 20 rows of the day sit on one or two heap pages.
        pages = await conn.fetchval(
            "SELECT count(DISTINCT (ctid::text::point)[0]) FROM market_snapshots_p20260401 "
            "WHERE market_id = (SELECT id FROM markets WHERE ticker = 'KXA-0001')"
        )
    assert pages <= 2
    assert (await repos.markets.snapshot_frame(None)).equals(before)
    # The key still holds after the rebuild: a re-written tick adds nothing.
    again = await repos.markets.save_many([snap("KXA-0001", base, bid="0.10")])
    assert again.duplicates == 1
