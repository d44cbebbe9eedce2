"""Reads of archived days: DuckDB over the Parquet files, merged into the PostgreSQL reads.

A day served from its file (`archived_days.retired_at` set: the partition is dropped, or is
about to be and still holds the same rows) is read from the file and never from PostgreSQL;
every other day from PostgreSQL. Which days those are (`ServedDays`) is kept in memory by
`ArchiveReader` and re-read when older than `ttl_s` (ARCHIVE_CATALOGUE_TTL_S); it changes only
when the nightly archive job retires days (a process that retires or drops calls `forget`).

Why a cached list is safe across processes (docs/ARCHIVE.md): the archive job drops a partition
only once its day has been served from the file for longer than every reader's `ttl_s` plus a
margin (ARCHIVE_DROP_GRACE_S), and every read runs through `ArchiveReader.consistent`, which
takes the list before the read and looks again after it, redoing the read if the list changed.
A read that planned with a list not yet naming a day, and then found the day's partition gone,
ends after the drop, hence more than `ttl_s` after the list was loaded: the look after the read
reloads the list, sees the day, and the read is redone from the file. A read of hot days alone
costs two dictionary lookups more than before.

Merging is exact: a day is in one place or the other, so rows with the same `observed_at`
always come from one source; both sources are ordered the way PostgreSQL orders the hot read
(tickers by their rank in `ORDER BY ticker`, i.e. the database's collation), and floats are
computed as PostgreSQL does (an exact integer divided by a power of ten, correctly rounded).
The history JSON of archived rows is rendered by the same SQL as hot rows: the rows read from
the file are handed to PostgreSQL as arrays (`unnest`), so an archived day and a hot day give
byte-identical JSON by construction.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from kalshi_core.settings import get_settings
from kalshi_core.storage.archive import SNAPSHOT_COLUMNS, ArchiveError, ArchiveStore

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

_SERVED_SQL: Final = (
    "SELECT day, url, dropped_at IS NULL AS retiring FROM archived_days "
    "WHERE table_name = 'market_snapshots' AND retired_at IS NOT NULL ORDER BY day"
)
_CONSISTENT_ATTEMPTS: Final = 5
_MARKET_ID_SQL: Final = "SELECT id FROM markets WHERE ticker = $1"
_RANKS_ALL: Final = "SELECT id, ticker FROM markets ORDER BY ticker"
_RANKS_OF: Final = "SELECT id, ticker FROM markets WHERE ticker = ANY($1::text[]) ORDER BY ticker"

# The float frame's columns and their divisor (micro-dollars, centi-contracts).
_FRAME_SCALE: Final = {
    "yes_bid": 1_000_000,
    "yes_ask": 1_000_000,
    "last_price": 1_000_000,
    "yes_bid_size": 100,
    "yes_ask_size": 100,
    "volume": 100,
    "open_interest": 100,
}
_FLOATS_SQL: Final = ", ".join(
    f"CAST(a.{c} AS DOUBLE) / CAST({d} AS DOUBLE) AS {c}" for c, d in _FRAME_SCALE.items()
)
# PostgreSQL array types of the archived columns, for `unnest` (migration 0009's layout).
_PG_ARRAY_TYPES: Final = {
    "observed_at": "timestamptz[]",
    "sequence": "int8[]",
    "market_id": "int4[]",
    "source": "int2[]",
    **{c: "int4[]" for c in ("yes_bid", "yes_ask", "last_price")},
    **{
        c: "int8[]"
        for c in ("yes_bid_size", "yes_ask_size", "volume", "volume_24h", "open_interest")
    },
}
_COLUMNS: Final = ", ".join(SNAPSHOT_COLUMNS)
_TIME_DTYPE: Final = "datetime64[us, UTC]"


def day_start(day: date) -> datetime:
    return datetime.combine(day, dtime.min, tzinfo=UTC)


def _days_touching(
    days: Sequence[date], start: datetime | None, end: datetime | None
) -> list[date]:
    """The days of `days` whose [00:00Z, next 00:00Z) meets [start, end)."""
    return [
        d
        for d in days
        if (start is None or day_start(d + timedelta(days=1)) > start)
        and (end is None or day_start(d) < end)
    ]


@dataclass(frozen=True, slots=True)
class ServedDays:
    """The days read from the archive, as one read of the catalogue saw them."""

    files: Mapping[date, str]  # day -> its file's URL
    retiring: frozenset[date]  # of those, the days whose partition may still exist

    def days_in(self, start: datetime | None, end: datetime | None) -> list[date]:
        """The days served from files meeting [start, end), oldest first."""
        return _days_touching(sorted(self.files), start, end) if self.files else []

    def retiring_in(self, start: datetime | None, end: datetime | None) -> list[date]:
        """The days meeting [start, end) that a read of PostgreSQL must leave out: served from
        their files while their partitions still hold the same rows."""
        return _days_touching(sorted(self.retiring), start, end) if self.retiring else []


NOTHING_SERVED: Final = ServedDays({}, frozenset())


def leave_out_days(
    days: Sequence[date], column: str, first_param: int
) -> tuple[list[str], list[Any]]:
    """SQL conditions keeping `column` out of each of `days`, and their bound arguments
    (numbered from `first_param`): a day served from its file is read from the file only."""
    conds: list[str] = []
    args: list[Any] = []
    for d in days:
        n = first_param + len(args)
        args += [day_start(d), day_start(d + timedelta(days=1))]
        conds.append(f"NOT ({column} >= ${n} AND {column} < ${n + 1})")
    return conds, args


T = TypeVar("T")


HISTORY_FIRST_PARAM: Final = 4
"""The first bind parameter the archived rows of the API's history read take ($1-$3: the ticker,
its JSON text and the limit; the time bounds come after the arrays)."""


class HistoryFetch(Protocol):
    """Runs the history query over `relation` (a table or a parenthesized query with
    market_snapshots' columns, given `args` from `HISTORY_FIRST_PARAM` on) for one ticker."""

    def __call__(
        self,
        limit: int,
        start: datetime | None,
        end: datetime | None,
        relation: str,
        args: list[Any],
    ) -> Awaitable[Sequence[Any]]: ...


@dataclass(frozen=True, slots=True)
class HistoryPlan:
    """How a newest-first history read over [start, end) splits around the days served from
    files: rows at or after `boundary` are all hot; older ones may come from either place."""

    days: tuple[date, ...]  # days served from files meeting [start, end), oldest first
    boundary: datetime  # the end of the newest of them (clipped to `end`)


class ArchiveReader:
    """Reads the days served from the archive; one per `Database` (see `archive_reader`).

    `ttl_s` (default ARCHIVE_CATALOGUE_TTL_S) bounds how long the list of those days is used
    before it is read again; `clock` is the monotonic clock that measures it."""

    def __init__(
        self,
        db: Database,
        store: ArchiveStore | None = None,
        ttl_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._store = store
        self.ttl_s = get_settings().archive_catalogue_ttl_s if ttl_s is None else ttl_s
        self.clock = clock
        self._served = NOTHING_SERVED
        self._loaded_at: float | None = None
        self.loads = 0  # how often the catalogue was read (a hot read must not add any)
        self.redone = 0  # reads redone because the catalogue changed while they ran
        self._load_lock = asyncio.Lock()
        self._market_ids: dict[str, int] = {}
        self._duck: duckdb.DuckDBPyConnection | None = None
        self._duck_lock = threading.Lock()

    @property
    def store(self) -> ArchiveStore:
        if self._store is None:
            settings = get_settings()
            self._store = ArchiveStore(settings.archive_url, settings.archive_storage_options)
        return self._store

    def forget(self) -> None:
        """Re-read the catalogue on the next read (after this process retired or dropped
        days)."""
        self._loaded_at = None

    def use_store(self, store: ArchiveStore) -> None:
        """Read the files through `store` from now on (instead of ARCHIVE_URL's)."""
        with self._duck_lock:
            if self._duck is not None:
                self._duck.close()
                self._duck = None
            self._store = store
        self.forget()

    def _fresh(self) -> bool:
        loaded = self._loaded_at
        return loaded is not None and self.clock() - loaded < self.ttl_s

    async def served(self) -> ServedDays:
        """The days served from files (the same object while the cached list is used; read
        again once it is `ttl_s` old)."""
        if self._fresh():
            return self._served
        async with self._load_lock:
            if not self._fresh():
                # the age counts from before the query: the list is no older than its clock
                started = self.clock()
                async with self._db.acquire() as conn:
                    rows = await conn.fetch(_SERVED_SQL)
                self._served = ServedDays(
                    {r["day"]: r["url"] for r in rows},
                    frozenset(r["day"] for r in rows if r["retiring"]),
                )
                self._loaded_at = started
                self.loads += 1
        return self._served

    async def consistent(self, read: Callable[[ServedDays], Awaitable[T]]) -> T:
        """`read(served)` with the days served from files as seen before it, redone while they
        differ from those seen after it (see the module docstring for why that suffices)."""
        served = await self.served()
        for _ in range(_CONSISTENT_ATTEMPTS):
            result = await read(served)
            after = await self.served()
            if after is served or after == served:
                return result
            served = after
            self.redone += 1
        raise ArchiveError(
            f"the archive catalogue changed during each of {_CONSISTENT_ATTEMPTS} attempts of "
            "a read; try again"
        )

    # --- DuckDB -------------------------------------------------------------------------------

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._duck_lock:
            if self._duck is None:
                duck = duckdb.connect()
                duck.execute("SET TimeZone = 'UTC'")
                # footers of files read again (the same days, page after page) are kept parsed
                duck.execute("SET parquet_metadata_cache = true")
                self.store.register(duck)
                self._duck = duck
            return self._duck.cursor()

    def _paths(self, served: ServedDays, days: Sequence[date]) -> list[str]:
        store = self.store
        return [store.duckdb_path(store.path_of(served.files[d])) for d in days]

    async def _query(
        self, sql: str, params: Sequence[Any], tables: dict[str, pa.Table] | None = None
    ) -> pa.Table:
        def run() -> pa.Table:
            cur = self._cursor()
            try:
                for name, table in (tables or {}).items():
                    cur.register(name, table)
                result: pa.Table = cur.sql(sql, params=list(params)).to_arrow_table()
                return result
            finally:
                cur.close()

        return await asyncio.to_thread(run)

    # --- history (the API's JSON) -------------------------------------------------------------

    @staticmethod
    def history_plan(
        served: ServedDays, start: datetime | None, end: datetime | None
    ) -> HistoryPlan | None:
        """None when no day served from a file meets [start, end) (the read is hot only)."""
        days = served.days_in(start, end)
        if not days:
            return None
        boundary = day_start(days[-1] + timedelta(days=1))
        if end is not None:
            boundary = min(boundary, end)
        return HistoryPlan(tuple(days), boundary)

    async def history(
        self,
        served: ServedDays,
        plan: HistoryPlan,
        ticker: str,
        limit: int,
        start: datetime | None,
        end: datetime | None,
        fetch: HistoryFetch,
        first_param: int = HISTORY_FIRST_PARAM,
    ) -> list[Any]:
        """The newest `limit` rows of `ticker` in [start, end), newest first, as `fetch`
        renders them: first the hot rows at or after the plan's boundary (all newer than any
        archived row); if they do not fill the page, the rest from before the boundary, read
        from the table and the archived rows together (so hot days older than an archived one
        merge in order). `fetch` binds the relation's arguments from `first_param` on."""
        rows: list[Any] = []
        if end is None or plan.boundary < end:
            rows = list(await fetch(limit, plan.boundary, end, "market_snapshots", []))
        if len(rows) < limit:
            rest = limit - len(rows)
            relation, args = await self.history_relation(
                served, ticker, plan, start, plan.boundary, rest, first_param
            )
            rows += await fetch(rest, start, plan.boundary, relation, args)
        return rows

    async def market_id(self, ticker: str) -> int | None:
        hit = self._market_ids.get(ticker)
        if hit is None:
            async with self._db.acquire() as conn:
                hit = await conn.fetchval(_MARKET_ID_SQL, ticker)
            if hit is None:
                return None
            if len(self._market_ids) > 100_000:
                self._market_ids.clear()
            self._market_ids[ticker] = hit  # a ticker's id never changes
        return hit

    async def history_relation(
        self,
        served: ServedDays,
        ticker: str,
        plan: HistoryPlan,
        start: datetime | None,
        end: datetime,
        limit: int,
        first_param: int,
    ) -> tuple[str, list[Any]]:
        """A relation of market_snapshots' columns: the table's rows outside the days served
        from files plus the newest `limit` archived rows of `ticker` in [start, end), passed as
        bound arrays numbered from `first_param`; and the arguments it binds."""
        market_id = await self.market_id(ticker)
        rows = pa.table({c: pa.array([], type=pa.int64()) for c in SNAPSHOT_COLUMNS})
        paths = self._paths(served, _days_touching(plan.days, start, end))
        if market_id is not None and paths:
            conds = ["market_id = ?", "observed_at < ?"]
            params: list[Any] = [paths, market_id, end]
            if start is not None:
                conds.append("observed_at >= ?")
                params.append(start)
            params.append(limit)
            rows = await self._query(
                f"SELECT {_COLUMNS} FROM read_parquet(?, hive_partitioning = false) "
                f"WHERE {' AND '.join(conds)} ORDER BY observed_at DESC LIMIT ?",
                params,
            )
        arrays = ", ".join(
            f"${first_param + i}::{_PG_ARRAY_TYPES[c]}" for i, c in enumerate(SNAPSHOT_COLUMNS)
        )
        args: list[Any] = [rows.column(c).to_pylist() for c in SNAPSHOT_COLUMNS]
        conds, bounds = leave_out_days(
            served.retiring_in(start, end), "observed_at", first_param + len(args)
        )
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        relation = (
            f"(SELECT {_COLUMNS} FROM market_snapshots{where} UNION ALL "
            f"SELECT * FROM unnest({arrays}) AS a({_COLUMNS}))"
        )
        return relation, args + bounds

    # --- snapshot_frame (backtests, notebooks) ------------------------------------------------

    async def _ranks(self, tickers: Sequence[str] | None) -> pa.Table:
        """(market_id, ticker, rank) of the markets read, rank = position in ORDER BY ticker."""
        async with self._db.acquire() as conn:
            if tickers is None:
                rows = await conn.fetch(_RANKS_ALL)
            else:
                rows = await conn.fetch(_RANKS_OF, list(tickers))
        return pa.table(
            {
                "market_id": pa.array([r[0] for r in rows], type=pa.int32()),
                "market_ticker": pa.array([r[1] for r in rows], type=pa.string()),
                "rank": pa.array(np.arange(len(rows)), type=pa.int64()),
            }
        )

    async def snapshot_frame(
        self,
        served: ServedDays,
        tickers: Sequence[str] | None,
        start: datetime | None,
        end: datetime | None,
        *,
        as_of: bool,
        hot: pd.DataFrame,
        hot_seed: pd.DataFrame | None,
    ) -> pd.DataFrame | None:
        """The frame of `MarketRepository.snapshot_frame` with the days served from files read
        from the archive and merged in (`hot` and `hot_seed` read without them); None when no
        such day is involved (use the hot frame)."""
        days = served.days_in(start, end)
        seed_days: list[date] = []
        if as_of and start is not None:
            seed_days = [d for d in sorted(served.files) if day_start(d) < start]
        if not days and not seed_days:
            return None
        seed = hot_seed if hot_seed is not None else hot.iloc[0:0]
        if not days and tickers is not None and _seeded_after(seed, tickers, seed_days, start):
            return None  # every market's hot seed is newer than any archived row could be
        ranks = await self._ranks(tickers)
        archived = await self._frame_rows(served, days, ranks, start, end) if days else None
        frame = _merge([hot, archived], ranks, hot)
        if not (as_of and start is not None):
            return frame
        if seed_days:
            seed = await self._seed(served, seed_days, ranks, start, seed, hot)
        if seed.empty:
            return frame
        return pd.concat([seed, frame], ignore_index=True) if not frame.empty else seed

    async def _frame_rows(
        self,
        served: ServedDays,
        days: Sequence[date],
        ranks: pa.Table,
        start: datetime | None,
        end: datetime | None,
    ) -> pa.Table | None:
        paths = self._paths(served, days)
        if not paths:
            return None
        conds: list[str] = []
        params: list[Any] = [paths]
        if start is not None:
            conds.append("a.observed_at >= ?")
            params.append(start)
        if end is not None:
            conds.append("a.observed_at < ?")
            params.append(end)
        where = ("WHERE " + " AND ".join(conds)) if conds else ""
        return await self._query(
            f"SELECT r.market_ticker, a.observed_at, {_FLOATS_SQL}, r.rank "
            "FROM read_parquet(?, hive_partitioning = false) a "
            f"JOIN ranks r ON r.market_id = a.market_id {where} "
            "ORDER BY a.observed_at, r.rank",
            params,
            {"ranks": ranks},
        )

    async def _seed(
        self,
        served: ServedDays,
        days: Sequence[date],
        ranks: pa.Table,
        start: datetime,
        hot_seed: pd.DataFrame,
        like: pd.DataFrame,
    ) -> pd.DataFrame:
        """Each market's last row before `start`, the newer of the hot seed's and the
        archive's. The archive is searched newest day first, in growing batches of days, only
        for markets it could still improve on."""
        hot_times: dict[str, pd.Timestamp] = dict(
            zip(hot_seed["market_ticker"], hot_seed["observed_at"], strict=True)
        )
        ids = ranks.column("market_id").to_pylist()
        names = ranks.column("market_ticker").to_pylist()
        # a hot seed after the newest archived day cannot be beaten by the archive
        newest_end = pd.Timestamp(day_start(max(days) + timedelta(days=1)))
        open_ids = {
            i: hot_times.get(t)
            for i, t in zip(ids, names, strict=True)
            if t not in hot_times or hot_times[t] < newest_end
        }
        newest = sorted(days, reverse=True)
        found: list[pa.Table] = []
        batch = 1
        while newest and open_ids:
            chunk, newest = newest[:batch], newest[batch:]
            batch *= 2
            paths = self._paths(served, chunk)
            oldest_start = pd.Timestamp(day_start(chunk[-1]))
            candidates = pa.table({"market_id": pa.array(list(open_ids), type=pa.int32())})
            rows = await self._query(
                f"SELECT r.market_ticker, a.observed_at, {_FLOATS_SQL}, r.rank, a.market_id "
                "FROM read_parquet(?, hive_partitioning = false) a "
                "JOIN candidates c ON c.market_id = a.market_id "
                "JOIN ranks r ON r.market_id = a.market_id "
                "WHERE a.observed_at < ? "
                "QUALIFY row_number() OVER (PARTITION BY a.market_id "
                "ORDER BY a.observed_at DESC) = 1",
                [paths, start],
                {"candidates": candidates, "ranks": ranks},
            )
            for market_id in rows.column("market_id").to_pylist():
                open_ids.pop(market_id, None)
            found.append(rows.drop_columns(["market_id"]))
            # a hot seed at or after this batch's first day cannot be beaten by older days
            open_ids = {i: t for i, t in open_ids.items() if t is None or t < oldest_start}
        archived = _merge([None, *found], ranks, like)
        if archived.empty:
            return hot_seed
        newest_rows = pd.concat([hot_seed, archived], ignore_index=True)
        newest_rows = newest_rows.sort_values("observed_at", kind="stable")
        newest_rows = newest_rows.drop_duplicates("market_ticker", keep="last")
        return _merge([newest_rows], ranks, like)


def _seeded_after(
    seed: pd.DataFrame, tickers: Sequence[str], seed_days: Sequence[date], start: datetime | None
) -> bool:
    """Whether every ticker has a hot seed at or after the end of the newest archived day
    before `start` (then no archived row can be its last row before `start`)."""
    if start is None or not seed_days:
        return True
    boundary = pd.Timestamp(min(day_start(max(seed_days) + timedelta(days=1)), start))
    times = dict(zip(seed["market_ticker"], seed["observed_at"], strict=True))
    return all(t in times and times[t] >= boundary for t in set(tickers))


def _merge(
    parts: Sequence[pd.DataFrame | pa.Table | None], ranks: pa.Table, like: pd.DataFrame
) -> pd.DataFrame:
    """Frames (or Arrow tables with a `rank` column) as one frame with `like`'s columns and
    dtypes, ordered by (observed_at, ticker rank) as PostgreSQL orders the hot read."""
    rank_of = dict(
        zip(
            ranks.column("market_ticker").to_pylist(), ranks.column("rank").to_pylist(), strict=True
        )
    )
    frames: list[pd.DataFrame] = []
    for part in parts:
        if part is None:
            continue
        frame = part.to_pandas() if isinstance(part, pa.Table) else part
        if frame.empty:
            continue
        frame = frame[list(like.columns)].copy()
        frames.append(frame)
    if not frames:
        return like.iloc[0:0].copy()
    merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    for column in like.columns:
        if column != "observed_at":
            merged[column] = merged[column].astype(like[column].dtype)
    # stored times are microseconds (`like`, the hot frame, may be empty: typed by the second)
    merged["observed_at"] = merged["observed_at"].astype(_TIME_DTYPE)
    order = np.lexsort(
        (
            merged["market_ticker"].map(rank_of).to_numpy(dtype="int64"),
            merged["observed_at"].to_numpy(dtype="datetime64[us]").astype("int64"),
        )
    )
    return merged.iloc[order].reset_index(drop=True)


_READERS: weakref.WeakKeyDictionary[Database, ArchiveReader] = weakref.WeakKeyDictionary()


def archive_reader(db: Database) -> ArchiveReader:
    """The reader of `db` (one per Database, so its caches are shared by every repository)."""
    reader = _READERS.get(db)
    if reader is None:
        reader = _READERS[db] = ArchiveReader(db)
    return reader
