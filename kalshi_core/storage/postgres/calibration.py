"""Calibration analyses (`calibration_results`) and their inputs, in PostgreSQL.

The trade prints are streamed with a server-side cursor (a pooled analysis over every tape
would not fit a list); each comes with its market's result and close time and the effective fee
schedule: an event's `fee_type_override` (and its multiplier override, when given) beats the
series' fee, as `MarketMeta.from_market` rules for the backtests. A print's series is the
market's `series_ticker`, else its event's.

An analysis is one row per parameter set (unique index of migration 0007): `save` upserts, so
re-running an analysis replaces its figures and keeps its id. Bands are jsonb with every Decimal
as a JSON string (exact round trip).
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import asyncpg

from kalshi_core.analysis.calibration import CalibrationResult, CalibrationTrade
from kalshi_core.storage.repositories import Page

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

_SERIES = "coalesce(m.series_ticker, e.series_ticker)"
_FEE_OVERRIDDEN = "coalesce(e.fee_type_override, '') <> ''"
_TRADES: Final = f"""
SELECT t.ticker, t.created_time, t.yes_price, t.count, m.result, m.close_time,
       CASE WHEN {_FEE_OVERRIDDEN} THEN e.fee_type_override
            ELSE coalesce(s.fee_type, 'quadratic') END AS fee_type,
       CASE WHEN {_FEE_OVERRIDDEN} AND e.fee_multiplier_override IS NOT NULL
            THEN e.fee_multiplier_override
            ELSE coalesce(s.fee_multiplier, 1) END AS fee_multiplier
FROM market_trades t
LEFT JOIN markets m ON m.ticker = t.ticker
LEFT JOIN events e ON e.event_ticker = m.event_ticker
LEFT JOIN series s ON s.ticker = {_SERIES}
WHERE $1::text IS NULL OR {_SERIES} = $1
"""
# The definition in SQL alone (docs/CALIBRATION.md), for the asset check's recount.
_KEPT_TOTALS: Final = f"""
SELECT count(*), coalesce(sum(t.count), 0)
FROM market_trades t
JOIN markets m ON m.ticker = t.ticker
LEFT JOIN events e ON e.event_ticker = m.event_ticker
WHERE ($1::text IS NULL OR {_SERIES} = $1)
  AND m.result IN ('yes', 'no')
  AND t.created_time < m.close_time - $2::int * interval '1 second'
  AND t.count > 0 AND t.yes_price > 0
"""
_SERIES_WITH_TRADES: Final = f"""
SELECT DISTINCT {_SERIES} AS series
FROM markets m LEFT JOIN events e ON e.event_ticker = m.event_ticker
WHERE m.result IN ('yes', 'no') AND {_SERIES} IS NOT NULL
  AND EXISTS (SELECT 1 FROM market_trades t WHERE t.ticker = m.ticker)
ORDER BY series
"""

_COLUMNS: Final = (
    "series_ticker",
    "close_window_s",
    "band_edges",
    "flat_rate",
    "markets",
    "observations",
    "contracts",
    "brier",
    "first_trade_at",
    "last_trade_at",
    "exclusions",
    "bands",
)
_KEY: Final = (
    "((coalesce(series_ticker, '')), close_window_s, band_edges, (coalesce(flat_rate, -1)))"
)
_SAVE: Final = f"""
INSERT INTO calibration_results ({", ".join(_COLUMNS)})
VALUES ({", ".join(f"${i + 1}" for i in range(len(_COLUMNS)))})
ON CONFLICT {_KEY} DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS)}, computed_at = now()
RETURNING id
"""
_SELECT: Final = f"SELECT id, computed_at, {', '.join(_COLUMNS)} FROM calibration_results"
_SUMMARY_SELECT: Final = _SELECT.replace(", bands", ", '[]'::jsonb AS bands")
_PREFETCH: Final = 10_000


def _args(result: CalibrationResult) -> tuple[Any, ...]:
    values: dict[str, Any] = {c: getattr(result, c) for c in _COLUMNS}
    values["band_edges"] = list(result.band_edges)
    values["bands"] = [b.model_dump(mode="json") for b in result.bands]
    return tuple(values[c] for c in _COLUMNS)


def _result_from(row: asyncpg.Record) -> CalibrationResult:
    data: dict[str, Any] = {c: row[c] for c in ("id", "computed_at", *_COLUMNS)}
    data["band_edges"] = tuple(row["band_edges"])
    return CalibrationResult.model_validate(data)


class PostgresCalibrationRepository:
    """`CalibrationRepository` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def trades(self, series_ticker: str | None) -> AsyncGenerator[CalibrationTrade, None]:
        """Every print in scope, streamed (see the module docstring for the joins)."""
        async with self._db.acquire() as conn, conn.transaction():
            async for r in conn.cursor(_TRADES, series_ticker, prefetch=_PREFETCH):
                yield CalibrationTrade(
                    ticker=r["ticker"],
                    created_time=r["created_time"],
                    yes_price=r["yes_price"],
                    count=r["count"],
                    result=r["result"],
                    close_time=r["close_time"],
                    fee_type=r["fee_type"],
                    fee_multiplier=r["fee_multiplier"],
                )

    async def kept_totals(
        self, series_ticker: str | None, close_window_s: int
    ) -> tuple[int, Decimal]:
        async with self._db.acquire() as conn:
            row = await conn.fetchrow(_KEPT_TOTALS, series_ticker, close_window_s)
        assert row is not None  # an aggregate without GROUP BY always returns one row
        return int(row[0]), Decimal(row[1])

    async def series_with_trades(self) -> builtins.list[str]:
        async with self._db.acquire() as conn:
            rows = await conn.fetch(_SERIES_WITH_TRADES)
        return [r["series"] for r in rows]

    async def save(self, result: CalibrationResult) -> int:
        """Upsert by parameter set; returns the row's id (`result.id`/`computed_at` ignored)."""
        self._db.require_writable()
        async with self._db.acquire() as conn:
            return int(await conn.fetchval(_SAVE, *_args(result)))

    async def get(self, result_id: int) -> CalibrationResult | None:
        async with self._db.acquire() as conn:
            row = await conn.fetchrow(f"{_SELECT} WHERE id = $1", result_id)
        return None if row is None else _result_from(row)

    async def list(
        self,
        series_ticker: str | None = None,
        *,
        pooled: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Page[CalibrationResult]:
        """Newest first; items carry no bands (summary rows)."""
        args: builtins.list[Any] = []
        conds: builtins.list[str] = []
        if series_ticker is not None:
            args.append(series_ticker)
            conds.append(f"series_ticker = ${len(args)}")
        if pooled is not None:
            conds.append("series_ticker IS NULL" if pooled else "series_ticker IS NOT NULL")
        where = f"WHERE {' AND '.join(conds)}" if conds else ""
        page_args = [*args, limit, offset]
        n = len(args)
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                f"{_SUMMARY_SELECT} {where} ORDER BY computed_at DESC, id DESC "
                f"LIMIT ${n + 1} OFFSET ${n + 2}",
                *page_args,
            )
            total = await conn.fetchval(f"SELECT count(*) FROM calibration_results {where}", *args)
        return Page(items=[_result_from(r) for r in rows], total=int(total))
