"""Test data for the archive tests: random integer snapshot rows written straight into a day's
partition (the archive concerns the stored layout only, not the writer that produced it)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kalshi_core.storage.archive import SNAPSHOT_COLUMNS
from kalshi_core.storage.database import Database

T = "market_snapshots"


async def insert_day(
    db: Database, day: date, *, markets: int = 4, rows_per_market: int = 40, seed: int = 1
) -> list[tuple[Any, ...]]:
    """Random integer rows for `day` written straight into the partition; returns them in
    (market_id, observed_at) order."""
    rng = random.Random(seed)
    tickers = [f"KXARC-{day:%y%m%d}-M{i}" for i in range(markets)]
    async with db.acquire() as conn:
        await conn.executemany(
            "INSERT INTO markets (ticker) VALUES ($1) ON CONFLICT (ticker) DO NOTHING",
            [(t,) for t in tickers],
        )
        ids = [
            r[0]
            for r in await conn.fetch(
                "SELECT id FROM markets WHERE ticker = ANY($1::text[]) ORDER BY id", tickers
            )
        ]
        await db.ensure_partitions(conn, T, [day])
        base = datetime(day.year, day.month, day.day, tzinfo=UTC)
        rows: list[tuple[Any, ...]] = []
        for market_id in ids:
            seconds = sorted(rng.sample(range(86_400), rows_per_market))
            volume = rng.randrange(10**6)
            for k, s in enumerate(seconds):
                volume += rng.randrange(10**4)
                rows.append(
                    (
                        base + timedelta(seconds=s, microseconds=rng.randrange(10**6)),
                        k + 1,
                        market_id,
                        rng.randrange(2),
                        rng.randrange(1_000_001),
                        rng.randrange(1_000_001),
                        rng.randrange(1_000_001),
                        rng.randrange(10**9),
                        rng.randrange(10**12),
                        volume,
                        rng.randrange(10**8),
                        rng.randrange(10**15),
                    )
                )
        await conn.copy_records_to_table(T, records=rows, columns=list(SNAPSHOT_COLUMNS))
    return sorted(rows, key=lambda r: (r[2], r[0]))
