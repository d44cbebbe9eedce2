"""The staging session of a dump import (`HistoryRepository.import_session`) on PostgreSQL.

A dump can hold tens of millions of rows, more than memory, and one bad row must leave nothing
written. So the session is one transaction on one connection: validated rows are COPYed in
chunks into temporary staging tables (dropped at commit) as the files stream, duplicates and
conflicts are found by SQL over the whole input, and the trades and candles are upserted from
staging with one statement each. Markets are read back from staging in ticker order, each with
its stored metadata, for the caller to merge and write through the markets repository; then
the caller records from when their closes were known (`record_known_closes`), in this
transaction.

Writing the same dump twice changes nothing: an upsert skips a row equal to the stored one (no
new row version), and a dump that does not say a trade's taker side, a block-trade flag or a
candle's trade prices, book or open interest keeps the stored ones rather than erasing them.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Sequence
from typing import Final

import asyncpg

from kalshi_core.closes import ClosesRecorded, KnownClose
from kalshi_core.storage.postgres.known_closes import record_known_closes
from kalshi_core.storage.postgres.market_rows import MARKET_SELECT, market_from_row
from kalshi_core.storage.repositories import (
    ImportConflict,
    ImportCounts,
    ImportedCandle,
    ImportedMarket,
    ImportedTrade,
    StagedCounts,
    StagedMarket,
)

# Statements over a whole dump can run for many minutes; the pool's command timeout (60 s by
# default, right for ticks and API reads) would abort them half way.
STATEMENT_TIMEOUT_S: Final = 24 * 3600.0

_TRADES: Final = "_import_trades"
_CANDLES: Final = "_import_candles"
_MARKETS: Final = "_import_markets"

# Staging columns in field order; `contracts` is the column `count`.
_TRADE_FIELDS: Final = tuple("count" if f == "contracts" else f for f in ImportedTrade._fields)
_CANDLE_FIELDS: Final = ImportedCandle._fields
_MARKET_FIELDS: Final = ImportedMarket._fields
_CANDLE_PRICES: Final = tuple(f for f in _CANDLE_FIELDS if f.startswith(("yes_", "price_")))

_CREATE_STAGES: Final = (
    f"""CREATE TEMP TABLE {_TRADES} (
        src integer NOT NULL, line bigint NOT NULL, trade_id text NOT NULL, ticker text NOT NULL,
        created_time timestamptz NOT NULL, yes_price numeric NOT NULL, count numeric NOT NULL,
        taker_side text, is_block_trade boolean
    ) ON COMMIT DROP""",
    f"""CREATE TEMP TABLE {_CANDLES} (
        src integer NOT NULL, line bigint NOT NULL, ticker text NOT NULL,
        period_minutes smallint NOT NULL, end_time timestamptz NOT NULL,
        {", ".join(f"{p} numeric" for p in _CANDLE_PRICES)},
        volume numeric NOT NULL, open_interest numeric
    ) ON COMMIT DROP""",
    f"""CREATE TEMP TABLE {_MARKETS} (
        src integer NOT NULL, line bigint NOT NULL, ticker text NOT NULL,
        updated_at timestamptz, fetched_at timestamptz, fields_json text NOT NULL
    ) ON COMMIT DROP""",
)


class _Table:
    """What the session needs to know of one target table: its staging table, key, the
    compared values and the optional columns a dump may leave unsaid (kept from storage)."""

    def __init__(
        self,
        name: str,
        stage: str,
        key: tuple[str, ...],
        values: tuple[str, ...],
        keep_stored: tuple[str, ...] = (),
        defaults: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.stage = stage
        self.key = key
        self.values = values
        self.keep_stored = keep_stored
        self.defaults = defaults or {}

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.key, *self.values)

    def _variant(self, alias: str) -> str:
        return "(" + ", ".join(f"{alias}.{c}" for c in self.values) + ")"

    def summary_sql(self) -> str:
        key = ", ".join(self.key)
        return f"""
            SELECT count(*) AS keys, coalesce(sum(n), 0)::bigint AS rows,
                   count(*) FILTER (WHERE variants > 1) AS conflicting
            FROM (SELECT count(*) AS n, count(DISTINCT {self._variant("s")}) AS variants
                  FROM {self.stage} s GROUP BY {key}) g"""

    def conflicts_sql(self) -> str:
        key = ", ".join(f"s.{c}" for c in self.key)
        label = " || ' ' || ".join(f"f.{c}::text" for c in self.key)
        return f"""
            SELECT {label} AS key, array_agg(f.src ORDER BY f.src, f.line) AS srcs,
                   array_agg(f.line ORDER BY f.src, f.line) AS lines
            FROM (SELECT DISTINCT ON ({key}, {self._variant("s")}) {key}, s.src, s.line
                  FROM {self.stage} s ORDER BY {key}, {self._variant("s")}, s.src, s.line) f
            GROUP BY {", ".join(f"f.{c}" for c in self.key)} HAVING count(*) > 1
            ORDER BY min(f.src), min(f.line) LIMIT $1"""

    def upsert_sql(self) -> str:
        join = " AND ".join(f"t.{c} = s.{c}" for c in self.key)

        def picked(c: str) -> str:
            if c in self.keep_stored:
                default = f", {self.defaults[c]}" if c in self.defaults else ""
                return f"coalesce(s.{c}, t.{c}{default}) AS {c}"
            return f"s.{c}"

        cols = ", ".join(self.columns)
        s_key = ", ".join(f"s.{c}" for c in self.key)
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in self.values)
        old = ", ".join(f"{self.name}.{c}" for c in self.values)
        new = ", ".join(f"EXCLUDED.{c}" for c in self.values)
        return f"""
            WITH src AS (
                SELECT DISTINCT ON ({s_key}) {", ".join(picked(c) for c in self.columns)}
                FROM {self.stage} s LEFT JOIN {self.name} t ON {join}
                ORDER BY {s_key}, s.src, s.line
            ), written AS (
                INSERT INTO {self.name} ({cols}) SELECT {cols} FROM src
                ON CONFLICT ({", ".join(self.key)}) DO UPDATE SET {sets}
                WHERE ({old}) IS DISTINCT FROM ({new})
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted) AS inserted,
                   count(*) FILTER (WHERE NOT inserted) AS updated
            FROM written"""


_TRADE_TABLE: Final = _Table(
    "market_trades",
    _TRADES,
    key=("trade_id",),
    values=("ticker", "created_time", "yes_price", "count", "taker_side", "is_block_trade"),
    keep_stored=("taker_side", "is_block_trade"),
    defaults={"is_block_trade": "false"},
)
_CANDLE_TABLE: Final = _Table(
    "market_candles",
    _CANDLES,
    key=("ticker", "period_minutes", "end_time"),
    values=(*_CANDLE_PRICES, "volume", "open_interest"),
    # a dump that does not say a candle's trade prices, book or open interest (a trade-price
    # candle file has no book) keeps the stored ones
    keep_stored=(*_CANDLE_PRICES, "open_interest"),
)

# Markets: a ticker's rows are ranked newest first (updated_time, then the dump's fetch time);
# only the newest rows must agree.
_MARKET_ORDER: Final = "updated_at DESC NULLS LAST, fetched_at DESC NULLS LAST"
_MARKET_SUMMARY: Final = f"""
    SELECT count(*) AS keys, coalesce(sum(n), 0)::bigint AS rows,
           count(*) FILTER (WHERE variants > 1) AS conflicting
    FROM (SELECT count(*) AS n, count(DISTINCT fields_json) FILTER (WHERE r = 1) AS variants
          FROM (SELECT ticker, fields_json,
                       rank() OVER (PARTITION BY ticker ORDER BY {_MARKET_ORDER}) AS r
                FROM {_MARKETS}) ranked
          GROUP BY ticker) g"""
_MARKET_CONFLICTS: Final = f"""
    SELECT f.ticker AS key, array_agg(f.src ORDER BY f.src, f.line) AS srcs,
           array_agg(f.line ORDER BY f.src, f.line) AS lines
    FROM (SELECT DISTINCT ON (ticker, fields_json) ticker, src, line
          FROM (SELECT ticker, fields_json, src, line,
                       rank() OVER (PARTITION BY ticker ORDER BY {_MARKET_ORDER}) AS r
                FROM {_MARKETS}) ranked
          WHERE r = 1 ORDER BY ticker, fields_json, src, line) f
    GROUP BY f.ticker HAVING count(*) > 1
    ORDER BY min(f.src), min(f.line) LIMIT $1"""
_MARKETS_KEPT: Final = f"""
    SELECT DISTINCT ON (ticker) ticker, fields_json FROM {_MARKETS}
    ORDER BY ticker, {_MARKET_ORDER}, src, line"""
_STORED_MARKETS: Final = f"{MARKET_SELECT} WHERE m.ticker = ANY($1::text[])"


class PostgresImportSession:
    """`HistoryImportSession` on one connection inside an open transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._staged: dict[str, StagedCounts] | None = None

    async def create_stages(self) -> None:
        for sql in _CREATE_STAGES:
            await self._conn.execute(sql)

    async def _copy(
        self, table: str, fields: Sequence[str], rows: Sequence[tuple[object, ...]]
    ) -> None:
        if not rows:
            return
        self._staged = None
        await self._conn.copy_records_to_table(
            table, records=rows, columns=list(fields), timeout=STATEMENT_TIMEOUT_S
        )

    async def stage_trades(self, rows: Sequence[ImportedTrade]) -> None:
        await self._copy(_TRADES, _TRADE_FIELDS, rows)

    async def stage_candles(self, rows: Sequence[ImportedCandle]) -> None:
        await self._copy(_CANDLES, _CANDLE_FIELDS, rows)

    async def stage_markets(self, rows: Sequence[ImportedMarket]) -> None:
        await self._copy(_MARKETS, _MARKET_FIELDS, rows)

    async def staged(self) -> builtins.list[StagedCounts]:
        if self._staged is None:
            out: dict[str, StagedCounts] = {}
            for name, stage, sql in (
                ("markets", _MARKETS, _MARKET_SUMMARY),
                (_TRADE_TABLE.name, _TRADES, _TRADE_TABLE.summary_sql()),
                (_CANDLE_TABLE.name, _CANDLES, _CANDLE_TABLE.summary_sql()),
            ):
                # Temporary tables are never auto-analyzed; the planner needs their size to
                # choose hash aggregates and joins over millions of staged rows.
                await self._conn.execute(f"ANALYZE {stage}", timeout=STATEMENT_TIMEOUT_S)
                row = await self._conn.fetchrow(sql, timeout=STATEMENT_TIMEOUT_S)
                assert row is not None
                out[name] = StagedCounts(name, row["rows"], row["keys"], row["conflicting"])
            self._staged = out
        return list(self._staged.values())

    async def conflicts(self, limit: int) -> builtins.list[ImportConflict]:
        found: builtins.list[ImportConflict] = []
        counts = {c.table: c for c in await self.staged()}
        for name, sql in (
            ("markets", _MARKET_CONFLICTS),
            (_TRADE_TABLE.name, _TRADE_TABLE.conflicts_sql()),
            (_CANDLE_TABLE.name, _CANDLE_TABLE.conflicts_sql()),
        ):
            if not counts[name].conflicting_keys:
                continue
            rows = await self._conn.fetch(sql, limit, timeout=STATEMENT_TIMEOUT_S)
            found += [
                ImportConflict(name, r["key"], list(zip(r["srcs"], r["lines"], strict=True)))
                for r in rows
            ]
        return found

    async def write_history(self) -> builtins.list[ImportCounts]:
        counts = {c.table: c for c in await self.staged()}
        out: builtins.list[ImportCounts] = []
        for table in (_TRADE_TABLE, _CANDLE_TABLE):
            staged = counts[table.name]
            if staged.conflicting_keys:
                raise ValueError(
                    f"{staged.conflicting_keys} {table.name} keys are given different values by "
                    "different rows; resolve the conflicts before writing"
                )
            inserted = updated = 0
            if staged.rows:
                row = await self._conn.fetchrow(table.upsert_sql(), timeout=STATEMENT_TIMEOUT_S)
                assert row is not None
                inserted, updated = row["inserted"], row["updated"]
            out.append(
                ImportCounts(
                    table=table.name,
                    rows=staged.rows,
                    inserted=inserted,
                    updated=updated,
                    unchanged=staged.keys - inserted - updated,
                )
            )
        return out

    async def record_known_closes(self, closes: Sequence[KnownClose]) -> ClosesRecorded:
        return await record_known_closes(self._conn, closes, command_timeout=STATEMENT_TIMEOUT_S)

    async def staged_markets(self, chunk: int) -> AsyncIterator[builtins.list[StagedMarket]]:
        if chunk < 1:
            raise ValueError("chunk must be >= 1")
        cursor = await self._conn.cursor(_MARKETS_KEPT, timeout=STATEMENT_TIMEOUT_S)
        while True:
            rows = await cursor.fetch(chunk, timeout=STATEMENT_TIMEOUT_S)
            if not rows:
                return
            tickers = [r["ticker"] for r in rows]
            stored = {
                r["ticker"]: market_from_row(r)
                for r in await self._conn.fetch(_STORED_MARKETS, tickers)
            }
            yield [
                StagedMarket(r["ticker"], r["fields_json"], stored.get(r["ticker"])) for r in rows
            ]
