"""Reads of archived days: `ArchiveReader`, one per `Database` (`archive_reader`), whose caches
(the served days, the markets' ids, the files' footers, the DuckDB connection) every repository
of that database shares. Its parts, each in the module named for its job:

- `archive_catalogue`: which days are served from files (`ServedDays`, cached for `ttl_s`) and
  `consistent`, the look before and after a read that makes the cached list safe;
- `archive_history`: a page of one market's history (pyarrow over the row groups holding it),
  rendered by PostgreSQL with the SQL of hot rows;
- `archive_frames`: snapshot frames (DuckDB over whole files), merged with the hot frame.

One class made of the three (not three objects): a read of hot days alone goes through the
same few method calls on the same object as before the split.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from kalshi_core.storage.postgres.archive_catalogue import ServedDays, leave_out_days
from kalshi_core.storage.postgres.archive_frames import ArchiveFrameReads
from kalshi_core.storage.postgres.archive_history import HISTORY_FIRST_PARAM, ArchiveHistoryReads

if TYPE_CHECKING:
    from kalshi_core.storage.database import Database

# Importable from here as before the split: what the repositories' reads take from the reader
# (the served days, the conditions leaving them out of PostgreSQL's rows, where the history
# read's archived arguments start).
__all__ = [
    "HISTORY_FIRST_PARAM",
    "ArchiveReader",
    "ServedDays",
    "archive_reader",
    "leave_out_days",
]


class ArchiveReader(ArchiveHistoryReads, ArchiveFrameReads):
    """Reads the days served from the archive; one per `Database` (see `archive_reader`).

    `ttl_s` (default ARCHIVE_CATALOGUE_TTL_S) bounds how long the list of those days is used
    before it is read again; `clock` is the monotonic clock that measures it."""


_READERS: weakref.WeakKeyDictionary[Database, ArchiveReader] = weakref.WeakKeyDictionary()


def archive_reader(db: Database) -> ArchiveReader:
    """The reader of `db` (one per Database, so its caches are shared by every repository)."""
    reader = _READERS.get(db)
    if reader is None:
        reader = _READERS[db] = ArchiveReader(db)
    return reader
