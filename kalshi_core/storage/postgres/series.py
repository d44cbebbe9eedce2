"""Series metadata (`series`) in PostgreSQL: fee type and multiplier live here."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import asyncpg

from kalshi_core.models import Series
from kalshi_core.storage.repositories import Page

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

_COLUMNS: Final = (
    "ticker",
    "title",
    "category",
    "frequency",
    "fee_type",
    "fee_multiplier",
    "tags",
    "updated_at",
)
_UPSERT = f"""
INSERT INTO series ({", ".join(_COLUMNS)})
VALUES ({", ".join(f"${i + 1}" for i in range(len(_COLUMNS)))})
ON CONFLICT (ticker) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[1:])}
WHERE series.updated_at IS NULL OR EXCLUDED.updated_at IS NULL
   OR EXCLUDED.updated_at >= series.updated_at
"""
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM series"


def _args(s: Series) -> tuple[Any, ...]:
    if s.updated_at is not None and s.updated_at.tzinfo is None:
        raise ValueError(f"series {s.ticker}: naive updated_at rejected")
    return tuple(getattr(s, c) for c in _COLUMNS)


def _series_from(row: asyncpg.Record) -> Series:
    return Series.model_construct(**{c: row[c] for c in _COLUMNS})


class PostgresSeriesRepository:
    """`SeriesRepository` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert_many(self, series: Sequence[Series]) -> int:
        """Insert or update by ticker (an older `updated_at` never overwrites a newer one)."""
        if not series:
            return 0
        self._db.require_writable()
        args = [_args(s) for s in sorted(series, key=lambda s: s.ticker)]
        async with self._db.acquire() as conn, conn.transaction():
            await conn.executemany(_UPSERT, args)
        return len(args)

    async def get(self, ticker: str) -> Series | None:
        async with self._db.acquire() as conn:
            row = await conn.fetchrow(f"{_SELECT} WHERE ticker = $1", ticker)
        return None if row is None else _series_from(row)

    async def list(self, limit: int = 100, offset: int = 0) -> Page[Series]:
        async with self._db.acquire() as conn:
            rows = await conn.fetch(f"{_SELECT} ORDER BY ticker LIMIT $1 OFFSET $2", limit, offset)
            total = await conn.fetchval("SELECT count(*) FROM series")
        items: builtins.list[Series] = [_series_from(r) for r in rows]
        return Page(items=items, total=int(total))
