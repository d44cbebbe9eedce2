"""Snapshots, latest quotes and market metadata in PostgreSQL: the ingestion hot path and the
API's reads.

`save_many` writes one poll tick in one transaction: the day partitions the tick touches are
ensured first (cached, outside the transaction, see `Database.ensure_partitions`), then
`snapshot_writer.write_tick` stores the changed quotes and refreshes `market_latest`, and the
poll row and the compressed raw pages are written by the same transaction, so a tick is
all-or-nothing. A deadlock, serialization failure or key race (none expected: writers hold the
snapshot-writer lock) is retried, and a partition dropped behind the cache is recreated.

Reads build models with `model_construct`: the rows come from constrained columns (CHECKs, NOT
NULL, timestamptz), and skipping validation is what keeps the API's history reads cheap. Quote
columns are exact integers (prices in micro-dollars, counts in centi-contracts, migration 0009):
models get them back as Decimal (`kalshi_core.units`), DataFrames as float64 divided by the unit
in SQL (micros / 1e6 is the same double as float(Decimal): both are correctly rounded).

The repository's parts live beside it: the markets list's filters and order in `latest_list`
(shared with `json_reads`), the metadata columns, SELECT and upsert in `market_rows`, the
snapshot frames' binary COPY reader in `frame_copy`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import asyncpg
import pandas as pd

from kalshi_core.logs import get_logger
from kalshi_core.models import IngestPoll, Market, MarketSnapshot, SnapshotSource
from kalshi_core.storage.partitions import day_of
from kalshi_core.storage.postgres.archive_reads import ServedDays, archive_reader, leave_out_days
from kalshi_core.storage.postgres.frame_copy import FRAME_COPY_SELECT, copy_snapshot_frame
from kalshi_core.storage.postgres.latest_list import LATEST_FROM, latest_list_query
from kalshi_core.storage.postgres.market_rows import (
    M_COLUMNS,
    MARKET_SELECT,
    UPSERT_MARKET,
    market_args,
    market_from_row,
)
from kalshi_core.storage.postgres.polls import UPSERT_POLL_ADDING_ROWS, poll_args
from kalshi_core.storage.postgres.raw_pages import insert_raw_pages, raw_page_days
from kalshi_core.storage.postgres.snapshot_writer import (
    ROW_INSERT_MARKETS,
    ROW_WRITE,
    WRITER_LOCK,
    Coverage,
    distinct_timestamps,
    prepare_stage,
    row_args,
    write_tick,
)
from kalshi_core.storage.repositories import (
    LatestQuote,
    MarketFilter,
    Page,
    RawPage,
    SaveReport,
    SnapshotQuality,
)
from kalshi_core.storage.tables import QUOTE_COLUMNS, QUOTE_PRICES
from kalshi_core.units import (
    MAX_PRICE_MICROS,
    centi_to_count,
    micros_to_price,
)

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

log = get_logger(__name__)

_PRICES: Final = QUOTE_PRICES
_MAX_ATTEMPTS: Final = 3
# The inverse of tables.SOURCE_CODES, typed for MarketSnapshot.source.
_SOURCE_NAMES: Final[dict[int, SnapshotSource]] = {0: "rest", 1: "websocket"}


def _qualified(alias: str) -> str:
    return ", ".join(f"{alias}.{c}" for c in QUOTE_COLUMNS)


# --- reads ---------------------------------------------------------------------------------

_L_SELECT = (
    "l.observed_at AS l_observed_at, l.changed_at AS l_changed_at, l.sequence AS l_sequence, "
    "l.source AS l_source, " + ", ".join(f"l.{c} AS l_{c}" for c in QUOTE_COLUMNS)
)
_LATEST_BY_TICKER = f"""
SELECT {M_COLUMNS}, {_L_SELECT}
FROM markets m JOIN market_latest l ON l.market_id = m.id
WHERE m.ticker = $1
"""

_HISTORY_COLUMNS = f"h.observed_at, h.source, h.sequence, {_qualified('h')}"

_OUT_OF_RANGE = " OR ".join(f"h.{c} < 0 OR h.{c} > {MAX_PRICE_MICROS}" for c in _PRICES)
_BAD_QUOTE = f"h.yes_bid > h.yes_ask OR {_OUT_OF_RANGE}"
_QUALITY_STATS = f"""
SELECT coalesce(sum(n), 0) AS rows, count(*) AS markets,
       coalesce(sum(crossed), 0) AS crossed, coalesce(sum(out_of_range), 0) AS out_of_range
FROM (
    SELECT h.market_id, count(*) AS n,
           count(*) FILTER (WHERE h.yes_bid > h.yes_ask) AS crossed,
           count(*) FILTER (WHERE {_OUT_OF_RANGE}) AS out_of_range
    FROM market_snapshots h WHERE h.observed_at >= $1 AND h.observed_at < $2
    GROUP BY h.market_id
) per_market
"""
# Every partition carrying a valid unique primary key proves there are no duplicate keys
# without aggregating millions of rows; otherwise they are counted.
_PARTITIONS_WITHOUT_VALID_KEY = """
SELECT count(*) FROM pg_inherits inh
LEFT JOIN pg_index i ON i.indrelid = inh.inhrelid AND i.indisprimary
WHERE inh.inhparent = 'market_snapshots'::regclass
  AND NOT coalesce(i.indisunique AND i.indisvalid, false)
"""
_QUALITY_DUPLICATES = """
SELECT count(*) FROM (
    SELECT 1 FROM market_snapshots h WHERE h.observed_at >= $1 AND h.observed_at < $2
    GROUP BY h.market_id, h.observed_at HAVING count(*) > 1
) d
"""
_QUALITY_EXAMPLES = f"""
SELECT m.ticker, h.observed_at, h.yes_bid, h.yes_ask, h.last_price
FROM market_snapshots h JOIN markets m ON m.id = h.market_id
WHERE h.observed_at >= $1 AND h.observed_at < $2 AND ({_BAD_QUOTE})
ORDER BY h.observed_at LIMIT 10
"""
_QUALITY_STALE = """
SELECT count(*) AS open_markets, count(*) FILTER (WHERE l.changed_at < $1) AS stale
FROM markets m JOIN market_latest l ON l.market_id = m.id
WHERE m.status IN ('active', 'open')
"""


def _is_missing_partition(exc: BaseException) -> bool:
    return isinstance(exc, asyncpg.CheckViolationError) and "no partition" in str(exc)


def _snapshot_from(row: asyncpg.Record, ticker: str, prefix: str = "") -> MarketSnapshot:
    quote: dict[str, Any] = {
        c: micros_to_price(row[f"{prefix}{c}"])
        if c in _PRICES
        else centi_to_count(row[f"{prefix}{c}"])
        for c in QUOTE_COLUMNS
    }
    return MarketSnapshot.model_construct(
        market_ticker=ticker,
        timestamp=row[f"{prefix}observed_at"],
        source=_SOURCE_NAMES[row[f"{prefix}source"]],
        sequence=row[f"{prefix}sequence"],
        **quote,
    )


def _write_days(stamps: Iterable[datetime]) -> set[date]:
    """Partitions a write may touch: each observation's day and the next one (a late row can
    restore a later observation, at most `SEEN_LIMIT` observations later)."""
    days = {day_of(ts) for ts in stamps}
    return days | {d + timedelta(days=1) for d in days}


class PostgresMarketRepository:
    """`MarketRepository` on PostgreSQL."""

    def __init__(self, db: Database, *, total_ttl_s: float = 2.0) -> None:
        self._db = db
        self._total_ttl_s = total_ttl_s

    # --- writes ---------------------------------------------------------------------------

    async def save(self, snapshot: MarketSnapshot) -> None:
        """Row-by-row write, one transaction per call (the benchmark baseline).

        Same semantics as `save_many` of a single snapshot, without COPY or staging.
        """
        args = row_args(0, snapshot)  # validates: nothing is written for a bad snapshot
        self._db.require_writable()
        async with self._db.acquire() as conn:
            for attempt in range(1, _MAX_ATTEMPTS + 1):
                try:
                    await self._db.ensure_partitions(
                        conn, "market_snapshots", _write_days([snapshot.timestamp])
                    )
                    async with conn.transaction():
                        await conn.execute(WRITER_LOCK)
                        await conn.execute(ROW_INSERT_MARKETS, *args)
                        await conn.fetchrow(ROW_WRITE, *args)
                    return
                except (
                    asyncpg.DeadlockDetectedError,
                    asyncpg.SerializationError,
                    asyncpg.UniqueViolationError,
                ):
                    if attempt == _MAX_ATTEMPTS:
                        raise
                except asyncpg.CheckViolationError as exc:
                    if not _is_missing_partition(exc) or attempt == _MAX_ATTEMPTS:
                        raise
                    self._db.partitions.forget("market_snapshots")

    async def save_many(
        self,
        snapshots: Sequence[MarketSnapshot],
        *,
        poll: IngestPoll | None = None,
        raw_pages: Sequence[RawPage] = (),
    ) -> SaveReport:
        """Write one tick atomically; see the module docstring. Returns what was written.

        If `poll` is given it is upserted by (tier, tick) in the same transaction, with
        `rows_written` set to the rows this call stored (added to what earlier writes of the
        same tick stored, so a repeated tick keeps its count) and `markets_seen` defaulting to
        the number of distinct tickers. An `ok` poll with `interval_s` also records which markets
        the tick covered (coverage spans, the basis of quote freshness in backtests).
        """
        self._db.require_writable()
        if poll is not None:
            poll_args(poll)  # validates before anything is written
        snap_days = _write_days(distinct_timestamps(snapshots))
        page_days = raw_page_days(raw_pages)
        async with self._db.acquire() as conn:
            for attempt in range(1, _MAX_ATTEMPTS + 1):
                try:
                    if snap_days:
                        await self._db.ensure_partitions(conn, "market_snapshots", snap_days)
                    if page_days:
                        await self._db.ensure_partitions(conn, "raw_pages", page_days)
                    return await self._write_tick(conn, snapshots, poll, raw_pages)
                except (
                    asyncpg.DeadlockDetectedError,
                    asyncpg.SerializationError,
                    asyncpg.UniqueViolationError,
                ) as exc:
                    if attempt == _MAX_ATTEMPTS:
                        raise
                    log.warning("save_many retried", extra={"reason": type(exc).__name__})
                except asyncpg.CheckViolationError as exc:
                    if not _is_missing_partition(exc) or attempt == _MAX_ATTEMPTS:
                        raise
                    self._db.partitions.forget()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _write_tick(
        self,
        conn: asyncpg.Connection,
        snapshots: Sequence[MarketSnapshot],
        poll: IngestPoll | None,
        raw_pages: Sequence[RawPage],
    ) -> SaveReport:
        report = SaveReport(received=0, written=0, unchanged=0, duplicates=0)
        if snapshots:
            await prepare_stage(conn)
        coverage = (
            Coverage(poll.tier, poll.tick, timedelta(seconds=poll.interval_s))
            if poll is not None and poll.status == "ok" and poll.interval_s is not None
            else None
        )
        async with conn.transaction():
            if snapshots:
                report = await write_tick(conn, snapshots, coverage)
            if poll is not None:
                seen = poll.markets_seen or len({s.market_ticker for s in snapshots})
                recorded = poll.model_copy(
                    update={"rows_written": report.written, "markets_seen": seen}
                )
                await conn.execute(UPSERT_POLL_ADDING_ROWS, *poll_args(recorded))
            if raw_pages:
                await insert_raw_pages(conn, raw_pages)
        return report

    async def upsert_markets(self, markets: Sequence[Market]) -> int:
        """Insert or update metadata by ticker; an older `updated_at` never overwrites a newer one.

        Returns the number of markets given.
        """
        if not markets:
            return 0
        self._db.require_writable()
        args = [market_args(m) for m in sorted(markets, key=lambda m: m.ticker)]
        async with self._db.acquire() as conn, conn.transaction():
            await conn.executemany(UPSERT_MARKET, args)
        return len(args)

    # --- reads ----------------------------------------------------------------------------

    async def get_market(self, ticker: str) -> Market | None:
        async with self._db.acquire() as conn:
            row = await conn.fetchrow(f"{MARKET_SELECT} WHERE m.ticker = $1", ticker)
        return None if row is None else market_from_row(row)

    async def close_time_history(
        self, tickers: Sequence[str]
    ) -> dict[str, builtins.list[tuple[datetime, datetime | None]]]:
        """Each ticker's close_time as known over time: (known_from, close_time) pairs, oldest
        first (see migration 0005). A close of unknown age (stored before the history
        existed) has known_from `datetime.min` in UTC, the database's -infinity. Tickers
        without history (unknown, or never given a close) are left out."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                "SELECT m.ticker, h.known_from, h.close_time FROM market_close_times h "
                "JOIN markets m ON m.id = h.market_id WHERE m.ticker = ANY($1::text[]) "
                "ORDER BY m.ticker, h.known_from",
                list(tickers),
            )
        out: dict[str, builtins.list[tuple[datetime, datetime | None]]] = {}
        for r in rows:
            known_from = r["known_from"]
            if known_from.tzinfo is None:  # asyncpg decodes -infinity as a naive datetime.min
                known_from = known_from.replace(tzinfo=UTC)
            out.setdefault(r["ticker"], []).append((known_from, r["close_time"]))
        return out

    async def get_latest(self, ticker: str) -> LatestQuote | None:
        async with self._db.acquire() as conn:
            row = await conn.fetchrow(_LATEST_BY_TICKER, ticker)
        return None if row is None else _latest_from_row(row)

    async def get_all_latest(
        self, flt: MarketFilter | None = None, limit: int = 100, offset: int = 0
    ) -> Page[LatestQuote]:
        """Latest quotes joined with metadata, filtered, sorted (ticker A-Z breaks ties), paged.

        `search` is a case-insensitive substring of the ticker or the title; it is a bound
        parameter with LIKE wildcards escaped, so any input is just text. The unfiltered total
        (a count over every market) may be up to `total_ttl_s` (default 2 s) old; filtered
        totals are always exact.
        """
        flt = flt or MarketFilter()
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must be >= 0")
        q = latest_list_query(flt)
        page_sql = f"""
            SELECT {M_COLUMNS}, {_L_SELECT}
            FROM {LATEST_FROM}
            {q.where}
            ORDER BY {q.order_by()}
            {q.limit_offset}
        """
        async with self._db.acquire() as conn:
            rows = await conn.fetch(page_sql, *q.args, limit, offset)
            if q.where:
                total = int(await conn.fetchval(q.count_sql, *q.args))
            else:

                async def count_all() -> int:
                    return int(await conn.fetchval(q.count_sql))

                total = await self._db.cached_count("market_latest", self._total_ttl_s, count_all)
        return Page(items=[_latest_from_row(r) for r in rows], total=total)

    async def get_history(
        self,
        ticker: str,
        limit: int = 500,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> builtins.list[MarketSnapshot]:
        """Newest first, at most `limit` rows, `start <= timestamp < end`. Days served from
        the Parquet archive are read from their files: the read path of the API's history JSON
        (`ArchiveReader.history`), so both give the same rows."""
        if limit < 0:
            raise ValueError("limit must be >= 0")
        for name, value in (("start", start), ("end", end)):
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name}: naive datetime {value.isoformat()} rejected")
        if limit == 0:
            return []
        archive = archive_reader(self._db)

        async def read(served: ServedDays) -> builtins.list[asyncpg.Record]:
            plan = archive.history_plan(served, start, end)  # None: no archived day in range
            async with self._db.acquire() as conn:
                fetch = partial(_history_rows, conn, ticker)
                if plan is None:
                    return await fetch(limit, start, end, "market_snapshots", [])
                return await archive.history(
                    served, plan, ticker, limit, start, end, fetch, _HISTORY_FIRST_PARAM
                )

        rows = await archive.consistent(read)
        return [_snapshot_from(r, ticker) for r in rows]

    async def quality(
        self, start: datetime, end: datetime, *, stale_after: timedelta
    ) -> SnapshotQuality:
        """Quality figures of the stored rows in `[start, end)` (see `SnapshotQuality`).

        Crossed and out-of-range quotes are counted from the rows themselves (the CHECKs
        should make the latter 0: this verifies it); duplicate keys are 0 by proof when every
        partition has a valid unique primary key, else counted.
        Staleness is judged at min(end, now) from `market_latest.changed_at`.
        """
        reference = min(end, datetime.now(UTC))
        async with self._db.acquire() as conn:
            stats = await conn.fetchrow(_QUALITY_STATS, start, end)
            dups = 0
            if await conn.fetchval(_PARTITIONS_WITHOUT_VALID_KEY):
                dups = await conn.fetchval(_QUALITY_DUPLICATES, start, end)
            bad = await conn.fetch(_QUALITY_EXAMPLES, start, end)
            open_row = await conn.fetchrow(_QUALITY_STALE, reference - stale_after)
        assert stats is not None
        assert open_row is not None
        return SnapshotQuality(
            start=start,
            end=end,
            rows=int(stats["rows"]),
            markets=int(stats["markets"]),
            crossed=int(stats["crossed"]),
            out_of_range=int(stats["out_of_range"]),
            duplicate_keys=int(dups),
            open_markets=int(open_row["open_markets"]),
            stale_open_markets=int(open_row["stale"]),
            examples=[
                f"{r['ticker']} @ {r['observed_at'].isoformat()}: "
                f"bid {micros_to_price(r['yes_bid'])} ask {micros_to_price(r['yes_ask'])} "
                f"last {micros_to_price(r['last_price'])}"
                for r in bad
            ],
        )

    async def snapshot_frame(
        self,
        tickers: Sequence[str] | None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        as_of: bool = False,
    ) -> pd.DataFrame:
        """Stored rows as float64 columns for vectorized backtests (see the Protocol)."""
        archive = archive_reader(self._db)

        async def read(served: ServedDays) -> pd.DataFrame:
            seed: pd.DataFrame | None = None
            if as_of and start is not None:
                seed = await self._rows_before(tickers, start, served)
            conds: list[str] = []
            args: list[Any] = []
            if tickers is not None:
                args.append(list(tickers))
                conds.append(f"m.ticker = ANY(${len(args)}::text[])")
            if start is not None:
                args.append(start)
                conds.append(f"h.observed_at >= ${len(args)}")
            if end is not None:
                args.append(end)
                conds.append(f"h.observed_at < ${len(args)}")
            # a day served from its file is read from the file only (see archive_reads)
            leave_out, bounds = leave_out_days(
                served.retiring_in(start, end), "h.observed_at", len(args) + 1
            )
            conds += leave_out
            args += bounds
            where = ("WHERE " + " AND ".join(conds)) if conds else ""
            sql = (
                f"SELECT {FRAME_COPY_SELECT} FROM market_snapshots h "
                f"JOIN markets m ON m.id = h.market_id {where} ORDER BY h.observed_at, m.ticker"
            )
            async with self._db.acquire() as conn:
                frame = await copy_snapshot_frame(conn, sql, args)
            # days served from the Parquet archive come from their files
            merged = await archive.snapshot_frame(
                served, tickers, start, end, as_of=as_of, hot=frame, hot_seed=seed
            )
            if merged is not None:
                return merged
            if seed is None or seed.empty:
                return frame
            return pd.concat([seed, frame], ignore_index=True) if not frame.empty else seed

        return await archive.consistent(read)

    async def _rows_before(
        self, tickers: Sequence[str] | None, start: datetime, served: ServedDays
    ) -> pd.DataFrame:
        """Each market's last stored row before `start` (one index probe per market), outside
        the days served from files."""
        args: list[Any] = [start] if tickers is None else [start, list(tickers)]
        where = "" if tickers is None else "WHERE m.ticker = ANY($2::text[])"
        leave_out, bounds = leave_out_days(
            served.retiring_in(None, start), "h.observed_at", len(args) + 1
        )
        args += bounds
        sql = (
            f"SELECT {FRAME_COPY_SELECT} FROM markets m "
            "CROSS JOIN LATERAL (SELECT * FROM market_snapshots h "
            f"  WHERE {' AND '.join(['h.market_id = m.id', 'h.observed_at < $1', *leave_out])} "
            f"  ORDER BY h.observed_at DESC LIMIT 1) h {where} ORDER BY h.observed_at, m.ticker"
        )
        async with self._db.acquire() as conn:
            return await copy_snapshot_frame(conn, sql, args)


# $1 the ticker, $2 the limit; the archive's arguments from $3 on, then the time bounds
_HISTORY_FIRST_PARAM: Final = 3


async def _history_rows(
    conn: asyncpg.Connection,
    ticker: str,
    limit: int,
    start: datetime | None,
    end: datetime | None,
    relation: str,
    extra: builtins.list[Any],
) -> builtins.list[asyncpg.Record]:
    """A `HistoryFetch` for `get_history`: the newest `limit` rows of `ticker` in [start, end)
    from `relation` (market_snapshots, or it with archived rows bound in `extra`)."""
    conds = ["h.market_id = (SELECT id FROM markets WHERE ticker = $1)"]
    args: builtins.list[Any] = [ticker, limit, *extra]
    # Literal bounds (not `$n IS NULL OR ...`) so the planner prunes day partitions.
    if start is not None:
        args.append(start)
        conds.append(f"h.observed_at >= ${len(args)}")
    if end is not None:
        args.append(end)
        conds.append(f"h.observed_at < ${len(args)}")
    sql = (
        f"SELECT {_HISTORY_COLUMNS} FROM {relation} h WHERE {' AND '.join(conds)} "
        "ORDER BY h.observed_at DESC LIMIT $2"
    )
    rows: builtins.list[asyncpg.Record] = await conn.fetch(sql, *args)
    return rows


def _latest_from_row(row: asyncpg.Record) -> LatestQuote:
    return LatestQuote(
        snapshot=_snapshot_from(row, row["ticker"], prefix="l_"),
        market=market_from_row(row),
        changed_at=row["l_changed_at"].astimezone(UTC),
    )
