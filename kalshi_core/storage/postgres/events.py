"""Event metadata (`events`) in PostgreSQL, with per-event fee overrides."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import asyncpg

from kalshi_core.models import Event, Market
from kalshi_core.storage.postgres.market_rows import MARKET_SELECT, market_from_row
from kalshi_core.storage.repositories import Page

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

_COLUMNS: Final = (
    "event_ticker",
    "series_ticker",
    "title",
    "sub_title",
    "category",
    "mutually_exclusive",
    "strike_date",
    "fee_type_override",
    "fee_multiplier_override",
    "updated_at",
)
_UPSERT = f"""
INSERT INTO events ({", ".join(_COLUMNS)})
VALUES ({", ".join(f"${i + 1}" for i in range(len(_COLUMNS)))})
ON CONFLICT (event_ticker) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[1:])}
WHERE events.updated_at IS NULL OR EXCLUDED.updated_at IS NULL
   OR EXCLUDED.updated_at >= events.updated_at
"""
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM events"


def _args(e: Event) -> tuple[Any, ...]:
    for name in ("strike_date", "updated_at"):
        value = getattr(e, name)
        if value is not None and value.tzinfo is None:
            raise ValueError(f"event {e.event_ticker}: naive {name} rejected")
    return tuple(getattr(e, c) for c in _COLUMNS)


def _event_from(row: asyncpg.Record) -> Event:
    return Event.model_construct(**{c: row[c] for c in _COLUMNS})


_FILL_MARKET_SERIES = """
UPDATE markets m SET series_ticker = e.series_ticker
FROM events e
WHERE e.event_ticker = ANY($1::text[]) AND m.event_ticker = e.event_ticker
  AND m.series_ticker IS NULL
"""


class PostgresEventRepository:
    """`EventRepository` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert_many(self, events: Sequence[Event]) -> int:
        """Insert or update by event ticker (older `updated_at` never overwrites newer)."""
        if not events:
            return 0
        self._db.require_writable()
        args = [_args(e) for e in sorted(events, key=lambda e: e.event_ticker)]
        async with self._db.acquire() as conn, conn.transaction():
            await conn.executemany(_UPSERT, args)
            # markets stored before their event (from listings that do not name the series)
            await conn.execute(_FILL_MARKET_SERIES, [e.event_ticker for e in events])
        return len(args)

    async def get(self, event_ticker: str) -> Event | None:
        async with self._db.acquire() as conn:
            row = await conn.fetchrow(f"{_SELECT} WHERE event_ticker = $1", event_ticker)
        return None if row is None else _event_from(row)

    async def list(
        self, series_ticker: str | None = None, limit: int = 100, offset: int = 0
    ) -> Page[Event]:
        """Events ordered by ticker, optionally of one series."""
        where = "WHERE series_ticker = $3" if series_ticker is not None else ""
        extra: builtins.list[Any] = [series_ticker] if series_ticker is not None else []
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                f"{_SELECT} {where} ORDER BY event_ticker LIMIT $1 OFFSET $2",
                limit,
                offset,
                *extra,
            )
            count_where = "WHERE series_ticker = $1" if series_ticker is not None else ""
            total = await conn.fetchval(f"SELECT count(*) FROM events {count_where}", *extra)
        return Page(items=[_event_from(r) for r in rows], total=int(total))

    async def markets_of(self, event_ticker: str) -> builtins.list[Market]:
        """The event's markets with metadata, ordered by ticker."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                f"{MARKET_SELECT} WHERE m.event_ticker = $1 ORDER BY m.ticker", event_ticker
            )
        markets = [market_from_row(r) for r in rows]
        return [m for m in markets if m is not None]
