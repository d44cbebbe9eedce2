"""Backfilled public trades (`market_trades`) and candlesticks (`market_candles`) in PostgreSQL.

`replace_*` rewrite one window (tickers x [start, end)) in one transaction: delete what the window
held, COPY the new rows through a temp staging table, upsert them. Running the same backfill
partition twice leaves the same rows: idempotent by construction. Rows outside the window are
rejected up front, since they would survive the next rewrite of their own window twice.

`import_session` is a dump import's staging session (`dump_imports`): rows of a whole import
are staged, then written to the same tables in one transaction.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from kalshi_core.closes import ClosesRecorded, KnownClose
from kalshi_core.models import Candle, Trade
from kalshi_core.storage.postgres.dump_imports import PostgresImportSession
from kalshi_core.storage.postgres.frame_copy import records_frame
from kalshi_core.storage.postgres.known_closes import record_known_closes

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

_TRADE_COLUMNS: Final = (
    "trade_id",
    "ticker",
    "created_time",
    "yes_price",
    "count",
    "taker_side",
    "is_block_trade",
)
_CANDLE_PRICES: Final = tuple(
    f"{side}_{part}"
    for side in ("yes_bid", "yes_ask", "price")
    for part in ("open", "high", "low", "close")
)
_CANDLE_COLUMNS: Final = (
    "ticker",
    "period_minutes",
    "end_time",
    *_CANDLE_PRICES,
    "volume",
    "open_interest",
)
_TRADE_STAGE = "_trade_stage"
_CANDLE_STAGE = "_candle_stage"
_CREATE_TRADE_STAGE = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_TRADE_STAGE} (LIKE market_trades) ON COMMIT DELETE ROWS"
)
_CREATE_CANDLE_STAGE = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_CANDLE_STAGE} (LIKE market_candles) ON COMMIT DELETE ROWS"
)


def _upsert_from_stage(table: str, stage: str, columns: Sequence[str], key: Sequence[str]) -> str:
    cols = ", ".join(columns)
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} "
        f"ORDER BY {', '.join(key)} ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
    )


_UPSERT_TRADES = _upsert_from_stage("market_trades", _TRADE_STAGE, _TRADE_COLUMNS, ("trade_id",))
_UPSERT_CANDLES = _upsert_from_stage(
    "market_candles", _CANDLE_STAGE, _CANDLE_COLUMNS, ("ticker", "period_minutes", "end_time")
)
TRADE_FRAME_COLUMNS: Final = (
    "market_ticker",
    "created_time",
    "yes_price",
    "count",
    "taker_side",
    "is_block_trade",
)
CANDLE_FRAME_COLUMNS: Final = (
    "market_ticker",
    "end_time",
    "yes_bid_close",
    "yes_ask_close",
    "price_close",
    "volume",
    "open_interest",
)


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start/end must be timezone-aware")
    if end <= start:
        raise ValueError(f"empty window: end {end.isoformat()} <= start {start.isoformat()}")


_LAST_CANDLE_END: Final = (
    "SELECT max(end_time) FROM market_candles WHERE ticker = $1 AND period_minutes = $2"
)


def _bounds(
    column: str, start: datetime | None, end: datetime | None, args: builtins.list[Any]
) -> builtins.list[str]:
    conds = []
    if start is not None:
        args.append(start)
        conds.append(f"{column} >= ${len(args)}")
    if end is not None:
        args.append(end)
        conds.append(f"{column} < ${len(args)}")
    return conds


class PostgresHistoryRepository:
    """`HistoryRepository` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def replace_trades(
        self, tickers: Sequence[str], start: datetime, end: datetime, trades: Sequence[Trade]
    ) -> int:
        """Rewrite the trades of `tickers` in `[start, end)`; returns rows written."""
        _check_window(start, end)
        wanted = set(tickers)
        for t in trades:
            if t.ticker not in wanted or not (start <= t.created_time < end):
                raise ValueError(
                    f"trade {t.trade_id} ({t.ticker} at {t.created_time.isoformat()}) is outside "
                    "the window being replaced"
                )
        self._db.require_writable()
        records = [tuple(getattr(t, c) for c in _TRADE_COLUMNS) for t in trades]
        async with self._db.acquire() as conn:
            await conn.execute(_CREATE_TRADE_STAGE)
            async with conn.transaction():
                await conn.execute(
                    "DELETE FROM market_trades WHERE ticker = ANY($1::text[]) "
                    "AND created_time >= $2 AND created_time < $3",
                    sorted(wanted),
                    start,
                    end,
                )
                if records:
                    await conn.copy_records_to_table(
                        _TRADE_STAGE, records=records, columns=_TRADE_COLUMNS
                    )
                    await conn.execute(_UPSERT_TRADES)
        return len(records)

    async def replace_candles(
        self,
        tickers: Sequence[str],
        period_minutes: int,
        start: datetime,
        end: datetime,
        candles: Sequence[Candle],
    ) -> int:
        """Rewrite the candles of `tickers` x `period_minutes` with `start <= end_time < end`."""
        _check_window(start, end)
        wanted = set(tickers)
        for c in candles:
            if (
                c.ticker not in wanted
                or c.period_minutes != period_minutes
                or not (start <= c.end_time < end)
            ):
                raise ValueError(
                    f"candle {c.ticker}/{c.period_minutes}m at {c.end_time.isoformat()} is "
                    "outside the window being replaced"
                )
        self._db.require_writable()
        records = [tuple(getattr(c, col) for col in _CANDLE_COLUMNS) for c in candles]
        async with self._db.acquire() as conn:
            await conn.execute(_CREATE_CANDLE_STAGE)
            async with conn.transaction():
                await conn.execute(
                    "DELETE FROM market_candles WHERE ticker = ANY($1::text[]) "
                    "AND period_minutes = $2 AND end_time >= $3 AND end_time < $4",
                    sorted(wanted),
                    period_minutes,
                    start,
                    end,
                )
                if records:
                    await conn.copy_records_to_table(
                        _CANDLE_STAGE, records=records, columns=_CANDLE_COLUMNS
                    )
                    await conn.execute(_UPSERT_CANDLES)
        return len(records)

    async def get_trades(
        self, ticker: str, start: datetime | None = None, end: datetime | None = None
    ) -> builtins.list[Trade]:
        """Oldest first."""
        args: builtins.list[Any] = [ticker]
        conds = ["ticker = $1", *_bounds("created_time", start, end, args)]
        sql = (
            f"SELECT {', '.join(_TRADE_COLUMNS)} FROM market_trades WHERE {' AND '.join(conds)} "
            "ORDER BY created_time, trade_id"
        )
        async with self._db.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        return [Trade.model_construct(**{c: r[c] for c in _TRADE_COLUMNS}) for r in rows]

    async def get_candles(
        self,
        ticker: str,
        period_minutes: int,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> builtins.list[Candle]:
        """Oldest first."""
        args: builtins.list[Any] = [ticker, period_minutes]
        conds = ["ticker = $1", "period_minutes = $2", *_bounds("end_time", start, end, args)]
        sql = (
            f"SELECT {', '.join(_CANDLE_COLUMNS)} FROM market_candles "
            f"WHERE {' AND '.join(conds)} ORDER BY end_time"
        )
        async with self._db.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        return [Candle.model_construct(**{c: r[c] for c in _CANDLE_COLUMNS}) for r in rows]

    async def last_candle_end(self, ticker: str, period_minutes: int) -> datetime | None:
        """The newest candle's end (the primary key's last entry for the ticker and period)."""
        async with self._db.acquire() as conn:
            end: datetime | None = await conn.fetchval(_LAST_CANDLE_END, ticker, period_minutes)
        return end

    async def candle_frame(
        self,
        tickers: Sequence[str] | None,
        period_minutes: int,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """Candles as float64 columns for vectorized backtests (see the Protocol)."""
        args: builtins.list[Any] = [period_minutes]
        conds = ["period_minutes = $1"]
        if tickers is not None:
            args.append(list(tickers))
            conds.append(f"ticker = ANY(${len(args)}::text[])")
        conds += _bounds("end_time", start, end, args)
        floats = ", ".join(f"{c}::float8" for c in CANDLE_FRAME_COLUMNS[2:])
        sql = (
            f"SELECT ticker, end_time, {floats} FROM market_candles "
            f"WHERE {' AND '.join(conds)} ORDER BY end_time, ticker"
        )
        async with self._db.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        return records_frame(rows, CANDLE_FRAME_COLUMNS, time_column="end_time")

    async def record_known_closes(self, closes: Sequence[KnownClose]) -> ClosesRecorded:
        """Closes of markets written after the fact, known from the open or at the close
        (`kalshi_core.closes`; guards in `kalshi_core.storage.postgres.known_closes`)."""
        self._db.require_writable()
        async with self._db.acquire() as conn, conn.transaction():
            return await record_known_closes(conn, closes)

    @asynccontextmanager
    async def import_session(self) -> AsyncIterator[PostgresImportSession]:
        """A dump import's staging session: one connection, one transaction, committed when
        the context exits cleanly (see `kalshi_core.storage.postgres.dump_imports`)."""
        self._db.require_writable()
        async with self._db.acquire() as conn, conn.transaction():
            session = PostgresImportSession(conn)
            await session.create_stages()
            yield session

    async def trade_frame(
        self,
        tickers: Sequence[str],
        start: datetime,
        end: datetime,
        *,
        as_of: bool = False,
    ) -> pd.DataFrame:
        """Trades as a frame for the backtest engine (see the Protocol)."""
        _check_window(start, end)
        cols = "ticker, created_time, yes_price::float8, count::float8, taker_side, is_block_trade"
        sql = (
            f"SELECT {cols}, trade_id FROM market_trades "
            "WHERE ticker = ANY($1::text[]) AND created_time >= $2 AND created_time < $3"
        )
        if as_of:
            # Every print at each market's last moment before the window, per taker side: the
            # price in force at the window start, whatever its age, with the whole last sweep
            # so the reader can apply its rule for prints sharing one moment. One max() per
            # (market, side) walks the (ticker, created_time) index back from the start
            # instead of reading the market's whole earlier tape.
            sql += (
                f" UNION ALL SELECT {cols}, trade_id FROM market_trades "
                "WHERE NOT is_block_trade AND (ticker, taker_side, created_time) IN ("
                "SELECT u.ticker, s.side, (SELECT max(l.created_time) FROM market_trades l "
                "WHERE l.ticker = u.ticker AND l.taker_side = s.side AND l.created_time < $2 "
                "AND NOT l.is_block_trade) "
                "FROM unnest($1::text[]) AS u(ticker) "
                "CROSS JOIN (VALUES ('yes'), ('no')) AS s(side))"
            )
        sql += " ORDER BY created_time, trade_id"
        async with self._db.acquire() as conn:
            rows = await conn.fetch(sql, list(tickers), start, end)
        frame = pd.DataFrame([tuple(r)[:6] for r in rows], columns=list(TRADE_FRAME_COLUMNS))
        frame["market_ticker"] = frame["market_ticker"].astype("object")
        frame["created_time"] = pd.to_datetime(frame["created_time"], utc=True)
        frame["yes_price"] = frame["yes_price"].astype("float64")
        frame["count"] = frame["count"].astype("float64")
        frame["taker_side"] = frame["taker_side"].astype("object")
        frame["is_block_trade"] = frame["is_block_trade"].astype("bool")
        return frame
