"""Which days are read from the archive: the catalogue of served days, cached, and the
consistency loop every read of archived days runs through.

A day served from its file (`archived_days.retired_at` set: the partition is dropped, or is
about to be and still holds the same rows) is read from the file and never from PostgreSQL;
every other day from PostgreSQL. Which days those are (`ServedDays`) is kept in memory by
`ArchiveCatalogue` and re-read when older than `ttl_s` (ARCHIVE_CATALOGUE_TTL_S); it changes only
when the nightly archive job retires days (a process that retires or drops calls `forget`).

Why a cached list is safe across processes (docs/ARCHIVE.md): the archive job drops a partition
only once its day has been served from the file for longer than every reader's `ttl_s` plus a
margin (ARCHIVE_DROP_GRACE_S), and every read runs through `ArchiveCatalogue.consistent`, which
takes the list before the read and looks again after it, redoing the read if the list changed.
A read that planned with a list not yet naming a day, and then found the day's partition gone,
ends after the drop, hence more than `ttl_s` after the list was loaded: the look after the read
reloads the list, sees the day, and the read is redone from the file. A read of hot days alone
costs two dictionary lookups more than before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from kalshi_core.settings import get_settings
from kalshi_core.storage.archive import ArchiveError, ArchiveStore

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

_SERVED_SQL: Final = (
    "SELECT day, url, written_at, dropped_at IS NULL AS retiring FROM archived_days "
    "WHERE table_name = 'market_snapshots' AND retired_at IS NOT NULL ORDER BY day"
)
_CONSISTENT_ATTEMPTS: Final = 5


def day_start(day: date) -> datetime:
    return datetime.combine(day, dtime.min, tzinfo=UTC)


def days_touching(days: Sequence[date], start: datetime | None, end: datetime | None) -> list[date]:
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
        return days_touching(sorted(self.files), start, end) if self.files else []

    def retiring_in(self, start: datetime | None, end: datetime | None) -> list[date]:
        """The days meeting [start, end) that a read of PostgreSQL must leave out: served from
        their files while their partitions still hold the same rows."""
        return days_touching(sorted(self.retiring), start, end) if self.retiring else []


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


class ArchiveCatalogue:
    """The days served from the archive, cached, and the store their files are read from: the
    part of `ArchiveReader` (kalshi_core.storage.postgres.archive_reads) every read shares.

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
        """Read the files through `store` from now on (instead of ARCHIVE_URL's). The readers
        that keep state of the old store's files extend this to let it go."""
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
