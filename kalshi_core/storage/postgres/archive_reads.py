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

Two readers, each for what it does fastest: a page of one market's history (a few hundred
rows) is read with pyarrow from the row groups holding the market, found from the file's footer,
which is parsed once per file and kept (keyed by the file and when it was written); DuckDB's
planning and scan setup alone cost more than that read. Frames (millions of rows) are read with
DuckDB, which scans the files in parallel and joins the tickers' ranks; numpy sorts them.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kalshi_core.settings import get_settings
from kalshi_core.storage.archive import SNAPSHOT_COLUMNS, ArchiveError, ArchiveStore

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

_SERVED_SQL: Final = (
    "SELECT day, url, written_at, dropped_at IS NULL AS retiring FROM archived_days "
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
# PostgreSQL array types of the archived columns, for `unnest` (migration 0009's layout). The
# times travel as epoch microseconds (int8), turned back exactly by `_PG_FROM_EPOCH_US`.
_PG_ARRAY_TYPES: Final = {
    "observed_at": "int8[]",
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
# interval * float8 multiplies the interval's microseconds by the factor and rounds: exact for
# every integer below 2^53 us (year 2255), and timestamptz + a time-only interval adds exactly.
_PG_FROM_EPOCH_US: Final = "timestamptz 'epoch' + a.observed_at::float8 * interval '1 microsecond'"
_UNNEST_SELECT: Final = ", ".join(
    f"{_PG_FROM_EPOCH_US} AS observed_at" if c == "observed_at" else f"a.{c}"
    for c in SNAPSHOT_COLUMNS
)
_TIME_DTYPE: Final = "datetime64[us, UTC]"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_FOOTERS_KEPT: Final = 1024
"""Parsed footers kept in memory (a few kB each, one per archived day read)."""


def _epoch_us(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def _all_served(served: ServedDays, start: datetime, end: datetime) -> bool:
    """Whether every UTC day meeting [start, end) is served from its file."""
    if end <= start:
        return True
    day, last = start.astimezone(UTC).date(), (end - timedelta(microseconds=1)).astimezone(UTC)
    while day <= last.date():
        if day not in served.files:
            return False
        day += timedelta(days=1)
    return True


def _array_text(values: npt.NDArray[np.int64]) -> str:
    """An array literal (`{1,2,3}`) of integers: bound as text and cast in SQL, because
    asyncpg encodes a list parameter element by element in Python (an abstract-class check
    each), which cost more than the rest of the page; PostgreSQL parses the literal in C."""
    return "{" + ",".join(map(str, values.tolist())) + "}"


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
    # day -> when its file was written: a file written again (same URL) is another file, whose
    # footer a reader must not take from its cache
    written: Mapping[date, datetime] = field(default_factory=dict)

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


@dataclass(frozen=True, slots=True)
class _Footer:
    """A file's parsed footer and the `market_id` range of each of its row groups."""

    metadata: pq.FileMetaData
    low: npt.NDArray[np.int64]
    high: npt.NDArray[np.int64]
    size: int | None  # the file's size when read (local files)

    @classmethod
    def of(cls, metadata: pq.FileMetaData, size: int | None) -> _Footer:
        column = metadata.schema.to_arrow_schema().get_field_index("market_id")
        n = metadata.num_row_groups
        low = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        high = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        for i in range(n):
            stats = metadata.row_group(i).column(column).statistics
            if stats is not None and stats.has_min_max:  # else: the group may hold any id
                low[i], high[i] = stats.min, stats.max
        return cls(metadata, low, high, size)

    def groups_of(self, market_id: int) -> list[int]:
        """The row groups that may hold rows of `market_id`."""
        return np.flatnonzero((self.low <= market_id) & (market_id <= self.high)).tolist()


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
        self.footers_read = 0  # files whose footer was read and parsed (then kept)
        self._load_lock = asyncio.Lock()
        self._market_ids: dict[str, int] = {}
        self._duck: duckdb.DuckDBPyConnection | None = None
        self._duck_lock = threading.Lock()
        self._footers: OrderedDict[tuple[str, datetime | None], _Footer] = OrderedDict()
        self._footers_lock = threading.Lock()

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
        with self._footers_lock:
            self._footers.clear()
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
                    {r["day"]: r["written_at"] for r in rows},
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
        days = _days_touching(plan.days, start, end)
        columns: dict[str, str] = dict.fromkeys(SNAPSHOT_COLUMNS, "{}")
        if market_id is not None and days:
            columns = await asyncio.to_thread(
                self._market_rows, served, days, market_id, start, end, limit
            )
        arrays = ", ".join(
            f"${first_param + i}::text::{_PG_ARRAY_TYPES[c]}"
            for i, c in enumerate(SNAPSHOT_COLUMNS)
        )
        args: list[Any] = [columns[c] for c in SNAPSHOT_COLUMNS]
        archived = f"SELECT {_UNNEST_SELECT} FROM unnest({arrays}) AS a({_COLUMNS})"
        if start is not None and _all_served(served, start, end):
            # no hot row can be in range: the table is left out (nothing to plan or prune)
            return f"({archived})", args
        conds, bounds = leave_out_days(
            served.retiring_in(start, end), "observed_at", first_param + len(args)
        )
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        relation = f"(SELECT {_COLUMNS} FROM market_snapshots{where} UNION ALL {archived})"
        return relation, args + bounds

    def _footer(self, served: ServedDays, day: date) -> tuple[str, _Footer]:
        """The path of the day's file and its parsed footer, kept per (file, written at)."""
        store = self.store
        path = store.path_of(served.files[day])
        key = (path, served.written.get(day))
        # a local file's size is one stat away: a file replaced outside the archive job is
        # then noticed too (remote stores rely on written_at and on the retry on errors)
        size = os.stat(path).st_size if store.is_local else None
        with self._footers_lock:
            hit = self._footers.get(key)
            if hit is not None and (size is None or hit.size == size):
                self._footers.move_to_end(key)
                return path, hit
        with self._open(path) as source:
            footer = _Footer.of(pq.read_metadata(source), size)
        self.footers_read += 1
        with self._footers_lock:
            self._footers[key] = footer
            while len(self._footers) > _FOOTERS_KEPT:
                self._footers.popitem(last=False)
        return path, footer

    def _forget_footer(self, served: ServedDays, day: date) -> None:
        key = (self.store.path_of(served.files[day]), served.written.get(day))
        with self._footers_lock:
            self._footers.pop(key, None)

    @contextmanager
    def _open(self, path: str) -> Iterator[Any]:
        """What pyarrow reads the file from: the path itself when local (pyarrow's own reads),
        else a file of the store's fsspec filesystem."""
        store = self.store
        if store.is_local:
            yield path
        else:
            with store.fs.open(path, "rb") as f:
                yield f

    def _market_rows(
        self,
        served: ServedDays,
        days: Sequence[date],
        market_id: int,
        start: datetime | None,
        end: datetime,
        limit: int,
    ) -> dict[str, str]:
        """The newest `limit` rows of `market_id` in [start, end) of the days' files, newest
        first, as PostgreSQL array literals of integers (times in epoch microseconds).

        Read with pyarrow, not DuckDB: a page of one market is a few hundred rows, for which
        DuckDB's planning and scan setup cost more than the read. The file's footer is parsed
        once and kept, the row groups holding the market are found from its `market_id`
        statistics, and only they are read: one or two row groups (`ROW_GROUP_ROWS` rows)
        per day. Days are read newest first and the read stops once the page is full (a day's
        rows are all newer than an older day's)."""
        lo = None if start is None else _epoch_us(start)
        hi = _epoch_us(end)
        found: list[dict[str, npt.NDArray[np.int64]]] = []
        have = 0
        for day in sorted(days, reverse=True):
            try:
                part = self._day_rows(served, day, market_id, lo, hi)
            except (OSError, ValueError, pa.ArrowException):
                # a footer kept from a file since replaced under the same name: read afresh
                self._forget_footer(served, day)
                part = self._day_rows(served, day, market_id, lo, hi)
            if part is None:
                continue
            found.append(part)
            have += len(part["observed_at"])
            if have >= limit:
                break
        if not found:
            return dict.fromkeys(SNAPSHOT_COLUMNS, "{}")
        merged = {c: np.concatenate([p[c] for p in found]) for c in SNAPSHOT_COLUMNS}
        # newest first (a stable sort: the day parts are each in ascending time)
        order = np.argsort(-merged["observed_at"], kind="stable")[:limit]
        return {c: _array_text(merged[c][order]) for c in SNAPSHOT_COLUMNS}

    def _day_rows(
        self, served: ServedDays, day: date, market_id: int, lo: int | None, hi: int
    ) -> dict[str, npt.NDArray[np.int64]] | None:
        """The rows of `market_id` in [lo, hi) (epoch microseconds) of one day's file."""
        path, footer = self._footer(served, day)
        groups = footer.groups_of(market_id)
        if not groups:
            return None
        with self._open(path) as source:
            # a local file is read in place (pre-buffering hands the reads to pyarrow's I/O
            # threads: a wait for nothing); a remote one in a few coalesced requests
            table = pq.ParquetFile(
                source, metadata=footer.metadata, pre_buffer=not self.store.is_local
            ).read_row_groups(groups, columns=list(SNAPSHOT_COLUMNS), use_threads=False)
        times = table.column("observed_at").to_numpy().view(np.int64)
        keep = (table.column("market_id").to_numpy() == market_id) & (times < hi)
        if lo is not None:
            keep &= times >= lo
        rows = np.flatnonzero(keep)
        if len(rows) == 0:
            return None
        # a few hundred rows out of the group's thousands: taken before any conversion
        return {
            c: (times if c == "observed_at" else table.column(c).to_numpy())[rows].astype(np.int64)
            for c in SNAPSHOT_COLUMNS
        }

    # --- snapshot_frame (backtests, notebooks) ------------------------------------------------

    async def _ranks(self, tickers: Sequence[str] | None) -> _Ranks:
        """The markets read, in `ORDER BY ticker` (the database's collation)."""
        async with self._db.acquire() as conn:
            if tickers is None:
                rows = await conn.fetch(_RANKS_ALL)
            else:
                rows = await conn.fetch(_RANKS_OF, list(tickers))
        return _Ranks(
            pa.table(
                {
                    "market_id": pa.array([r[0] for r in rows], type=pa.int32()),
                    "rank": pa.array(np.arange(len(rows)), type=pa.int32()),
                }
            ),
            np.array([r[1] for r in rows], dtype=object),
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
        frame = _merge([hot, archived], hot)
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
        ranks: _Ranks,
        start: datetime | None,
        end: datetime | None,
    ) -> pd.DataFrame | None:
        """The archived rows of the markets in `ranks` in [start, end), ordered as the hot read
        orders its rows: DuckDB joins the ranks, divides and sorts; the frame is built from
        its columns without a Python object per row but the (shared) ticker strings."""
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
        rows = await self._query(
            f"SELECT r.rank, epoch_us(a.observed_at) AS observed_at, {_FLOATS_SQL} "
            "FROM read_parquet(?, hive_partitioning = false) a "
            f"JOIN ranks r ON r.market_id = a.market_id {where}",
            params,
            {"ranks": ranks.table},
        )
        return ranks.frame(rows)

    async def _seed(
        self,
        served: ServedDays,
        days: Sequence[date],
        ranks: _Ranks,
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
        ids = ranks.table.column("market_id").to_pylist()
        # a hot seed after the newest archived day cannot be beaten by the archive
        newest_end = pd.Timestamp(day_start(max(days) + timedelta(days=1)))
        open_ids = {
            i: hot_times.get(t)
            for i, t in zip(ids, ranks.names, strict=True)
            if t not in hot_times or hot_times[t] < newest_end
        }
        newest = sorted(days, reverse=True)
        found: list[pd.DataFrame] = []
        batch = 1
        while newest and open_ids:
            chunk, newest = newest[:batch], newest[batch:]
            batch *= 2
            paths = self._paths(served, chunk)
            oldest_start = pd.Timestamp(day_start(chunk[-1]))
            candidates = pa.table({"market_id": pa.array(list(open_ids), type=pa.int32())})
            rows = await self._query(
                f"SELECT r.rank, epoch_us(a.observed_at) AS observed_at, {_FLOATS_SQL}, "
                "a.market_id FROM read_parquet(?, hive_partitioning = false) a "
                "JOIN candidates c ON c.market_id = a.market_id "
                "JOIN ranks r ON r.market_id = a.market_id "
                "WHERE a.observed_at < ? "
                "QUALIFY row_number() OVER (PARTITION BY a.market_id "
                "ORDER BY a.observed_at DESC) = 1",
                [paths, start],
                {"candidates": candidates, "ranks": ranks.table},
            )
            for market_id in rows.column("market_id").to_pylist():
                open_ids.pop(market_id, None)
            found.append(ranks.frame(rows))
            # a hot seed at or after this batch's first day cannot be beaten by older days
            open_ids = {i: t for i, t in open_ids.items() if t is None or t < oldest_start}
        archived = _merge(found, like)
        if archived.empty:
            return hot_seed
        newest_rows = pd.concat([hot_seed, archived], ignore_index=True)
        newest_rows = newest_rows.sort_values("observed_at", kind="stable")
        newest_rows = newest_rows.drop_duplicates("market_ticker", keep="last")
        return _merge([newest_rows], like)


@dataclass(frozen=True, slots=True)
class _Ranks:
    """The markets a frame reads: `table` (market_id, rank) for DuckDB to join, rank = position
    in `ORDER BY ticker`, and `names`, the tickers by rank."""

    table: pa.Table
    names: npt.NDArray[np.object_]

    def frame(self, rows: pa.Table) -> pd.DataFrame:
        """A frame of DuckDB's (rank, epoch microseconds, floats...) rows, in any order, with
        the hot frame's columns, dtypes (tickers as object, times as datetime64[us, UTC]) and
        order (time, then rank).

        Sorted here rather than by DuckDB: one numpy argsort of a combined int64 key (time,
        then rank) and a gather straight into the frame's float block cost about a third of
        DuckDB's ORDER BY over the same rows (which sorts every column along)."""
        ranks = rows.column("rank").to_numpy()
        times = rows.column("observed_at").to_numpy()
        order = _time_rank_order(times, ranks, len(self.names))
        floats = np.empty((len(_FRAME_SCALE), len(order)), dtype=np.float64)
        for i, name in enumerate(_FRAME_SCALE):
            np.take(rows.column(name).to_numpy(), order, out=floats[i])
        # the transposed block is the frame's one float block as it is (no copy)
        frame = pd.DataFrame(floats.T, columns=list(_FRAME_SCALE), copy=False)
        frame.insert(
            0,
            "observed_at",
            pd.Series(times[order].view("datetime64[us]")).dt.tz_localize("UTC"),
        )
        frame.insert(0, "market_ticker", pd.Series(self.names[ranks[order]], dtype=object))
        return frame


def _time_rank_order(
    times: npt.NDArray[np.int64], ranks: npt.NDArray[np.int32], n_ranks: int
) -> npt.NDArray[np.intp]:
    """The order of rows by (time, rank): one sort of `(time - first) * n_ranks + rank` when
    that fits in int64 (any span shorter than ~290,000 years / n_ranks), else a lexsort."""
    if len(times) == 0:
        return np.arange(0, dtype=np.intp)
    first = int(times.min())
    span = int(times.max()) - first
    if (span + 1) * max(n_ranks, 1) < 2**62:
        key = (times - first) * max(n_ranks, 1) + ranks
        return np.argsort(key, kind="stable")
    return np.lexsort((ranks, times))


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


def _merge(parts: Sequence[pd.DataFrame | None], like: pd.DataFrame) -> pd.DataFrame:
    """Frames, each ordered by (observed_at, ticker rank) as PostgreSQL orders the hot read,
    as one frame so ordered, with `like`'s columns and dtypes.

    The parts never share a time: each holds whole days (a day is served from its file or
    from its partition, never both), so a stable sort on the time alone orders ties by rank,
    as each part already does; numpy's stable sort of int64 is a timsort, which merges the
    parts' sorted runs in linear time, and a frame already in order is not reordered."""
    columns = list(like.columns)
    frames = [
        p if list(p.columns) == columns else p[columns]
        for p in parts
        if p is not None and not p.empty
    ]
    if not frames:
        return like.iloc[0:0].copy()
    # (copy-on-write: the single frame is not copied unless a column below changes)
    merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    for column in like.columns:
        # stored times are microseconds (`like`, the hot frame, may be empty and typed apart)
        dtype: Any = _TIME_DTYPE if column == "observed_at" else like[column].dtype
        if merged[column].dtype != dtype:
            merged[column] = merged[column].astype(dtype)
    times = merged["observed_at"].to_numpy(dtype="datetime64[us]").view("int64")
    if len(times) > 1 and not bool((times[1:] >= times[:-1]).all()):
        order = np.argsort(times, kind="stable")
        merged = merged.iloc[order]
    return merged.reset_index(drop=True)


_READERS: weakref.WeakKeyDictionary[Database, ArchiveReader] = weakref.WeakKeyDictionary()


def archive_reader(db: Database) -> ArchiveReader:
    """The reader of `db` (one per Database, so its caches are shared by every repository)."""
    reader = _READERS.get(db)
    if reader is None:
        reader = _READERS[db] = ArchiveReader(db)
    return reader
