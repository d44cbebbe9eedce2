"""Reads of one market's history (a page, newest first) from the archived days' files: what
the API's history JSON and `MarketRepository.get_history` read for days served from files.

Rows at or after the end of the newest archived day in range are hot (PostgreSQL) only; the
older ones come from the table and the archived rows together. The archived rows are read with
pyarrow, not DuckDB: a page of one market is a few hundred rows, for which DuckDB's planning and
scan setup cost more than the read. Each file's footer is parsed once per file and kept (keyed
by the file and when it was written); the row groups holding the market are found from its
`market_id` statistics, and only they are read.

The rows read from a file are handed to PostgreSQL as arrays (`unnest`) and rendered by the same
SQL as hot rows, so an archived day and a hot day give byte-identical JSON (and equal models) by
construction. Merging is exact: a day is in one place or the other, so rows with the same
`observed_at` always come from one source.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from kalshi_core.storage.archive import SNAPSHOT_COLUMNS, ArchiveStore
from kalshi_core.storage.postgres.archive_catalogue import (
    ArchiveCatalogue,
    ServedDays,
    day_start,
    days_touching,
    leave_out_days,
)

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

_MARKET_ID_SQL: Final = "SELECT id FROM markets WHERE ticker = $1"
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


class ArchiveHistoryReads(ArchiveCatalogue):
    """The history-page reads of `ArchiveReader` (kalshi_core.storage.postgres.archive_reads),
    with their caches: the markets' ids and the files' parsed footers."""

    def __init__(
        self,
        db: Database,
        store: ArchiveStore | None = None,
        ttl_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(db, store, ttl_s, clock)
        self.footers_read = 0  # files whose footer was read and parsed (then kept)
        self._market_ids: dict[str, int] = {}
        self._footers: OrderedDict[tuple[str, datetime | None], _Footer] = OrderedDict()
        self._footers_lock = threading.Lock()

    def use_store(self, store: ArchiveStore) -> None:
        super().use_store(store)
        with self._footers_lock:  # footers of the old store's files
            self._footers.clear()

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
        days = days_touching(plan.days, start, end)
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
