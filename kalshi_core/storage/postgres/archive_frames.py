"""Reads of snapshot frames (backtests, notebooks: millions of rows) from the archived days'
files, merged with the hot frame read from PostgreSQL: `MarketRepository.snapshot_frame`.

The files are read with DuckDB, which scans them in parallel, filters on time and joins the
requested markets' ids and their rank in `ORDER BY ticker` (the database's collation); numpy
sorts the rows. Merging is exact: a day is in one place or the other, so rows with the same
`observed_at` always come from one source; both sources are ordered the way PostgreSQL orders
the hot read (time, then ticker rank), and floats are computed as PostgreSQL does (an exact
integer divided by a power of ten, correctly rounded).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from kalshi_core.storage.archive import ArchiveStore
from kalshi_core.storage.postgres.archive_catalogue import ArchiveCatalogue, ServedDays, day_start

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

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
_TIME_DTYPE: Final = "datetime64[us, UTC]"


class ArchiveFrameReads(ArchiveCatalogue):
    """The frame reads of `ArchiveReader` (kalshi_core.storage.postgres.archive_reads), with
    their DuckDB connection (one per reader; each read takes a cursor of it)."""

    def __init__(
        self,
        db: Database,
        store: ArchiveStore | None = None,
        ttl_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(db, store, ttl_s, clock)
        self._duck: duckdb.DuckDBPyConnection | None = None
        self._duck_lock = threading.Lock()

    def use_store(self, store: ArchiveStore) -> None:
        # the connection has the old store's filesystem registered: closed, and the store
        # changed under the same lock, so that no cursor is taken meanwhile with the old one
        with self._duck_lock:
            if self._duck is not None:
                self._duck.close()
                self._duck = None
            super().use_store(store)

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
